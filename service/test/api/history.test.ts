/** Parameters of the history queries: validated, normalised, handed on. */
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { createApiServer, IApiServer, ListeningAt } from '../../src/api';
import { EmbeddedStore } from '../../src/store/embedded';
import { seriesRank } from '../../src/store/compare-common';
import type { ILogPage, ISeriesResponse } from '../../src/wire';
import { logEvent } from '../documents';
import { memoryLogger } from '../ship/fakes';
import { writeAccepted } from '../store/write-accepted';
import {
  errorOf,
  json,
  ITestServer,
  request,
  runSummary,
  serviceStatus,
  startServer
} from './helpers';

describe('history parameters', () => {
  let server: ITestServer;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(() => server.api.close());

  const refused: [string, string, string][] = [
    ['/api/v1/runs?hparam=lr', 'hparam', 'is not key:value'],
    ['/api/v1/runs?hparam=:1', 'hparam', 'is not key:value'],
    [
      '/api/v1/runs?hparam=lr:1&hparam=lr:2',
      'hparam',
      "hyperparameter 'lr' is given two different values"
    ],
    ['/api/v1/runs?sort=speed', 'sort', "'speed' is not one of started"],
    ['/api/v1/runs?sort=last:', 'sort', 'last:<metric>'],
    ['/api/v1/runs?sort=mean:loss', 'sort', 'is not one of'],
    ['/api/v1/runs?sort=name&sort=health', 'sort', 'more than once'],
    ['/api/v1/runs?order=up', 'order', 'one of asc, desc'],
    ['/api/v1/runs/run-1/series?from=soon', 'from', 'not a number'],
    ['/api/v1/runs/run-1/series?to=1e', 'to', 'not a number'],
    ['/api/v1/runs/run-1/series?axis=time&from=12', 'from', 'ISO 8601'],
    ['/api/v1/runs/run-1/series?from=5&to=2', 'to', 'less than from'],
    [
      '/api/v1/runs/run-1/series?axis=time&from=2026-01-31T10:00:01Z&to=2026-01-31T10:00:00Z',
      'to',
      'less than from'
    ],
    ['/api/v1/runs/run-1/logs?at=noon', 'at', 'ISO 8601'],
    [
      '/api/v1/runs/run-1/logs?at=2026-01-31T10:00:00Z&after=abc',
      'at',
      'cannot be given with after'
    ],
    ['/api/v1/logs?level=warn1ng', 'level', 'not a log level'],
    ['/api/v1/logs?kind=chatter', 'kind', 'not one of'],
    ['/api/v1/logs?run=bad$id', 'run', 'not a run id'],
    [
      `/api/v1/logs?${Array.from({ length: 101 }, (_, i) => `run=r${i}`).join('&')}`,
      'run',
      'at most 100'
    ],
    ['/api/v1/logs?from=2026-02-01&to=2026-01-01', 'to', 'earlier than from'],
    ['/api/v1/logs?size=0', 'size', 'between 1 and 1000'],
    ['/api/v1/logs?after=%20', 'after', 'cursor'],
    ['/api/v1/logs?runId=x', 'runId', 'unknown parameter'],
    ['/api/v1/compare', 'runs', 'is required: 1 to 20 run ids'],
    ['/api/v1/compare?runs=a,bad$id', 'runs', "'bad$id' is not a run id"],
    [
      `/api/v1/compare?runs=${Array.from({ length: 21 }, (_, i) => `r${i}`).join(',')}`,
      'runs',
      'names 21 runs, at most 20'
    ],
    ['/api/v1/compare?runs=a&metric=%20loss', 'metric', 'not a metric name'],
    ['/api/v1/compare?runs=a&axis=wall', 'axis', 'one of step, epoch, time'],
    ['/api/v1/compare?runs=a&max_points=1', 'max_points', 'between 2 and'],
    ['/api/v1/compare?runs=a&run=b', 'run', 'unknown parameter']
  ];

  it.each(refused)('%s is refused naming %s', async (path, name, words) => {
    const response = await request(server.at, path);
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error).toMatchObject({
      reason: 'invalid_parameter',
      parameter: name
    });
    expect(error.message).toContain(words);
  });

  it('hands hyperparameter filters and the sort to the store', async () => {
    const response = await request(
      server.at,
      '/api/v1/runs?hparam=lr:1e-3&hparam=optimizer:adam&hparam=url:http://x&sort=min:val_loss&order=asc'
    );
    expect(response.status).toBe(200);
    expect(server.store.runQueries.at(-1)).toEqual({
      user: 'alice',
      hparams: { lr: '1e-3', optimizer: 'adam', url: 'http://x' },
      sort: { key: { by: 'min', metric: 'val_loss' }, order: 'asc' },
      size: 50
    });
    await request(server.at, '/api/v1/runs?sort=last:top-5%20accuracy');
    expect(server.store.runQueries.at(-1)?.sort).toEqual({
      key: { by: 'last', metric: 'top-5 accuracy' },
      order: 'desc'
    });
    await request(server.at, '/api/v1/runs?sort=duration');
    expect(server.store.runQueries.at(-1)?.sort).toEqual({
      key: { by: 'duration' },
      order: 'desc'
    });
    await request(server.at, '/api/v1/runs?order=asc');
    expect(server.store.runQueries.at(-1)?.sort).toEqual({
      key: { by: 'started' },
      order: 'asc'
    });
    // The default sort is no sort: its cursors are those of plain lists.
    await request(server.at, '/api/v1/runs?sort=started&order=desc');
    expect(server.store.runQueries.at(-1)).toEqual({ user: 'alice', size: 50 });
  });

  it('serves each series with its rank for the axis asked for', async () => {
    const ranks: Record<string, number> = {};
    for (const axis of ['step', 'epoch'] as const) {
      const response = await request(
        server.at,
        `/api/v1/runs/run-1/series?axis=${axis}`
      );
      expect(response.status).toBe(200);
      const body = json(response) as unknown as ISeriesResponse;
      expect(body.series.map(line => line.scope)).toEqual(['epoch']);
      ranks[axis] = body.series[0].rank;
      expect(ranks[axis]).toBe(seriesRank(body.series[0], axis));
    }
    // Epoch-end values draw best on the epoch axis.
    expect(ranks.epoch).toBeGreaterThan(ranks.step);
  });

  it('hands a zoomed series range to the store', async () => {
    const response = await request(
      server.at,
      '/api/v1/runs/run-1/series?from=10&to=10.5'
    );
    expect(response.status).toBe(200);
    expect(server.store.seriesQueries.at(-1)).toEqual({
      runId: 'run-1',
      axis: 'step',
      maxPoints: 1000,
      from: 10,
      to: 10.5
    });
    await request(
      server.at,
      '/api/v1/runs/run-1/series?axis=time&from=2026-01-31T12:00:00%2B02:00'
    );
    expect(server.store.seriesQueries.at(-1)).toEqual({
      runId: 'run-1',
      axis: 'time',
      maxPoints: 1000,
      from: '2026-01-31T10:00:00.000Z'
    });
  });

  it('hands the time to read the lines around to the store', async () => {
    const response = await request(
      server.at,
      '/api/v1/runs/run-1/logs?at=2026-01-31T12:00:00%2B02:00&size=20&level=error'
    );
    expect(response.status).toBe(200);
    expect(server.store.logQueries.at(-1)).toEqual({
      runId: 'run-1',
      levels: ['error'],
      size: 20,
      order: 'asc',
      at: '2026-01-31T10:00:00.000Z'
    });
  });

  it('answers 501 for a comparison from a store that cannot compare in one query', async () => {
    const response = await request(server.at, '/api/v1/compare?runs=run-1');
    expect(response.status).toBe(501);
  });

  it('answers 501 for log searches from a store that cannot search across runs', async () => {
    const response = await request(server.at, '/api/v1/logs');
    expect(response.status).toBe(501);
  });
});

