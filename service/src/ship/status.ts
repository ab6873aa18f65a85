/**
 * What the service reports about itself on /status: where it reads, which
 * store it writes to, how far behind it is, what went wrong last, and
 * counters since start. The API adds the store's own status (health,
 * version, degraded features) under `store`.
 */
import type {
  IServiceCounters,
  IServiceProblem,
  IShipperStatus,
  IStandbyStatus,
  ServiceState
} from '../wire';

export type {
  IServiceCounters,
  IShipperStatus,
  IStandbyStatus,
  ServiceState
} from '../wire';

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
    overwrittenStates: 0,
    spoolFilesDeleted: 0
  };
}

/** The mutable status every component reports into; snapshot() is what /status sends. */
export class StatusTracker {
  state: ServiceState = 'starting';
  readonly counters = emptyCounters();
  storeInUse: IShipperStatus['storeInUse'] = null;
  backlog = { bytes: 0, files: 0 };
  configErrors: string[] = [];
  configWarnings: string[] = [];
  private lastError: IServiceProblem | null = null;
  private standbyReason: IStandbyStatus | null = null;
  private lastRejection: IServiceProblem | null = null;
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

  snapshot(): IShipperStatus {
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
