import {
  freshenRunPage,
  mergeSeries,
  newerSummary,
  RecentData,
  WATCH_WINDOW_MS,
  type IRecentLimits
} from '../../src/ship/recent';
import type { ISeries, ISeriesQuery, IWriteBatch } from '../../src/store/store';
import type { IMetricPoint, IRunSummary, MetricValue } from '../../src/types';

const T0 = Date.parse('2026-01-31T10:00:00.000Z');

function point(
  step: number,
  value: MetricValue,
  overrides: Partial<IMetricPoint> = {}
): IMetricPoint {
  const finite = typeof value === 'number';
  return {
    _id: `run-1-${overrides.name ?? 'loss'}-${step}`,
    '@timestamp': new Date(T0 + step * 100).toISOString(),
    run_id: 'run-1',
    notebook: 'train.ipynb',
    user: 'alice',
    name: 'loss',
    ...(finite ? { value } : { nonfinite: value }),
    step,
    epoch: 0,
    scope: 'batch',
    source: 'callback',
    ...overrides
  };
}

/** The series a store would answer for these points on the step axis. */
function storedSeries(points: IMetricPoint[]): ISeries {
  const first = points[0];
  return {
    name: first.name,
    scope: first.scope,
    source: first.source,
    points: points.map(p => ({
      x: p.step as number,
      y: p.value ?? null,
      ...(p.nonfinite ? { nonfinite: p.nonfinite } : {}),
      time: p['@timestamp']
    })),
    downsampled: false
  };
}

