/**
 * What every store must answer the same way, written once and run against
 * each: the embedded store in contract.test.ts, Elasticsearch in
 * test/integration/elasticsearch.int.test.ts (a real cluster).
 */
import {
  PROBLEM_EVENTS_CAP,
  type INonfiniteQuery,
  type IStore,
  type IThresholdQuery,
  type ProblemLevel,
  type SeriesScope
} from '../../src/store/store';
import type {
  IMetricPoint,
  IRunSummary,
  ITflogDocument,
  NonFinite
} from '../../src/types';
import type {
  ILogTemplate,
  IMetricHit,
  INonfiniteRun,
  IRunErrorCount
} from '../../src/wire';
import { writeAccepted } from './write-accepted';

const ROOT = '/home/alice';

function summary(
  runId: string,
  notebook: string,
  startedHour: number
): IRunSummary {
  const started = new Date(
    Date.UTC(2026, 0, 31, 10 + startedHour)
  ).toISOString();
  return {
    run_id: runId,
    name: `name of ${runId}`,
    status: 'finished',
    notebook,
    kernel_id: 'k-1',
    user: 'alice',
    host: 'node-1',
    tags: {},
    hparams: {},
    started,
    ended: started,
    updated: started,
    last_metrics: { loss: 0.5 },
    last_epoch: 0,
    last_step: 10,
    counts: { events: 3, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0
  };
}

/**
 * A run filter by notebook takes every path the notebook's runs may be
 * stored under (relative to the server's root, and absolute inside it, as
 * a kernel started outside JupyterLab reported it) and matches any of them,
 * exactly: no other notebook, no other root, commas as part of a path.
 */
export async function expectNotebookPathsMatch(
  store: IStore,
  prefix: string,
  afterWrite: () => Promise<void> = async () => undefined
): Promise<void> {
  const runs = [
    summary(`${prefix}-relative`, 'work/train.ipynb', 0),
    summary(`${prefix}-absolute`, `${ROOT}/work/train.ipynb`, 1),
    summary(`${prefix}-other`, 'work/other.ipynb', 2),
    summary(`${prefix}-elsewhere`, '/srv/shared/work/train.ipynb', 3),
    summary(`${prefix}-comma`, 'work/a,b.ipynb', 4),
    summary(`${prefix}-bare`, 'train.ipynb', 5)
  ];
  await writeAccepted(store, { runs }, 'runs');
  await afterWrite();

  const ids = async (notebooks: string[]): Promise<string[]> => {
    const page = await store.searchRuns({
      user: 'alice',
      notebooks,
      text: prefix,
      size: 50
    });
    expect(page.total).toBe(page.runs.length);
    return page.runs.map(run => run.run_id);
  };

  expect(await ids(['work/train.ipynb', `${ROOT}/work/train.ipynb`])).toEqual([
    `${prefix}-absolute`,
    `${prefix}-relative`
  ]);
  expect(await ids(['work/train.ipynb'])).toEqual([`${prefix}-relative`]);
  expect(await ids([`${ROOT}/work/train.ipynb`])).toEqual([
    `${prefix}-absolute`
  ]);
  expect(await ids(['work/a,b.ipynb'])).toEqual([`${prefix}-comma`]);
  expect(await ids(['work/a'])).toEqual([]);
  expect(await ids(['train.ipynb'])).toEqual([`${prefix}-bare`]);
  // Paged like any run list.
  const first = await store.searchRuns({
    user: 'alice',
    notebooks: ['work/train.ipynb', `${ROOT}/work/train.ipynb`],
    text: prefix,
    size: 1
  });
  expect(first.total).toBe(2);
  expect(first.runs.map(run => run.run_id)).toEqual([`${prefix}-absolute`]);
  const second = await store.searchRuns({
    user: 'alice',
    notebooks: ['work/train.ipynb', `${ROOT}/work/train.ipynb`],
    text: prefix,
    size: 1,
    after: first.next
  });
  expect(second.runs.map(run => run.run_id)).toEqual([`${prefix}-relative`]);
}

/** Minutes after 10:00 on 2026-01-31, as an ISO time. */
function at(minutes: number): string {
  return new Date(Date.UTC(2026, 0, 31, 10, minutes)).toISOString();
}

function metricPoint(
  runId: string,
  index: number,
  point: Partial<IMetricPoint> & { name: string; minutes: number },
  notebook: string,
  user: string
): IMetricPoint {
  const { minutes, ...rest } = point;
  return {
    _id: `${runId}:${index}:${point.name}`,
    '@timestamp': at(minutes),
    run_id: runId,
    notebook,
    user,
    scope: 'epoch',
    source: 'callback',
    ...rest
  };
}

/**
 * The queries across runs (threshold, first non-finite value, error
 * counts) answer the same on every store: numeric comparison, only the
 * user's runs, the same order and the same cursors.
 */
export async function expectFindingsMatch(
  store: IStore,
  prefix: string,
  afterWrite: () => Promise<void> = async () => undefined
): Promise<void> {
  const user = `${prefix}-alice`;
  const other = `${prefix}-bob`;
  const id = (n: number): string => `${prefix}-run${n}`;
  const run = (
    n: number,
    owner: string,
    notebook: string,
    startMinutes: number,
    errors: number,
    warnings: number
  ): IRunSummary => ({
    ...summary(id(n), notebook, 0),
    user: owner,
    started: at(startMinutes),
    counts: { events: 10, errors, warnings, nan: 0 }
  });
  const runs = [
    run(1, user, 'work/train.ipynb', 0, 2, 1),
    run(2, user, 'work/other.ipynb', 60, 0, 3),
    run(3, other, 'work/train.ipynb', 120, 5, 0),
    run(4, user, 'work/train.ipynb', 180, 2, 1),
    run(5, user, 'work/train.ipynb', 240, 0, 0)
  ];
  const pointsOf = (
    n: number,
    list: (Partial<IMetricPoint> & { name: string; minutes: number })[]
  ): IMetricPoint[] => {
    const owner = runs[n - 1];
    return list.map((point, index) =>
      metricPoint(id(n), index, point, owner.notebook ?? '', owner.user)
    );
  };
  const points = [
    ...pointsOf(1, [
      { name: 'loss', minutes: 0, step: 0, epoch: 0, value: 2.5 },
      { name: 'loss', minutes: 1, step: 1, epoch: 1, value: 1.9 },
      { name: 'loss', minutes: 2, step: 2, epoch: 2, value: 2.0 },
      {
        name: 'loss',
        minutes: 2,
        step: 2,
        scope: 'batch',
        source: 'keras',
        value: 2.7
      },
      { name: 'loss', minutes: 3, step: 3, epoch: 3, nonfinite: 'NaN' },
      { name: 'loss', minutes: 4, step: 4, epoch: 4, value: 3.1 },
      // Compared as a number: as a string '10.5' < '2'.
      { name: 'loss', minutes: 6, step: 6, epoch: 6, value: 10.5 },
      {
        name: 'accuracy',
        minutes: 5,
        step: 5,
        epoch: 5,
        nonfinite: '-Infinity'
      }
    ]),
    ...pointsOf(2, [
      { name: 'loss', minutes: 60, step: 0, epoch: 0, value: 5 },
      { name: 'loss', minutes: 61, step: 1, epoch: 1, value: 1 },
      {
        name: 'val_loss',
        minutes: 61,
        step: 1,
        epoch: 1,
        nonfinite: 'Infinity'
      },
      { name: 'loss', minutes: 62, step: 2, epoch: 2, nonfinite: 'NaN' }
    ]),
    ...pointsOf(3, [
      { name: 'loss', minutes: 120, step: 0, epoch: 0, value: 9 },
      { name: 'loss', minutes: 121, step: 1, epoch: 1, nonfinite: 'NaN' }
    ]),
    ...pointsOf(4, [
      { name: 'loss', minutes: 180, scope: 'log', source: 'line', value: 4 }
    ]),
    ...pointsOf(5, [
      { name: 'loss', minutes: 240, step: 0, epoch: 0, value: 0.1 }
    ])
  ];
  await writeAccepted(store, { points, runs }, 'data');
  await afterWrite();
  if (!store.thresholdPoints || !store.nonfiniteRuns || !store.errorCounts) {
    throw new Error('the store does not answer queries across runs');
  }
  const thresholdPoints = store.thresholdPoints.bind(store);
  const nonfiniteRuns = store.nonfiniteRuns.bind(store);
  const errorCounts = store.errorCounts.bind(store);

  const hit = (
    n: number,
    minutes: number,
    value: number,
    step: number | null,
    scope: SeriesScope = 'epoch'
  ): IMetricHit => ({
    run_id: id(n),
    run_name: `name of ${id(n)}`,
    notebook: runs[n - 1].notebook,
    metric: 'loss',
    scope,
    value,
    step,
    epoch: scope === 'epoch' ? step : null,
    time: at(minutes)
  });
  const over2 = [
    hit(1, 0, 2.5, 0),
    hit(1, 2, 2.7, 2, 'batch'),
    hit(1, 4, 3.1, 4),
    hit(1, 6, 10.5, 6),
    hit(2, 60, 5, 0),
    hit(4, 180, 4, null, 'log')
  ];
  const base = { user, metric: 'loss', size: 100 };
  const values = async (
    query: Partial<IThresholdQuery>
  ): Promise<IMetricHit[]> =>
    (await thresholdPoints({ ...base, bounds: {}, ...query })).points;

  expect(await values({ bounds: { gt: 2 } })).toEqual(over2);
  expect(await values({ bounds: { gte: 2, lt: 3 } })).toEqual([
    hit(1, 0, 2.5, 0),
    hit(1, 2, 2.7, 2, 'batch'),
    hit(1, 2, 2, 2)
  ]);
  expect(await values({ bounds: { lte: 1 } })).toEqual([
    hit(2, 61, 1, 1),
    hit(5, 240, 0.1, 0)
  ]);
  expect(await values({ bounds: { gt: 2 }, from: at(1), to: at(60) })).toEqual([
    hit(1, 2, 2.7, 2, 'batch'),
    hit(1, 4, 3.1, 4),
    hit(1, 6, 10.5, 6)
  ]);
  expect(
    await values({ bounds: { gt: 2 }, notebooks: ['work/other.ipynb'] })
  ).toEqual([hit(2, 60, 5, 0)]);
  expect(await values({ bounds: { gt: 2 }, runIds: [id(4), id(3)] })).toEqual([
    hit(4, 180, 4, null, 'log')
  ]);
  expect(await values({ bounds: { gt: 2 }, scope: 'batch' })).toEqual([
    hit(1, 2, 2.7, 2, 'batch')
  ]);
  expect(await values({ bounds: { gt: 2 }, metric: 'val_loss' })).toEqual([]);
  // Paged: the pages together are the whole answer, the last has no cursor.
  const paged: IMetricHit[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await thresholdPoints({
      ...base,
      bounds: { gt: 2 },
      size: 2,
      ...(after === undefined ? {} : { after })
    });
    paged.push(...page.points);
    after = page.next;
    pages += 1;
  } while (after !== undefined && pages < 10);
  expect({ pages, paged }).toEqual({ pages: 3, paged: over2 });

  const firstBad = (
    n: number,
    metric: string,
    minutes: number,
    value: NonFinite,
    step: number
  ): INonfiniteRun => ({
    run_id: id(n),
    run_name: `name of ${id(n)}`,
    notebook: runs[n - 1].notebook,
    metric,
    scope: 'epoch',
    value,
    step,
    epoch: step,
    time: at(minutes)
  });
  const bad = async (
    query: Partial<INonfiniteQuery>
  ): Promise<INonfiniteRun[]> =>
    (await nonfiniteRuns({ user, size: 100, ...query })).runs;
  expect(await bad({})).toEqual([
    firstBad(2, 'val_loss', 61, 'Infinity', 1),
    firstBad(1, 'loss', 3, 'NaN', 3)
  ]);
  expect(await bad({ metric: 'loss' })).toEqual([
    firstBad(2, 'loss', 62, 'NaN', 2),
    firstBad(1, 'loss', 3, 'NaN', 3)
  ]);
  expect(await bad({ from: at(4), to: at(60) })).toEqual([
    firstBad(1, 'accuracy', 5, '-Infinity', 5)
  ]);
  expect(await bad({ notebooks: ['work/train.ipynb'] })).toEqual([
    firstBad(1, 'loss', 3, 'NaN', 3)
  ]);
  const first = await nonfiniteRuns({ user, size: 1 });
  expect(first.runs.map(item => item.run_id)).toEqual([id(2)]);
  const second = await nonfiniteRuns({ user, size: 1, after: first.next });
  expect(second).toEqual({ runs: [firstBad(1, 'loss', 3, 'NaN', 3)] });

  const counted = (n: number): IRunErrorCount => ({
    run_id: id(n),
    name: `name of ${id(n)}`,
    notebook: runs[n - 1].notebook,
    status: 'finished',
    started: runs[n - 1].started,
    errors: runs[n - 1].counts.errors,
    warnings: runs[n - 1].counts.warnings
  });
  expect(await errorCounts({ user, size: 50 })).toEqual({
    runs: [counted(4), counted(1), counted(2)],
    total: 3
  });
  expect(
    await errorCounts({ user, size: 50, notebooks: ['work/train.ipynb'] })
  ).toEqual({ runs: [counted(4), counted(1)], total: 2 });
  expect(await errorCounts({ user, size: 50, from: at(30) })).toEqual({
    runs: [counted(4), counted(2)],
    total: 2
  });
  const errorPages: IRunErrorCount[] = [];
  let next: string | undefined;
  let count = 0;
  do {
    const page = await errorCounts({
      user,
      size: 1,
      ...(next === undefined ? {} : { after: next })
    });
    expect(page.total).toBe(3);
    errorPages.push(...page.runs);
    next = page.next;
    count += 1;
  } while (next !== undefined && count < 10);
  expect(errorPages).toEqual([counted(4), counted(1), counted(2)]);
  // Another user's runs: none of alice's, only bob's.
  expect(
    (await thresholdPoints({ ...base, user: other, bounds: { gt: 2 } })).points
  ).toEqual([
    {
      ...hit(1, 120, 9, 0),
      run_id: id(3),
      run_name: `name of ${id(3)}`,
      notebook: 'work/train.ipynb'
    }
  ]);
  expect((await errorCounts({ user: other, size: 5 })).runs).toEqual([
    counted(3)
  ]);
}

/**
 * Warnings and worse of the user's runs grouped into templates (`GET
 * /problems`): the same templates, counts, first and last seen, runs and
 * examples on every store; info lines and other users' runs left out.
 */
export async function expectProblemsMatch(
  store: IStore,
  prefix: string,
  afterWrite: () => Promise<void> = async () => undefined
): Promise<void> {
  const user = `${prefix}-alice`;
  const other = `${prefix}-bob`;
  const id = (n: number): string => `${prefix}-run${n}`;
  const owners = [user, user, other];
  const notebooks = [
    'work/train.ipynb',
    'work/other.ipynb',
    'work/train.ipynb'
  ];
  const runs = owners.map((owner, index): IRunSummary => ({
    ...summary(id(index + 1), notebooks[index], index),
    user: owner
  }));
  const event = (
    n: number,
    sequence: number,
    minutes: number,
    level: string,
    message: string
  ): ITflogDocument => ({
    _id: `${id(n)}:${sequence}`,
    '@timestamp': at(minutes),
    message,
    log: { level },
    event: {
      dataset: 'tflog.log',
      sequence,
      kind: 'event',
      created: at(minutes)
    },
    user: { name: owners[n - 1] },
    host: { name: 'node-1' },
    process: { pid: 1 },
    service: { name: 'tflog' },
    ecs: { version: '8.11.0' },
    labels: {},
    tflog: {
      run_id: id(n),
      run_name: `name of ${id(n)}`,
      notebook: notebooks[n - 1],
      kernel_id: 'k-1',
      source: 'logging',
      kind: 'log'
    }
  });
  const documents = [
    event(1, 1, 0, 'info', 'Epoch 1 done'),
    event(1, 2, 0, 'warning', 'Learning rate 0.5 is high'),
    event(1, 3, 1, 'error', 'Loss became NaN at step 3420'),
    event(1, 4, 2, 'error', 'Loss became NaN at step 17'),
    event(1, 5, 3, 'critical', 'Out of memory on device 0'),
    event(1, 6, 4, 'info', 'Loss became NaN at step 99'),
    event(2, 1, 60, 'warning', 'Learning rate 0.9 is high'),
    event(2, 2, 61, 'error', 'Loss became NaN at step 5'),
    event(3, 1, 120, 'error', 'Loss became NaN at step 1')
  ];
  await writeAccepted(store, { documents, runs }, 'data');
  await afterWrite();
  if (!store.problems) {
    throw new Error('the store does not group warnings and errors');
  }
  const problems = store.problems.bind(store);
  const all: ProblemLevel[] = ['warning', 'error'];

  const nan: ILogTemplate = {
    template: 'Loss became NaN at step <*>',
    count: 3,
    levels: ['error'],
    first_seen: at(1),
    last_seen: at(61),
    runs: [id(2), id(1)],
    run_count: 2,
    example: 'Loss became NaN at step 5'
  };
  const rate: ILogTemplate = {
    template: 'Learning rate <*> is high',
    count: 2,
    levels: ['warning'],
    first_seen: at(0),
    last_seen: at(60),
    runs: [id(2), id(1)],
    run_count: 2,
    example: 'Learning rate 0.9 is high'
  };
  const memory: ILogTemplate = {
    template: 'Out of memory on device <*>',
    count: 1,
    levels: ['critical'],
    first_seen: at(3),
    last_seen: at(3),
    runs: [id(1)],
    run_count: 1,
    example: 'Out of memory on device 0'
  };
  expect(await problems({ user, levels: all, size: 50 })).toEqual({
    templates: [nan, rate, memory],
    events: 6,
    sampled: false
  });
  expect(await problems({ user, levels: all, size: 1 })).toEqual({
    templates: [nan],
    events: 6,
    sampled: false
  });
  expect(await problems({ user, levels: ['warning'], size: 50 })).toEqual({
    templates: [rate],
    events: 2,
    sampled: false
  });
  expect(await problems({ user, levels: ['error'], size: 50 })).toEqual({
    templates: [nan, memory],
    events: 4,
    sampled: false
  });
  expect(
    await problems({
      user,
      levels: all,
      notebooks: ['work/other.ipynb'],
      size: 50
    })
  ).toEqual({
    templates: [
      { ...nan, count: 1, first_seen: at(61), runs: [id(2)], run_count: 1 },
      {
        ...rate,
        count: 1,
        first_seen: at(60),
        runs: [id(2)],
        run_count: 1
      }
    ],
    events: 2,
    sampled: false
  });
  // From inclusive, to exclusive.
  expect(
    await problems({ user, levels: all, from: at(1), to: at(61), size: 50 })
  ).toEqual({
    templates: [
      {
        ...nan,
        count: 2,
        last_seen: at(2),
        runs: [id(1)],
        run_count: 1,
        example: 'Loss became NaN at step 17'
      },
      {
        ...rate,
        count: 1,
        first_seen: at(60),
        runs: [id(2)],
        run_count: 1
      },
      memory
    ],
    events: 4,
    sampled: false
  });
  expect(await problems({ user: other, levels: all, size: 50 })).toEqual({
    templates: [
      {
        ...nan,
        count: 1,
        first_seen: at(120),
        last_seen: at(120),
        runs: [id(3)],
        run_count: 1,
        example: 'Loss became NaN at step 1'
      }
    ],
    events: 1,
    sampled: false
  });
  expect(
    await problems({ user: `${prefix}-nobody`, levels: all, size: 50 })
  ).toEqual({ templates: [], events: 0, sampled: false });
}

/**
 * Past PROBLEM_EVENTS_CAP matching records, `GET /problems` groups the
 * newest ones and says it sampled: the oldest record is left out.
 */
export async function expectProblemsSampled(
  store: IStore,
  prefix: string,
  afterWrite: () => Promise<void> = async () => undefined
): Promise<void> {
  const user = `${prefix}-carol`;
  const runId = `${prefix}-run1`;
  const run: IRunSummary = {
    ...summary(runId, 'work/train.ipynb', 0),
    user
  };
  const documents: ITflogDocument[] = [];
  for (let seq = 0; seq <= PROBLEM_EVENTS_CAP; seq += 1) {
    const time = new Date(Date.UTC(2026, 0, 31, 10) + seq * 1000).toISOString();
    documents.push({
      _id: `${runId}:${seq}`,
      '@timestamp': time,
      message:
        seq === 0 ? 'Disk quota exceeded' : `Learning rate ${seq} is high`,
      log: { level: 'warning' },
      event: {
        dataset: 'tflog.log',
        sequence: seq,
        kind: 'event',
        created: time
      },
      user: { name: user },
      host: { name: 'node-1' },
      process: { pid: 1 },
      service: { name: 'tflog' },
      ecs: { version: '8.11.0' },
      labels: {},
      tflog: {
        run_id: runId,
        run_name: null,
        notebook: 'work/train.ipynb',
        kernel_id: 'k-1',
        source: 'logging',
        kind: 'log'
      }
    });
  }
  await writeAccepted(store, { documents, runs: [run] }, 'data');
  await afterWrite();
  if (!store.problems) {
    throw new Error('the store does not group warnings and errors');
  }
  const answer = await store.problems({ user, levels: ['warning'], size: 50 });
  expect(answer.sampled).toBe(true);
  expect(answer.events).toBe(PROBLEM_EVENTS_CAP);
  expect(
    answer.templates.map(item => [item.template, item.count, item.first_seen])
  ).toEqual([
    [
      'Learning rate <*> is high',
      PROBLEM_EVENTS_CAP,
      new Date(Date.UTC(2026, 0, 31, 10) + 1000).toISOString()
    ]
  ]);
  // One fewer matching record: all of them, not sampled.
  const exact = await store.problems({
    user,
    levels: ['warning'],
    from: new Date(Date.UTC(2026, 0, 31, 10) + 1000).toISOString(),
    size: 50
  });
  expect([exact.events, exact.sampled]).toEqual([PROBLEM_EVENTS_CAP, false]);
}
