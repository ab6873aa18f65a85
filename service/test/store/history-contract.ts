/**
 * History queries every store must answer the same way (run filters by
 * hyperparameter, run sorts and their cursors, series ranges, logs around a
 * time and across runs), written once and run against each: the embedded
 * store in contract.test.ts, Elasticsearch and the embedded store side by
 * side in test/integration/history.int.test.ts (a real cluster).
 */
import type {
  ICompareQuery,
  ICompareResponse,
  ILogPage,
  ILogQuery,
  ILogSearchQuery,
  IRunSort,
  IRunQuery,
  ISeries,
  ISeriesQuery,
  IStore
} from '../../src/store/store';
import type {
  IMetricPoint,
  IRunSummary,
  ITflogDocument
} from '../../src/types';
import { logEvent } from '../documents';
import { writeAccepted } from './write-accepted';

type AfterWrite = () => Promise<void>;

const noWait: AfterWrite = async () => undefined;

/** 2026-01-31 10:00 plus minutes, as an ISO time. */
function at(minutes: number): string {
  return new Date(Date.UTC(2026, 0, 31, 10, minutes)).toISOString();
}

function historyRun(
  runId: string,
  user: string,
  fields: Partial<IRunSummary> & { startedAt: number; updatedAt: number }
): IRunSummary {
  const { startedAt, updatedAt, ...rest } = fields;
  return {
    run_id: runId,
    name: null,
    status: 'finished',
    notebook: 'work/train.ipynb',
    kernel_id: 'k-1',
    user,
    host: 'node-1',
    tags: {},
    hparams: {},
    started: at(startedAt),
    ended: null,
    updated: at(updatedAt),
    last_metrics: {},
    last_epoch: null,
    last_step: null,
    counts: { events: 0, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0,
    ...rest
  };
}

function health(score: number): IRunSummary['health'] {
  return { score, components: {}, losses: {} };
}

async function writeRuns(
  store: IStore,
  runs: IRunSummary[],
  afterWrite: AfterWrite
): Promise<void> {
  await writeAccepted(store, { runs }, 'runs');
  await afterWrite();
}

/** Every run of a query, read one page of `size` at a time. */
async function allPages(
  store: IStore,
  query: Omit<IRunQuery, 'size' | 'after'>,
  size: number
): Promise<string[]> {
  const ids: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < 20; page += 1) {
    const answer = await store.searchRuns({ ...query, size, after });
    ids.push(...answer.runs.map(run => run.run_id));
    if (answer.next === undefined) {
      return ids;
    }
    after = answer.next;
  }
  throw new Error('more pages than runs');
}

/**
 * Hyperparameter filters (numbers as numbers, other values as text) and
 * every sort, in both orders: numeric metric order (9 before 10), runs
 * without the value (none, or a NaN) last, ties by run id, and cursors that
 * page through each sort without losing or repeating a run. Another user's
 * run, written through `otherUsersStore` (on a hub: with their token), is
 * never listed.
 */
