/**
 * What the service reports about itself on /status: where it reads, which
 * store it writes to, how far behind it is, what went wrong last, and
 * counters since start. The API adds the store's own status (health,
 * version, degraded features) under `store`.
 */
import type { ILockOwner } from '../spool/lock';
import type { IStoreStatus } from '../store/store';

export type ServiceState =
  /** Setting up the store (templates, directories). */
  | 'starting'
  /** Tailing and shipping. */
  | 'running'
  /** The store refuses or cannot be reached: retrying with backoff. */
  | 'retrying'
  /** The configuration is invalid: nothing is shipped (see configErrors). */
  | 'config_error'
  /**
   * Another service holds the shipper lock of this state directory: this
   * one answers queries, ships nothing, and retries the lock (see standby).
   */
  | 'standby'
  | 'stopping';

export interface IServiceCounters {
  /** Spool lines read (valid or not). */
  recordsRead: number;
  /** Items the store newly stored: events, metric points and summary updates. */
  documentsStored: number;
  /** Items the store already had (a replay): not stored twice. */
  duplicates: number;
  /** Items the store refused for good (mapping errors), after any fallback. */
  rejected: number;
  /** Simplified stand-ins stored for rejected events (see docs/storage.md). */
  fallbackDocuments: number;
  /** Write attempts that failed and were retried. */
  retries: number;
  batches: number;
  /** Lines that were not a valid record: skipped, logged with file:line. */
  invalidLines: number;
  /** Lines with invalid UTF-8 (decoded with U+FFFD). */
  invalidUtf8Lines: number;
  /** Lines over the line cap, shipped with their text truncated. */
  truncatedLines: number;
  /** Records the parser failed on (shipped nothing for them, logged). */
  parseFailures: number;
  /**
   * Records that yielded more than a per-record cap allows: the excess is
   * stored as text, not as points or parsed events (logged with file:line).
   */
  cappedRecords: number;
  /** Ended, fully shipped spool files deleted after the grace period. */
  spoolFilesDeleted: number;
}

export interface IServiceError {
  message: string;
  /** ISO time. */
  at: string;
}

/** Why this service does not ship: another one holds the shipper lock. */
export interface IStandbyStatus {
  /** Says who ships instead, for people. */
  message: string;
  lockFile: string;
  /** The lock's owner; null when its file could not be parsed. */
  holder: ILockOwner | null;
}

export interface IServiceStatus {
  state: ServiceState;
  /** ISO time the service started. */
  startedAt: string;
  spoolDir: string;
  stateDir: string;
  /** The store in use: kind and location (URLs without credentials, or a directory). */
  storeInUse: { kind: IStoreStatus['kind']; location: string } | null;
  /** Spooled data not yet acknowledged by the store. */
  backlog: { bytes: number; files: number };
  lastError: IServiceError | null;
  /** Last item the store refused for good, with its reason. */
  lastRejection: IServiceError | null;
  counters: IServiceCounters;
  /** Invalid configuration values, each naming its variable. */
  configErrors: string[];
  configWarnings: string[];
  /** Set while the state is `standby`, else null. */
  standby: IStandbyStatus | null;
}

export function emptyCounters(): IServiceCounters {
  return {
    recordsRead: 0,
    documentsStored: 0,
    duplicates: 0,
    rejected: 0,
    fallbackDocuments: 0,
    retries: 0,
    batches: 0,
    invalidLines: 0,
    invalidUtf8Lines: 0,
    truncatedLines: 0,
    parseFailures: 0,
    cappedRecords: 0,
    spoolFilesDeleted: 0
  };
}

/** The mutable status every component reports into; snapshot() is what /status sends. */
export class StatusTracker {
  state: ServiceState = 'starting';
  readonly counters = emptyCounters();
  storeInUse: IServiceStatus['storeInUse'] = null;
  backlog = { bytes: 0, files: 0 };
  configErrors: string[] = [];
  configWarnings: string[] = [];
  private lastError: IServiceError | null = null;
  private standbyReason: IStandbyStatus | null = null;
  private lastRejection: IServiceError | null = null;
  private readonly startedAt: string;

  constructor(
    private readonly dirs: { spoolDir: string; stateDir: string },
    private readonly now: () => number = Date.now
  ) {
    this.startedAt = new Date(now()).toISOString();
  }

  recordError(message: string): void {
    this.lastError = { message, at: new Date(this.now()).toISOString() };
  }

  recordRejection(message: string): void {
    this.lastRejection = { message, at: new Date(this.now()).toISOString() };
  }

  get standby(): IStandbyStatus | null {
    return this.standbyReason;
  }

  /** Another service ships this spool: say so until leaveStandby(). */
  enterStandby(reason: IStandbyStatus): void {
    this.standbyReason = reason;
    if (this.state !== 'stopping') {
      this.state = 'standby';
    }
  }

  /** This service holds the shipper lock now and starts shipping. */
  leaveStandby(): void {
    this.standbyReason = null;
    if (this.state === 'standby') {
      this.state = 'starting';
    }
  }

  snapshot(): IServiceStatus {
    return {
      state: this.state,
      startedAt: this.startedAt,
      spoolDir: this.dirs.spoolDir,
      stateDir: this.dirs.stateDir,
      storeInUse: this.storeInUse,
      backlog: { ...this.backlog },
      lastError: this.lastError,
      lastRejection: this.lastRejection,
      counters: { ...this.counters },
      configErrors: this.configErrors.slice(),
      configWarnings: this.configWarnings.slice(),
      standby: this.standbyReason
    };
  }
}
