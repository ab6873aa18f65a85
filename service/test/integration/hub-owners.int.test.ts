/**
 * Run ownership on a hub against a real Elasticsearch: of two users
 * sending the same run id, only the first one's claim stands, however the
 * requests interleave. Needs TFLOG_TEST_ES_URL (scripts/test.sh sets it).
 */
import { Client } from '@elastic/elasticsearch';

import { createLogger } from '../../src/common/logger';
import { RunOwners } from '../../src/hub/owners';
import { ElasticsearchStore } from '../../src/store/elasticsearch';
import { runOwnersIndex } from '../../src/store/es-owners';
import { testEsUrl, testIndexPrefix, testStoreConfig } from './es-fixture';

const esUrl = testEsUrl();
const PREFIX = testIndexPrefix('owners');
jest.setTimeout(60000);

describe('run ownership in Elasticsearch', () => {
  const admin = new Client({ node: esUrl });
  const store = new ElasticsearchStore({
    config: testStoreConfig(esUrl, PREFIX),
    logger: createLogger('warn')
  });

  afterAll(async () => {
    await store.close();
    await admin.indices.delete({
      index: runOwnersIndex(PREFIX),
      ignore_unavailable: true
    });
    await admin.close();
  });

  it('gives a run id to the first user who sends it, and keeps it theirs', async () => {
    const owners = store.runOwners();
    expect(await owners.claimRuns('bob', ['run-b1', 'run-b2'])).toEqual(
      new Map([
        ['run-b1', 'bob'],
        ['run-b2', 'bob']
      ])
    );
    expect(await owners.claimRuns('alice', ['run-b1', 'run-a1'])).toEqual(
      new Map([
        ['run-b1', 'bob'],
        ['run-a1', 'alice']
      ])
    );
    // A fresh cache (another hub service process) asks the store and agrees.
    const other = new RunOwners(store.runOwners());
    expect((await other.claim('alice', ['run-b2'])).get('run-b2')).toBe('bob');
  });

  it('lets exactly one of two users racing for the same run ids win each', async () => {
    const ids = Array.from({ length: 50 }, (_, index) => `race-${index}`);
    const [fromAlice, fromBob] = await Promise.all([
      store.runOwners().claimRuns('alice', ids),
      store.runOwners().claimRuns('bob', [...ids].reverse())
    ]);
    for (const id of ids) {
      expect(['alice', 'bob']).toContain(fromAlice.get(id));
      expect(fromBob.get(id)).toBe(fromAlice.get(id));
    }
  });
});