export async function expectRunHistoryMatch(
  store: IStore,
  prefix: string,
  afterWrite: AfterWrite = noWait,
  otherUsersStore: IStore = store
): Promise<void> {
  const user = `${prefix}-alice`;
  const id = (n: number): string => `${prefix}-r${n}`;
  const runs = [
    historyRun(id(1), user, {
      name: 'b',
      startedAt: 0,
      ended: at(60),
      updatedAt: 60,
      hparams: { lr: 0.001, optimizer: 'adam', layers: 4 },
      last_metrics: { loss: 9 },
      min_metrics: { loss: 1 },
      max_metrics: { loss: 12 },
      health: health(50)
    }),
    historyRun(id(2), user, {
      name: 'a',
      status: 'running',
      startedAt: 10,
      updatedAt: 20,
      hparams: { lr: 0.01, optimizer: 'adam' },
      last_metrics: { loss: 10 },
      min_metrics: { loss: 10 },
      max_metrics: { loss: 10 }
    }),
    historyRun(id(3), user, {
      startedAt: 20,
      ended: at(50),
      updatedAt: 55,
      hparams: { lr: '0.001', optimizer: 'sgd' },
      last_metrics: { loss: 'NaN' },
      min_metrics: { loss: 2 },
      max_metrics: { loss: 20 },
      health: health(80)
    }),
    historyRun(id(4), user, {
      name: 'c',
      startedAt: 30,
      ended: at(31),
      updatedAt: 31,
      hparams: { lr: 1, amp: true, note: 'lr:1' },
      last_metrics: { accuracy: 0.9 },
      min_metrics: { accuracy: 0.5 },
      max_metrics: { accuracy: 0.9 }
    }),
    historyRun(id(5), user, {
      name: 'b',
      startedAt: 40,
      ended: at(100),
      updatedAt: 100,
      hparams: { lr: 0.1, layers: 40 },
      last_metrics: { loss: 9 },
      min_metrics: { loss: -3 },
      max_metrics: { loss: 9 },
      health: health(50)
    }),
    historyRun(`${prefix}-other`, `${prefix}-bob`, {
      name: 'a',
      startedAt: 5,
      updatedAt: 5,
      hparams: { lr: 0.001 },
      last_metrics: { loss: 0.5 },
      min_metrics: { loss: 0.5 },
      max_metrics: { loss: 0.5 }
    })
  ];
  await writeRuns(store, runs.slice(0, 5), noWait);
  await writeRuns(otherUsersStore, runs.slice(5), afterWrite);
  const base = { user, text: prefix };

  const filtered = async (
    hparams: Record<string, string>
  ): Promise<string[]> => {
    const page = await store.searchRuns({ ...base, hparams, size: 50 });
    expect(page.total).toBe(page.runs.length);
    return page.runs.map(run => run.run_id);
  };
  // 0.001 however written; the string '0.001' is that text too.
  for (const lr of ['0.001', '1e-3', '0.0010', '1E-3']) {
    expect(await filtered({ lr })).toEqual([id(3), id(1)]);
  }
  expect(await filtered({ lr: '1' })).toEqual([id(4)]);
  expect(await filtered({ lr: '1.0' })).toEqual([id(4)]);
  expect(await filtered({ layers: '4' })).toEqual([id(1)]);
  expect(await filtered({ optimizer: 'adam' })).toEqual([id(2), id(1)]);
  expect(await filtered({ optimizer: 'Adam' })).toEqual([]);
  expect(await filtered({ lr: '0.001', optimizer: 'sgd' })).toEqual([id(3)]);
  expect(await filtered({ amp: 'true' })).toEqual([id(4)]);
  expect(await filtered({ note: 'lr:1' })).toEqual([id(4)]);
  expect(await filtered({ missing: 'x' })).toEqual([]);

  const expected: [IRunSort, number[]][] = [
    [{ key: { by: 'started' }, order: 'asc' }, [1, 2, 3, 4, 5]],
    [{ key: { by: 'last', metric: 'loss' }, order: 'asc' }, [1, 5, 2, 3, 4]],
    [{ key: { by: 'last', metric: 'loss' }, order: 'desc' }, [2, 1, 5, 3, 4]],
    [{ key: { by: 'min', metric: 'loss' }, order: 'asc' }, [5, 1, 3, 2, 4]],
    [{ key: { by: 'max', metric: 'loss' }, order: 'desc' }, [3, 1, 2, 5, 4]],
    [{ key: { by: 'max', metric: 'accuracy' }, order: 'asc' }, [4, 1, 2, 3, 5]],
    [{ key: { by: 'name' }, order: 'asc' }, [2, 1, 5, 4, 3]],
    [{ key: { by: 'name' }, order: 'desc' }, [4, 1, 5, 2, 3]],
    [{ key: { by: 'health' }, order: 'desc' }, [3, 1, 5, 2, 4]],
    [{ key: { by: 'health' }, order: 'asc' }, [1, 5, 3, 2, 4]],
    // Ended (else last updated) minus started.
    [{ key: { by: 'duration' }, order: 'asc' }, [4, 2, 3, 1, 5]],
    [{ key: { by: 'duration' }, order: 'desc' }, [1, 5, 3, 2, 4]],
    [{ key: { by: 'updated' }, order: 'desc' }, [5, 1, 3, 4, 2]]
  ];
  for (const [sort, order] of expected) {
    const wanted = order.map(id);
    const whole = await store.searchRuns({ ...base, sort, size: 50 });
    expect({ sort, ids: whole.runs.map(run => run.run_id) }).toEqual({
      sort,
      ids: wanted
    });
    expect(whole.total).toBe(5);
    for (const size of [1, 2, 3]) {
      expect({
        sort,
        size,
        ids: await allPages(store, { ...base, sort }, size)
      }).toEqual({
        sort,
        size,
        ids: wanted
      });
    }
  }
  // Sorted and filtered at once.
  const sortedFiltered = await store.searchRuns({
    ...base,
    hparams: { optimizer: 'adam' },
    sort: { key: { by: 'last', metric: 'loss' }, order: 'asc' },
    size: 50
  });
  expect(sortedFiltered.runs.map(run => run.run_id)).toEqual([id(1), id(2)]);

  // A cursor belongs to its sort and order.
  const first = await store.searchRuns({
    ...base,
    sort: { key: { by: 'last', metric: 'loss' }, order: 'asc' },
    size: 1
  });
  await expect(
    store.searchRuns({
      ...base,
      sort: { key: { by: 'last', metric: 'loss' }, order: 'desc' },
      size: 1,
      after: first.next
    })
  ).rejects.toThrow(/cursor/);
  await expect(
    store.searchRuns({ ...base, size: 1, after: first.next })
  ).rejects.toThrow(/cursor/);
}

