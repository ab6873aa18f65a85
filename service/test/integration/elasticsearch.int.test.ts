/**
 * The Elasticsearch store against a real Elasticsearch: templates, bulk
 * create with 409 duplicates, versioned run summaries, searches,
 * aggregations and downsampling, and the same answers as the embedded store
 * for the same data. Needs TFLOG_TEST_ES_URL (scripts/test.sh starts a
 * node and sets it; point it at any cluster to run there).
 */
import { Client, errors } from '@elastic/elasticsearch';

import type { IElasticsearchConfig } from '../../src/config';
import { createParser, createRunState } from '../../src/parse';
import { FALLBACK_ERROR_TYPE } from '../../src/ship/fallback';
import { createLogger } from '../../src/common/logger';
import { Shipper } from '../../src/ship/shipper';
import { StatusTracker } from '../../src/ship/status';
import { foldSummary } from '../../src/ship/summary';
import { ElasticsearchStore } from '../../src/store/elasticsearch';
import type { EmbeddedStore } from '../../src/store/embedded';
import {
  dailyIndex,
  POLICY_VERSION,
  ROLLUPS_MAPPINGS,
  TEMPLATE_VERSION,
  templatePriority
} from '../../src/store/es-mappings';
import { prune } from '../../src/prune';
import {
  StoreQueryError,
  StoreUnavailableError,
  type IStore,
  type IWriteBatch
} from '../../src/store/store';
import type {
  IMetricPoint,
  IRunSummary,
  ITflogDocument,
  SpoolRecord
} from '../../src/types';
import { expectNotebookPathsMatch } from '../store/contract';
import {
  openBothStores,
  removePrefixed,
  testEsUrl,
  testIndexPrefix,
  testStoreConfig,
  type IBothStores
} from './es-fixture';

const esUrl = testEsUrl();
const PREFIX = testIndexPrefix('it');
const logger = createLogger('warn');
jest.setTimeout(120000);

function config(prefix = PREFIX): IElasticsearchConfig {
  return testStoreConfig(esUrl, prefix);
}

const T0 = Date.parse('2025-11-28T20:16:59.470Z') / 1000;

/** A realistic run, parsed by the real parser, plus its summary. */
function parsedRun(
  runId: string,
  user: string,
  notebook: string,
  startOffset = 0
): IWriteBatch & {
  summary: IRunSummary;
  lastSeq: number;
} {
  const parser = createParser();
  const state = createRunState(runId);
  const t = T0 + startOffset;
  const records: SpoolRecord[] = [
    {
      t: 'start',
      v: 1,
      seq: 0,
      ts: t,
      run: runId,
      name: `name of ${runId}`,
      tags: { team: 'vision', size: runId.endsWith('b') ? 'big' : 'small' },
      ctx: { notebook, kernel_id: 'k', user, host: 'host', pid: 4 }
    },
    {
      t: 'hparams',
      seq: 1,
      ts: t + 1,
      values: { lr: 0.01, optimizer: 'adam' }
    },
    { t: 'stream', seq: 2, ts: t + 2, stream: 'stdout', text: 'Epoch 1/2\n' },
    {
      t: 'stream',
      seq: 3,
      ts: t + 3,
      stream: 'stdout',
      text: '32/32 - 0s - loss: 0.4811 - accuracy: 0.8169 - 136ms/epoch - 4ms/step\n'
    },
    {
      t: 'metrics',
      seq: 4,
      ts: t + 4,
      scope: 'epoch',
      epoch: 0,
      values: { loss: 0.48, accuracy: 0.81 }
    },
    {
      t: 'log',
      seq: 5,
      ts: t + 5,
      level: 'WARNING',
      logger: 'tensorflow',
      msg: 'the gradient looks odd'
    },
    {
      t: 'log',
      seq: 6,
      ts: t + 6,
      level: 'ERROR',
      logger: 'train',
      msg: 'loss became NaN\nsecond line of it'
    },
    {
      t: 'metrics',
      seq: 7,
      ts: t + 7,
      scope: 'epoch',
      epoch: 1,
      values: { loss: 'NaN', accuracy: 0.5 }
    },
    {
      t: 'end',
      seq: 8,
      ts: t + 8,
      status: 'failed',
      error: { type: 'ValueError', message: 'NaN loss' }
    }
  ];
  const documents: ITflogDocument[] = [];
  const points: IMetricPoint[] = [];
  let summary: IRunSummary | null = null;
  for (const record of records) {
    const parsed = parser.parseRecord(record, state);
    documents.push(...parsed.documents);
    points.push(...parsed.points);
    summary = foldSummary(summary, runId, record, parsed);
  }
  const finalSummary = summary as IRunSummary;
  return {
    documents,
    points,
    runs: [finalSummary],
    runVersions: { [runId]: 8 },
    summary: finalSummary,
    lastSeq: 8
  };
}

