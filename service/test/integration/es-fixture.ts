/**
 * What the integration suites share: the Elasticsearch node they run
 * against, a store config under an index prefix of their own, both stores
 * opened side by side, and the removal of everything made under the prefix.
 */
import type { Client } from '@elastic/elasticsearch';
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import type { ILogger } from '../../src/common/logger';
import type { IElasticsearchConfig } from '../../src/config';
import { ElasticsearchStore } from '../../src/store/elasticsearch';
import { EmbeddedStore } from '../../src/store/embedded';

/** TFLOG_TEST_ES_URL, or an error that says how to set it. */
export function testEsUrl(): string {
  const url = process.env.TFLOG_TEST_ES_URL;
  if (!url) {
    throw new Error(
      'TFLOG_TEST_ES_URL is not set: run scripts/test.sh (it starts a real Elasticsearch node) or point TFLOG_TEST_ES_URL at a cluster, e.g. TFLOG_TEST_ES_URL=http://127.0.0.1:9200'
    );
  }
  return url;
}

/** An index prefix no other suite or run shares. */
export function testIndexPrefix(suite: string): string {
  return `tflog-${suite}-${process.pid}-${Date.now().toString(36)}-`;
}

export function testStoreConfig(
  esUrl: string,
  indexPrefix: string
): IElasticsearchConfig {
  return {
    urls: [esUrl],
    verifyCerts: true,
    indexPrefix,
    requestTimeoutMs: 30000,
    retentionDays: 90,
    warmDays: 7,
    coldDays: 30
  };
}

/** Deletes the indices, index templates and lifecycle policies under a prefix. */
export async function removePrefixed(
  admin: Client,
  prefix: string
): Promise<void> {
  // Wildcard deletes are refused (action.destructive_requires_name): name each index.
  const indices = Object.keys(await admin.indices.get({ index: `${prefix}*` }));
  if (indices.length > 0) {
    await admin.indices.delete({ index: indices });
  }
  for (const kind of ['logs', 'metrics', 'runs']) {
    await admin.indices.deleteIndexTemplate(
      { name: `${prefix}${kind}` },
      { ignore: [404] }
    );
  }
  // A cluster without ILM answers 400 (no handler): nothing to delete there.
  for (const policy of ['policy', 'runs-policy']) {
    await admin.ilm.deleteLifecycle(
      { name: `${prefix}${policy}` },
      { ignore: [400, 404, 405] }
    );
  }
}

export interface IBothStores {
  store: ElasticsearchStore;
  embedded: EmbeddedStore;
  /** Closes both stores and removes the embedded store's directory. */
  close(): Promise<void>;
}

/** An Elasticsearch store and an embedded store in a fresh directory, both initialised. */
export async function openBothStores(
  config: IElasticsearchConfig,
  logger: ILogger
): Promise<IBothStores> {
  const store = new ElasticsearchStore({ config, logger });
  await store.init();
  const embeddedDir = await fsp.mkdtemp(
    path.join(os.tmpdir(), `${config.indexPrefix}embedded-`)
  );
  const embedded = new EmbeddedStore({
    dir: embeddedDir,
    retentionDays: 0,
    logger
  });
  await embedded.init();
  return {
    store,
    embedded,
    close: async () => {
      await store.close();
      await embedded.close();
      await fsp.rm(embeddedDir, { recursive: true, force: true });
    }
  };
}