/** Steps of the long curve of the series range contract. */
const LONG_CURVE_STEPS = 12000;

/**
 * A zoomed series (`from`/`to`): only points with x in the range, both
 * ends included, thinned over the range alone (finer than the whole curve),
 * keeping a spike and a NaN inside it and nothing outside. The answers are
 * returned for comparing stores with each other.
 */
export async function expectSeriesRangeMatch(
  store: IStore,
  prefix: string,
  afterWrite: AfterWrite = noWait
): Promise<ISeries[][]> {
  const runId = `${prefix}-curve`;
  const user = `${prefix}-alice`;
  const startMs = Date.UTC(2026, 0, 31, 10);
  const points: IMetricPoint[] = [];
  for (let step = 0; step < LONG_CURVE_STEPS; step += 1) {
    const point: IMetricPoint = {
      _id: `${runId}:${step}:loss`,
      '@timestamp': new Date(startMs + step * 1000).toISOString(),
      run_id: runId,
      notebook: 'work/train.ipynb',
      user,
      name: 'loss',
      scope: 'batch',
      source: 'callback',
      step,
      value: 1 + ((step * 7919) % 1000) / 1000
    };
    if (step === 500) {
      point.value = 5000;
    } else if (step === 5000) {
      point.value = 1000;
    } else if (step === 7000) {
      delete point.value;
      point.nonfinite = 'NaN';
    }
    points.push(point);
  }
  await writeAccepted(
    store,
    {
      points,
      runs: [historyRun(runId, user, { startedAt: 0, updatedAt: 200 })]
    },
    'curve'
  );
  await afterWrite();
  const read = async (query: Partial<ISeriesQuery>): Promise<ISeries> => {
    const found = await store.series({
      runId,
      axis: 'step',
      maxPoints: 100,
      ...query
    });
    expect(found).toHaveLength(1);
    return found[0];
  };

  const whole = await read({});
  const zoomed = await read({ from: 1001, to: 11000 });
  const xs = zoomed.points.map(point => point.x);
  expect(zoomed.downsampled).toBe(true);
  expect(zoomed.points.length).toBeLessThanOrEqual(100);
  expect(Math.min(...xs)).toBe(1001);
  expect(Math.max(...xs)).toBeLessThanOrEqual(11000);
  expect(xs).not.toContain(500);
  expect(zoomed.points).toContainEqual(
    expect.objectContaining({ x: 5000, y: 1000 })
  );
  expect(zoomed.points).toContainEqual(
    expect.objectContaining({ x: 7000, y: null, nonfinite: 'NaN' })
  );
  // Zooming in gives finer detail than the whole curve has there.
  const wholeThere = whole.points.filter(
    point => point.x >= 1001 && point.x <= 11000
  );
  expect(zoomed.points.length).toBeGreaterThan(wholeThere.length);

  // A range with fewer points than max_points: every one of them.
  const few = await read({ from: 2000, to: 2050 });
  expect(few.downsampled).toBe(false);
  expect(few.points.map(point => point.x)).toEqual(
    Array.from({ length: 51 }, (_, index) => 2000 + index)
  );
  // One end only.
  const tail = await read({ from: 11990 });
  expect(tail.points.map(point => point.x)).toEqual(
    Array.from({ length: 10 }, (_, index) => 11990 + index)
  );
  // On the time axis the range is of times.
  const byTime = await read({
    axis: 'time',
    from: new Date(startMs + 3000 * 1000).toISOString(),
    to: new Date(startMs + 9000 * 1000).toISOString()
  });
  const times = byTime.points.map(point => point.x);
  expect(Math.min(...times)).toBe(startMs + 3000 * 1000);
  expect(Math.max(...times)).toBeLessThanOrEqual(startMs + 9000 * 1000);
  expect(byTime.points.length).toBeLessThanOrEqual(100);
  return [[whole], [zoomed], [few], [tail], [byTime]];
}