function point(
  runId: string,
  name: string,
  step: number,
  value: number | 'NaN'
): IMetricPoint {
  const result: IMetricPoint = {
    _id: `${runId}:${step}:${name}`,
    '@timestamp': new Date((T0 + step) * 1000).toISOString(),
    run_id: runId,
    notebook: 'long.ipynb',
    user: 'alice',
    name,
    step,
    epoch: Math.floor(step / 1000),
    scope: 'batch',
    source: 'callback'
  };
  if (value === 'NaN') {
    result.nonfinite = 'NaN';
  } else {
    result.value = value;
  }
  return result;
}

/** `count` points of a smooth curve with one spike and one NaN somewhere inside. */
function longSeries(
  runId: string,
  count: number,
  spikeAt: number,
  nanAt: number
): IMetricPoint[] {
  const points: IMetricPoint[] = [];
  for (let step = 0; step < count; step += 1) {
    const value =
      step === nanAt ? 'NaN' : step === spikeAt ? 1000 : 1 / (1 + step / 100);
    points.push(point(runId, 'loss', step, value));
  }
  return points;
}

describe('ElasticsearchStore against a real cluster', () => {
  const admin = new Client({ node: esUrl });
  let stores: IBothStores;
  let store: ElasticsearchStore;
  let embedded: EmbeddedStore;

  beforeAll(async () => {
    stores = await openBothStores(config(), logger);
    ({ store, embedded } = stores);
  });

  afterAll(async () => {
    await stores.close();
    await removePrefixed(admin, PREFIX);
    await admin.close();
  });

  async function writeBoth(batch: IWriteBatch): Promise<void> {
    const result = await store.write(batch);
    expect(result.rejected).toEqual([]);
    expect(result.retry).toBeUndefined();
    await embedded.write(batch);
    await admin.indices.refresh({ index: `${PREFIX}*` });
  }

  it('creates the templates, the runs index and daily indices with explicit refresh', async () => {
    const templates = await admin.indices.getIndexTemplate({
      name: `${PREFIX}*`
    });
    const byName = new Map(
      templates.index_templates.map(entry => [entry.name, entry.index_template])
    );
    expect([...byName.keys()].sort()).toEqual([
      `${PREFIX}logs`,
      `${PREFIX}metrics`,
      `${PREFIX}runs`
    ]);
    expect(byName.get(`${PREFIX}logs`)?.index_patterns).toEqual([
      `${PREFIX}logs-*`
    ]);
    expect(await admin.indices.exists({ index: `${PREFIX}runs` })).toBe(true);

    const run = parsedRun('layout-a', 'alice', 'a.ipynb');
    await writeBoth(run);
    const settings = await admin.indices.getSettings({
      index: `${PREFIX}logs-2025.11.28`
    });
    expect(
      settings[`${PREFIX}logs-2025.11.28`].settings?.index?.refresh_interval
    ).toBe('1s');
    const mapping = await admin.indices.getMapping({
      index: `${PREFIX}logs-2025.11.28`
    });
    const tflog =
      mapping[`${PREFIX}logs-2025.11.28`].mappings.properties?.tflog;
    expect(
      tflog && 'properties' in tflog
        ? tflog.properties?.metrics?.type
        : undefined
    ).toBe('flattened');

    const status = await store.status();
    expect(status).toMatchObject({ kind: 'elasticsearch', healthy: true });
    const ilm = await admin.ilm.getStatus().then(
      () => true,
      () => false
    );
    if (ilm) {
      const policy = await admin.ilm.getLifecycle({ name: `${PREFIX}policy` });
      expect(policy[`${PREFIX}policy`].policy.phases.delete?.min_age).toBe(
        '90d'
      );
      expect(status.degraded).toEqual([]);
    } else {
      expect(status.degraded.join(' ')).toMatch(/ILM is not available/);
    }
  });

  it('init is idempotent', async () => {
    await expect(store.init()).resolves.toBeUndefined();
  });

  it('creates events once: a replay is answered 409 and counted as duplicates', async () => {
    const run = parsedRun('replay-a', 'alice', 'replay.ipynb');
    const first = await store.write(run);
    const items = run.documents.length + run.points.length + run.runs.length;
    expect(first).toMatchObject({
      created: items,
      duplicates: 0,
      rejected: []
    });
    const again = await store.write(run);
    expect(again).toMatchObject({
      created: 0,
      duplicates: items,
      rejected: []
    });
    await admin.indices.refresh({ index: `${PREFIX}*` });
    const count = await admin.count({
      index: `${PREFIX}logs-*`,
      query: { term: { 'tflog.run_id': 'replay-a' } }
    });
    expect(count.count).toBe(run.documents.length);
  });

  it('finds the ids stored in any daily index, of events and of points', async () => {
    const run = parsedRun('stored-ids-a', 'alice', 'ids.ipynb');
    await store.write(run);
    await admin.indices.refresh({ index: `${PREFIX}*` });
    const event = run.documents[0]._id;
    const point = run.points[0]._id;
    expect(
      await store.storedIds('documents', [event, 'stored-ids-a:999999'])
    ).toEqual(new Set([event]));
    expect(await store.storedIds('points', [point, event])).toEqual(
      new Set([point])
    );
    expect(await store.storedIds('documents', [])).toEqual(new Set());
  });

  it('keeps the newest run summary: an older version never overwrites it', async () => {
    const run = parsedRun('version-a', 'alice', 'v.ipynb');
    const newer = { ...run.summary, status: 'finished' as const };
    const older = { ...run.summary, status: 'running' as const };
    expect(
      (
        await store.write({
          documents: [],
          points: [],
          runs: [newer],
          runVersions: { 'version-a': 8 }
        })
      ).created
    ).toBe(1);
    const stale = await store.write({
      documents: [],
      points: [],
      runs: [older],
      runVersions: { 'version-a': 3 }
    });
    expect(stale).toMatchObject({ created: 0, duplicates: 1 });
    expect((await store.getRun('version-a'))?.status).toBe('finished');
    expect(await store.getRun('no-such-run')).toBeNull();
  });

  it('reports a mapping error per item, and the shipper stores a stand-in', async () => {
    const run = parsedRun('mapping-a', 'alice', 'm.ipynb');
    const bad = JSON.parse(JSON.stringify(run.documents[1])) as ITflogDocument;
    (bad.tflog as unknown as Record<string, unknown>).epoch = 'not a number';
    const result = await store.write({
      documents: [bad],
      points: [],
      runs: []
    });
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]).toMatchObject({ id: bad._id, kind: 'document' });
    expect(result.rejected[0].reason).toMatch(
      /400 .*(document_parsing_exception|mapper_parsing_exception)/
    );

    const status = new StatusTracker({ spoolDir: '/s', stateDir: '/t' });
    const shipper = new Shipper({ store, logger, status });
    const report = await shipper.deliver(
      { documents: [bad], points: [], runs: [] },
      new AbortController().signal
    );
    expect(report).toMatchObject({ rejected: 1, fallbacks: 1, created: 1 });
    await admin.indices.refresh({ index: `${PREFIX}*` });
    const found = await admin.search<ITflogDocument>({
      index: `${PREFIX}logs-*`,
      query: { ids: { values: [bad._id] } }
    });
    expect(found.hits.hits[0]._source?.error?.type).toBe(FALLBACK_ERROR_TYPE);
  });

  it("waits out a write block on the day's index and stores every item once it is lifted", async () => {
    // Written now: a block on a recent index is lifted in time (one past
    // the warm phase's age is final, see es-queries).
    const run = parsedRun(
      'blocked-a',
      'alice',
      'b.ipynb',
      Math.floor(Date.now() / 1000 - T0)
    );
    const [first, ...rest] = run.documents;
    expect(rest.length).toBeGreaterThan(1);
    // The day's index exists (first document), then gets a write block.
    await store.write({ documents: [first], points: [], runs: [] });
    const index = dailyIndex(
      PREFIX,
      'logs',
      first.event.created ?? first['@timestamp']
    );
    await admin.indices.putSettings({
      index,
      settings: { 'index.blocks.write': true }
    });
    let unblocked = false;
    try {
      const blocked = await store.write({
        documents: rest,
        points: [],
        runs: []
      });
      expect(blocked.rejected).toEqual([]);
      expect(blocked.retry?.length).toBe(rest.length);
      expect(blocked.retry?.[0].reason).toMatch(/cluster_block_exception/);

      const status = new StatusTracker({ spoolDir: '/s', stateDir: '/t' });
      status.state = 'running';
      const shipper = new Shipper({
        store,
        logger,
        status,
        backoff: { initialMs: 50, maxMs: 200 }
      });
      const delivered = shipper.deliver(
        { documents: rest, points: [], runs: [] },
        new AbortController().signal
      );
      await waitFor(() => status.counters.retries >= 3);
      expect(status.state).toBe('retrying');
      await admin.indices.putSettings({
        index,
        settings: { 'index.blocks.write': false }
      });
      unblocked = true;
      const report = await delivered;
      expect(report.rejected).toBe(0);
      expect(report.created).toBe(rest.length);
      expect(status.state).toBe('running');
    } finally {
      if (!unblocked) {
        await admin.indices.putSettings({
          index,
          settings: { 'index.blocks.write': false }
        });
      }
    }
    await admin.indices.refresh({ index });
    const stored = await admin.count({
      index,
      query: { term: { 'tflog.run_id': 'blocked-a' } }
    });
    expect(stored.count).toBe(run.documents.length);
  });

  it('stores a metric whose name is longer than an id may be, with the rest of its batch', async () => {
    const state = createRunState('long-name-a');
    const parser = createParser();
    const name = 'x'.repeat(600);
    const parsed = [
      {
        t: 'start',
        seq: 0,
        ts: T0,
        v: 1,
        run: 'long-name-a',
        ctx: { user: 'alice', notebook: 'n.ipynb' }
      },
      {
        t: 'stream',
        seq: 1,
        ts: T0 + 1,
        stream: 'stdout',
        text: `step 1 ${name}=0.5 loss=0.25\n`
      }
    ].map(record => parser.parseRecord(record as SpoolRecord, state));
    const batch: IWriteBatch = {
      documents: parsed.flatMap(item => item.documents),
      points: parsed.flatMap(item => item.points),
      runs: []
    };
    expect(batch.points.map(item => item.name).sort()).toEqual(
      ['loss', name].sort()
    );
    const status = new StatusTracker({ spoolDir: '/s', stateDir: '/t' });
    const shipper = new Shipper({ store, logger, status });
    const report = await shipper.deliver(batch, new AbortController().signal);
    expect(report).toMatchObject({ rejected: 0, created: 4 });
    await admin.indices.refresh({ index: `${PREFIX}*` });
    const points = await admin.search<IMetricPoint>({
      index: `${PREFIX}metrics-*`,
      query: { term: { run_id: 'long-name-a' } }
    });
    expect(points.hits.hits.map(hit => hit._source?.name).sort()).toEqual(
      ['loss', name].sort()
    );
  });

  describe('queries, with the same answers as the embedded store', () => {
    const stores = (): [string, IStore][] => [
      ['elasticsearch', store],
      ['embedded', embedded]
    ];

    beforeAll(async () => {
      await writeBoth(parsedRun('q-run-a', 'alice', 'alpha.ipynb', 0));
      await writeBoth(parsedRun('q-run-b', 'alice', 'beta.ipynb', 3600));
      await writeBoth(parsedRun('q-run-c', 'bob', 'alpha.ipynb', 7200));
      const long = longSeries('q-long', 15000, 7777, 12345);
      const medium = longSeries('q-medium', 3000, 1500, 2500);
      const summary = parsedRun('q-long', 'alice', 'long.ipynb', 10800).summary;
      for (let start = 0; start < long.length; start += 5000) {
        await writeBoth({
          documents: [],
          points: long.slice(start, start + 5000),
          runs: []
        });
      }
      await writeBoth({
        documents: [],
        points: medium,
        runs: [summary],
        runVersions: { 'q-long': 1 }
      });
    });

    it.each([
      ['by user', { user: 'alice' }, ['q-long', 'q-run-b', 'q-run-a']],
      ['by notebook', { notebooks: ['alpha.ipynb'] }, ['q-run-c', 'q-run-a']],
      ['by status', { user: 'bob', status: ['failed' as const] }, ['q-run-c']],
      ['by tag', { tags: { size: 'big' } }, ['q-run-b']],
      [
        'by time',
        { from: '2025-11-28T21:00:00Z', to: '2025-11-28T22:30:00Z' },
        ['q-run-c', 'q-run-b']
      ],
      [
        'by text (case-insensitive, name/notebook/tags)',
        { text: 'BETA' },
        ['q-run-b']
      ]
    ])('lists runs %s, newest first', async (label, filter, expected) => {
      for (const [kind, candidate] of stores()) {
        const page = await candidate.searchRuns({ size: 10, ...filter });
        const ids = page.runs
          .map(run => run.run_id)
          .filter(id => id.startsWith('q-'));
        expect({ kind, ids }).toEqual({ kind, ids: expected });
      }
    });

    it('match a notebook under any path its runs are stored under (store contract)', async () => {
      await expectNotebookPathsMatch(store, 'nbpath-es', () =>
        admin.indices.refresh({ index: `${PREFIX}*` }).then(() => undefined)
      );
      await expectNotebookPathsMatch(embedded, 'nbpath-embedded');
    });

    it('pages runs with a cursor both stores understand', async () => {
      for (const [kind, candidate] of stores()) {
        const seen: string[] = [];
        let after: string | undefined;
        do {
          const page = await candidate.searchRuns({
            user: 'alice',
            text: 'q-',
            size: 2,
            after
          });
          expect(page.total).toBe(3);
          seen.push(...page.runs.map(run => run.run_id));
          after = page.next;
        } while (after);
        expect({ kind, seen }).toEqual({
          kind,
          seen: ['q-long', 'q-run-b', 'q-run-a']
        });
      }
    });

    it('refuses a cursor that is not one', async () => {
      await expect(
        store.searchRuns({ size: 2, after: 'bogus' })
      ).rejects.toBeInstanceOf(StoreQueryError);
    });

    it('reads logs in sequence order with filters and a cursor, as the embedded store does', async () => {
      for (const order of ['asc', 'desc'] as const) {
        const all = await store.logs({ runId: 'q-run-a', size: 100, order });
        const reference = await embedded.logs({
          runId: 'q-run-a',
          size: 100,
          order
        });
        expect(all.lines.map(line => line._id)).toEqual(
          reference.lines.map(line => line._id)
        );
        expect(all.total).toBe(reference.total);

        const paged: string[] = [];
        let after: string | undefined;
        do {
          const page = await store.logs({
            runId: 'q-run-a',
            size: 2,
            order,
            after
          });
          paged.push(...page.lines.map(line => line._id));
          after = page.next;
        } while (after);
        expect(paged).toEqual(all.lines.map(line => line._id));
      }
      const filters = [
        { levels: ['ERROR'] },
        { kinds: ['warning' as const] },
        { text: 'gradient ODD' }
      ];
      for (const filter of filters) {
        const fromEs = await store.logs({
          runId: 'q-run-a',
          size: 100,
          order: 'asc',
          ...filter
        });
        const fromEmbedded = await embedded.logs({
          runId: 'q-run-a',
          size: 100,
          order: 'asc',
          ...filter
        });
        expect(fromEs.lines.length).toBeGreaterThan(0);
        expect(fromEs.lines).toEqual(fromEmbedded.lines);
      }
    });

    it('returns short series whole, on every axis', async () => {
      for (const axis of ['step', 'epoch', 'time'] as const) {
        const fromEs = await store.series({
          runId: 'q-run-a',
          axis,
          maxPoints: 100
        });
        const fromEmbedded = await embedded.series({
          runId: 'q-run-a',
          axis,
          maxPoints: 100
        });
        expect(fromEs).toEqual(fromEmbedded);
      }
      const epochs = await store.series({
        runId: 'q-run-a',
        axis: 'epoch',
        maxPoints: 100,
        names: ['loss'],
        scope: 'epoch'
      });
      const callback = epochs.find(series => series.source === 'callback');
      expect(callback?.points.map(p => [p.y, p.nonfinite ?? null])).toEqual([
        [0.48, null],
        [null, 'NaN']
      ]);
    });

    it('thins a long series in Elasticsearch keeping the spike, the NaN and the last point', async () => {
      const [series] = await store.series({
        runId: 'q-long',
        axis: 'step',
        maxPoints: 400,
        names: ['loss']
      });
      expect(series.downsampled).toBe(true);
      expect(series.points.length).toBeLessThanOrEqual(400);
      expect(series.points.length).toBeGreaterThan(100);
      expect(series.points.some(p => p.x === 7777 && p.y === 1000)).toBe(true);
      expect(
        series.points.some(
          p => p.x === 12345 && p.nonfinite === 'NaN' && p.y === null
        )
      ).toBe(true);
      expect(series.points[series.points.length - 1].x).toBe(14999);
      expect(series.points[0].x).toBe(0);
      const reference = await embedded.series({
        runId: 'q-long',
        axis: 'step',
        maxPoints: 400,
        names: ['loss']
      });
      expect(series.points.map(p => p.x)).toEqual(
        reference[0].points.map(p => p.x)
      );
    });

    it('thins a medium series like the embedded store, on the time axis too', async () => {
      for (const axis of ['step', 'time'] as const) {
        const query = { runId: 'q-medium', axis, maxPoints: 200 };
        const [fromEs] = await store.series(query);
        const [fromEmbedded] = await embedded.series(query);
        expect(fromEs.downsampled).toBe(true);
        expect(fromEs).toEqual(fromEmbedded);
        expect(fromEs.points.some(p => p.y === 1000)).toBe(true);
        expect(fromEs.points.some(p => p.nonfinite === 'NaN')).toBe(true);
      }
    });

    it('returns only points after `after` for live updates', async () => {
      const query = {
        runId: 'q-medium',
        axis: 'step' as const,
        maxPoints: 1000,
        after: 2990
      };
      const [fromEs] = await store.series(query);
      expect(fromEs.points.map(p => p.x)).toEqual([
        2991, 2992, 2993, 2994, 2995, 2996, 2997, 2998, 2999
      ]);
      const later = new Date((T0 + 2995) * 1000).toISOString();
      const [byTime] = await store.series({
        runId: 'q-medium',
        axis: 'time',
        maxPoints: 1000,
        after: later
      });
      expect(byTime.points).toHaveLength(4);
    });
  });

  it('routes a printed 2000-01-01 line by its write time: no index for that day, the printed time kept', async () => {
    const parser = createParser();
    const state = createRunState('printed-a');
    const written = Math.floor(Date.now() / 1000);
    const records: SpoolRecord[] = [
      {
        t: 'start',
        v: 1,
        seq: 0,
        ts: written,
        run: 'printed-a',
        name: null,
        tags: {},
        ctx: {
          notebook: 'p.ipynb',
          kernel_id: 'k',
          user: 'alice',
          host: 'host',
          pid: 4,
          utc_offset: 0
        }
      },
      {
        t: 'stream',
        seq: 1,
        ts: written + 1,
        stream: 'stdout',
        text: '2000-01-01 00:00:05,000 INFO epoch 1 loss=0.25\n'
      }
    ];
    const parsed = records.map(record => parser.parseRecord(record, state));
    const batch: IWriteBatch = {
      documents: parsed.flatMap(item => item.documents),
      points: parsed.flatMap(item => item.points),
      runs: []
    };
    expect(batch.points.length).toBeGreaterThan(0);
    const result = await store.write(batch);
    expect(result).toEqual({
      created: batch.documents.length + batch.points.length,
      duplicates: 0,
      rejected: []
    });
    for (const kind of ['logs', 'metrics']) {
      expect(
        await admin.indices.exists({ index: `${PREFIX}${kind}-2000.01.01` })
      ).toBe(false);
    }
    await admin.indices.refresh({ index: `${PREFIX}*` });
    const writtenIso = new Date((written + 1) * 1000).toISOString();
    const found = await admin.search<ITflogDocument>({
      index: `${PREFIX}logs-*`,
      query: { term: { _id: 'printed-a:1' } }
    });
    expect(found.hits.hits).toHaveLength(1);
    const [hit] = found.hits.hits;
    expect(hit._index).toBe(dailyIndex(PREFIX, 'logs', writtenIso));
    expect(hit._source?.['@timestamp']).toBe('2000-01-01T00:00:05.000Z');
    expect(hit._source?.event.created).toBe(writtenIso);
    // The write time is mapped: a range query on it finds the event.
    const byCreated = await admin.count({
      index: `${PREFIX}logs-*`,
      query: { range: { 'event.created': { gte: writtenIso } } }
    });
    expect(byCreated.count).toBeGreaterThanOrEqual(1);
    const points = await admin.search<IMetricPoint>({
      index: `${PREFIX}metrics-*`,
      query: { term: { run_id: 'printed-a' } }
    });
    expect(points.hits.hits.length).toBe(batch.points.length);
    for (const point of points.hits.hits) {
      expect(point._index).toBe(dailyIndex(PREFIX, 'metrics', writtenIso));
      expect(point._source?.created).toBe(writtenIso);
    }
  });

  it('installs the ILM policies (hot, warm, cold, delete) and attaches them to every index, or says to prune', async () => {
    const today = dailyIndex(PREFIX, 'logs', new Date().toISOString());
    const templates = await admin.indices.getIndexTemplate({
      name: `${PREFIX}*`
    });
    expect(templates.index_templates).toHaveLength(3);
    for (const { index_template: template } of templates.index_templates) {
      expect(template.version).toBe(TEMPLATE_VERSION);
      expect(template._meta).toMatchObject({ tflog_version: TEMPLATE_VERSION });
    }
    if (!(await clusterHasIlm(admin))) {
      // No ILM: nothing names a policy, and the status says what to run.
      const { degraded } = await store.status();
      expect(degraded).toHaveLength(1);
      expect(degraded[0]).toMatch(
        /^ILM is not available on this cluster .*run tflog prune on a schedule/
      );
      const settings = await admin.indices.getSettings({
        index: `${today},${PREFIX}runs`,
        flat_settings: true
      });
      for (const index of [today, `${PREFIX}runs`]) {
        expect(settings[index].settings).not.toHaveProperty(
          'index.lifecycle.name'
        );
      }
      return;
    }
    const policies = await admin.ilm.getLifecycle({
      name: `${PREFIX}policy,${PREFIX}runs-policy`
    });
    const daily = policies[`${PREFIX}policy`].policy;
    expect(
      Object.fromEntries(
        Object.entries(daily.phases).map(([name, phase]) => [
          name,
          [phase?.min_age, Object.keys(phase?.actions ?? {}).sort()]
        ])
      )
    ).toEqual({
      hot: ['0ms', ['set_priority']],
      warm: ['7d', ['forcemerge', 'set_priority']],
      cold: ['30d', ['set_priority']],
      delete: ['90d', ['delete']]
    });
    expect(daily._meta).toMatchObject({ version: POLICY_VERSION });
    expect(Object.keys(policies[`${PREFIX}runs-policy`].policy.phases)).toEqual(
      ['hot']
    );

    const explained = await admin.ilm.explainLifecycle({
      index: `${today},${PREFIX}runs`
    });
    expect(explained.indices[today]).toMatchObject({
      managed: true,
      policy: `${PREFIX}policy`
    });
    expect(explained.indices[`${PREFIX}runs`]).toMatchObject({
      managed: true,
      policy: `${PREFIX}runs-policy`
    });
    expect((await store.status()).degraded).toEqual([]);
  });

  it('leaves templates and a policy that a newer tflog installed, and reports it', async () => {
    const newer = `${PREFIX}newer-`;
    const kinds = ['logs', 'metrics', 'runs'];
    const ilm = await clusterHasIlm(admin);
    try {
      for (const kind of kinds) {
        await admin.indices.putIndexTemplate({
          name: `${newer}${kind}`,
          index_patterns: [
            kind === 'runs' ? `${newer}runs` : `${newer}${kind}-*`
          ],
          priority: templatePriority(newer),
          version: 99,
          _meta: { managed_by: 'tflog', tflog_version: 99 }
        });
      }
      if (ilm) {
        await admin.ilm.putLifecycle({
          name: `${newer}policy`,
          policy: {
            phases: { hot: { min_age: '0ms', actions: {} } },
            _meta: { managed_by: 'tflog', version: 99 }
          }
        });
      }
      const older = new ElasticsearchStore({ config: config(newer), logger });
      try {
        await older.init();
        const { degraded } = await older.status();
        expect(degraded).toEqual([
          ilm
            ? `ILM policy ${newer}policy version 99 installed by a newer tflog; this one (${POLICY_VERSION}) leaves it`
            : expect.stringMatching(/^ILM is not available/),
          `templates version 99 installed by a newer tflog; this one (${TEMPLATE_VERSION}) leaves them (${newer}logs, ${newer}metrics, ${newer}runs)`
        ]);
      } finally {
        await older.close();
      }
      const templates = await admin.indices.getIndexTemplate({
        name: `${newer}*`
      });
      expect(
        templates.index_templates.map(entry => entry.index_template.version)
      ).toEqual([99, 99, 99]);
      if (ilm) {
        const policy = await admin.ilm.getLifecycle({ name: `${newer}policy` });
        expect(policy[`${newer}policy`].policy._meta).toMatchObject({
          version: 99
        });
        expect(Object.keys(policy[`${newer}policy`].policy.phases)).toEqual([
          'hot'
        ]);
      }
    } finally {
      for (const kind of kinds) {
        await admin.indices.deleteIndexTemplate(
          { name: `${newer}${kind}` },
          { ignore: [404] }
        );
      }
      for (const policy of ['policy', 'runs-policy']) {
        // A cluster without ILM answers 400 (no handler) or 405.
        await admin.ilm.deleteLifecycle(
          { name: `${newer}${policy}` },
          { ignore: [400, 404, 405] }
        );
      }
    }
  });

  it('prune: a dry run lists the expired daily indices and run summaries, a run deletes only those', async () => {
    const pruned = `${PREFIX}prune-`;
    const now = Date.now();
    const day = (offsetDays: number) =>
      new Date(now + offsetDays * 86_400_000)
        .toISOString()
        .slice(0, 10)
        .replace(/-/g, '.');
    const expired = [
      `${pruned}logs-2020.01.01`,
      `${pruned}metrics-2020.01.02`,
      `${pruned}logs-${day(-91)}`
    ];
    const kept = [
      `${pruned}logs-${day(0)}`,
      `${pruned}metrics-${day(-89)}`,
      // Another prefix's index that merely starts like this one's.
      `${pruned}logs-2020.01.01-restored`
    ];
    const ilm = await clusterHasIlm(admin);
    // With ILM, an expired index with a lifecycle policy is ILM's to delete.
    const managed = ilm ? [`${pruned}logs-2020.01.03`] : [];
    for (const index of [...expired, ...kept]) {
      await admin.indices.create({ index });
    }
    for (const index of managed) {
      await admin.indices.create({
        index,
        settings: { 'index.lifecycle.name': `${PREFIX}policy` }
      });
    }
    await admin.indices.create({
      index: `${pruned}runs`,
      mappings: {
        properties: { run_id: { type: 'keyword' }, updated: { type: 'date' } }
      }
    });
    const runs = [
      ['old-run', '2020-01-01T00:00:00.000Z'],
      ['recent-run', new Date(now - 86_400_000).toISOString()]
    ];
    for (const [runId, updated] of runs) {
      await admin.index({
        index: `${pruned}runs`,
        id: runId,
        document: { run_id: runId, updated },
        refresh: true
      });
    }

    // Curve summaries, by their last point's time.
    await admin.indices.create({
      index: `${pruned}rollups`,
      mappings: ROLLUPS_MAPPINGS
    });
    for (const [id, lastTime] of [
      ['old-curve', '2020-01-01T00:00:00.000Z'],
      ['recent-curve', new Date(now - 86_400_000).toISOString()]
    ]) {
      await admin.index({
        index: `${pruned}rollups`,
        id,
        document: {
          run_id: id,
          name: 'loss',
          scope: 'batch',
          source: 'callback',
          level: 1,
          chunk: 0,
          count: 0,
          last_time: lastTime,
          buckets: {}
        },
        refresh: true
      });
    }

    const lines: string[] = [];
    const dry = await prune({
      config: config(pruned),
      dryRun: true,
      write: line => lines.push(line),
      client: admin
    });
    expect(dry.ilm).toBe(ilm);
    expect(dry.indices).toEqual(expired); // oldest first
    expect(dry.managed).toEqual(managed);
    expect(dry.runs).toBe(1);
    expect(dry.runsDeleted).toBe(0);
    const text = lines.join('\n');
    for (const index of expired) {
      expect(text).toContain(`  ${index}`);
    }
    expect(text).toMatch(/would delete 3 expired daily indices/);
    expect(text).toMatch(/ {2}old-run \(updated 2020-01-01T00:00:00.000Z\)/);
    expect(text).toMatch(/dry run: nothing deleted/);
    for (const index of [...expired, ...kept, ...managed]) {
      expect(await admin.indices.exists({ index })).toBe(true);
    }
    expect((await admin.count({ index: `${pruned}runs` })).count).toBe(2);
    expect((await admin.count({ index: `${pruned}rollups` })).count).toBe(2);

    lines.length = 0;
    const done = await prune({
      config: config(pruned),
      dryRun: false,
      write: line => lines.push(line),
      client: admin
    });
    expect(done.indices).toEqual(expired);
    expect(done.runsDeleted).toBe(1);
    expect(lines[lines.length - 1]).toBe('deleted 3 indices and 1 run summary');
    for (const index of expired) {
      expect(await admin.indices.exists({ index })).toBe(false);
    }
    for (const index of [...kept, ...managed]) {
      expect(await admin.indices.exists({ index })).toBe(true);
    }
    const left = await admin.search<{ run_id: string }>({
      index: `${pruned}runs`
    });
    expect(left.hits.hits.map(hit => hit._source?.run_id)).toEqual([
      'recent-run'
    ]);
    expect(done.rollupsDeleted).toBe(1);
    expect(lines).toContain(
      `deleted 1 curve summary whose last point is older than ${done.cutoff?.time}`
    );
    const curves = await admin.search({ index: `${pruned}rollups` });
    expect(curves.hits.hits.map(hit => hit._id)).toEqual(['recent-curve']);

    // Nothing expires with TFLOG_RETENTION_DAYS=0.
    const forever = await prune({
      config: { ...config(pruned), retentionDays: 0 },
      dryRun: false,
      write: () => undefined,
      client: admin
    });
    expect(forever).toMatchObject({ retention: false, indices: [] });
    expect(await admin.indices.exists({ index: kept[0] })).toBe(true);
  });

  it('reports an unreachable cluster as unavailable, with the URL and no credentials', async () => {
    const unreachable = new ElasticsearchStore({
      config: {
        ...config(),
        urls: ['http://user:secret@127.0.0.1:1'],
        requestTimeoutMs: 2000
      },
      logger
    });
    try {
      const failure = await unreachable
        .searchRuns({ size: 1 })
        .catch(error => error);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect(String(failure.message)).toMatch(
        /cannot connect to Elasticsearch at http:\/\/127\.0\.0\.1:1/
      );
      expect(String(failure.message)).not.toMatch(/secret/);
      const status = await unreachable.status();
      expect(status.healthy).toBe(false);
      expect(status.location).not.toMatch(/secret/);
    } finally {
      await unreachable.close();
    }
  });
});

/** Whether the cluster has ILM (the dev node, core and netty4 only, has not). */
async function clusterHasIlm(admin: Client): Promise<boolean> {
  try {
    await admin.ilm.getStatus();
    return true;
  } catch (error) {
    // 400 (no handler) or 405 (wrong method) where the endpoint is missing.
    if (
      error instanceof errors.ResponseError &&
      [400, 404, 405, 410].includes(error.statusCode ?? 0)
    ) {
      return false;
    }
    throw error;
  }
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60000;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('condition not met within 60 s');
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}
