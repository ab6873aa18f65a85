/**
 * The registry (Filebeat's idea): per spool file, the byte offset up to
 * which the store has acknowledged every record, plus the run state needed
 * to parse the records after it. Saved atomically (a temp file of its own,
 * fsync, rename) after each acknowledged batch; on start, reading resumes there.
 */
import { randomBytes } from 'crypto';
import * as fsp from 'fs/promises';
import * as path from 'path';

import { describeError, type ILogger } from '../common/logger';
import { isFingerprint, type ISpoolFingerprint } from './fingerprint';
import { isErrorCode } from './tailer';

export const REGISTRY_FILE = 'registry.json';
const REGISTRY_VERSION = 1;

export interface IRegistryEntry<TState> {
  /** Bytes of the file whose records the store has acknowledged. */
  offset: number;
  /** Complete lines before `offset` (for file:line messages). */
  line: number;
  /** Inode of the file, to notice a replaced file. */
  ino?: number;
  /**
   * The line that ends at `offset`, to notice the file truncated and written
   * again in place (same inode, as long or longer). Absent at offset 0 and in
   * registries written before it existed: those files are checked by size.
   */
  fingerprint?: ISpoolFingerprint;
  /** Run state after the record that ends at `offset`. */
  state: TState | null;
  /** When the run's end record was acknowledged (ISO), else null. */
  endedAt: string | null;
  /** When this entry last changed (ISO). */
  updated: string;
}

interface IRegistryFile<TState> {
  version: number;
  /** The store the offsets were acknowledged by (IStore.storeId), if it names itself. */
  store?: string;
  files: Record<string, IRegistryEntry<TState>>;
}

export class Registry<TState> {
  private readonly entries = new Map<string, IRegistryEntry<TState>>();
  private readonly filePath: string;
  private saving: Promise<void> = Promise.resolve();
  /** The store the offsets were acknowledged by, when it names itself. */
  storeId: string | undefined;

  constructor(
    private readonly stateDir: string,
    private readonly logger: ILogger
  ) {
    this.filePath = path.join(stateDir, REGISTRY_FILE);
  }

  get path(): string {
    return this.filePath;
  }

  /** Reads the registry; a missing file is an empty registry, a damaged one is set aside. */
  async load(): Promise<void> {
    await fsp.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    let text: string;
    try {
      text = await fsp.readFile(this.filePath, 'utf8');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) {
        return;
      }
      throw new Error(`cannot read ${this.filePath}: ${describeError(error)}`);
    }
    try {
      const parsed = JSON.parse(text) as IRegistryFile<TState>;
      if (
        parsed.version !== REGISTRY_VERSION ||
        typeof parsed.files !== 'object'
      ) {
        throw new Error(`unknown registry version ${String(parsed.version)}`);
      }
      this.storeId =
        typeof parsed.store === 'string' ? parsed.store : undefined;
      for (const [name, entry] of Object.entries(parsed.files)) {
        if (isEntry(entry)) {
          this.entries.set(name, entry);
        } else {
          this.logger.warn(
            `${this.filePath}: ignoring a damaged entry for ${name}; it is read again from the start`
          );
        }
      }
    } catch (error) {
      const aside = `${this.filePath}.damaged-${Date.now()}`;
      await fsp.rename(this.filePath, aside);
      this.logger.error(
        `${this.filePath} is damaged (${describeError(error)}); moved to ${aside}. Spool files are read again from the start; records already stored are recognised by their ids`
      );
    }
  }

  get(name: string): IRegistryEntry<TState> | undefined {
    return this.entries.get(name);
  }

  set(name: string, entry: IRegistryEntry<TState>): void {
    this.entries.set(name, entry);
  }

  delete(name: string): void {
    this.entries.delete(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Forgets every position: the spool is read again from the start. */
  clear(): void {
    this.entries.clear();
  }

  /** Writes the registry atomically; concurrent calls are written in order. */
  save(): Promise<void> {
    const content: IRegistryFile<TState> = {
      version: REGISTRY_VERSION,
      files: Object.fromEntries(this.entries)
    };
    if (this.storeId !== undefined) {
      content.store = this.storeId;
    }
    const text = JSON.stringify(content);
    const next = this.saving.then(() => this.writeAtomically(text));
    this.saving = next.catch(() => undefined);
    return next;
  }

  private async writeAtomically(text: string): Promise<void> {
    // A name of its own: two services saving at once (a lock handover) would
    // otherwise write into one temporary file and rename a mix of both.
    const temporary = `${this.filePath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await fsp.open(temporary, 'wx', 0o600);
      try {
        await handle.write(text);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await fsp.rename(temporary, this.filePath);
    } catch (error) {
      // The caller reports the failure; only the leftover is ours to remove.
      await fsp.rm(temporary, { force: true }).catch((cleanup: unknown) => {
        this.logger.warn(
          `cannot remove ${temporary}: ${describeError(cleanup)}`
        );
      });
      throw error;
    }
    const dir = await fsp.open(this.stateDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

function isEntry(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const entry = value as Partial<IRegistryEntry<unknown>>;
  return (
    typeof entry.offset === 'number' &&
    entry.offset >= 0 &&
    typeof entry.line === 'number' &&
    entry.line >= 0 &&
    (entry.fingerprint === undefined || isFingerprint(entry.fingerprint))
  );
}
