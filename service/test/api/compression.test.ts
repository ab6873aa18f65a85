import { get } from 'http';
import { gunzipSync } from 'zlib';

import type { ListeningAt } from '../../src/api';
import {
  acceptsGzip,
  COMPRESS_MIN_BYTES,
  encodeBody
} from '../../src/api/compression';
import { FakeStore, ITestServer, runSummary, startServer } from './helpers';

/** GET `path` with `headers`; the body as the bytes sent. */
function getRaw(
  at: ListeningAt,
  path: string,
  headers: Record<string, string>
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  const target =
    'socket' in at
      ? { socketPath: at.socket }
      : { host: at.host, port: at.port };
  return new Promise((resolve, reject) => {
    get({ ...target, path, headers }, response => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ headers: response.headers, body: Buffer.concat(chunks) })
      );
      response.on('error', reject);
    }).on('error', reject);
  });
}

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as HTTP means it', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip(['deflate', 'gzip'])).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('deflate, br')).toBe(false);
    expect(acceptsGzip('')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });

  it('leaves a short answer as it is', async () => {
    const short = await encodeBody('{"ok":true}', 'gzip');
    expect(short).toEqual({ body: '{"ok":true}', headers: {} });
    const long = 'x'.repeat(COMPRESS_MIN_BYTES);
    expect((await encodeBody(long, 'br')).body).toBe(long);
    const zipped = await encodeBody(long, 'gzip');
    expect(zipped.headers).toEqual({ 'Content-Encoding': 'gzip' });
    expect(gunzipSync(zipped.body).toString()).toBe(long);
  });
});

describe('API answers', () => {
  let server: ITestServer;
  beforeAll(async () => {
    const store = new FakeStore();
    for (let index = 0; index < 300; index++) {
      const runId = `run-${index}`;
      store.runs.set(runId, runSummary(runId));
    }
    server = await startServer({}, store);
  });
  afterAll(async () => {
    await server.api.close();
  });

  it('are gzipped when long and the client accepts it, the same JSON', async () => {
    const plain = await getRaw(server.at, '/api/v1/runs', {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(COMPRESS_MIN_BYTES);
    const zipped = await getRaw(server.at, '/api/v1/runs', {
      'Accept-Encoding': 'gzip, deflate'
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('Accept-Encoding');
    expect(Number(zipped.headers['content-length'])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
    expect(JSON.parse(gunzipSync(zipped.body).toString())).toEqual(
      JSON.parse(plain.body.toString())
    );
  });

  it('are sent as they are when short', async () => {
    const status = await getRaw(server.at, '/api/v1/status', {
      'Accept-Encoding': 'gzip'
    });
    expect(status.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(status.body.toString())).toHaveProperty('apiVersion', 1);
  });
});
