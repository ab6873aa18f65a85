import { ServerConnection } from '@jupyterlab/services';

import { TflogClient, TflogRequestError } from '../request';

const BASE = 'http://localhost:8888/user/alice/';

/** A client whose fetch answers with `answer` and records the requests. */
function clientAnswering(answer: (request: Request) => Promise<Response>) {
  const requests: Request[] = [];
  const fetch = (input: RequestInfo | URL): Promise<Response> => {
    const request = input as Request;
    requests.push(request);
    return answer(request);
  };
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: BASE,
    fetch,
    token: 'secret'
  });
  return { client: new TflogClient({ serverSettings }), requests };
}

function json(status: number, body: unknown): Promise<Response> {
  return Promise.resolve(
    new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' }
    })
  );
}

async function failure(promise: Promise<unknown>): Promise<TflogRequestError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(TflogRequestError);
    return error as TflogRequestError;
  }
  throw new Error('the request did not fail');
}

describe('TflogClient', () => {
  it('puts the alert thresholds as JSON and says what the service refused', async () => {
    const { client, requests } = clientAnswering(request =>
      request.method === 'PUT'
        ? json(400, {
            error: {
              status: 400,
              reason: 'invalid_body',
              message:
                'alert thresholds: stall.minutes must be a number above 0'
            }
          })
        : json(500, {})
    );
    const error = await failure(
      client.setAlertThresholds({ stall: { minutes: 0 } })
    );
    expect(requests[0].method).toBe('PUT');
    expect(new URL(requests[0].url).pathname).toBe(
      '/user/alice/tflog/api/v1/alerts/thresholds'
    );
    expect(await requests[0].json()).toEqual({ stall: { minutes: 0 } });
    expect(requests[0].headers.get('Content-Type')).toBe('application/json');
    expect(error.message).toBe(
      'tflog service: alert thresholds: stall.minutes must be a number above 0'
    );
  });

  it('asks the proxy route under the base URL, with the token', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { runs: [], total: 0 })
    );
    await client.runs({ notebook: 'work/a b.ipynb', size: 20 });
    const url = new URL(requests[0].url);
    expect(url.pathname).toBe('/user/alice/tflog/api/v1/runs');
    expect(url.searchParams.get('notebook')).toBe('work/a b.ipynb');
    expect(url.searchParams.get('size')).toBe('20');
    expect(requests[0].headers.get('Authorization')).toBe('token secret');
  });

  it('sends series parameters and leaves absent ones out', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { run: {}, series: [] })
    );
    await client.series('run-1', { axis: 'epoch', maxPoints: 500, after: 3 });
    const url = new URL(requests[0].url);
    expect(url.pathname).toBe('/user/alice/tflog/api/v1/runs/run-1/series');
    expect([...url.searchParams.keys()].sort()).toEqual([
      'after',
      'axis',
      'max_points'
    ]);
    expect(url.searchParams.get('after')).toBe('3');
    expect(url.searchParams.get('max_points')).toBe('500');
  });

  it('asks for one metric of several runs in one request', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { metric: 'loss', runs: [] })
    );
    await client.compare({ runIds: ['a', 'b'], axis: 'time', maxPoints: 800 });
    await client.compare({
      runIds: ['a'],
      metric: 'val_loss',
      axis: 'step',
      maxPoints: 1000
    });
    const [first, second] = requests.map(request => new URL(request.url));
    expect(first.pathname).toBe('/user/alice/tflog/api/v1/compare');
    expect(Object.fromEntries(first.searchParams)).toEqual({
      runs: 'a,b',
      axis: 'time',
      max_points: '800'
    });
    expect(second.searchParams.get('metric')).toBe('val_loss');
  });

  it('sends run filters, repeating tags and hyperparameters', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { runs: [], total: 0 })
    );
    await client.runs({
      tags: { team: 'vision', 'data:set': 'a:b' },
      hparams: { lr: '0.001' },
      sort: 'min:val_loss',
      order: 'asc',
      text: 'mnist'
    });
    const url = new URL(requests[0].url);
    expect(url.pathname).toBe('/user/alice/tflog/api/v1/runs');
    expect(url.searchParams.getAll('tag')).toEqual([
      'team:vision',
      'data:set:a:b'
    ]);
    expect(url.searchParams.getAll('hparam')).toEqual(['lr:0.001']);
    expect(url.searchParams.get('sort')).toBe('min:val_loss');
    expect(url.searchParams.get('order')).toBe('asc');
    expect(url.searchParams.get('q')).toBe('mnist');
  });

  it('sends a threshold as the operator parameter', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { points: [] })
    );
    await client.points({ metric: 'loss', operator: 'gt', value: 2 });
    const url = new URL(requests[0].url);
    expect(url.pathname).toBe('/user/alice/tflog/api/v1/points');
    expect(url.searchParams.get('gt')).toBe('2');
    expect(url.searchParams.get('metric')).toBe('loss');
  });

  it('searches logs across runs with repeated run ids', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { lines: [], total: 0 })
    );
    await client.searchLogs({
      runIds: ['a', 'b'],
      levels: ['warning', 'error']
    });
    const url = new URL(requests[0].url);
    expect(url.pathname).toBe('/user/alice/tflog/api/v1/logs');
    expect(url.searchParams.getAll('run')).toEqual(['a', 'b']);
    expect(url.searchParams.get('level')).toBe('warning,error');
  });

  it('asks for the problems across runs with their levels and filters', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { templates: [], events: 0, sampled: false })
    );
    const answer = await client.problems({
      levels: ['warning', 'error'],
      notebook: 'a.ipynb',
      from: '2026-01-01T00:00:00Z',
      size: 50
    });
    expect(answer).toEqual({ templates: [], events: 0, sampled: false });
    const url = new URL(requests[0].url);
    expect(url.pathname).toBe('/user/alice/tflog/api/v1/problems');
    expect(url.searchParams.get('level')).toBe('warning,error');
    expect(url.searchParams.get('notebook')).toBe('a.ipynb');
    expect(url.searchParams.get('from')).toBe('2026-01-01T00:00:00Z');
    expect(url.searchParams.get('size')).toBe('50');
    expect(url.searchParams.has('to')).toBe(false);
  });

  it('points EventSource at the events endpoint', () => {
    const { client } = clientAnswering(() => json(200, {}));
    expect(client.eventsUrl()).toBe(`${BASE}tflog/api/v1/events`);
  });

  it("carries the service's message, status and reason", async () => {
    const { client } = clientAnswering(() =>
      json(503, {
        error: {
          status: 503,
          message: 'TFLOG_ES_URLS: not a URL',
          reason: 'not_configured'
        }
      })
    );
    const error = await failure(client.runs());
    expect(error.status).toBe(503);
    expect(error.reason).toBe('not_configured');
    expect(error.serverMessage).toBe('TFLOG_ES_URLS: not a URL');
    expect(error.message).toContain('TFLOG_ES_URLS: not a URL');
    expect(error.unreachable).toBe(false);
  });

  it('says the service is unreachable when Jupyter has no proxy route', async () => {
    const { client } = clientAnswering(() =>
      Promise.resolve(
        new Response('<html>404: Not Found</html>', { status: 404 })
      )
    );
    const error = await failure(client.status());
    expect(error.status).toBe(404);
    expect(error.reason).toBe('unreachable');
    expect(error.unreachable).toBe(true);
    expect(error.message).toMatch(/server extension/);
  });

  it('says the service is down when the proxy answers 502', async () => {
    const { client } = clientAnswering(() =>
      Promise.resolve(new Response('Bad Gateway', { status: 502 }))
    );
    const error = await failure(client.status());
    expect(error.reason).toBe('unreachable');
    expect(error.message).toMatch(/not running/);
  });

  it('reports a Jupyter server that cannot be reached', async () => {
    const { client } = clientAnswering(() =>
      Promise.reject(new TypeError('Failed to fetch'))
    );
    const error = await failure(client.status());
    expect(error.status).toBe(0);
    expect(error.reason).toBe('network');
    expect(error.message).toContain('Failed to fetch');
  });

  it('refuses an answer that is not JSON', async () => {
    const { client } = clientAnswering(() =>
      Promise.resolve(new Response('<html></html>', { status: 200 }))
    );
    const error = await failure(client.run('run-1'));
    expect(error.reason).toBe('invalid_response');
  });
});

describe('TflogClient URLs', () => {
  it('carry no cache buster, which the service would refuse', async () => {
    const { client, requests } = clientAnswering(() =>
      json(200, { runs: [], total: 0 })
    );
    await client.runs();
    await client.status();
    expect(requests.map(r => new URL(r.url).search)).toEqual(['', '']);
  });
});
