/**
 * Tokens, settings and client interfaces of the tflog frontend, and the
 * wire types of the service's query API v1 that the views need.
 *
 * The wire types are not copied here: they are defined once, for the
 * service and the frontend, in service/src/wire.d.ts (a declaration file:
 * types only, nothing of it reaches the bundle) and re-exported with
 * `export type`. A change to the API that the frontend does not follow
 * fails `tsc`. Declare no wire type here or elsewhere in src/ (a unit test
 * checks it); add it to wire.d.ts and re-export it.
 */
import type { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';

import type {
  IAlertThresholdsResponse,
  ICompareResponse,
  IErrorCountPage,
  ILogPage,
  IMetricHitPage,
  INonfinitePage,
  IProblemsAnswer,
  IRunPage,
  IRunSummary,
  ISeriesResponse,
  IServiceStatus,
  RunSort,
  RunStatus,
  SeriesAxis,
  SeriesScope,
  SortOrder,
  ThresholdOperator
} from '../service/src/wire';

// --- Wire types: API v1 (service/src/wire.d.ts) -----------------------------

export type {
  AlertRule,
  ApiEvent,
  IAlert,
  IAlertThresholdsResponse,
  IApiErrorBody,
  ICompareResponse,
  ICompareRun,
  IErrorCountPage,
  IErrorInfo,
  ILogPage,
  ILogTemplate,
  IMetricHit,
  IMetricHitPage,
  INonfinitePage,
  INonfiniteRun,
  IProblemsAnswer,
  IRankedSeries,
  IRunErrorCount,
  IRunEvent,
  IRunPage,
  IRunSummary,
  ISeries,
  ISeriesPoint,
  ISeriesResponse,
  IServiceProblem,
  IServiceStatus,
  IStoreNoAnswer,
  IStoreStatus,
  ITflogDocument,
  MetricValue,
  NonFinite,
  RunSort,
  RunStatus,
  SeriesAxis,
  SeriesScope,
  SortOrder,
  StoreKind,
  ThresholdOperator
} from '../service/src/wire';

// --- The client --------------------------------------------------------------

/** Options of `ITflogClient.runs`; request.ts maps them to `RunsParams`. */
export interface IRunQuery {
  notebook?: string;
  status?: RunStatus[];
  /** `key` → `value`, all must match. */
  tags?: Record<string, string>;
  hparams?: Record<string, string>;
  /** ISO times: runs started at or after `from`, before `to`. */
  from?: string;
  to?: string;
  /** Free text over run name, notebook and tags. */
  text?: string;
  sort?: RunSort;
  order?: SortOrder;
  size?: number;
  after?: string;
}

/** Options of `ITflogClient.logs`; request.ts maps them to `LogsParams`. */
export interface ILogQuery {
  levels?: string[];
  kinds?: string[];
  text?: string;
  size?: number;
  after?: string;
  order?: SortOrder;
  /** ISO time: the lines around it (see `LogsParams.at`). */
  at?: string;
}

/** Options of `ITflogClient.searchLogs` (`GET /logs`, across runs). */
export interface ILogSearchQuery {
  levels?: string[];
  kinds?: string[];
  text?: string;
  runIds?: string[];
  notebook?: string;
  from?: string;
  to?: string;
  size?: number;
  after?: string;
}

/** Options of `ITflogClient.points` (`GET /points`). */
export interface IPointsQuery {
  metric: string;
  operator: ThresholdOperator;
  value: number;
  from?: string;
  to?: string;
  runId?: string;
  notebook?: string;
  scope?: SeriesScope;
  size?: number;
  after?: string;
}

/** Options of `ITflogClient.nonfinite` and `ITflogClient.errorCounts`. */
export interface ICrossRunQuery {
  from?: string;
  to?: string;
  notebook?: string;
  /** `nonfinite` only: one metric. */
  metric?: string;
  size?: number;
  after?: string;
}

/** Options of `ITflogClient.problems`; request.ts maps them to `ProblemsParams`. */
export interface IProblemsQuery {
  from?: string;
  to?: string;
  notebook?: string;
  /** `warning`, `error` or both (the default). */
  levels?: ('warning' | 'error')[];
  /** Templates at most, 1..200. */
  size?: number;
}

/** Options of `ITflogClient.series`; request.ts maps them to `SeriesParams`. */
export interface ISeriesQuery {
  axis: SeriesAxis;
  /** Points per series at most; the service thins longer series. */
  maxPoints: number;
  /** Only points after this x: a number for step/epoch, an ISO time for time. */
  after?: number | string;
  names?: string[];
  scope?: SeriesScope;
  /** Only points with x in [from, to] (zoom): numbers, or ISO times on the time axis. */
  from?: number | string;
  to?: number | string;
}

/** Options of `ITflogClient.compare`; request.ts maps them to `CompareParams`. */
export interface ICompareQuery {
  /** 1 to 20 run ids; the answer keeps their order. */
  runIds: readonly string[];
  /** The metric wanted; the service takes the runs' first when absent or none has it. */
  metric?: string;
  axis: SeriesAxis;
  /** Points per run at most; the service thins longer series. */
  maxPoints: number;
}

/** The tflog service's API v1, reached through Jupyter's server proxy. */
export interface ITflogClient {
  readonly serverSettings: ServerConnection.ISettings;
  status(): Promise<IServiceStatus>;
  runs(query?: IRunQuery): Promise<IRunPage>;
  run(runId: string): Promise<IRunSummary>;
  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse>;
  /** One metric of up to 20 runs in one request (`GET /compare`). */
  compare(query: ICompareQuery): Promise<ICompareResponse>;
  /** A run's stored events (log lines), oldest first by default. */
  logs(runId: string, query?: ILogQuery): Promise<ILogPage>;
  /** Log lines across the user's runs, newest first. */
  searchLogs(query?: ILogSearchQuery): Promise<ILogPage>;
  /** Metric values past a threshold, across runs. */
  points(query: IPointsQuery): Promise<IMetricHitPage>;
  /** Runs that produced a non-finite value, and where first. */
  nonfinite(query?: ICrossRunQuery): Promise<INonfinitePage>;
  /** Error and warning counts per run. */
  errorCounts(query?: ICrossRunQuery): Promise<IErrorCountPage>;
  /** Warnings and errors across runs, grouped into message templates. */
  problems(query?: IProblemsQuery): Promise<IProblemsAnswer>;
  /** Where the Server-Sent Events stream is (for EventSource). */
  eventsUrl(): string;
  /** The alert thresholds in use, the admin's and the user's own. */
  alertThresholds(): Promise<IAlertThresholdsResponse>;
  /** The user's own alert thresholds over the admin's (`{}`: the admin's). */
  setAlertThresholds(
    override: Record<string, unknown>
  ): Promise<IAlertThresholdsResponse>;
}

export const ITflogClient = new Token<ITflogClient>(
  'tflog:client',
  "Requests to the tflog service's query API v1 through Jupyter's server proxy."
);

// --- Settings (schema/plugin.json) -------------------------------------------

/** The `xAxis` setting: an axis, or `auto` (see model/viewDefaults.ts). */
export type XAxisChoice = SeriesAxis | 'auto';

export interface ITflogSettings {
  /** Follow new data as it arrives (event stream, else polling). */
  liveUpdates: boolean;
  /** Polling interval when the event stream is not available. */
  refreshIntervalMs: number;
  /** The x axis; `auto`: epochs for runs with epoch-end values, else steps. */
  xAxis: XAxisChoice;
  /** Exponential moving average weight for display, 0 (raw) to 0.99. */
  smoothing: number;
  /** Draw the y axis on a log scale (non-positive values are not drawn). */
  logScale: boolean;
  /** Metrics to chart, by base name or `*` pattern, in order; empty: all. */
  defaultMetrics: string[];
  /** Points per series asked of the service. */
  maxPoints: number;
}
