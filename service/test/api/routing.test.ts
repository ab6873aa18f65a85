import {
  matchRoute,
  normaliseBasePath,
  stripBasePath
} from '../../src/api/router';
import { ApiError } from '../../src/api/errors';
import { errorOf, ITestServer, json, request, startServer } from './helpers';

describe('router', () => {
  it('normalises base paths', () => {
    expect(normaliseBasePath(undefined)).toBe('');
    expect(normaliseBasePath('/')).toBe('');
    expect(normaliseBasePath('/user/alice/tflog/')).toBe('/user/alice/tflog');
    expect(normaliseBasePath('tflog')).toBe('/tflog');
  });

  it('strips the base path only when the path starts with it', () => {
    const base = '/user/alice/tflog';
    expect(stripBasePath('/user/alice/tflog/api/v1/runs', base)).toBe(
      '/api/v1/runs'
    );
    expect(stripBasePath('/api/v1/runs', base)).toBe('/api/v1/runs');
    expect(stripBasePath('/user/alice/tflogx/api', base)).toBe(
      '/user/alice/tflogx/api'
    );
    expect(stripBasePath('/user/alice/tflog', base)).toBe('/');
  });

  it('captures and decodes the run id', () => {
    expect(matchRoute('GET', '/api/v1/runs/a%3Ab/series')).toEqual({
      endpoint: 'series',
      params: { runId: 'a:b' }
    });
    expect(matchRoute('GET', '/api/v1/runs/r1/logs/').endpoint).toBe('logs');
    expect(matchRoute('POST', '/api/v1/flush').endpoint).toBe('flush');
  });

  it('answers 404 for unknown paths and 405 for wrong methods', () => {
    const notFound = catchApiError(() => matchRoute('GET', '/api/v2/runs'));
    expect(notFound.status).toBe(404);
    const wrongMethod = catchApiError(() => matchRoute('POST', '/api/v1/runs'));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.details.allow).toEqual(['GET', 'HEAD']);
  });
});

describe('routing over HTTP', () => {
  let server: ITestServer;

  beforeAll(async () => {
    server = await startServer({ basePath: '/user/alice/tflog/' });
  });

  afterAll(() => server.api.close());

  it('serves paths with the prefix stripped (proxy default)', async () => {
    const response = await request(server.at, '/api/v1/runs/run-1');
    expect(response.status).toBe(200);
    expect(json(response).run_id).toBe('run-1');
    expect(response.headers['content-type']).toBe(
      'application/json; charset=utf-8'
    );
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('serves paths that still carry the prefix (absolute_url)', async () => {
    const response = await request(
      server.at,
      '/user/alice/tflog/api/v1/runs?size=5'
    );
    expect(response.status).toBe(200);
    expect(json(response).total).toBe(1);
    expect(server.store.runQueries.at(-1)?.size).toBe(5);
  });

  it('tolerates doubled slashes', async () => {
    const response = await request(server.at, '//api/v1//runs/run-1');
    expect(response.status).toBe(200);
    expect(json(response).run_id).toBe('run-1');
  });

  it('lists API versions at /api', async () => {
    const response = await request(server.at, '/user/alice/tflog/api');
    expect(json(response)).toEqual({
      name: 'tflog',
      version: '0.1.0-test',
      api_versions: [1]
    });
  });

  it('answers unknown endpoints with a JSON 404', async () => {
    const response = await request(server.at, '/api/v1/nothing');
    expect(response.status).toBe(404);
    expect(errorOf(response)).toMatchObject({
      status: 404,
      reason: 'not_found'
    });
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const response = await request(server.at, '/api/v1/status', {
      method: 'DELETE',
      headers: { Authorization: 'token abc' }
    });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
  });

  it('answers HEAD like GET without a body', async () => {
    const response = await request(server.at, '/api/v1/runs/run-1', {
      method: 'HEAD'
    });
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
  });
});

function catchApiError(action: () => unknown): ApiError {
  try {
    action();
  } catch (error) {
    if (error instanceof ApiError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected an ApiError');
}
