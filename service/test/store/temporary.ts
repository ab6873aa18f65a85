/** An embedded store in a fresh temporary directory, for tests. */
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { EmbeddedStore } from '../../src/store/embedded';
import { memoryLogger } from '../ship/fakes';

export interface ITemporaryStore {
  store: EmbeddedStore;
  dir: string;
  /** Closes the store and removes its directory. */
  dispose(): Promise<void>;
}

export async function temporaryEmbeddedStore(
  name: string
): Promise<ITemporaryStore> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `tflog-${name}-`));
  const store = new EmbeddedStore({
    dir,
    retentionDays: 0,
    logger: memoryLogger().logger
  });
  await store.init();
  return {
    store,
    dir,
    dispose: async () => {
      await store.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  };
}
