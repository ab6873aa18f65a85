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
      frame({ type: 'run', run_id: 'r1', updated: 'T', last_seq: 7 })
    ).toBe('data: {"type":"run","run_id":"r1","updated":"T","last_seq":7}\n\n');
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
        { run_id: 'run-1', updated: '2026-01-31T10:00:01.000Z', last_seq: 41 },
        { run_id: 'run-2', updated: '2026-01-31T10:00:02.000Z', last_seq: 5 }
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
          last_seq: 41
        },
        {
          type: 'run',
          run_id: 'run-2',
          updated: '2026-01-31T10:00:02.000Z',
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