/** A log line of a run at 10:00 plus `seconds`, with `part` for a second line of one record. */
function logLine(
  runId: string,
  user: string,
  notebook: string,
  seq: number,
  seconds: number,
  fields: {
    message?: string;
    level?: string;
    kind?: string;
    part?: number;
  } = {}
): ITflogDocument {
  const document = logEvent(runId, seq, {
    user,
    message: fields.message ?? `line ${seq} of ${runId}`,
    timestamp: new Date(Date.UTC(2026, 0, 31, 10, 0, seconds)).toISOString()
  });
  document.log.level = fields.level ?? 'info';
  document.tflog.notebook = notebook;
  document.tflog.kind = (fields.kind ??
    'log') as ITflogDocument['tflog']['kind'];
  if (fields.part !== undefined) {
    // The id numbers the lines of one record (see eventPart).
    document._id = `${runId}:${seq}:${fields.part}`;
  }
  return document;
}

/** 10:00 plus seconds, as an ISO time. */
function second(seconds: number): string {
  return new Date(Date.UTC(2026, 0, 31, 10, 0, seconds)).toISOString();
}

/** Sequence numbers (and parts past the first) of log lines. */
function lineIds(page: ILogPage): string[] {
  return page.lines.map(line => line._id.split(':').slice(1).join(':'));
}

/**
 * The lines around a time: the `size` nearest, half before it and half
 * from it, oldest first; the other side fills in at either end of the run;
 * filters apply; `next` continues after the window. Answers are returned
 * for comparing stores.
 */
export async function expectLogsAroundMatch(
  store: IStore,
  prefix: string,
  afterWrite: AfterWrite = noWait
): Promise<ILogPage[]> {
  const runId = `${prefix}-logs`;
  const user = `${prefix}-alice`;
  // Seq n at 10:00:n; seq 5 has two lines of one record at the same time.
  const documents = Array.from({ length: 20 }, (_, index) =>
    logLine(runId, user, 'work/train.ipynb', index + 1, index + 1, {
      level: index % 5 === 0 ? 'error' : 'info'
    })
  );
  documents.push(
    logLine(runId, user, 'work/train.ipynb', 5, 5, {
      part: 1,
      message: 'second line of record 5'
    })
  );
  await writeAccepted(
    store,
    {
      documents,
      runs: [historyRun(runId, user, { startedAt: 0, updatedAt: 1 })]
    },
    'lines'
  );
  await afterWrite();
  const around = (
    at: string,
    size: number,
    extra: Partial<ILogQuery> = {}
  ): Promise<ILogPage> =>
    store.logs({ runId, size, order: 'asc', at, ...extra });

  const middle = await around(second(10), 4);
  expect(lineIds(middle)).toEqual(['8', '9', '10', '11']);
  expect(middle.total).toBe(21);
  // Between two lines, and an odd size: the extra line is from the time.
  const between = await around(
    new Date(Date.UTC(2026, 0, 31, 10, 0, 10, 500)).toISOString(),
    5
  );
  expect(lineIds(between)).toEqual(['9', '10', '11', '12', '13']);
  // Both lines of record 5 at 10:00:05, in record order.
  const tie = await around(second(5), 4);
  expect(lineIds(tie)).toEqual(['3', '4', '5', '5:1']);
  // At the ends the other side fills in.
  const start = await around(second(0), 3);
  expect(lineIds(start)).toEqual(['1', '2', '3']);
  const end = await around(second(59), 3);
  expect(lineIds(end)).toEqual(['18', '19', '20']);
  expect(end.next).toBeUndefined();
  // Filters apply; oldest first whatever the order asked.
  const errors = await around(second(11), 2, {
    levels: ['ERROR'],
    order: 'desc'
  });
  expect(lineIds(errors)).toEqual(['6', '11']);
  expect(errors.total).toBe(4);
  // next continues after the window, in log order.
  const following = await store.logs({
    runId,
    size: 3,
    order: 'asc',
    after: middle.next
  });
  expect(lineIds(following)).toEqual(['12', '13', '14']);
  return [middle, between, tie, start, end, errors, following];
}

