/**
 * Queries across runs (threshold, first non-finite value, error counts,
 * warnings and errors grouped into templates) on
 * a real Elasticsearch and on the embedded store: the store contract
 * (test/store/contract.ts) holds on both, with the same answers. Needs
 * TFLOG_TEST_ES_URL.
 */
import { Client } from '@elastic/elasticsearch';
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { createLogger } from '../../src/common/logger';
import { ElasticsearchStore } from '../../src/store/elasticsearch';
import { EmbeddedStore } from '../../src/store/embedded';
import {
  expectFindingsMatch,
  expectProblemsMatch,
  expectProblemsSampled
} from '../store/contract';

const ES_URL = process.env.TFLOG_TEST_ES_URL;
if (!ES_URL) {
  throw new Error(
    'TFLOG_TEST_ES_URL is not set: run scripts/test.sh (it starts a real Elasticsearch node) or point TFLOG_TEST_ES_URL at a cluster, e.g. TFLOG_TEST_ES_URL=http://127.0.0.1:9200'
  );
}
const esUrl: string = ES_URL;
const PREFIX = `tflog-findings-${process.pid}-${Date.now().toString(36)}-`;
const logger = createLogger('warn');
jest.setTimeout(120000);

describe('queries across runs on both stores', () => {
  const admin = new Client({ node: esUrl });
  let store: ElasticsearchStore;
  let embedded: EmbeddedStore;
  let embeddedDir: string;

  beforeAll(async () => {
    store = new ElasticsearchStore({
      config: {
        urls: [esUrl],
        verifyCerts: true,
        indexPrefix: PREFIX,
        requestTimeoutMs: 30000,
        retentionDays: 90,
        warmDays: 7,
        coldDays: 30
      },
      logger
    });
    await store.init();
    embeddedDir = await fsp.mkdtemp(
      path.join(os.tmpdir(), 'tflog-findings-embedded-')
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
