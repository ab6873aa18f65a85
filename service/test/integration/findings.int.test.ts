/**
 * Queries across runs (threshold, first non-finite value, error counts,
 * warnings and errors grouped into templates) on
 * a real Elasticsearch and on the embedded store: the store contract
 * (test/store/contract.ts) holds on both, with the same answers. Needs
 * TFLOG_TEST_ES_URL.
 */
import { Client } from '@elastic/elasticsearch';

import { createLogger } from '../../src/common/logger';
import type { ElasticsearchStore } from '../../src/store/elasticsearch';
import type { EmbeddedStore } from '../../src/store/embedded';
import {
  expectFindingsMatch,
  expectProblemsMatch,
  expectProblemsSampled
} from '../store/contract';
import {
  openBothStores,
  removePrefixed,
  testEsUrl,
  testIndexPrefix,
  testStoreConfig,
  type IBothStores
} from './es-fixture';

const esUrl = testEsUrl();
const PREFIX = testIndexPrefix('findings');
const logger = createLogger('warn');
jest.setTimeout(120000);

describe('queries across runs on both stores', () => {
  const admin = new Client({ node: esUrl });
  let stores: IBothStores;
  let store: ElasticsearchStore;
  let embedded: EmbeddedStore;

  beforeAll(async () => {
    stores = await openBothStores(testStoreConfig(esUrl, PREFIX), logger);
    ({ store, embedded } = stores);
  });

  afterAll(async () => {
    await stores.close();
    await removePrefixed(admin, PREFIX);
    await admin.close();
  });

  it('answer the store contract on Elasticsearch', async () => {
    await expectFindingsMatch(store, 'findings', () =>
      admin.indices.refresh({ index: `${PREFIX}*` }).then(() => undefined)
    );
  });

  it('answer the store contract on the embedded store', async () => {
    await expectFindingsMatch(embedded, 'findings');
  });

  it('group warnings and errors alike on Elasticsearch and the embedded store', async () => {
    await expectProblemsMatch(store, 'problems', () =>
      admin.indices.refresh({ index: `${PREFIX}*` }).then(() => undefined)
    );
    await expectProblemsMatch(embedded, 'problems');
  });

  it('group only the newest records past the cap on both stores, and say so', async () => {
    await expectProblemsSampled(store, 'sampled', () =>
      admin.indices.refresh({ index: `${PREFIX}*` }).then(() => undefined)
    );
    await expectProblemsSampled(embedded, 'sampled');
  });

  it('refuse a cursor of another query on both stores', async () => {
    for (const candidate of [store, embedded]) {
      await expect(
        candidate.errorCounts({ user: 'x', size: 1, after: 'bm90LWpzb24' })
      ).rejects.toThrow(/cursor/);
    }
  });
});
