/**
 * The storage contract: Elasticsearch and the embedded local store both
 * implement it, so the shipper and the query API never know which is in use.
 */
import type { IMetricPoint } from '../types';
import type {
  ICompareResponse,
  IErrorCountPage,
  ILogPage,
  IMetricHitPage,
  INonfinitePage,
  IProblemsAnswer,
  IRunPage,
  IRunSummary,
  ISeries,
  IStoreStatus,
  ITflogDocument,
  LogOrder,
  RunStatus,
  SortOrder,
  SeriesAxis,
  SeriesScope,
  ThresholdOperator
} from '../wire';

export type {
  ICompareResponse,
  ThresholdOperator,
  IErrorCountPage,
  IMetricHitPage,
  INonfinitePage,
  IProblemsAnswer,
  ILogPage,
  IRunPage,
  ISeries,
  ISeriesPoint,
  IStoreStatus,
  SeriesAxis,
  SeriesScope
} from '../wire';

/** One batch handed to a store: everything parsed from a span of spool records. */
export interface IWriteBatch {
  documents: ITflogDocument[];
  points: IMetricPoint[];
  /** Summaries to upsert (the shipper folds events into them). */
  runs: IRunSummary[];
  /**
   * Version of each summary in `runs`, by run id: the last spool `seq` folded
   * into it. A store never replaces a summary with one of a lower or equal
   * version, so a replay after a crash cannot roll a summary back.
   */
  runVersions?: Record<string, number>;
}

/** The items of a batch: events, metric points and run summaries. */
export function batchItemCount(batch: IWriteBatch): number {
  return batch.documents.length + batch.points.length + batch.runs.length;
}

/** Which part of a batch an item came from. */
export type WriteItemKind = 'document' | 'point' | 'run';

/** One item of a batch, named for retries and rejections. */
export interface IWriteItemRef {
  kind: WriteItemKind;
  id: string;
}

/** Outcome of a write: the store either took everything or says why not. */
export interface IWriteResult {
  /** Items newly stored. */
  created: number;
  /** Items that were already stored (same `_id`): a replay, not an error. */
  duplicates: number;
  /** Items the store refused for good (mapping errors…), with reasons. */
  rejected: { id: string; reason: string; kind?: WriteItemKind }[];
  /**
   * Items the store could not take now (per-item 429 or 5xx): send these,
   * and only these, again after a pause. Absent when there are none.
   */
  retry?: (IWriteItemRef & { reason: string; statusCode?: number })[];
}

/**
 * A failure worth retrying later (store down, 429, 5xx). Anything else a
 * store throws is a bug or a configuration error.
 */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly retryAfterMs?: number
  ) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** What the query names is not in the store (maps to HTTP 404). */
export class StoreNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreNotFoundError';
  }
}

/** A request the store refuses as invalid (maps to HTTP 400). */
export class StoreQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreQueryError';
  }
}

/** A run list's sort key without its order (`GET /runs?sort=`). */
export type RunSortKey =
  | { by: 'started' | 'duration' | 'updated' | 'name' | 'health' }
  | { by: 'last' | 'min' | 'max'; metric: string };

/** The sort of a run list: started, newest first, unless asked otherwise. */
export interface IRunSort {
  key: RunSortKey;
  order: SortOrder;
}

export interface IRunQuery {
  /**
   * Runs of any of these notebooks, each path exact: the paths a notebook's
   * runs may be stored under (see common/notebookPath.ts).
   */
  notebooks?: string[];
  user?: string;
  status?: RunStatus[];
  /** Tag filters, all must match. */
  tags?: Record<string, string>;
  /** Runs started at or after / before these ISO times. */
  from?: string;
  to?: string;
  /** Free text over run name, notebook and tags. */
  text?: string;
  /**
   * Hyperparameter filters, all must match: a value that is a number
   * matches the same number however written (`0.001` and `1e-3`), any
   * other value the same text.
   */
  hparams?: Record<string, string>;
  /** Started, newest first, when absent. */
  sort?: IRunSort;
  size: number;
  /** Opaque cursor from a previous page (of the same sort). */
  after?: string;
}

export interface ISeriesQuery {
  runId: string;
  /** Metric names; all when absent. */
  names?: string[];
  axis: SeriesAxis;
  scope?: SeriesScope;
  /** Points drawn at most, per metric; thinned keeping min/max/last per bucket. */
  maxPoints: number;
  /** Only points after this x (for live updates): a step, epoch or ISO time. */
  after?: number | string;
  /**
   * Only points with x from `from` to `to`, both included (a zoomed range);
   * `maxPoints` then thins that range only.
   */
  from?: number | string;
  to?: number | string;
}

export interface ILogQuery {
  runId: string;
  levels?: string[];
  kinds?: string[];
  text?: string;
  size: number;
  /** Cursor from a previous page (ordering by sequence). */
  after?: string;
  order: LogOrder;
  /**
   * An ISO time: the `size` lines nearest to it, half before it and half
   * from it, oldest first (`order` and `after` do not apply).
   */
  at?: string;
}

