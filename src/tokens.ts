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
  IRunPage,
  IRunSummary,
  ISeriesResponse,
  IServiceStatus,
  RunStatus,
  SeriesAxis,
  SeriesScope
} from '../service/src/wire';

// --- Wire types: API v1 (service/src/wire.d.ts) -----------------------------

export type {
  AlertRule,
  ApiEvent,
  IAlert,
  IAlertThresholdsResponse,
  IApiErrorBody,
  IErrorInfo,
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
  MetricValue,
  NonFinite,
  RunStatus,
  SeriesAxis,
  SeriesScope,
  StoreKind
} from '../service/src/wire';

// --- The client --------------------------------------------------------------

/** Options of `ITflogClient.runs`; request.ts maps them to `RunsParams`. */
export interface IRunQuery {
  notebook?: string;
  status?: RunStatus[];
  size?: number;
  after?: string;
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
}

/** The tflog service's API v1, reached through Jupyter's server proxy. */
export interface ITflogClient {
  readonly serverSettings: ServerConnection.ISettings;
  status(): Promise<IServiceStatus>;
  runs(query?: IRunQuery): Promise<IRunPage>;
  run(runId: string): Promise<IRunSummary>;
  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse>;
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

export interface ITflogSettings {
  /** Follow new data as it arrives (event stream, else polling). */
  liveUpdates: boolean;
  /** Polling interval when the event stream is not available. */
  refreshIntervalMs: number;
  xAxis: SeriesAxis;
  /** Exponential moving average weight for display, 0 (raw) to 0.99. */
  smoothing: number;
  /** Metrics to chart, by base name or `*` pattern, in order; empty: all. */
  defaultMetrics: string[];
  /** Points per series asked of the service. */
  maxPoints: number;
}
