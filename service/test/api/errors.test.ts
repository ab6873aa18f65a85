import { ApiError, errorReply } from '../../src/api/errors';
import { redactCredentials, redactDeep } from '../../src/api/redact';
import { StoreQueryError, StoreUnavailableError } from '../../src/store/store';
import {
  errorOf,
  FakeStore,
  ITestServer,
  json,
  request,
  serviceStatus,
  startServer
} from './helpers';

describe('errorReply', () => {
  it('maps each kind of error to its status and reason', () => {
    expect(errorReply(new StoreQueryError('bad cursor')).body.error).toEqual({
      status: 400,
      message: 'bad cursor',
      reason: 'invalid_query'
    });
    const unavailable = errorReply(
      new StoreUnavailableError('cluster down', 503, 2500)
    );
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['Retry-After']).toBe('3');
    expect(unavailable.body.error.reason).toBe('store_unavailable');
    expect(
      errorReply(new StoreUnavailableError('down')).headers
    ).not.toHaveProperty('Retry-After');
    expect(errorReply(ApiError.notFound('no run')).status).toBe(404);
  });

  it('hides unexpected errors behind a generic message and keeps the detail for the log', () => {
    const reply = errorReply(new TypeError('x is undefined'));
    expect(reply.status).toBe(500);
    expect(reply.body.error.reason).toBe('internal');
    expect(reply.body.error.message).not.toContain('x is undefined');
    expect(reply.body.error.id).toMatch(/^[0-9a-f]{8}$/);
    expect(reply.logDetail).toContain('x is undefined');
    expect(reply.logDetail).toContain(reply.body.error.id);
  });

  it('never repeats credentials found in messages', () => {
    const reply = errorReply(
      new StoreUnavailableError(
        'connect ECONNREFUSED https://elastic:s3cret@es.example:9200/_bulk'
      )
    );
    expect(reply.body.error.message).toBe(
      'store unavailable: connect ECONNREFUSED https://es.example:9200/_bulk'
    );
  });
});

describe('redaction', () => {
  it('removes userinfo from every URL in text and nested values', () => {
    expect(redactCredentials('a http://u:p@h:1 b https://token@x/y')).toBe(
      'a http://h:1 b https://x/y'
    );
    expect(redactCredentials('mail me at a@b.c')).toBe('mail me at a@b.c');
    expect(
      redactDeep({ urls: ['https://u:p@h'], n: 3, nested: { s: 'http://k@z' } })
    ).toEqual({ urls: ['https://h'], n: 3, nested: { s: 'http://z' } });
  });

  it.each([
    [
      '"https://elastic:pa/ss@es.example:9200" is not a URL',
      '"https://es.example:9200" is not a URL'
    ],
    [
      'at https://elastic:p@ss@es:9200, retrying',
      'at https://es:9200, retrying'
    ],
    ['https://u:pa#ss@es https://u:pa?ss@es2/x', 'https://es https://es2/x'],
    [
      'https://el/as@tic:a/b@c#d?e:f@es.example/prefix',
      'https://es.example/prefix'
    ]
  ])('removes userinfo holding / @ # ? : from %j', (text, expected) => {
    expect(redactCredentials(text)).toBe(expected);
  });
});

describe('error mapping over HTTP', () => {
  let server: ITestServer;

  beforeEach(async () => {
    server = await startServer();
  });

  afterEach(() => server.api.close());

  it('answers a StoreQueryError with 400', async () => {
    server.store.failWith = new StoreQueryError('cursor has expired');
    const response = await request(server.at, '/api/v1/runs');
    expect(response.status).toBe(400);
    expect(errorOf(response)).toEqual({
      status: 400,
      message: 'cursor has expired',
      reason: 'invalid_query'
    });
  });

  it('answers a StoreUnavailableError with 503 and Retry-After', async () => {
    server.store.failWith = new StoreUnavailableError(
      '429 from ES',
      429,
      10000
    );
    const response = await request(server.at, '/api/v1/runs/run-1/series');
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('10');
    expect(errorOf(response).reason).toBe('store_unavailable');
  });

  it('answers an unknown error with a generic 500 and logs the detail', async () => {
    server.store.failWith = new RangeError('index out of range in fold');
    const response = await request(server.at, '/api/v1/runs/run-1/logs');
    expect(response.status).toBe(500);
    const error = errorOf(response);
    expect(error.reason).toBe('internal');
    expect(error.message).not.toContain('fold');
    expect(server.logged).toHaveLength(1);
    expect(server.logged[0]).toContain('index out of range in fold');
    expect(server.logged[0]).toContain('/api/v1/runs/run-1/logs');
  });

  it('never logs Jupyter’s token from the URL', async () => {
    server.store.failWith = new RangeError('index out of range in fold');
    const response = await request(
      server.at,
      '/api/v1/runs/run-1/logs?token=s3cr3t&size=5&token=s3cr3t'
    );
    expect(response.status).toBe(500);
    expect(server.logged).toHaveLength(1);
    expect(server.logged[0]).toContain(
      '/api/v1/runs/run-1/logs?token=***&size=5&token=***'
    );
    expect(server.logged[0]).not.toContain('s3cr3t');
  });

  it('answers a missing run with 404', async () => {
    const response = await request(server.at, '/api/v1/runs/run-404');
    expect(response.status).toBe(404);
    expect(errorOf(response)).toEqual({
      status: 404,
      message: "no run 'run-404'",
      reason: 'not_found'
    });
  });

  it('counts client and server errors in the status', async () => {
    await request(server.at, '/api/v1/runs?size=0');
    server.store.failWith = new Error('boom');
    await request(server.at, '/api/v1/runs');
    server.store.failWith = null;
    const status = json(await request(server.at, '/api/v1/status'));
    expect(status.api).toMatchObject({
      requests: 3,
      clientErrors: 1,
      serverErrors: 1
    });
  });
});