/**
 * Log lines across the user's runs, newest first (lines of one time in
 * reverse record order, then by run id), with every filter and cursors
 * that page without losing or repeating a line; another user's lines,
 * written through `otherUsersStore`, never show. Answers are returned for
 * comparing stores.
 */
export async function expectLogSearchMatch(
  store: IStore,
  prefix: string,
  afterWrite: AfterWrite = noWait,
  otherUsersStore: IStore = store
): Promise<ILogPage[]> {
  const user = `${prefix}-alice`;
  const other = `${prefix}-bob`;
  const runA = `${prefix}-a`;
  const runB = `${prefix}-b`;
  const runC = `${prefix}-c`;
  const levels = ['info', 'warning', 'error'];
  const linesOf = (
    runId: string,
    owner: string,
    notebook: string
  ): ITflogDocument[] =>
    Array.from({ length: 6 }, (_, index) =>
      logLine(runId, owner, notebook, index + 1, index + 1, {
        level: levels[index % 3],
        kind: index === 5 ? 'error' : 'log',
        message:
          index === 2
            ? `CUDA out of memory in ${runId}`
            : `step ${index} of ${runId}`
      })
    );
  const write = async (
    target: IStore,
    runId: string,
    owner: string,
    notebook: string
  ): Promise<void> => {
    await writeAccepted(
      target,
      {
        documents: linesOf(runId, owner, notebook),
        runs: [
          historyRun(runId, owner, { startedAt: 0, updatedAt: 6, notebook })
        ]
      },
      'lines'
    );
  };
  await write(store, runA, user, 'work/train.ipynb');
  await write(store, runB, user, 'work/other.ipynb');
  await write(otherUsersStore, runC, other, 'work/train.ipynb');
  await afterWrite();

  const search = (query: Partial<ILogSearchQuery> = {}): Promise<ILogPage> =>
    store.searchLogs?.({ user, size: 50, ...query }) ??
    Promise.reject(new Error('the store cannot search logs'));
  const ids = (page: ILogPage): string[] => page.lines.map(line => line._id);
  const line = (runId: string, seq: number): string => `${runId}:${seq}`;

  const everything = await search();
  const newestFirst = [6, 5, 4, 3, 2, 1].flatMap(seq => [
    line(runA, seq),
    line(runB, seq)
  ]);
  expect(ids(everything)).toEqual(newestFirst);
  expect(everything.total).toBe(12);
  for (const size of [1, 5]) {
    const paged: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page += 1) {
      const answer = await search({ size, after });
      expect(answer.total).toBe(12);
      paged.push(...ids(answer));
      after = answer.next;
      if (after === undefined) {
        break;
      }
    }
    expect({ size, paged }).toEqual({ size, paged: newestFirst });
  }
  const errors = await search({ levels: ['ERROR'] });
  expect(ids(errors)).toEqual([
    line(runA, 6),
    line(runB, 6),
    line(runA, 3),
    line(runB, 3)
  ]);
  const errorKind = await search({ kinds: ['error'] });
  expect(ids(errorKind)).toEqual([line(runA, 6), line(runB, 6)]);
  const memory = await search({ text: 'out of MEMORY' });
  expect(ids(memory)).toEqual([line(runA, 3), line(runB, 3)]);
  const ofRunB = await search({ runIds: [runB, runC] });
  expect(ids(ofRunB)).toEqual([6, 5, 4, 3, 2, 1].map(seq => line(runB, seq)));
  const ofNotebook = await search({ notebooks: ['work/train.ipynb'] });
  expect(ids(ofNotebook)).toEqual(
    [6, 5, 4, 3, 2, 1].map(seq => line(runA, seq))
  );
  const inRange = await search({ from: second(2), to: second(4) });
  expect(ids(inRange)).toEqual([
    line(runA, 3),
    line(runB, 3),
    line(runA, 2),
    line(runB, 2)
  ]);
  const ofOther = await store.searchLogs?.({ user: other, size: 50 });
  if (otherUsersStore === store) {
    expect(ofOther?.lines.map(found => found._id)).toEqual(
      [6, 5, 4, 3, 2, 1].map(seq => line(runC, seq))
    );
  }
  return [everything, errors, errorKind, memory, ofRunB, ofNotebook, inRange];
}

