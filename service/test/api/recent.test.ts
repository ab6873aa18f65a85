import { RecentData } from '../../src/ship/recent';
import type { ICompareQuery, ISeries } from '../../src/store/store';
import type { ICompareResponse } from '../../src/wire';
import type { IMetricPoint, IRunSummary } from '../../src/types';
import {
  FakeStore,
  ITestServer,
  json,
  request,
  runSummary,
  startServer
} from './helpers';

function epochPoint(runId: string, epoch: number, value: number): IMetricPoint {
  return {
    _id: `${runId}-loss-${epoch}`,
    '@timestamp': `2026-01-31T10:0${epoch + 1}:00.000Z`,
    run_id: runId,
    notebook: 'work/train.ipynb',
    user: 'alice',
    name: 'loss',
    value,
    epoch,
    scope: 'epoch',
    source: 'callback'
  };
}

describe('data just stored, before the store makes it searchable', () => {
  let server: ITestServer;
  let recent: RecentData;

  beforeEach(async () => {
    recent = new RecentData();
    server = await startServer({ recent }, new FakeStore());
  });

  afterEach(() => server.api.close());

  /** run-1 stored as running, and a newer summary of it just shipped. */
  function storedRunningAndCached(overrides: Partial<IRunSummary>): void {
    server.store.runs.set('run-1', runSummary('run-1'));
    recent.add({
      documents: [],
      points: [],
      runs: [
        runSummary('run-1', {
          updated: '2026-01-31T10:06:00.000Z',
          ...overrides
        })
      ]
    });
  }

  it('adds recent points to the store’s series, without duplicates', async () => {
    // The fake store already has epoch 0 (y 0.5 at 10:01).
    recent.add({
      documents: [],
      points: [epochPoint('run-1', 0, 0.5), epochPoint('run-1', 1, 0.4)],
      runs: []
    });
    const response = await request(
      server.at,
      '/api/v1/runs/run-1/series?axis=epoch'
    );
    expect(response.status).toBe(200);
    const body = json(response) as { series: ISeries[] };
    expect(body.series).toHaveLength(1);
    expect(body.series[0].points.map(p => [p.x, p.y])).toEqual([
      [0, 0.5],
      [1, 0.4]
    ]);
  });

  it('answers a brand-new run the store does not know yet', async () => {
    recent.add({
      documents: [],
      points: [epochPoint('run-new', 2, 0.3)],
      runs: [runSummary('run-new', { updated: '2026-01-31T10:03:00.000Z' })],
      runVersions: { 'run-new': 4 }
    });
    const run = await request(server.at, '/api/v1/runs/run-new');
    expect(run.status).toBe(200);
    expect((json(run) as unknown as IRunSummary).run_id).toBe('run-new');
    const series = await request(
      server.at,
      '/api/v1/runs/run-new/series?axis=epoch&after=1'
    );
    const body = json(series) as { series: ISeries[] };
    // The fake store's own epoch-0 point is not after 1, but it does not filter.
    expect(body.series[0].points.map(p => p.x)).toEqual([0, 2]);
  });

  it('serves the newer of the stored and the cached summary', async () => {
    const cached = runSummary('run-1', {
      updated: '2026-01-31T10:06:00.000Z',
      last_step: 150
    });
    recent.add({ documents: [], points: [], runs: [cached] });
    const newer = json(await request(server.at, '/api/v1/runs/run-1'));
    expect(newer.last_step).toBe(150);
    server.store.runs.set(
      'run-1',
      runSummary('run-1', {
        updated: '2026-01-31T10:07:00.000Z',
        last_step: 160
      })
    );
    const stored = json(await request(server.at, '/api/v1/runs/run-1'));
    expect(stored.last_step).toBe(160);
  });

  it('lists a run as it was just stored, before the store lists it so', async () => {
    storedRunningAndCached({
      status: 'finished',
      ended: '2026-01-31T10:06:00.000Z'
    });
    const listed = json(await request(server.at, '/api/v1/runs')) as {
      runs: IRunSummary[];
      total: number;
    };
    expect(listed.runs.map(run => [run.run_id, run.status])).toEqual([
      ['run-1', 'finished']
    ]);
    // It no longer runs: a list of running runs leaves it out.
    const runningOnly = json(
      await request(server.at, '/api/v1/runs?status=running')
    ) as { runs: IRunSummary[]; total: number };
    expect(runningOnly).toEqual({ runs: [], total: 0 });
  });

  it('lists a run just shipped that the store does not list yet, first', async () => {
    recent.sealed({
      documents: [],
      points: [],
      runs: [
        runSummary('run-new', {
          name: 'resnet',
          started: '2026-01-31T10:07:00.000Z',
          updated: '2026-01-31T10:07:01.000Z'
        })
      ]
    });
    const listed = json(
      await request(server.at, '/api/v1/runs?notebook=work/train.ipynb')
    ) as { runs: IRunSummary[]; total: number };
    expect(listed.runs.map(run => run.run_id)).toEqual(['run-new', 'run-1']);
    expect(listed.total).toBe(2);
    // Filters apply to it as the store applies them.
    const other = json(await request(server.at, '/api/v1/runs?q=mnist')) as {
      runs: IRunSummary[];
      total: number;
    };
    expect(other.runs.map(run => run.run_id)).toEqual(['run-1']);
    const onePerPage = json(
      await request(server.at, '/api/v1/runs?size=1')
    ) as { runs: IRunSummary[]; next?: string };
    expect(onePerPage.runs.map(run => run.run_id)).toEqual(['run-new']);
    expect(onePerPage.next).toEqual(expect.any(String));
  });

  it('reads the series of a run it just stored alongside the stored summary', async () => {
    recent.add({
      documents: [],
      points: [epochPoint('run-1', 1, 0.4)],
      runs: [runSummary('run-1', { updated: '2026-01-31T10:06:00.000Z' })],
      runVersions: { 'run-1': 2 }
    });
    // The stored summary answers only once the series was asked for: a
    // handler that waited for it first would never answer.
    const store = server.store;
    const getRun = store.getRun.bind(store);
    let seriesAsked = (): void => undefined;
    const asked = new Promise<void>(resolve => (seriesAsked = resolve));
    const series = store.series.bind(store);
    store.series = query => {
      seriesAsked();
      return series(query);
    };
    store.getRun = async runId => {
      await asked;
      return getRun(runId);
    };
    const response = await request(
      server.at,
      '/api/v1/runs/run-1/series?axis=epoch&after=0'
    );
    expect(response.status).toBe(200);
    const body = json(response) as { series: ISeries[] };
    expect(body.series[0].points.map(p => p.x)).toEqual([0, 1]);
  });

  it('reads no data of another user’s run found only in the cache', async () => {
    recent.add({
      documents: [],
      points: [],
      runs: [runSummary('bobs-run', { user: 'bob' })]
    });
    const before = server.store.seriesQueries.length;
    const response = await request(server.at, '/api/v1/runs/bobs-run/series');
    expect(response.status).toBe(404);
    expect(server.store.seriesQueries).toHaveLength(before);
  });

  it('still hides another user’s run found only in the cache', async () => {
    recent.add({
      documents: [],
      points: [],
      runs: [runSummary('bobs-run', { user: 'bob' })]
    });
    const response = await request(server.at, '/api/v1/runs/bobs-run');
    expect(response.status).toBe(404);
  });

  it('reads and lists a run as stored where the cache has the user its kernel claimed', async () => {
    // A hub stores the run under the user it authenticated; the kernel said bob.
    storedRunningAndCached({ user: 'bob', status: 'finished' });
    const read = await request(server.at, '/api/v1/runs/run-1');
    expect(read.status).toBe(200);
    expect(json(read)).toMatchObject({ user: 'alice', status: 'running' });
    const listed = json(await request(server.at, '/api/v1/runs')) as {
      runs: IRunSummary[];
    };
    expect(listed.runs.map(run => [run.user, run.status])).toEqual([
      ['alice', 'running']
    ]);
  });

  it('adds recent points and newer summaries to a comparison, of the user’s runs only', async () => {
    class ComparingStore extends FakeStore {
      async compare(query: ICompareQuery): Promise<ICompareResponse> {
        const [own] = await this.series({
          runId: 'run-1',
          axis: query.axis,
          maxPoints: query.maxPoints
        });
        return {
          metric: 'loss',
          runs: [
            {
              run_id: 'run-1',
              run: runSummary('run-1'),
              metrics: ['loss'],
              series: own
            },
            { run_id: 'bobs-run', run: null, metrics: [], series: null }
          ]
        };
      }
    }
    await server.api.close();
    server = await startServer({ recent }, new ComparingStore());
    recent.add({
      documents: [],
      points: [
        epochPoint('run-1', 1, 0.4),
        { ...epochPoint('bobs-run', 0, 0.9), user: 'bob' }
      ],
      runs: [
        runSummary('run-1', {
          updated: '2026-01-31T10:06:00.000Z',
          last_step: 150
        }),
        runSummary('bobs-run', { user: 'bob' })
      ]
    });
    const response = await request(
      server.at,
      '/api/v1/compare?runs=run-1,bobs-run&axis=epoch'
    );
    expect(response.status).toBe(200);
    const body = json(response) as unknown as ICompareResponse;
    expect(body.runs[0].run?.last_step).toBe(150);
    expect(body.runs[0].series?.points.map(p => [p.x, p.y])).toEqual([
      [0, 0.5],
      [1, 0.4]
    ]);
    expect(body.runs[1]).toEqual({
      run_id: 'bobs-run',
      run: null,
      metrics: [],
      series: null
    });
  });
  it('draws a metric the store cannot find yet from the cache', async () => {
    // The store knows both runs but has made none of their points searchable.
    class RefreshingStore extends FakeStore {
      async compare(): Promise<ICompareResponse> {
        return {
          metric: 'accuracy',
          runs: ['run-1', 'run-2'].map(runId => ({
            run_id: runId,
            run: runSummary(runId),
            metrics: runId === 'run-1' ? ['accuracy'] : [],
            series:
              runId === 'run-1'
                ? {
                    name: 'accuracy',
                    scope: 'epoch',
                    source: 'callback',
                    downsampled: false,
                    points: [{ x: 0, y: 0.5, time: '2026-01-31T10:01:00.000Z' }]
                  }
                : null
          }))
        };
      }
    }
    await server.api.close();
    server = await startServer({ recent }, new RefreshingStore());
    recent.add({
      documents: [],
      points: [epochPoint('run-1', 0, 0.9), epochPoint('run-2', 0, 0.8)],
      runs: [runSummary('run-1'), runSummary('run-2')]
    });
    const response = await request(
      server.at,
      '/api/v1/compare?runs=run-1,run-2&axis=epoch'
    );
    expect(response.status).toBe(200);
    const body = json(response) as unknown as ICompareResponse;
    expect(body.metric).toBe('loss');
    expect(body.runs.map(run => run.metrics)).toEqual([
      ['loss', 'accuracy'],
      ['loss']
    ]);
    expect(
      body.runs.map(run => [run.series?.name, run.series?.points.length])
    ).toEqual([
      ['loss', 1],
      ['loss', 1]
    ]);
  });
});

