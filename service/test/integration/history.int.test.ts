/**
 * History queries (run filters and sorts, series ranges, logs around a time
 * and across runs) on a real Elasticsearch and on the embedded store: the
 * contract of test/store/history-contract.ts holds on both, with the same
 * answers. Needs TFLOG_TEST_ES_URL.
 */
import { Client } from '@elastic/elasticsearch';
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { createLogger } from '../../src/common/logger';
import { ElasticsearchStore } from '../../src/store/elasticsearch';
import { RUNS_MAPPINGS } from '../../src/store/es-mappings';
import { EmbeddedStore } from '../../src/store/embedded';
import {
  expectLogSearchMatch,
  expectLogsAroundMatch,
  expectRunHistoryMatch,
  expectSeriesRangeMatch
} from '../store/history-contract';

const ES_URL = process.env.TFLOG_TEST_ES_URL;
if (!ES_URL) {
  throw new Error(
    'TFLOG_TEST_ES_URL is not set: run scripts/test.sh (it starts a real Elasticsearch node) or point TFLOG_TEST_ES_URL at a cluster, e.g. TFLOG_TEST_ES_URL=http://127.0.0.1:9200'
  );
}
const esUrl: string = ES_URL;
const PREFIX = `tflog-history-${process.pid}-${Date.now().toString(36)}-`;
const logger = createLogger('warn');
jest.setTimeout(120000);

const config = {
  urls: [esUrl],
  verifyCerts: true,
  indexPrefix: PREFIX,
  requestTimeoutMs: 30000,
  retentionDays: 90,
  warmDays: 7,
  coldDays: 30
};

describe('history queries on both stores', () => {
  const admin = new Client({ node: esUrl });
  let store: ElasticsearchStore;
  let embedded: EmbeddedStore;
  let embeddedDir: string;

  beforeAll(async () => {
    store = new ElasticsearchStore({ config, logger });
    await store.init();
    embeddedDir = await fsp.mkdtemp(
      path.join(os.tmpdir(), 'tflog-history-embedded-')
    );
    embedded = new EmbeddedStore({
      dir: embeddedDir,
      retentionDays: 0,
      logger
    });
    await embedded.init();
  });

  afterAll(async () => {
    await store.close();
    await embedded.close();
    // Wildcard deletes are refused (action.destructive_requires_name): name each index.
    const indices = Object.keys(
      await admin.indices.get({ index: `${PREFIX}*` })
    );
    if (indices.length > 0) {
      await admin.indices.delete({ index: indices });
    }
    for (const kind of ['logs', 'metrics', 'runs']) {
      await admin.indices.deleteIndexTemplate(
        { name: `${PREFIX}${kind}` },
        { ignore: [404] }
      );
    }
    for (const policy of ['policy', 'runs-policy']) {
      await admin.ilm.deleteLifecycle(
        { name: `${PREFIX}${policy}` },
        { ignore: [400, 404, 405] }
      );
    }
    await admin.close();
    await fsp.rm(embeddedDir, { recursive: true, force: true });
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
});