describe('without a usable configuration', () => {
  it('answers data endpoints with 503 and the configuration error', async () => {
    const server = await startServer({
      store: null,
      configError: 'TFLOG_ES_URLS: not a URL: htp:/es'
    });
    try {
      const response = await request(server.at, '/api/v1/runs');
      expect(response.status).toBe(503);
      expect(errorOf(response)).toEqual({
        status: 503,
        message: 'TFLOG_ES_URLS: not a URL: htp:/es',
        reason: 'not_configured'
      });
      const status = await request(server.at, '/api/v1/status');
      expect(status.status).toBe(200);
      expect(json(status)).toMatchObject({
        configError: 'TFLOG_ES_URLS: not a URL: htp:/es',
        store: null
      });
    } finally {
      await server.api.close();
    }
  });

  it('answers 503 when no store is set up even without a message', async () => {
    const server = await startServer({ store: null });
    try {
      const response = await request(server.at, '/api/v1/runs/run-1');
      expect(response.status).toBe(503);
      expect(errorOf(response).reason).toBe('not_configured');
    } finally {
      await server.api.close();
    }
  });
});

describe('status', () => {
  it('shows no part of a password that holds / @ # ? or :', async () => {
    const store = new FakeStore();
    store.statusAnswer = {
      kind: 'elasticsearch',
      location:
        'https://elastic:se/cr@et#1?x:y@es1.example:9200, https://elastic:se/cr@et#1?x:y@es2.example:9200',
      healthy: true,
      degraded: []
    };
    const service = serviceStatus(tracker => {
      tracker.recordError(
        'TFLOG_ES_URLS: "https://elastic:se/cr@et#1?x:y@es1.example:9200" refused'
      );
    });
    const server = await startServer({ getStatus: async () => service }, store);
    try {
      const response = await request(server.at, '/api/v1/status');
      expect(response.status).toBe(200);
      for (const piece of ['se/cr', 'cr@et', 'et#1', '1?x', 'x:y']) {
        expect(response.text).not.toContain(piece);
      }
      const body = json(response) as {
        store: { location: string };
        lastError: { message: string };
      };
      expect(body.store.location).toBe(
        'https://es1.example:9200, https://es2.example:9200'
      );
      expect(body.lastError.message).toBe(
        'TFLOG_ES_URLS: "https://es1.example:9200" refused'
      );
    } finally {
      await server.api.close();
    }
  });

  it('reports the service status, the store and the API without credentials', async () => {
    const store = new FakeStore();
    store.statusAnswer = {
      kind: 'elasticsearch',
      location: 'https://elastic:pw@es.example:9200',
      healthy: false,
      degraded: ['ILM: not available on this cluster']
    };
    const service = serviceStatus(tracker => {
      tracker.backlog = { files: 2, bytes: 4096 };
      tracker.recordError('bulk to http://u:pw@es:9200 failed');
    });
    const server = await startServer({ getStatus: async () => service }, store);
    try {
      const response = await request(server.at, '/api/v1/status');
      expect(response.status).toBe(200);
      expect(response.text).not.toContain('pw');
      expect(json(response)).toEqual({
        apiVersion: 1,
        version: '0.1.0-test',
        user: 'alice',
        configError: null,
        ...service,
        lastError: {
          message: 'bulk to http://es:9200 failed',
          at: '2026-01-31T09:00:00.000Z'
        },
        store: {
          kind: 'elasticsearch',
          location: 'https://es.example:9200',
          healthy: false,
          degraded: ['ILM: not available on this cluster']
        },
        api: {
          requests: 1,
          clientErrors: 0,
          serverErrors: 0,
          events: { clients: 0, sent: 0, dropped: 0, refused: 0 }
        }
      });
    } finally {
      await server.api.close();
    }
  });

  it('reports a store that cannot answer as unhealthy', async () => {
    const store = new FakeStore();
    store.failWith = new StoreUnavailableError('connect ECONNREFUSED');
    const server = await startServer({}, store);
    try {
      const response = await request(server.at, '/api/v1/status');
      expect(response.status).toBe(200);
      expect(json(response).store).toEqual({
        healthy: false,
        error: 'connect ECONNREFUSED'
      });
    } finally {
      await server.api.close();
    }
  });
});
