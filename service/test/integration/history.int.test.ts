/**
 * History queries (run filters and sorts, series ranges, logs around a time
 * and across runs, one metric of several runs) on a real Elasticsearch and on the embedded store: the
 * contract of test/store/history-contract.ts holds on both, with the same
 * answers. Needs TFLOG_TEST_ES_URL.
 */
import { Client } from '@elastic/elasticsearch';

import { createLogger } from '../../src/common/logger';
import { ElasticsearchStore } from '../../src/store/elasticsearch';
import { RUNS_MAPPINGS } from '../../src/store/es-mappings';
import type { IStoredRollup } from '../../src/store/es-rollups';
import type { EmbeddedStore } from '../../src/store/embedded';
import {
  expectCompareMatch,
  expectLogSearchCapped,
  expectLogSearchMatch,
  expectLogsAroundMatch,
  expectRunHistoryMatch,
  expectSeriesRangeMatch
} from '../store/history-contract';
import {
  openBothStores,
  removePrefixed,
  testEsUrl,
  testIndexPrefix,
  testStoreConfig,
  type IBothStores
} from './es-fixture';

const esUrl = testEsUrl();
const PREFIX = testIndexPrefix('history');
const logger = createLogger('warn');
jest.setTimeout(120000);

const config = testStoreConfig(esUrl, PREFIX);

