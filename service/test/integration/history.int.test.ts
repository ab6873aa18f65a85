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

  it('compare one metric of several runs alike on Elasticsearch and the embedded store', async () => {
    const onElasticsearch = await expectCompareMatch(
      store,
      'compare',
      refreshed
    );
    const onEmbedded = await expectCompareMatch(embedded, 'compare');
    expect(onElasticsearch).toEqual(onEmbedded);
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