function summary(
  runId: string,
  updated: string,
  overrides: Partial<IRunSummary> = {}
): IRunSummary {
  return {
    run_id: runId,
    name: null,
    status: 'running',
    notebook: 'train.ipynb',
    kernel_id: null,
    user: 'alice',
    host: 'node-1',
    tags: {},
    hparams: {},
    started: '2026-01-31T10:00:00.000Z',
    ended: null,
    updated,
    last_metrics: {},
    last_epoch: null,
    last_step: null,
    counts: { events: 0, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0,
    ...overrides
  };
}

function batch(
  points: IMetricPoint[],
  runs: IRunSummary[] = [],
  runVersions: Record<string, number> = {}
): IWriteBatch {
  return { documents: [], points, runs, runVersions };
}

const QUERY: ISeriesQuery = { runId: 'run-1', axis: 'step', maxPoints: 1000 };

describe('mergeSeries', () => {
  it('adds recent points the store does not have yet, once', () => {
    const all = [0, 1, 2, 3, 4].map(step => point(step, 1 / (step + 1)));
    const merged = mergeSeries([storedSeries(all.slice(0, 3))], all, QUERY);
    expect(merged).toHaveLength(1);
    expect(merged[0].points.map(p => p.x)).toEqual([0, 1, 2, 3, 4]);
    expect(merged[0].points[4]).toEqual({
      x: 4,
      y: 0.2,
      time: all[4]['@timestamp']
    });
    expect(merged[0].downsampled).toBe(false);
  });

  it('answers from the cache alone for a run the store has nothing of', () => {
    const recent = [
      point(0, 2.5),
      point(1, 'NaN'),
      point(1, 0.9, { name: 'accuracy' })
    ];
    const merged = mergeSeries([], recent, QUERY);
    expect(merged.map(s => s.name)).toEqual(['accuracy', 'loss']);
    expect(merged[1].points).toEqual([
      { x: 0, y: 2.5, time: recent[0]['@timestamp'] },
      { x: 1, y: null, nonfinite: 'NaN', time: recent[1]['@timestamp'] }
    ]);
  });

  it('respects after, names, scope, run and axis', () => {
    const recent = [
      point(3, 1),
      point(4, 2),
      point(5, 3, { name: 'accuracy' }),
      point(6, 4, { scope: 'epoch' }),
      point(7, 5, { run_id: 'run-2' }),
      point(8, 6, { epoch: undefined })
    ];
    const merged = mergeSeries([], recent, {
      ...QUERY,
      axis: 'epoch',
      names: ['loss'],
      scope: 'batch',
      after: -1
    });
    expect(merged).toHaveLength(1);
    // Points without an epoch have no place on the epoch axis.
    expect(merged[0].points.map(p => p.y)).toEqual([1, 2]);
    const afterThree = mergeSeries([], recent, {
      ...QUERY,
      names: ['loss'],
      after: 3
    });
    expect(afterThree.map(s => [s.scope, s.points.map(p => p.x)])).toEqual([
      ['batch', [4, 8]],
      ['epoch', [6]]
    ]);
  });

  it('keeps series of different sources apart', () => {
    const stored = storedSeries([point(0, 1, { source: 'keras3_progress' })]);
    const merged = mergeSeries([stored], [point(0, 1)], QUERY);
    expect(merged.map(s => s.source)).toEqual(['callback', 'keras3_progress']);
  });

  it('keeps distinct points that share an x (batches on the epoch axis)', () => {
    const recent = [point(0, 3), point(1, 2), point(2, 1)];
    const merged = mergeSeries(
      [
        {
          ...storedSeries(recent.slice(0, 1)),
          points: [{ x: 0, y: 3, time: recent[0]['@timestamp'] }]
        }
      ],
      recent,
      { ...QUERY, axis: 'epoch' }
    );
    expect(merged[0].points.map(p => p.y)).toEqual([3, 2, 1]);
  });

  it('thins the union with the stores downsampling, keeping spikes and NaN', () => {
    const values: MetricValue[] = Array.from({ length: 3000 }, (_, step) =>
      Math.sin(step / 40)
    );
    values[2500] = 50;
    values[2700] = 'NaN';
    const all = values.map((value, step) => point(step, value));
    const merged = mergeSeries([storedSeries(all.slice(0, 2000))], all, {
      ...QUERY,
      maxPoints: 200
    });
    const thinned = merged[0];
    expect(thinned.downsampled).toBe(true);
    expect(thinned.points.length).toBeLessThanOrEqual(200);
    expect(thinned.points.find(p => p.x === 2500)?.y).toBe(50);
    expect(thinned.points.find(p => p.x === 2700)?.nonfinite).toBe('NaN');
    expect(thinned.points[thinned.points.length - 1].x).toBe(2999);
  });

  it('returns the store answer as is when nothing recent matches', () => {
    const stored = [storedSeries([point(0, 1)])];
    expect(mergeSeries(stored, [point(0, 1)], QUERY)).toEqual(stored);
    expect(mergeSeries(stored, [], QUERY)).toEqual(stored);
  });
});

describe('newerSummary', () => {
  const older = summary('run-1', '2026-01-31T10:00:01.000Z');
  const newer = summary('run-1', '2026-01-31T10:00:02.000Z', {
    last_step: 9
  });

  it('picks the newer one, whichever side it is on', () => {
    expect(newerSummary(older, newer)).toBe(newer);
    expect(newerSummary(newer, older)).toBe(newer);
  });

  it('falls back to the side that has one', () => {
    expect(newerSummary(null, newer)).toBe(newer);
    expect(newerSummary(older, null)).toBe(older);
    expect(newerSummary(null, null)).toBeNull();
  });
});

describe('freshenRunPage', () => {
  const running = summary('run-1', '2026-01-31T10:00:01.000Z');
  const ended = summary('run-1', '2026-01-31T10:00:02.000Z', {
    status: 'finished',
    ended: '2026-01-31T10:00:02.000Z'
  });
  const other = summary('run-2', '2026-01-31T10:00:01.000Z');
  const page = { runs: [running, other], total: 7 };
  const cached = new Map([['run-1', ended]]);

  it('lists a run as its newer cached summary says, in the same place', () => {
    expect(freshenRunPage(page, {}, cached)).toEqual({
      runs: [ended, other],
      total: 7
    });
  });

  it('keeps the store’s summary where it is the newer one, and the page as is', () => {
    const stale = new Map([
      ['run-1', { ...running, updated: '2026-01-31T09:00:00.000Z' }]
    ]);
    expect(freshenRunPage(page, {}, stale)).toBe(page);
    expect(freshenRunPage(page, {}, new Map())).toBe(page);
  });

  it('never takes a cached summary that names another user', () => {
    const claimed = new Map([['run-1', { ...ended, user: 'bob' }]]);
    expect(freshenRunPage(page, {}, claimed)).toBe(page);
  });

  it('leaves out a run that no longer has the status asked for', () => {
    expect(freshenRunPage(page, { status: ['running'] }, cached)).toEqual({
      runs: [other],
      total: 6
    });
    expect(
      freshenRunPage(page, { status: ['running', 'finished'] }, cached).runs
    ).toEqual([ended, other]);
  });

  it('changes nothing in a list whose order follows a run’s progress', () => {
    for (const by of ['updated', 'duration', 'health'] as const) {
      expect(
        freshenRunPage(page, { sort: { key: { by }, order: 'desc' } }, cached)
      ).toBe(page);
    }
    const byMetric = {
      sort: {
        key: { by: 'min' as const, metric: 'loss' },
        order: 'asc' as const
      }
    };
    expect(freshenRunPage(page, byMetric, cached)).toBe(page);
    expect(
      freshenRunPage(
        page,
        { sort: { key: { by: 'name' }, order: 'asc' } },
        cached
      ).runs
    ).toEqual([ended, other]);
  });
});

describe('freshenRunPage: runs the store does not list yet', () => {
  const at = (second: number): string =>
    new Date(T0 + second * 1000).toISOString();
  const run = (id: string, started: number, overrides = {}): IRunSummary =>
    summary(id, at(started), { started: at(started), ...overrides });
  const older = run('run-a', 10);
  const oldest = run('run-b', 5);
  const justStarted = run('run-new', 20, { name: 'resnet' });
  const cached = new Map([['run-new', justStarted]]);
  const query = { user: 'alice', size: 2 };

  it('adds a cached run of the user where it sorts, on the first page', () => {
    const page = { runs: [older, oldest], total: 2 };
    const fresh = freshenRunPage(page, query, cached);
    expect(fresh.runs).toEqual([justStarted, older]);
    expect(fresh.total).toBe(3);
    // The run pushed off the page opens the next one.
    expect(fresh.next).toBe(
      Buffer.from(JSON.stringify([T0 + 10000, 'run-a'])).toString('base64url')
    );
    const room = freshenRunPage(page, { ...query, size: 5 }, cached);
    expect(room.runs).toEqual([justStarted, older, oldest]);
    expect(room.next).toBeUndefined();
  });

  it('adds nothing to a later page, another order, or for another user', () => {
    const page = { runs: [older], total: 2, next: 'cursor' };
    const later = { ...query, after: 'cursor' };
    expect(freshenRunPage(page, later, cached)).toBe(page);
    const byName = {
      ...query,
      sort: { key: { by: 'name' as const }, order: 'asc' as const }
    };
    expect(freshenRunPage(page, byName, cached)).toBe(page);
    expect(freshenRunPage(page, { ...query, user: 'bob' }, cached)).toBe(page);
    const claimed = new Map([['run-new', { ...justStarted, user: 'bob' }]]);
    expect(freshenRunPage(page, query, claimed)).toBe(page);
  });

  it('leaves a run that sorts past a full page to the next page', () => {
    const page = { runs: [older, oldest], total: 3, next: 'cursor' };
    const early = new Map([['run-early', run('run-early', 1)]]);
    expect(freshenRunPage(page, query, early)).toBe(page);
  });

  it('adds only the runs that match the filters', () => {
    const page = { runs: [older], total: 1 };
    for (const filters of [
      { status: ['finished' as const] },
      { notebooks: ['other.ipynb'] },
      { tags: { team: 'vision' } },
      { hparams: { lr: '0.1' } },
      { text: 'mobilenet' },
      { from: at(21) },
      { to: at(20) }
    ]) {
      expect(freshenRunPage(page, { ...query, ...filters }, cached)).toBe(page);
    }
    for (const filters of [
      { status: ['running' as const] },
      { notebooks: ['train.ipynb'] },
      { text: 'RESN' },
      { from: at(20), to: at(21) }
    ]) {
      expect(
        freshenRunPage(page, { ...query, ...filters }, cached).runs
      ).toEqual([justStarted, older]);
    }
  });

  it('does not list a cached run twice', () => {
    const page = { runs: [justStarted, older], total: 2 };
    expect(freshenRunPage(page, query, cached)).toBe(page);
  });
});

describe('RecentData', () => {
  const limits: IRecentLimits = {
    windowMs: 30000,
    maxPointsPerRun: 5,
    maxRuns: 2
  };

  it('drops points older than the window, and idle runs', () => {
    let now = T0;
    const recent = new RecentData(limits, () => now);
    recent.add(batch([point(0, 1)]));
    now += 20000;
    recent.add(
      batch([point(1, 1)], [summary('run-1', '2026-01-31T10:00:20Z')])
    );
    expect(recent.points('run-1').map(p => p.step)).toEqual([0, 1]);
    now += 15000;
    expect(recent.points('run-1').map(p => p.step)).toEqual([1]);
    now += 20000;
    expect(recent.points('run-1')).toEqual([]);
    expect(recent.summary('run-1')).toBeNull();
    expect(recent.runCount).toBe(0);
  });

  it('keeps at most maxPointsPerRun points, the newest', () => {
    const recent = new RecentData(limits, () => T0);
    recent.add(batch([0, 1, 2, 3].map(step => point(step, step))));
    recent.add(batch([4, 5, 6].map(step => point(step, step))));
    expect(recent.points('run-1').map(p => p.step)).toEqual([2, 3, 4, 5, 6]);
  });

  it('keeps at most maxRuns runs, evicting the least recently written', () => {
    const recent = new RecentData(limits, () => T0);
    recent.add(batch([point(0, 1, { run_id: 'a' })]));
    recent.add(batch([point(0, 1, { run_id: 'b' })]));
    recent.add(batch([point(1, 1, { run_id: 'a' })]));
    recent.add(batch([point(0, 1, { run_id: 'c' })]));
    expect(recent.runCount).toBe(2);
    expect(recent.points('b')).toEqual([]);
    expect(recent.points('a')).toHaveLength(2);
    expect(recent.points('c')).toHaveLength(1);
  });

  it('keeps the summary of the highest version', () => {
    const recent = new RecentData(limits, () => T0);
    const seven = summary('run-1', '2026-01-31T10:00:07Z', { last_step: 7 });
    const five = summary('run-1', '2026-01-31T10:00:05Z', { last_step: 5 });
    recent.add(batch([], [seven], { 'run-1': 7 }));
    recent.add(batch([], [five], { 'run-1': 5 }));
    expect(recent.summary('run-1')).toBe(seven);
    const eight = summary('run-1', '2026-01-31T10:00:08Z', { last_step: 8 });
    recent.add(batch([], [eight], { 'run-1': 8 }));
    expect(recent.summary('run-1')).toBe(eight);
  });

  it('forgets everything on clear', () => {
    const recent = new RecentData(limits, () => T0);
    recent.add(batch([point(0, 1)], [summary('run-1', '2026-01-31T10:00Z')]));
    recent.clear();
    expect(recent.points('run-1')).toEqual([]);
    expect(recent.summary('run-1')).toBeNull();
  });

  it('serves sealed points at once and keeps them until stored, then for the window', () => {
    let now = T0;
    const recent = new RecentData(limits, () => now);
    const sealed = batch(
      [point(0, 1), point(1, 1)],
      [summary('run-1', '2026-01-31T10:00:01Z')],
      { 'run-1': 1 }
    );
    recent.sealed(sealed);
    expect(recent.points('run-1').map(p => p.step)).toEqual([0, 1]);
    expect(recent.summary('run-1')?.updated).toBe('2026-01-31T10:00:01Z');
    // The store takes its time (a busy cluster): nothing goes meanwhile.
    now += 10 * limits.windowMs;
    expect(recent.points('run-1').map(p => p.step)).toEqual([0, 1]);
    expect(recent.summary('run-1')).not.toBeNull();
    recent.stored(sealed);
    now += limits.windowMs;
    expect(recent.points('run-1').map(p => p.step)).toEqual([0, 1]);
    now += 1;
    expect(recent.points('run-1')).toEqual([]);
    expect(recent.summary('run-1')).toBeNull();
  });

  it("keeps a run's summary while a batch carrying it alone is not stored", () => {
    let now = T0;
    const recent = new RecentData(limits, () => now);
    const sealed = batch([], [summary('run-1', '2026-01-31T10:00:01Z')], {
      'run-1': 1
    });
    recent.sealed(sealed);
    now += 2 * limits.windowMs;
    expect(recent.summary('run-1')).not.toBeNull();
    recent.stored(sealed);
    now += limits.windowMs + 1;
    expect(recent.summary('run-1')).toBeNull();
  });

  it('drops stored points over maxPointsPerRun, never unstored ones', () => {
    const recent = new RecentData(limits, () => T0);
    const first = batch([0, 1, 2, 3].map(step => point(step, step)));
    recent.sealed(first);
    recent.add(batch([4, 5, 6].map(step => point(step, step))));
    expect(recent.points('run-1').map(p => p.step)).toEqual([
      0, 1, 2, 3, 4, 5, 6
    ]);
    recent.sealed(batch([7].map(step => point(step, step))));
    recent.stored(first);
    // 7 is not stored; of the stored, the newest five stay.
    expect(recent.points('run-1').map(p => p.step)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('evicts no run with points not stored yet, even past maxRuns', () => {
    const recent = new RecentData(limits, () => T0);
    const waiting = batch([point(0, 1, { run_id: 'a' })]);
    recent.sealed(waiting);
    recent.add(batch([point(0, 1, { run_id: 'b' })]));
    recent.add(batch([point(0, 1, { run_id: 'c' })]));
    expect(recent.runCount).toBe(2);
    expect(recent.points('a')).toHaveLength(1);
    expect(recent.points('b')).toEqual([]);
    recent.stored(waiting);
    recent.add(batch([point(0, 1, { run_id: 'd' })]));
    expect(recent.points('c')).toEqual([]);
    expect(recent.points('a')).toHaveLength(1);
  });

  it('drops a point stored out of order once those sealed before it go', () => {
    let now = T0;
    const recent = new RecentData(limits, () => now);
    const earlier = batch([point(0, 1)]);
    const later = batch([point(1, 1)]);
    recent.sealed(earlier);
    recent.sealed(later);
    recent.stored(later);
    now += 1000;
    recent.stored(earlier);
    now += limits.windowMs + 1;
    expect(recent.points('run-1')).toEqual([]);
  });

  it('ignores the acknowledgement of a batch sealed before a clear', () => {
    const recent = new RecentData(limits, () => T0);
    const sealed = batch([point(0, 1)]);
    recent.sealed(sealed);
    recent.clear();
    recent.stored(sealed);
    expect(recent.points('run-1')).toEqual([]);
    expect(recent.runCount).toBe(0);
  });

  it('counts a run as watched for a while after its series was read', () => {
    let now = T0;
    const recent = new RecentData(limits, () => now);
    expect(recent.isWatched('run-1')).toBe(false);
    recent.points('run-1');
    now += WATCH_WINDOW_MS;
    expect(recent.isWatched('run-1')).toBe(true);
    expect(recent.isWatched('run-2')).toBe(false);
    now += 1;
    expect(recent.isWatched('run-1')).toBe(false);
    recent.points('run-2');
    expect(recent.isWatched('run-2')).toBe(true);
    recent.clear();
    expect(recent.isWatched('run-2')).toBe(false);
  });
});