/**
 * A log search of a common word: `total` counts LOG_SEARCH_TOTAL_CAP
 * matches at most, and pages read in time order (the embedded store's path
 * for many matches) keep the order and cursors of a few matches. Answers
 * are returned for comparing stores.
 */
export async function expectLogSearchCapped(
  store: IStore,
  prefix: string,
  afterWrite: AfterWrite = noWait
): Promise<ILogPage[]> {
  const user = `${prefix}-alice`;
  const runA = `${prefix}-a`;
  const runB = `${prefix}-b`;
  // Two runs writing at the same seconds: ties broken by run id.
  const perRun = 5_025;
  for (const runId of [runA, runB]) {
    await writeAccepted(
      store,
      {
        documents: Array.from({ length: perRun }, (_, index) =>
          logLine(runId, user, 'work/train.ipynb', index + 1, index + 1, {
            message: `checkpoint ${index + 1} of ${runId}${
              index + 1 === perRun ? ' (latest)' : ''
            }`
          })
        ),
        runs: [historyRun(runId, user, { startedAt: 0, updatedAt: 90 })]
      },
      'lines'
    );
  }
  await afterWrite();
  const search = (query: Partial<ILogSearchQuery> = {}): Promise<ILogPage> =>
    store.searchLogs?.({ user, size: 3, text: 'checkpoint', ...query }) ??
    Promise.reject(new Error('the store cannot search logs'));
  const ids = (page: ILogPage): string[] => page.lines.map(line => line._id);

  const first = await search();
  expect(first.total).toBe(10_000);
  expect(ids(first)).toEqual([
    `${runA}:${perRun}`,
    `${runB}:${perRun}`,
    `${runA}:${perRun - 1}`
  ]);
  const second = await search({ after: first.next });
  expect(second.total).toBe(10_000);
  expect(ids(second)).toEqual([
    `${runB}:${perRun - 1}`,
    `${runA}:${perRun - 2}`,
    `${runB}:${perRun - 2}`
  ]);
  const few = await search({ text: 'latest' });
  expect(few.total).toBe(2);
  expect(ids(few)).toEqual([`${runA}:${perRun}`, `${runB}:${perRun}`]);
  return [first, second, few];
}

/** A metric point of a compared run, at 10:00 plus `seconds`. */
function comparePoint(
  runId: string,
  user: string,
  fields: {
    name: string;
    scope: IMetricPoint['scope'];
    source: string;
    step: number;
    epoch?: number;
    seconds: number;
    value: number | 'NaN';
  }
): IMetricPoint {
  const point: IMetricPoint = {
    _id: `${runId}:${fields.name}:${fields.scope}:${fields.source}:${fields.step}`,
    '@timestamp': new Date(
      Date.UTC(2026, 0, 31, 10) + fields.seconds * 1000
    ).toISOString(),
    run_id: runId,
    notebook: 'work/train.ipynb',
    user,
    name: fields.name,
    scope: fields.scope,
    source: fields.source,
    step: fields.step
  };
  if (fields.epoch !== undefined) {
    point.epoch = fields.epoch;
  }
  if (fields.value === 'NaN') {
    point.nonfinite = 'NaN';
  } else {
    point.value = fields.value;
  }
  return point;
}