describe('a series read while batches of the run are sealed and not stored yet', () => {
  it('has every sealed point, whichever batch the store takes first', async () => {
    const recent = new RecentData();
    const server = await startServer({ recent }, new FakeStore());
    try {
      // The store has epoch 0. Two batches are sealed in order (epochs 1,
      // then 2); neither is stored.
      const earlier = {
        documents: [],
        points: [epochPoint('run-1', 1, 0.4)],
        runs: []
      };
      const later = {
        documents: [],
        points: [epochPoint('run-1', 2, 0.3)],
        runs: []
      };
      recent.sealed(earlier);
      recent.sealed(later);
      const read = async (): Promise<number[]> => {
        const response = await request(
          server.at,
          '/api/v1/runs/run-1/series?axis=epoch'
        );
        expect(response.status).toBe(200);
        const body = json(response) as { series: ISeries[] };
        return body.series[0].points.map(p => p.x);
      };
      expect(await read()).toEqual([0, 1, 2]);
      // The later one is stored first: a chart reading on after epoch 2
      // must already have had epoch 1.
      recent.stored(later);
      expect(await read()).toEqual([0, 1, 2]);
      recent.stored(earlier);
      expect(await read()).toEqual([0, 1, 2]);
    } finally {
      server.api.close();
    }
  });
});
