/**
 * What `tflog doctor` found, as plain data: the gathering layer
 * (gather.ts) fills these in, the checks (checks.ts) judge them. Tests
 * build them by hand.
 */

/** One HTTP answer, or why there was none. */
export type HttpAnswer =
  | { ok: true; status: number; body: unknown }
  | {
      ok: false;
      /** unreachable, tls, timeout, not_elasticsearch, other */
      kind: 'unreachable' | 'tls' | 'timeout' | 'not_elasticsearch' | 'other';
      message: string;
    };

export interface IVersioned {
  found: boolean;
  /** The tflog version written in it (templates and policies); undefined when it has none. */
  version?: number;
}

export interface IElasticsearchFacts {
  /** URLs without credentials. */
  location: string;
  prefix: string;
  /** Which credential is configured. */
  credential: 'api_key' | 'basic' | 'none';
  retentionDays: number;
  /** `hub`: the hub service's cluster (it also keeps run owners). */
  mode: 'single' | 'hub';
  /** GET / */
  info: HttpAnswer;
  /** GET _security/_authenticate; absent when not asked (no connection). */
  authenticate?: HttpAnswer;
  /** POST _security/user/_has_privileges; absent when security is off or not asked. */
  privileges?: HttpAnswer;
  /** GET _index_template/<name> per template name, or why they could not be read. */
  templates?: Record<string, IVersioned> | { error: string };
  /** GET _ilm/status */
  ilmStatus?: HttpAnswer;
  /** GET _ilm/policy/<name> per policy name (asked only where ILM answers). */
  policies?: Record<string, IVersioned> | { error: string };
  /** HEAD <index> for the runs index and (hub) the run-owners index. */
  indices?: Record<string, boolean> | { error: string };
}

export interface IDirectoryFacts {
  path: string;
  exists: boolean;
  isDirectory: boolean;
  /** Exists and this process may create files in it. */
  writable: boolean;
  /** Does not exist, but its nearest existing parent is writable. */
  creatable: boolean;
  /** Why it could not be looked at, when it could not. */
  error?: string;
}

export interface ISpoolFileFacts {
  name: string;
  size: number;
  ino: number;
}

export interface IRegistryEntryFacts {
  offset: number;
  ino?: number;
}

export type RegistryFacts =
  | { present: false }
  | { present: true; error: string }
  | {
      present: true;
      entries: Record<string, IRegistryEntryFacts>;
      /** Entries the service would ignore as damaged. */
      damagedEntries: number;
    };

export interface ILockOwnerFacts {
  pid: number;
  host: string;
  started: string;
}

export type LockFacts =
  | { present: false }
  | {
      present: true;
      owner: null;
      modifiedMs: number;
      /** Why the file could not be read, when it could not. */
      error?: string;
    }
  | {
      present: true;
      owner: ILockOwnerFacts;
      otherHost: boolean;
      /** On this host: whether the process still runs (a reused pid counts as gone). */
      alive: boolean;
    };

export interface ISpoolFacts {
  spoolDir: IDirectoryFacts;
  stateDir: IDirectoryFacts;
  /** The spool files (`*.ndjson`) and their sizes; null when the directory cannot be listed. */
  spoolFiles: ISpoolFileFacts[] | null;
  registry: RegistryFacts;
  registryPath: string;
  lock: LockFacts;
  lockPath: string;
}

export interface IEmbeddedFacts {
  nodeVersion: string;
  nodePath: string;
  /** node:sqlite loads in this Node.js; else why not. */
  sqlite: { available: true } | { available: false; error: string };
  storeDir: IDirectoryFacts;
  databasePath: string;
  /** The database file exists. */
  databaseExists: boolean;
  /** Bytes of the database and its write-ahead log. */
  sizeBytes: number;
  /** TFLOG_STORE_MAX_MB; 0: no limit. */
  maxMb: number;
  /** Opened read-only: its schema version and store id; or why it did not open. */
  opened?:
    | { ok: true; schemaVersion: number; storeId: string | null }
    | { ok: false; error: string };
  /** The schema version this tflog reads and writes. */
  expectedSchema: number;
  /** Text of a `.damaged` mark, when there is one. */
  damagedMark: string | null;
  /** Files set aside earlier (`tflog.sqlite.damaged-*`, `tflog.sqlite.newer-*`). */
  setAside: string[];
}

export interface IHubClientFacts {
  url: string;
  /** GET <url>/api/v1/status with the token. */
  status: HttpAnswer;
}

export interface IHubServiceFacts {
  apiUrl: string;
  /** GET <JUPYTERHUB_API_URL>/ */
  api: HttpAnswer;
}