describe('GET /logs', () => {
  let dir: string;
  let store: EmbeddedStore;
  const servers: IApiServer[] = [];

  async function serve(user: string): Promise<ListeningAt> {
    const api = createApiServer({
      store,
      getStatus: () => serviceStatus(),
      version: 'test',
      user,
      serverRoot: '/home/alice',
      logger: { error: () => undefined }
    });
    servers.push(api);
    return api.listen({ port: 0 });
  }

  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-history-api-'));
    store = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger
    });
    await store.init();
    const runs = [
      runSummary('run-a'),
      runSummary('run-b', { user: 'bob', notebook: 'work/train.ipynb' })
    ];
    await writeAccepted(
      store,
      {
        documents: [
          logEvent('run-a', 1, { message: 'CUDA out of memory' }),
          logEvent('run-a', 2, { message: 'epoch 2' }),
          logEvent('run-b', 3, { user: 'bob', message: 'CUDA out of memory' })
        ],
        runs
      },
      'lines'
    );
  });

  /** The ids of the lines a user's `GET /logs` answers, in order. */
  async function lineIds(at: ListeningAt, url: string): Promise<string[]> {
    const response = await request(at, url);
    expect(response.status).toBe(200);
    return (JSON.parse(response.text) as ILogPage).lines.map(line => line._id);
  }

  afterAll(async () => {
    await Promise.all(servers.map(api => api.close()));
    await store.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it("answers the current user's lines only, newest first, filtered", async () => {
    const alice = await serve('alice');
    const ids = (url: string): Promise<string[]> => lineIds(alice, url);
    expect(await ids('/api/v1/logs')).toEqual(['run-a:2', 'run-a:1']);
    expect(await ids('/api/v1/logs?q=memory')).toEqual(['run-a:1']);
    expect(await ids('/api/v1/logs?run=run-b')).toEqual([]);
    expect(
      await ids('/api/v1/logs?notebook=%2Fhome%2Falice%2Fwork%2Ftrain.ipynb')
    ).toEqual(['run-a:2', 'run-a:1']);
    const bob = await serve('bob');
    expect(await lineIds(bob, '/api/v1/logs?q=memory')).toEqual(['run-b:3']);
  });
});