/** One metric of a few runs at once (`GET /compare`). */
export interface ICompareQuery {
  /** Only this user's runs are read; the others answer as missing. */
  user: string;
  /** Distinct run ids, in the order answered (MAX_COMPARED_RUNS at most). */
  runIds: string[];
  /** The metric wanted; the first of the runs' metrics when absent or none has it. */
  metric?: string;
  axis: SeriesAxis;
  /** Points per run at most, thinned as `series` thins. */
  maxPoints: number;
}

/** Log lines across the user's runs (`GET /logs`), newest first. */
export interface ILogSearchQuery {
  /** Only lines of this user's runs. */
  user: string;
  levels?: string[];
  kinds?: string[];
  text?: string;
  runIds?: string[];
  /** Paths the notebooks' runs may be stored under (see IRunQuery). */
  notebooks?: string[];
  /** Lines at or after / before these ISO times. */
  from?: string;
  to?: string;
  size: number;
  after?: string;
}

/** Metric values past a threshold (`GET /points`), oldest first. */
export interface IThresholdQuery {
  /** Only points of this user's runs. */
  user: string;
  metric: string;
  /** Bounds on the value; every one given must hold, at least one is. */
  bounds: Partial<Record<ThresholdOperator, number>>;
  /** Points at or after / before these ISO times. */
  from?: string;
  to?: string;
  runIds?: string[];
  /** Paths the notebooks' runs may be stored under (see IRunQuery). */
  notebooks?: string[];
  scope?: SeriesScope;
  size: number;
  after?: string;
}

/** The first non-finite value of each run (`GET /nonfinite`). */
export interface INonfiniteQuery {
  user: string;
  /** Only values of this metric. */
  metric?: string;
  from?: string;
  to?: string;
  notebooks?: string[];
  size: number;
  after?: string;
}

/** Runs with errors or warnings, most errors first (`GET /errors`). */
export interface IErrorCountQuery {
  user: string;
  /** Runs started at or after / before these ISO times. */
  from?: string;
  to?: string;
  notebooks?: string[];
  size: number;
  after?: string;
}

/** Most WARNING+ events `GET /problems` groups (the newest when there are more). */
export const PROBLEM_EVENTS_CAP = 10000;

/**
 * Matches a log search across runs counts at most (its `total`), as
 * Elasticsearch's default `track_total_hits`: counting every line of a
 * common word costs more than the page itself.
 */
export const LOG_SEARCH_TOTAL_CAP = 10_000;

export type ProblemLevel = 'warning' | 'error';

/** The stored `log.level` values a level of `GET /problems` stands for. */
export function storedLevels(levels: ProblemLevel[]): string[] {
  const stored: string[] = [];
  for (const level of levels) {
    stored.push(
      ...(level === 'warning' ? ['warning'] : ['error', 'critical', 'fatal'])
    );
  }
  return [...new Set(stored)];
}

/** WARNING and above across the user's runs, grouped (`GET /problems`). */
export interface IProblemQuery {
  user: string;
  /** Events at or after / before these ISO times. */
  from?: string;
  to?: string;
  notebooks?: string[];
  /** Levels asked for: `error` also reads critical and fatal records. */
  levels: ProblemLevel[];
  /** Templates answered at most. */
  size: number;
}

/**
 * Who owns each run id on a hub: the first user to send anything for it.
 * Kept by the store so that every hub service process agrees.
 */
export interface IRunOwnerStore {
  /**
   * Claims each run id for `user` unless someone claimed it before, and
   * answers the owner of each (the user, or whoever had it).
   */
  claimRuns(user: string, runIds: string[]): Promise<Map<string, string>>;
}

export interface IStore {
  /** Prepare templates/indices or directories; safe to call repeatedly. */
  init(): Promise<void>;
  write(batch: IWriteBatch): Promise<IWriteResult>;
  getRun(runId: string): Promise<IRunSummary | null>;
  searchRuns(query: IRunQuery): Promise<IRunPage>;
  series(query: ISeriesQuery): Promise<ISeries[]>;
  logs(query: ILogQuery): Promise<ILogPage>;
  status(): Promise<IStoreStatus>;
  close(): Promise<void>;
  /**
   * A store that can lose everything while the spool stays (a database
   * file replaced by a fresh one) names itself: when the name changes, the
   * registry is dropped and the spool read again. Known after init().
   */
  storeId?(): string | undefined;
  /** Queries across runs; a store without them answers 501 through the API. */
  thresholdPoints?(query: IThresholdQuery): Promise<IMetricHitPage>;
  nonfiniteRuns?(query: INonfiniteQuery): Promise<INonfinitePage>;
  errorCounts?(query: IErrorCountQuery): Promise<IErrorCountPage>;
  /** The newest PROBLEM_EVENTS_CAP matching events, grouped into templates. */
  problems?(query: IProblemQuery): Promise<IProblemsAnswer>;
  /** Log lines across the user's runs, newest first. */
  searchLogs?(query: ILogSearchQuery): Promise<ILogPage>;
  /** One metric of a few runs, in as few reads as the store allows. */
  compare?(query: ICompareQuery): Promise<ICompareResponse>;
  /**
   * Which of these event or point ids are stored in any daily index (a
   * replay whose write time names another day than the first write's).
   */
  storedIds?(kind: 'documents' | 'points', ids: string[]): Promise<Set<string>>;
}
