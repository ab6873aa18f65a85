/**
 * Tokens, settings and the wire types of the tflog frontend.
 *
 * The wire types mirror the service's query API v1 (docs/api.md; the
 * service's own definitions are in service/src/types.ts,
 * service/src/store/store.ts and service/src/ship/status.ts, which are not
 * part of the frontend build). Within v1 the service may add fields but never
 * removes one or changes its meaning, so these copies only ever grow.
 */
import type { ServerConnection } from '@jupyterlab/services';
import { Token } from '@lumino/coreutils';

// --- Wire types: API v1 ------------------------------------------------------

/** A number that JSON cannot carry, spelt out. */
export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';

/** A metric value as stored: finite numbers stay numbers. */
export type MetricValue = number | NonFinite;

export type RunStatus =
  'running' | 'finished' | 'failed' | 'interrupted' | 'stopped';

export type SeriesAxis = 'step' | 'epoch' | 'time';

export type SeriesScope = 'epoch' | 'batch' | 'log';

export interface IErrorInfo {
  type: string;
  message: string;
  stack_trace?: string;
}

/** One run, as `GET /runs` and `GET /runs/{id}` answer it. */
export interface IRunSummary {
  run_id: string;
  name: string | null;
  status: RunStatus;
  notebook: string | null;
  kernel_id: string | null;
  user: string;
  host: string;
  tags: Record<string, string>;
  hparams: Record<string, string | number | boolean | null>;
  started: string;
  ended: string | null;
  updated: string;
  last_metrics: Record<string, MetricValue>;
  last_epoch: number | null;
  last_step: number | null;
  counts: { events: number; errors: number; warnings: number; nan: number };
  error: IErrorInfo | null;
  dropped: number;
}

export interface IRunPage {
  runs: IRunSummary[];
  total: number;
  next?: string;
}

export interface ISeriesPoint {
  /** Step, epoch or epoch-milliseconds, as the axis says. */
  x: number;
  /** Null when the value was not finite; `nonfinite` then says which. */
  y: number | null;
  nonfinite?: string;
  time: string;
}

export interface ISeries {
  name: string;
  scope: SeriesScope;
  /** 'callback' when exact, else the name of the parse pattern. */
  source: string;
  points: ISeriesPoint[];
  downsampled: boolean;
}

/** `GET /runs/{id}/series`. */
export interface ISeriesResponse {
  run: IRunSummary;
  series: ISeries[];
}

export type StoreKind = 'elasticsearch' | 'embedded' | 'hub';

/** The store's own report, under `store` in `/status`. */
export interface IStoreStatus {
  kind?: StoreKind;
  location?: string;
  healthy: boolean;
  version?: string;
  degraded?: string[];
  error?: string;
}

export interface IServiceProblem {
  message: string;
  at: string;
}

/** `GET /status`: the fields the panel reads. */
export interface IServiceStatus {
  apiVersion: number;
  version: string;
  user: string;
  configError: string | null;
  state: string;
  startedAt: string;
  storeInUse: { kind: StoreKind; location: string } | null;
  backlog: { files: number; bytes: number };
  lastError: IServiceProblem | null;
  lastRejection: IServiceProblem | null;
  configErrors: string[];
  configWarnings: string[];
  store: IStoreStatus | null;
}

/** Sent on the event stream when the service has stored new data of a run. */
export interface IRunEvent {
  type: 'run';
  run_id: string;
  updated: string;
  last_seq: number;
}

export type ApiEvent = { type: 'ready'; api_version: number } | IRunEvent;

/** The error body every failed API request carries. */
export interface IApiErrorBody {
  error: {
    status: number;
    message: string;
    reason: string;
    parameter?: string;
  };
}

// --- The client --------------------------------------------------------------

export interface IRunQuery {
  notebook?: string;
  status?: RunStatus[];
  size?: number;
  after?: string;
}

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