/** Points at most per write: a hub takes bodies of 64 KiB in its tests. */
const POINTS_PER_WRITE = 150;

/** A batch written as a few smaller ones, its runs with the first. */
async function writeInChunks(
  store: IStore,
  batch: { points: IMetricPoint[]; runs: IRunSummary[] },
  what: string
): Promise<void> {
  for (let start = 0; start < batch.points.length; start += POINTS_PER_WRITE) {
    await writeAccepted(
      store,
      {
        points: batch.points.slice(start, start + POINTS_PER_WRITE),
        runs: start === 0 ? batch.runs : []
      },
      what
    );
  }
}

/**
 * One metric of several runs at once (`GET /compare`): the metric asked
 * for when a run has it, else `loss` first; per run the series a chart
 * draws (exact callback values first, then the axis' scope), thinned as
 * `series` thins it; the metrics each run has on the axis; another user's
 * run (written through `otherUsersStore`) and an unknown one answer
 * `run: null` with nothing of theirs. Answers are returned for comparing
 * stores.
 */
export async function expectCompareMatch(
  store: IStore,
  prefix: string,
  afterWrite: AfterWrite = noWait,
  otherUsersStore: IStore = store
): Promise<ICompareResponse[]> {
  const user = `${prefix}-alice`;
  const long = `${prefix}-long`;
  const short = `${prefix}-short`;
  const accuracyOnly = `${prefix}-accuracy`;
  const others = `${prefix}-bob`;
  const unknown = `${prefix}-unknown`;
  // Long enough for Elasticsearch to thin it with a histogram.
  const longPoints = Array.from({ length: LONG_CURVE_STEPS }, (_, step) =>
    comparePoint(long, user, {
      name: 'loss',
      scope: 'batch',
      source: 'callback',
      step,
      seconds: step,
      value: step === 7000 ? 'NaN' : step === 500 ? 5000 : 1 + (step % 97) / 100
    })
  );
  const epochEnds = (runId: string, owner: string, steps: number[]) =>
    steps.map((step, epoch) =>
      comparePoint(runId, owner, {
        name: 'loss',
        scope: 'epoch',
        source: 'callback',
        step,
        epoch,
        seconds: step,
        value: 2 - epoch / 10
      })
    );
  await writeInChunks(
    store,
    {
      points: [
        ...longPoints,
        ...epochEnds(long, user, [3999, 7999, 11999]),
        comparePoint(long, user, {
          name: 'val_loss',
          scope: 'epoch',
          source: 'callback',
          step: 11999,
          epoch: 2,
          seconds: 11999,
          value: 1.5
        }),
        // Parsed from output, every step: the exact epoch ends draw instead.
        ...Array.from({ length: 50 }, (_, step) =>
          comparePoint(short, user, {
            name: 'loss',
            scope: 'batch',
            source: 'keras',
            step,
            seconds: step,
            value: 3 - step / 100
          })
        ),
        ...epochEnds(short, user, [24, 49]),
        ...Array.from({ length: 30 }, (_, step) =>
          comparePoint(accuracyOnly, user, {
            name: 'accuracy',
            scope: 'batch',
            source: 'callback',
            step,
            seconds: step,
            value: step / 30
          })
        )
      ],
      runs: [
        historyRun(long, user, { startedAt: 0, updatedAt: 200 }),
        historyRun(short, user, { startedAt: 0, updatedAt: 1 }),
        historyRun(accuracyOnly, user, { startedAt: 0, updatedAt: 1 })
      ]
    },
    'compared runs'
  );
  await writeAccepted(
    otherUsersStore,
    {
      points: epochEnds(others, `${prefix}-bob`, [1, 2]),
      runs: [
        historyRun(others, `${prefix}-bob`, { startedAt: 0, updatedAt: 1 })
      ]
    },
    'another user’s run'
  );
  await afterWrite();
  const runIds = [long, short, accuracyOnly, others, unknown];
  const compare = (query: Partial<ICompareQuery>): Promise<ICompareResponse> =>
    store.compare?.({
      user,
      runIds,
      axis: 'step',
      maxPoints: 100,
      ...query
    }) ?? Promise.reject(new Error('the store cannot compare runs'));
  const keyOf = (run: ICompareResponse['runs'][number]) =>
    run.series && {
      name: run.series.name,
      scope: run.series.scope,
      source: run.series.source,
      points: run.series.points.length,
      downsampled: run.series.downsampled
    };

  const first = await compare({});
  expect(first.metric).toBe('loss');
  expect(first.runs.map(run => run.run_id)).toEqual(runIds);
  expect(first.runs.map(run => run.run?.run_id ?? null)).toEqual([
    long,
    short,
    accuracyOnly,
    null,
    null
  ]);
  expect(first.runs.map(run => run.metrics)).toEqual([
    ['loss', 'val_loss'],
    ['loss'],
    ['accuracy'],
    [],
    []
  ]);
  expect(keyOf(first.runs[0])).toMatchObject({
    scope: 'batch',
    source: 'callback',
    downsampled: true
  });
  expect(first.runs[0].series?.points.length).toBeLessThanOrEqual(100);
  // Thinned exactly as the run's own series is.
  const [ownSeries] = await store.series({
    runId: long,
    names: ['loss'],
    scope: 'batch',
    axis: 'step',
    maxPoints: 100
  });
  expect(first.runs[0].series).toEqual(ownSeries);
  expect(first.runs[0].series?.points).toContainEqual(
    expect.objectContaining({ x: 7000, y: null, nonfinite: 'NaN' })
  );
  expect(keyOf(first.runs[1])).toEqual({
    name: 'loss',
    scope: 'epoch',
    source: 'callback',
    points: 2,
    downsampled: false
  });
  expect(first.runs.slice(2).map(run => run.series)).toEqual([
    null,
    null,
    null
  ]);

  // Another metric; one no run has falls back to the first.
  const accuracy = await compare({ metric: 'accuracy' });
  expect(accuracy.metric).toBe('accuracy');
  expect(accuracy.runs.map(run => run.series?.points.length ?? null)).toEqual([
    null,
    null,
    30,
    null,
    null
  ]);
  // A series just over max_points is thinned as the run's own series is.
  const thinned = await compare({ metric: 'accuracy', maxPoints: 9 });
  const [ownAccuracy] = await store.series({
    runId: accuracyOnly,
    names: ['accuracy'],
    axis: 'step',
    maxPoints: 9
  });
  expect(ownAccuracy.downsampled).toBe(true);
  expect(thinned.runs[2].series).toEqual(ownAccuracy);
  const fallback = await compare({ metric: 'nothing_logs_this' });
  expect(fallback).toEqual(first);

  // On the epoch axis the epoch ends draw; points without an epoch are not on it.
  const byEpoch = await compare({ axis: 'epoch' });
  expect(byEpoch.runs.map(run => run.metrics)).toEqual([
    ['loss', 'val_loss'],
    ['loss'],
    [],
    [],
    []
  ]);
  expect(byEpoch.runs[0].series?.points.map(point => point.x)).toEqual([
    0, 1, 2
  ]);
  // On the time axis x is epoch milliseconds.
  const byTime = await compare({ axis: 'time', metric: 'accuracy' });
  expect(byTime.runs[2].series?.points[0].x).toBe(Date.UTC(2026, 0, 31, 10));

  // Another user's run does not exist, even asked for alone.
  const alone = await store.compare?.({
    user,
    runIds: [others],
    axis: 'step',
    maxPoints: 100
  });
  expect(alone).toEqual({
    metric: null,
    runs: [{ run_id: others, run: null, metrics: [], series: null }]
  });
  return [first, accuracy, thinned, byEpoch, byTime];
}
