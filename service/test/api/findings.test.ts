/**
 * `GET /points`, `/nonfinite` and `/errors` over a real embedded store:
 * parameters checked with 400s naming them, answers for the current user
 * only, paging with the stores' cursors.
 */
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { createApiServer, IApiServer, ListeningAt } from '../../src/api';
import { EmbeddedStore } from '../../src/store/embedded';
import type { IMetricPoint, IRunSummary } from '../../src/types';
import type {
  IErrorCountPage,
  IMetricHitPage,
  INonfinitePage
} from '../../src/wire';
import { memoryLogger } from '../ship/fakes';
import {
  errorOf,
  request,
  runSummary,
  serviceStatus,
  startServer
} from './helpers';

function point(
  runId: string,
  user: string,
  n: number,
  value: number | 'NaN'
): IMetricPoint {
  return {
    _id: `${runId}:${n}:loss`,
    '@timestamp': new Date(Date.UTC(2026, 0, 31, 10, n)).toISOString(),
    run_id: runId,
    notebook: 'work/train.ipynb',
    user,
    name: 'loss',
    ...(value === 'NaN' ? { nonfinite: 'NaN' as const } : { value }),
    step: n,
    epoch: 0,
    scope: 'batch',
    source: 'keras'
  };
}

describe('queries across runs', () => {
  let dir: string;
  let store: EmbeddedStore;
  const servers: IApiServer[] = [];

  async function serve(
    user: string,
    serverRoot?: string
  ): Promise<ListeningAt> {
    const api = createApiServer({
      store,
      getStatus: () => serviceStatus(),
      version: 'test',
      user,
      serverRoot,
      logger: { error: () => undefined }
    });
    servers.push(api);
    return api.listen({ port: 0 });
  }

  async function get<T>(at: ListeningAt, url: string): Promise<T> {
    const response = await request(at, url);
    expect({ url, status: response.status, text: response.text }).toMatchObject(
      { status: 200 }
    );
    return JSON.parse(response.text) as T;
  }

  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-findings-api-'));
    store = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger
    });
    await store.init();
    const runs: IRunSummary[] = [
      runSummary('20260131T100000-a', {
        counts: { events: 9, errors: 1, warnings: 4, nan: 1 }
      }),
      runSummary('20260131T110000-b', {
        started: '2026-01-31T11:00:00.000Z',
        counts: { events: 9, errors: 3, warnings: 0, nan: 0 }
      }),
      runSummary('20260131T120000-c', {
        user: 'bob',
        counts: { events: 9, errors: 7, warnings: 0, nan: 1 }
      })
    ];
    await store.write({
      documents: [],
      points: [
        point('20260131T100000-a', 'alice', 1, 2.5),
        point('20260131T100000-a', 'alice', 2, 'NaN'),
        point('20260131T100000-a', 'alice', 3, 12),
        point('20260131T110000-b', 'alice', 4, 1.5),
        point('20260131T120000-c', 'bob', 5, 99),
        point('20260131T120000-c', 'bob', 6, 'NaN')
      ],
      runs,
      runVersions: Object.fromEntries(runs.map(run => [run.run_id, 1]))
    });
  });

  afterAll(async () => {
    await Promise.all(servers.map(server => server.close()));
    await store.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('answers metric values past a threshold, compared as numbers, the user’s only', async () => {
    const at = await serve('alice');
    const page = await get<IMetricHitPage>(
      at,
      '/api/v1/points?metric=loss&gt=2.0&from=2026-01-31&to=2026-02-01'
    );
    expect(page).toEqual({
      points: [
        {
          run_id: '20260131T100000-a',
          run_name: 'mnist',
          notebook: 'work/train.ipynb',
          metric: 'loss',
          scope: 'batch',
          value: 2.5,
          step: 1,
          epoch: 0,
          time: '2026-01-31T10:01:00.000Z'
        },
        expect.objectContaining({ value: 12, step: 3 })
      ]
    });
    const bob = await serve('bob');
    expect(
      (
        await get<IMetricHitPage>(bob, '/api/v1/points?metric=loss&gte=2')
      ).points.map(hit => hit.value)
    ).toEqual([99]);
  });

  it('pages with the cursor it hands out', async () => {
    const at = await serve('alice');
    const first = await get<IMetricHitPage>(
      at,
      '/api/v1/points?metric=loss&lt=100&size=2'
    );
    expect(first.points.map(hit => hit.value)).toEqual([2.5, 12]);
    expect(first.next).toEqual(expect.any(String));
    const second = await get<IMetricHitPage>(
      at,
      `/api/v1/points?metric=loss&lt=100&size=2&after=${first.next}`
    );
    expect(second).toEqual({
      points: [expect.objectContaining({ value: 1.5 })]
    });
  });

  it('filters by run, notebook (relative to the server root) and scope', async () => {
    const at = await serve('alice', '/home/alice');
    expect(
      (
        await get<IMetricHitPage>(
          at,
          '/api/v1/points?metric=loss&gt=0&run=20260131T110000-b,20260131T120000-c'
        )
      ).points.map(hit => hit.run_id)
    ).toEqual(['20260131T110000-b']);
    expect(
      (
        await get<IMetricHitPage>(
          at,
          '/api/v1/points?metric=loss&gt=0&notebook=%2Fhome%2Falice%2Fwork%2Ftrain.ipynb&scope=batch'
        )
      ).points
    ).toHaveLength(3);
    expect(
      (
        await get<IMetricHitPage>(
          at,
          '/api/v1/points?metric=loss&gt=0&scope=epoch'
        )
      ).points
    ).toEqual([]);
  });

  it('answers each run’s first non-finite value', async () => {
    const at = await serve('alice');
    expect(
      await get<INonfinitePage>(
        at,
        '/api/v1/nonfinite?notebook=work%2Ftrain.ipynb'
      )
    ).toEqual({
      runs: [
        {
          run_id: '20260131T100000-a',
          run_name: 'mnist',
          notebook: 'work/train.ipynb',
          metric: 'loss',
          scope: 'batch',
          value: 'NaN',
          step: 2,
          epoch: 0,
          time: '2026-01-31T10:02:00.000Z'
        }
      ]
    });
    expect(
      await get<INonfinitePage>(
        at,
        '/api/v1/nonfinite?from=2026-01-31T10:03:00Z'
      )
    ).toEqual({ runs: [] });
  });

  it('answers runs by error count', async () => {
    const at = await serve('alice');
    const page = await get<IErrorCountPage>(at, '/api/v1/errors?size=1');
    expect(page.total).toBe(2);
    expect(page.runs).toEqual([
      {
        run_id: '20260131T110000-b',
        name: 'mnist',
        notebook: 'work/train.ipynb',
        status: 'running',
        started: '2026-01-31T11:00:00.000Z',
        errors: 3,
        warnings: 0
      }
    ]);
    const rest = await get<IErrorCountPage>(
      at,
      `/api/v1/errors?size=1&after=${page.next}`
    );
    expect(
      rest.runs.map(run => [run.run_id, run.errors, run.warnings])
    ).toEqual([['20260131T100000-a', 1, 4]]);
    expect(rest.next).toBeUndefined();
  });

  it('refuses a cursor of another query as an invalid query', async () => {
    const at = await serve('alice');
    const first = await get<IMetricHitPage>(
      at,
      '/api/v1/points?metric=loss&gt=0&size=1'
    );
    const response = await request(at, `/api/v1/errors?after=${first.next}`);
    expect(response.status).toBe(400);
    expect(errorOf(response).reason).toBe('invalid_query');
  });

  const refused: [string, string, string][] = [
    ['/api/v1/points?gt=2', 'metric', 'is required'],
    ['/api/v1/points?metric=a,b&gt=2', 'metric', 'is not a metric name'],
    ['/api/v1/points?metric=loss', 'gt', 'one of gt, gte, lt, lte'],
    ['/api/v1/points?metric=loss&gt=two', 'gt', "'two' is not a number"],
    ['/api/v1/points?metric=loss&gt=NaN', 'gt', 'is not a number'],
    ['/api/v1/points?metric=loss&gt=1&gte=1', 'gte', 'not both'],
    ['/api/v1/points?metric=loss&lt=1&lte=1', 'lte', 'not both'],
    ['/api/v1/points?metric=loss&gt=3&lt=2', 'lt', 'no value is above 3'],
    ['/api/v1/points?metric=loss&gt=2&lt=2', 'lt', 'no value is above 2'],
    ['/api/v1/points?metric=loss&gt=1&gt=2', 'gt', 'more than once'],
    ['/api/v1/points?metric=loss&gt=1&run=bad$id', 'run', 'is not a run id'],
    ['/api/v1/points?metric=loss&gt=1&scope=day', 'scope', 'one of epoch'],
    ['/api/v1/points?metric=loss&gt=1&size=0', 'size', 'between 1 and 1000'],
    ['/api/v1/points?metric=loss&gt=1&after=%20', 'after', 'cursor'],
    ['/api/v1/points?metric=loss&gt=1&from=today', 'from', 'ISO 8601'],
    [
      '/api/v1/points?metric=loss&gt=1&from=2026-02-01&to=2026-01-01',
      'to',
      'earlier than from'
    ],
    ['/api/v1/points?metric=loss&gt=1&value=2', 'value', 'unknown parameter'],
    [
      `/api/v1/points?metric=loss&gt=1&run=${Array.from({ length: 101 }, (_, n) => `r${n}`).join(',')}`,
      'run',
      'at most 100'
    ],
    [
      `/api/v1/nonfinite?${Array.from({ length: 17 }, (_, n) => `notebook=n${n}`).join('&')}`,
      'notebook',
      'at most 16'
    ],
    ['/api/v1/nonfinite?metric=%20x', 'metric', 'not a metric name'],
    ['/api/v1/nonfinite?size=1001', 'size', 'between 1 and 1000'],
    ['/api/v1/nonfinite?gt=1', 'gt', 'unknown parameter'],
    ['/api/v1/errors?to=2026-01-31T10:00:00', 'to', 'ISO 8601'],
    ['/api/v1/errors?metric=loss', 'metric', 'unknown parameter'],
    ['/api/v1/errors?user=alice', 'user', 'unknown parameter']
  ];

  it.each(refused)('%s is refused naming %s', async (url, name, words) => {
    const at = await serve('alice');
    const response = await request(at, url);
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error).toMatchObject({
      status: 400,
      reason: 'invalid_parameter',
      parameter: name
    });
    expect(error.message.startsWith(`${name}: `)).toBe(true);
    expect(error.message).toContain(words);
  });

  it('answers 501 from a store that cannot query across runs, 405 to a write', async () => {
    const server = await startServer();
    servers.push(server.api);
    for (const url of [
      '/api/v1/points?metric=loss&gt=1',
      '/api/v1/nonfinite',
      '/api/v1/errors'
    ]) {
      const response = await request(server.at, url);
      expect({ url, status: response.status }).toEqual({ url, status: 501 });
      expect(errorOf(response).reason).toBe('not_implemented');
    }
    const head = await request(server.at, '/api/v1/errors', { method: 'HEAD' });
    expect(head.status).toBe(501);
    const post = await request(server.at, '/api/v1/errors', {
      method: 'POST',
      headers: { Authorization: 'token t' }
    });
    expect(post.status).toBe(405);
  });
});
