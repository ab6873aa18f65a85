import { IncomingMessage, request as httpRequest } from 'http';

import { frame } from '../../src/api/events';
import type { ListeningAt } from '../../src/api';
import { errorOf, ITestServer, json, request, startServer } from './helpers';

/** An open event stream and everything received on it so far. */
interface IStream {
  response: IncomingMessage;
  received(): string;
  /** Resolves once the received text contains `text`. */
  waitFor(text: string): Promise<void>;
  /** Resolves when the server has ended the response. */
  ended: Promise<void>;
  close(): void;
}

function openStream(at: ListeningAt): Promise<IStream> {
  if ('socket' in at) {
    throw new Error('these tests use a port');
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: at.host,
        port: at.port,
        path: '/api/v1/events',
        headers: { Accept: 'text/event-stream' }
      },
      response => {
        let text = '';
        const waiters: { text: string; done: () => void }[] = [];
        const ended = new Promise<void>(done => response.on('end', done));
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
          for (const waiter of waiters.filter(w => text.includes(w.text))) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.done();
          }
        });
        resolve({
          response,
          received: () => text,
          waitFor: expected =>
            new Promise(done => {
              if (text.includes(expected)) {
                done();
              } else {
                waiters.push({ text: expected, done });
              }
            }),
          ended,
          close: () => outgoing.destroy()
        });
      }
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('event stream', () => {
  let server: ITestServer;

  beforeEach(async () => {
    server = await startServer({ heartbeatMs: 50 });
  });

  afterEach(() => server.api.close());

  it('frames events as one JSON data line', () => {
    expect(
      frame({
        type: 'run',
        run_id: 'r1',
        updated: 'T',
        status: 'running',
        last_seq: 7
      })
    ).toBe(
      'data: {"type":"run","run_id":"r1","updated":"T","status":"running","last_seq":7}\n\n'
    );
  });

  it('opens with headers, a retry hint and a ready event', async () => {
    const stream = await openStream(server.at);
    try {
      expect(stream.response.statusCode).toBe(200);
      expect(stream.response.headers['content-type']).toBe(
        'text/event-stream; charset=utf-8'
      );
      expect(stream.response.headers['cache-control']).toBe('no-store');
      await stream.waitFor('"type":"ready"');
      expect(stream.received()).toBe(
        'retry: 3000\n\ndata: {"type":"ready","api_version":1}\n\n'
      );
    } finally {
      stream.close();
    }
  });

  it('sends an event per notified run update', async () => {
    const stream = await openStream(server.at);
    try {
      await stream.waitFor('ready');
      server.api.notify([
        {
          run_id: 'run-1',
          updated: '2026-01-31T10:00:01.000Z',
          status: 'running',
          last_seq: 41
        },
        {
          run_id: 'run-2',
          updated: '2026-01-31T10:00:02.000Z',
          status: 'finished',
          last_seq: 5
        }
      ]);
      await stream.waitFor('"run_id":"run-2"');
      const events = stream
        .received()
        .split('\n\n')
        .filter(block => block.startsWith('data: '))
        .map(block => JSON.parse(block.slice('data: '.length)));
      expect(events).toEqual([
        { type: 'ready', api_version: 1 },
        {
          type: 'run',
          run_id: 'run-1',
          updated: '2026-01-31T10:00:01.000Z',
          status: 'running',
          last_seq: 41
        },
        {
          type: 'run',
          run_id: 'run-2',
          updated: '2026-01-31T10:00:02.000Z',
          status: 'finished',
          last_seq: 5
        }
      ]);
    } finally {
      stream.close();
    }
  });

  it('sends heartbeat comments while idle', async () => {
    const stream = await openStream(server.at);
    try {
      await stream.waitFor(': heartbeat\n\n');
      expect(stream.received()).toContain('\n\n: heartbeat\n\n');
    } finally {
      stream.close();
    }
  });

  it('counts clients and forgets those that leave', async () => {
    const stream = await openStream(server.at);
    await stream.waitFor('ready');
    const during = json(await request(server.at, '/api/v1/status'));
    expect(during.api).toMatchObject({ events: { clients: 1 } });
    const gone = new Promise(done => stream.response.on('close', done));
    stream.close();
    await gone;
    // The server sees the disconnect shortly after the client does.
    let clients = 1;
    for (let attempt = 0; attempt < 50 && clients !== 0; attempt++) {
      await new Promise(done => setTimeout(done, 10));
      const status = json(await request(server.at, '/api/v1/status')) as {
        api: { events: { clients: number } };
      };
      clients = status.api.events.clients;
    }
    expect(clients).toBe(0);
  });

  /** Waits until the server counts `expected` open streams. */
  async function clientsBecome(expected: number): Promise<void> {
    for (;;) {
      const status = json(await request(server.at, '/api/v1/status')) as {
        api: { events: { clients: number } };
      };
      if (status.api.events.clients === expected) {
        return;
      }
      await new Promise(done => setTimeout(done, 10));
    }
  }

  it('refuses a stream over the limit with 503, the limit named, and Retry-After', async () => {
    await server.api.close();
    server = await startServer({ heartbeatMs: 50, maxEventClients: 2 });
    const open = [await openStream(server.at), await openStream(server.at)];
    try {
      await Promise.all(open.map(stream => stream.waitFor('ready')));
      const refused = await openStream(server.at);
      expect(refused.response.statusCode).toBe(503);
      expect(refused.response.headers['retry-after']).toBe('30');
      expect(refused.response.headers['content-type']).toMatch(
        /^application\/json/
      );
      await refused.ended;
      const body = JSON.parse(refused.received()) as {
        error: { status: number; reason: string; message: string };
      };
      expect(body.error).toMatchObject({
        status: 503,
        reason: 'too_many_streams'
      });
      expect(body.error.message).toMatch(
        /at most 2 event streams .*TFLOG_MAX_EVENT_CLIENTS/
      );
      const status = json(await request(server.at, '/api/v1/status'));
      expect(status.api).toMatchObject({
        events: { clients: 2, refused: 1 }
      });
    } finally {
      open.forEach(stream => stream.close());
    }
  });

  it('gives the place of a client that disconnects to the next one', async () => {
    await server.api.close();
    server = await startServer({ heartbeatMs: 50, maxEventClients: 1 });
    const first = await openStream(server.at);
    await first.waitFor('ready');
    const refused = await openStream(server.at);
    expect(refused.response.statusCode).toBe(503);
    first.close();
    await clientsBecome(0);
    const next = await openStream(server.at);
    try {
      expect(next.response.statusCode).toBe(200);
      await next.waitFor('"type":"ready"');
    } finally {
      next.close();
    }
  });

  it('refuses requests that do not accept an event stream', async () => {
    const response = await request(server.at, '/api/v1/events', {
      headers: { Accept: 'application/json' }
    });
    expect(response.status).toBe(406);
    expect(errorOf(response).reason).toBe('not_acceptable');
  });

  it('ends open streams when the server closes', async () => {
    const stream = await openStream(server.at);
    await stream.waitFor('ready');
    const ended = new Promise(done => stream.response.on('end', done));
    await server.api.close();
    await ended;
    expect(stream.response.complete).toBe(true);
  });
});