describe('history queries on both stores', () => {
  const admin = new Client({ node: esUrl });
  let stores: IBothStores;
  let store: ElasticsearchStore;
  let embedded: EmbeddedStore;

  beforeAll(async () => {
    stores = await openBothStores(config, logger);
    ({ store, embedded } = stores);
  });

  afterAll(async () => {
    await stores.close();
    await removePrefixed(admin, PREFIX);
    await admin.close();
  });

  const refreshed = (): Promise<void> =>
    admin.indices.refresh({ index: `${PREFIX}*` }).then(() => undefined);

  it('adds the sorting fields to a runs index an older tflog created', async () => {
    const older = `${PREFIX}older-`;
    const {
      metric_sort: nested,
      duration_ms: duration,
      ...before
    } = RUNS_MAPPINGS.properties ?? {};
    expect(nested).toBeDefined();
    expect(duration).toBeDefined();
    await admin.indices.create({
      index: `${older}runs`,
      mappings: { dynamic: false, properties: before }
    });
    const upgraded = new ElasticsearchStore({
      config: { ...config, indexPrefix: older },
      logger
    });
    await upgraded.init();
    try {
      const mapping = await admin.indices.getMapping({ index: `${older}runs` });
      expect(
        mapping[`${older}runs`].mappings.properties?.metric_sort
      ).toMatchObject({ type: 'nested' });
      await expectRunHistoryMatch(upgraded, 'older', () =>
        admin.indices.refresh({ index: `${older}*` }).then(() => undefined)
      );
    } finally {
      await upgraded.close();
      for (const kind of ['logs', 'metrics', 'runs']) {
        await admin.indices.deleteIndexTemplate(
          { name: `${older}${kind}` },
          { ignore: [404] }
        );
      }
    }
  });

  it('filter and sort runs alike on Elasticsearch and the embedded store', async () => {
    await expectRunHistoryMatch(store, 'runs', refreshed);
    await expectRunHistoryMatch(embedded, 'runs');
  });

  it('answer a zoomed series range alike on Elasticsearch and the embedded store', async () => {
    const onElasticsearch = await expectSeriesRangeMatch(
      store,
      'range',
      refreshed
    );
    const onEmbedded = await expectSeriesRangeMatch(embedded, 'range');
    expect(onElasticsearch).toEqual(onEmbedded);
  });

  /** How many points the curve summaries of a run hold, per level. */
  const summarizedPoints = async (
    runId: string
  ): Promise<Record<string, number>> => {
    const found = await admin.search<IStoredRollup>({
      index: `${PREFIX}rollups`,
      query: { term: { run_id: runId } },
      size: 1000
    });
    const byLevel: Record<string, number> = {};
    for (const hit of found.hits.hits) {
      const rollup = hit._source;
      if (rollup) {
        byLevel[rollup.level] = (byLevel[rollup.level] ?? 0) + rollup.count;
      }
    }
    return byLevel;
  };

  it('compare one metric of several runs alike on Elasticsearch and the embedded store', async () => {
    const onElasticsearch = await expectCompareMatch(store, 'compare', () =>
      store.flushRollups().then(refreshed)
    );
    // The long run's curve was read from complete summaries, every level.
    expect(Object.values(await summarizedPoints('compare-long'))).toEqual([
      12004, 12004, 12004, 4, 12004, 12004
    ]);
    const onEmbedded = await expectCompareMatch(embedded, 'compare');
    expect(onElasticsearch).toEqual(onEmbedded);
  });

  it('compare from the points where curve summaries are missing or short', async () => {
    const dropSummaries = async (): Promise<void> => {
      await store.flushRollups();
      await refreshed();
      const found = await admin.search({
        index: `${PREFIX}rollups`,
        query: { prefix: { run_id: 'partial-' } },
        size: 1000
      });
      const ids = found.hits.hits.flatMap(hit => (hit._id ? [hit._id] : []));
      expect(ids.length).toBeGreaterThan(0);
      // Every other one: the rest then count fewer points than the series.
      await admin.bulk({
        operations: ids
          .filter((_, index) => index % 2 === 0)
          .map(id => ({ delete: { _index: `${PREFIX}rollups`, _id: id } })),
        refresh: true
      });
    };
    const onElasticsearch = await expectCompareMatch(
      store,
      'partial',
      dropSummaries
    );
    const onEmbedded = await expectCompareMatch(embedded, 'partial');
    expect(onElasticsearch).toEqual(onEmbedded);
  });

  it('keep curve summaries exact with two writers on one series at once', async () => {
    const second = new ElasticsearchStore({ config, logger });
    await second.init();
    try {
      const points = Array.from({ length: 4000 }, (_, step) => ({
        _id: `both:${step}`,
        '@timestamp': new Date(
          Date.UTC(2026, 0, 31, 10) + step * 10
        ).toISOString(),
        run_id: 'both-writers',
        notebook: 'work/train.ipynb',
        user: 'alice',
        name: 'loss',
        scope: 'batch' as const,
        source: 'callback',
        step,
        value: (step % 13) / 10
      }));
      // Interleaved bulks from two stores, some points sent by both.
      const writes: Promise<unknown>[] = [];
      for (let start = 0; start < points.length; start += 250) {
        const slice = points.slice(start, start + 300);
        const writer = (start / 250) % 2 === 0 ? store : second;
        writes.push(writer.write({ documents: [], points: slice, runs: [] }));
      }
      await Promise.all(writes);
      await Promise.all([store.flushRollups(), second.flushRollups()]);
      await refreshed();
      expect(Object.values(await summarizedPoints('both-writers'))).toEqual([
        4000, 4000, 4000, 4000, 4000
      ]);
    } finally {
      await second.close();
    }
  });

  it('answer the log lines around a time alike on Elasticsearch and the embedded store', async () => {
    const onElasticsearch = await expectLogsAroundMatch(
      store,
      'around',
      refreshed
    );
    const onEmbedded = await expectLogsAroundMatch(embedded, 'around');
    expect(onElasticsearch).toEqual(onEmbedded);
  });

  it('search log lines across runs alike on Elasticsearch and the embedded store', async () => {
    const onElasticsearch = await expectLogSearchMatch(
      store,
      'search',
      refreshed
    );
    const onEmbedded = await expectLogSearchMatch(embedded, 'search');
    expect(onElasticsearch.map(page => page.lines)).toEqual(
      onEmbedded.map(page => page.lines)
    );
  });

  it('count a common word up to the cap alike on Elasticsearch and the embedded store', async () => {
    const onElasticsearch = await expectLogSearchCapped(
      store,
      'capped',
      refreshed
    );
    const onEmbedded = await expectLogSearchCapped(embedded, 'capped');
    expect(onElasticsearch.map(page => page.lines)).toEqual(
      onEmbedded.map(page => page.lines)
    );
  });
});
