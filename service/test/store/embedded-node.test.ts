/**
 * A Node.js without node:sqlite (older than 22.13) runs the service: the
 * embedded store says which node runs and which setting picks another.
 */
import { loadSqlite } from '../../src/store/embedded-db';
import { EmbeddedStore } from '../../src/store/embedded';
import { memoryLogger } from '../ship/fakes';

jest.mock('node:sqlite', () => {
  throw new Error('No such built-in module: node:sqlite');
});

describe('the embedded store on a Node.js without node:sqlite', () => {
  it('fails with the node in use, the versions needed and the setting to change', async () => {
    await expect(loadSqlite()).rejects.toThrow(
      new RegExp(
        `needs Node\\.js 22\\.13 or newer .*runs on Node\\.js ${process.version.replace(/\./g, '\\.')} \\(.*\\): set c\\.TflogService\\.node_executable \\(TFLOG_NODE\\)`
      )
    );
  });

  it('reports it in its status instead of crashing', async () => {
    const store = new EmbeddedStore({
      dir: '/nonexistent-tflog-test-dir/store',
      retentionDays: 0,
      logger: memoryLogger().logger,
      readOnly: true
    });
    await expect(store.init()).rejects.toThrow(/TFLOG_NODE/);
    const status = await store.status();
    expect(status.healthy).toBe(false);
    expect(status.error).toMatch(/needs Node\.js 22\.13 or newer/);
  });
});
