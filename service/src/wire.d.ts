/**
 * The query API v1 on the wire: every JSON body the service answers, its
 * events and errors, and the query parameters by their wire names
 * (docs/api.md describes them for people).
 *
 * This is the one definition. The service's API layer, shipper and stores
 * build their answers from these types, and the JupyterLab frontend imports
 * them (`import type`, through src/tokens.ts), so a change here that either
 * side does not follow fails `tsc`.
 *
 * Types only: it is a declaration file, so it cannot hold runtime code and
 * adds none to the service bundle or the frontend bundle. Import it with
 * `import type` / `export type` only (esbuild and the labextension build
 * keep a plain `export { X } from` and would look for a module to load).
 * It imports nothing: every part of the service may use it.
 *
 * Within v1, fields and endpoints may be added but none is removed or
 * changes meaning. To add to it: a new value of a union (a series scope, a
 * run status) is one more member of the union; a new endpoint gets its own
 * section with its answer (`I…Response`) and its parameters (`…Params`).
 */

// --- Values ------------------------------------------------------------------

/** A number that JSON and Elasticsearch cannot carry, spelt out. */
export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';

/** A metric value: finite numbers stay numbers. */
export type MetricValue = number | NonFinite;

export type RunStatus =
  'running' | 'finished' | 'failed' | 'interrupted' | 'stopped';

/** A hyperparameter's value. */
export type HparamValue = string | number | boolean | null;

/** What the x of a series point is. */
export type SeriesAxis = 'step' | 'epoch' | 'time';

/**
 * Where a metric value came from: epoch ends, batches, or a log line; or
 * 'system', the kernel's system and GPU samples (`system.cpu_percent`,
 * `gpu0.power_w`…), which have no step or epoch: draw them against time.
 */
export type SeriesScope = 'epoch' | 'batch' | 'log' | 'system';

/** What a stored event is about (`kind` of `/logs`). */
export type EventKind =
  | 'log'
  | 'progress'
  | 'epoch'
  | 'step'
  | 'metrics'
  | 'nan'
  | 'warning'
  | 'error'
  | 'run_start'
  | 'run_end'
  | 'hparams'
  | 'loss'
  | 'alert';

/** Order of `/logs` lines by sequence. */
export type LogOrder = 'asc' | 'desc';

export interface IErrorInfo {
  type: string;
  message: string;
  stack_trace?: string;
  /**
   * A failed run's error only: the notebook cell it ran in, as the kernel
   * knew it. `cell_id` is the id JupyterLab sends with the execute request
   * (nbformat's cell id); `execution_count` is the cell's `In [n]`.
   */
  cell_id?: string;
  execution_count?: number;
}

// --- GET /api ----------------------------------------------------------------

export interface IVersionsResponse {
  name: 'tflog';
  version: string;
  api_versions: number[];
}

// --- GET /runs, GET /runs/{runId} --------------------------------------------

/** One run, as `GET /runs` and `GET /runs/{runId}` answer it. */
export interface IRunSummary {
  run_id: string;
  name: string | null;
  status: RunStatus;
  /** The notebook's path relative to the Jupyter server's root when inside it. */
  notebook: string | null;
  kernel_id: string | null;
  user: string;
  host: string;
  tags: Record<string, string>;
  hparams: Record<string, HparamValue>;
  started: string;
  ended: string | null;
  updated: string;
  last_metrics: Record<string, MetricValue>;
  last_epoch: number | null;
  last_step: number | null;
  counts: { events: number; errors: number; warnings: number; nan: number };
  error: IErrorInfo | null;
  /** Records the kernel reported it could not spool. */
  dropped: number;
  /** The run's health score and what it is made of (docs/alerts.md). */
  health?: IRunHealth;
  /**
   * The lowest and highest finite value seen per metric (epoch-end values
   * where the run has them, else every value). Absent in summaries stored
   * before they were kept.
   */
  min_metrics?: Record<string, number>;
  max_metrics?: Record<string, number>;
}

/** How a loss went, for the health score. */
export interface IRunHealthLoss {
  first: number;
  best: number;
  last: number;
  /**
   * Where the values came from: `exact` epoch ends (Keras callback,
   * `tflog.log`), epoch ends read from text, or running means and log lines
   * (`other`). Better sources replace worse ones.
   */
  from: 'exact' | 'epoch' | 'other';
}

/** A run's health: 0–100, its components (each 0–100) and the losses it came from. */
export interface IRunHealth {
  score: number;
  components: {
    outcome?: number;
    stability?: number;
    convergence?: number;
    final?: number;
    cleanliness?: number;
  };
  losses: { loss?: IRunHealthLoss; val_loss?: IRunHealthLoss };
}

/** `GET /runs`. */
export interface IRunPage {
  runs: IRunSummary[];
  total: number;
  /** Cursor for the next page (`after`), absent on the last one. */
  next?: string;
}

/**
 * Parameters of `GET /runs`, as sent in the query string (lists as repeats
 * or commas, see docs/api.md). Parameter types are object type aliases, not
 * interfaces, so that they fit a string record.
 */
export type RunsParams = {
  notebook?: string;
  user?: string;
  status?: string;
  tag?: string;
  /** `key:value`, repeatable, all must match; numbers compare as numbers. */
  hparam?: string;
  from?: string;
  to?: string;
  q?: string;
  /** A `RunSort`. */
  sort?: string;
  order?: SortOrder;
  size?: string;
  after?: string;
};

/**
 * What `GET /runs` sorts by: start time (the default), duration (a running
 * run's so far), last update, name, health score, or a metric's last,
 * lowest or highest value (`last:val_loss`). Runs without the value come last
 * in either order.
 */
export type RunSort =
  | 'started'
  | 'duration'
  | 'updated'
  | 'name'
  | 'health'
  | `last:${string}`
  | `min:${string}`
  | `max:${string}`;

export type SortOrder = 'asc' | 'desc';

// --- GET /runs/{runId}/series ------------------------------------------------

export interface ISeriesPoint {
  /** Step, epoch or epoch-milliseconds, as the axis says. */
  x: number;
  /** Null when the value was not finite; `nonfinite` then says which. */
  y: number | null;
  nonfinite?: NonFinite;
  time: string;
}

export interface ISeries {
  name: string;
  scope: SeriesScope;
  /** 'callback' when exact, 'system' for system samples, else the name of the parse pattern. */
  source: string;
  points: ISeriesPoint[];
  /** True when the series was thinned to fit `max_points`. */
  downsampled: boolean;
}

/** A series as `GET /runs/{runId}/series` serves it. */
export interface IRankedSeries extends ISeries {
  /**
   * How well the series draws its metric on the requested axis (higher is
   * better: exact callback values first, then the axis' preferred scope).
   * A chart draws the highest ranked series of each name.
   */
  rank: number;
}

/** `GET /runs/{runId}/series`. */
export interface ISeriesResponse {
  run: IRunSummary;
  series: IRankedSeries[];
}

/** Parameters of `GET /runs/{runId}/series`, as sent in the query string. */
export type SeriesParams = {
  names?: string;
  axis?: SeriesAxis;
  scope?: SeriesScope;
  max_points?: string;
  after?: string;
  /**
   * Only points with x from `from` to `to`, both included (a zoomed range):
   * numbers for `step`/`epoch`, ISO times for `time`. `max_points` then
   * thins that range only, so zooming in gives finer detail.
   */
  from?: string;
  to?: string;
};

// --- GET /compare ------------------------------------------------------------

/** One run of `GET /compare`, in the order the runs were asked for. */
export interface ICompareRun {
  run_id: string;
  /** Null when the user has no such run (another user's run included). */
  run: IRunSummary | null;
  /** The metrics the run has points of on the axis: `loss` first, then `val_loss`, then by name. */
  metrics: string[];
  /**
   * The run's series of the answer's `metric` that a chart draws (exact
   * callback values first, then the axis' preferred scope); null when the
   * run has none.
   */
  series: ISeries | null;
}

/** `GET /compare`: one metric of up to 20 runs in one request. */
export interface ICompareResponse {
  /**
   * The metric the series are of: the one asked for when a run has it,
   * else the first of all the runs' metrics; null when they have none.
   */
  metric: string | null;
  runs: ICompareRun[];
}

/** Parameters of `GET /compare`, as sent in the query string. */
export type CompareParams = {
  /** Run ids, comma-separated, 1 to 20. */
  runs: string;
  metric?: string;
  axis?: SeriesAxis;
  max_points?: string;
};

// --- GET /runs/{runId}/logs --------------------------------------------------

/** The training namespace of a stored event: everything not in ECS. */
export interface ITflogFields {
  run_id: string;
  run_name: string | null;
  notebook: string | null;
  kernel_id: string | null;
  /** Where the event came from. */
  source: 'logging' | 'stdout' | 'stderr' | 'callback' | 'tflog';
  kind: EventKind;
  /** Name of the parse pattern that matched, when one did. */
  pattern?: string;
  epoch?: number;
  epochs_total?: number;
  step?: number;
  steps_total?: number;
  /** Finite metric values (mapped as `flattened` for search and display). */
  metrics?: Record<string, number>;
  /** Metrics whose value was NaN or infinite, spelt out. */
  nonfinite?: Record<string, NonFinite>;
  hparams?: Record<string, HparamValue>;
  status?: RunStatus;
  /** Raw text before terminal normalisation (stream events only). */
  raw?: string;
  partial?: boolean;
  /**
   * Position among the events of its record, where the id does not carry
   * it (an alert's id names its condition, not its record).
   */
  part?: number;
  /** What an alert event (kind `alert`) is about. */
  alert?: { rule: AlertRule; metric: string | null };
}

/**
 * One stored event, ECS-shaped (docs/formats.md): a line of `GET /logs`.
 * `_id` is deterministic, so a replay never duplicates it.
 */
export interface ITflogDocument {
  _id: string;
  '@timestamp': string;
  message: string;
  log: { level: string; logger?: string };
  event: {
    dataset: string;
    sequence: number;
    kind: 'event' | 'metric';
    /**
     * When the kernel wrote the record (its `ts`), ISO; `@timestamp` may be a
     * time printed in the text. The daily index is chosen by this one.
     */
    created?: string;
  };
  error?: IErrorInfo;
  user: { name: string };
  host: { name: string };
  process: { pid: number };
  service: { name: 'tflog' };
  ecs: { version: string };
  labels: Record<string, string>;
  tflog: ITflogFields;
}

/** `GET /runs/{runId}/logs`. */
export interface ILogPage {
  lines: ITflogDocument[];
  total: number;
  next?: string;
}

/** Parameters of `GET /runs/{runId}/logs`, as sent in the query string. */
export type LogsParams = {
  level?: string;
  kind?: string;
  q?: string;
  size?: string;
  after?: string;
  order?: LogOrder;
  /**
   * An ISO time: the `size` lines nearest to it, half before and half from
   * it, oldest first (the lines around a point of a curve). Not with `after`.
   */
  at?: string;
};

/**
 * Parameters of `GET /logs`: log lines across the current user's runs,
 * newest first, with the same `level`, `kind`, `q`, `size`, `after` as a
 * run's logs.
 */
export type LogSearchParams = {
  level?: string;
  kind?: string;
  q?: string;
  /** Run ids, repeatable (≤ 100). */
  run?: string;
  notebook?: string;
  from?: string;
  to?: string;
  size?: string;
  after?: string;
};

// --- GET /status -------------------------------------------------------------

export type StoreKind = 'elasticsearch' | 'embedded' | 'hub';

/** The store's own report. */
export interface IStoreStatus {
  kind: StoreKind;
  /** Cluster URL(s) without credentials, or a directory. */
  location: string;
  healthy: boolean;
  version?: string;
  /** Features this store lacks (e.g. ILM on a cluster without x-pack), with why. */
  degraded: string[];
  /** Why the store is not healthy, when it is not. */
  error?: string;
}

/** In place of the store's report when it did not answer within 5 s, or failed. */
export interface IStoreNoAnswer {
  healthy: false;
  error: string;
  kind?: undefined;
  location?: undefined;
  version?: undefined;
  degraded?: undefined;
}

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
  /**
   * In-place progress-bar states (lines ended by '\r') that a later line of
   * their stream overwrote in the same batch: stored as their metric points
   * only, as the notebook keeps only the last.
   */
  overwrittenStates: number;
  /** Ended, fully shipped spool files deleted after the grace period. */
  spoolFilesDeleted: number;
}

export interface IServiceProblem {
  message: string;
  /** ISO time. */
  at: string;
}

/** Who holds a shipper lock. */
export interface ILockOwner {
  pid: number;
  host: string;
  /** When the owner took the lock (ISO). */
  started: string;
  /** Linux: the kernel's boot id, to recognise a lock left before a reboot. */
  bootId?: string;
  /** Linux: the owner's start time in ticks since boot, to recognise a reused pid. */
  processStart?: string;
}

/** Why this service does not ship: another one holds the shipper lock. */
export interface IStandbyStatus {
  /** Says who ships instead, for people. */
  message: string;
  lockFile: string;
  /** The lock's owner; null when its file could not be parsed. */
  holder: ILockOwner | null;
}

/** The shipper's report: the fields of `/status` from `state` to `standby`. */
export interface IShipperStatus {
  state: ServiceState;
  /** ISO time the service started. */
  startedAt: string;
  spoolDir: string;
  stateDir: string;
  /** The store in use: kind and location (URLs without credentials, or a directory). */
  storeInUse: { kind: StoreKind; location: string } | null;
  /** Spooled data not yet acknowledged by the store. */
  backlog: { bytes: number; files: number };
  lastError: IServiceProblem | null;
  /** Last item the store refused for good, with its reason. */
  lastRejection: IServiceProblem | null;
  counters: IServiceCounters;
  /** Invalid configuration values, each naming its variable. */
  configErrors: string[];
  configWarnings: string[];
  /** Set while the state is `standby`, else null. */
  standby: IStandbyStatus | null;
}

export interface IEventCounters {
  clients: number;
  sent: number;
  dropped: number;
  /** Streams refused because the most allowed were open. */
  refused: number;
}

export interface IApiCounters {
  requests: number;
  clientErrors: number;
  serverErrors: number;
  events: IEventCounters;
}

/** `GET /status`. */
export interface IServiceStatus extends IShipperStatus {
  apiVersion: number;
  version: string;
  /** The user this service answers for. */
  user: string;
  /** Why data endpoints answer `503 not_configured`, or null. */
  configError: string | null;
  /** Null when no store is set up. */
  store: IStoreStatus | IStoreNoAnswer | null;
  api: IApiCounters;
}

// --- POST /flush -------------------------------------------------------------

export interface IFlushResponse {
  flushed: true;
}

// --- GET /events (Server-Sent Events) ----------------------------------------

/**
 * What a `run` event says about a run whose new data the service has sealed
 * into a batch: its series and run answers serve that batch from then on.
 */
export interface IRunUpdate {
  run_id: string;
  /** The run summary's `updated` time (ISO). */
  updated: string;
  /** The run's status after this batch: its end shows here at once. */
  status: RunStatus;
  /** Highest spool sequence number in that batch. */
  last_seq: number;
}

/** The first event of every stream. */
export interface IReadyEvent {
  type: 'ready';
  api_version: number;
}

/** Sent when the service has stored new data of a run. */
export interface IRunEvent extends IRunUpdate {
  type: 'run';
}

/** Sent at once when a rule finds something wrong in a live run. */
export interface IAlertEvent {
  type: 'alert';
  alert: IAlert;
}

export type ApiEvent = IReadyEvent | IRunEvent | IAlertEvent;

// --- Alerts ------------------------------------------------------------------

/** What an alert found (docs/alerts.md). */
export type AlertRule =
  'nonfinite' | 'divergence' | 'plateau' | 'stall' | 'burst' | 'grad_norm';

/** The alert rules' thresholds (docs/alerts.md). */
export interface IAlertThresholds {
  /** Rules that run; a rule left out never fires. */
  enabled: AlertRule[];
  /** A loss above `factor` × the lowest of its last `window` values. */
  divergence: { factor: number; window: number; min_points: number };
  /** No improvement of `min_delta` (relative) in the watched loss for `epochs` epochs. */
  plateau: { epochs: number; min_delta: number };
  /** No record for `minutes` while the run is still running. */
  stall: { minutes: number };
  /** At least `records` ERROR/WARNING records within `seconds`. */
  burst: { records: number; seconds: number };
  /** A gradient norm above `max`. */
  grad_norm: { max: number };
}

/** `GET` and `PUT /api/v1/alerts/thresholds`. */
export interface IAlertThresholdsResponse {
  /** The admin's thresholds (TFLOG_ALERTS over the defaults). */
  admin: IAlertThresholds;
  /** What the user set over them (`PUT`'s body), or null. */
  user: Record<string, unknown> | null;
  /** What the rules use: the user's over the admin's. */
  effective: IAlertThresholds;
}

/** One alert: on the event stream, and stored as an event of kind `alert`. */
export interface IAlert {
  /** Deterministic: the same condition in the same run has the same id. */
  alert_id: string;
  rule: AlertRule;
  run_id: string;
  run_name: string | null;
  notebook: string | null;
  /** The kernel the run is in, so that the panel can interrupt it. */
  kernel_id: string | null;
  user: string;
  /** The metric it is about, when it is about one. */
  metric: string | null;
  /** The value that raised it (for a burst: how many records). */
  value: MetricValue | null;
  step: number | null;
  epoch: number | null;
  /** When the record that raised it was written (ISO). */
  '@timestamp': string;
  /** One English sentence for logs and webhooks; the panel words its own. */
  message: string;
}

// --- Errors ------------------------------------------------------------------

/** Machine-readable cause of an error, stable across versions of API v1. */
export type ErrorReason =
  | 'invalid_parameter'
  | 'invalid_query'
  | 'xsrf'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'not_acceptable'
  | 'not_implemented'
  | 'not_configured'
  | 'store_unavailable'
  | 'too_many_streams'
  | 'unauthorized'
  | 'hub_unavailable'
  | 'over_quota'
  | 'invalid_body'
  | 'too_large'
  | 'internal';

/** The body of every failed request. */
export interface IApiErrorBody {
  error: {
    status: number;
    message: string;
    reason: ErrorReason;
    /** The query or path parameter at fault. */
    parameter?: string;
    /** Correlates a 500 with the line the service logged about it. */
    id?: string;
  };
}

// --- GET /points, /nonfinite, /errors (queries across runs) ------------------

/** A comparison of `GET /points`: the value must be above/below the number. */
export type ThresholdOperator = 'gt' | 'gte' | 'lt' | 'lte';

/** Parameters of `GET /points`. */
export type PointsParams = {
  metric?: string;
  gt?: string;
  gte?: string;
  lt?: string;
  lte?: string;
  from?: string;
  to?: string;
  run?: string;
  notebook?: string;
  scope?: string;
  size?: string;
  after?: string;
};

/** One stored metric value that matched a threshold. */
export interface IMetricHit {
  run_id: string;
  /** The run's name; null when its summary is not stored. */
  run_name: string | null;
  notebook: string | null;
  metric: string;
  scope: SeriesScope;
  value: number;
  step: number | null;
  epoch: number | null;
  time: string;
}

/** `GET /points`: oldest first. */
export interface IMetricHitPage {
  points: IMetricHit[];
  /** Cursor for the next page (`after`), absent on the last one. */
  next?: string;
}

/** Parameters of `GET /nonfinite`. */
export type NonfiniteParams = {
  metric?: string;
  from?: string;
  to?: string;
  notebook?: string;
  size?: string;
  after?: string;
};

/** A run's first non-finite metric value. */
export interface INonfiniteRun {
  run_id: string;
  run_name: string | null;
  notebook: string | null;
  metric: string;
  scope: SeriesScope;
  value: NonFinite;
  step: number | null;
  epoch: number | null;
  time: string;
}

/** `GET /nonfinite`: one entry per run, by run id descending (newest first). */
export interface INonfinitePage {
  runs: INonfiniteRun[];
  next?: string;
}

/** Parameters of `GET /errors`. */
export type ErrorCountsParams = {
  from?: string;
  to?: string;
  notebook?: string;
  size?: string;
  after?: string;
};

/** A run with its count of error and warning records. */
export interface IRunErrorCount {
  run_id: string;
  name: string | null;
  notebook: string | null;
  status: RunStatus;
  started: string;
  errors: number;
  warnings: number;
}

/** `GET /errors`: most errors first, then most warnings, then newest. */
export interface IErrorCountPage {
  runs: IRunErrorCount[];
  total: number;
  next?: string;
}

// --- GET /problems -----------------------------------------------------------

/** Parameters of `GET /problems`. */
export type ProblemsParams = {
  from?: string;
  to?: string;
  notebook?: string;
  /** `warning`, `error` or both (comma-separated or repeated). */
  level?: string;
  size?: string;
};

/** Messages of one shape: variable parts masked as `<*>`. */
export interface ILogTemplate {
  template: string;
  count: number;
  /** Levels seen, most severe first. */
  levels: string[];
  first_seen: string;
  last_seen: string;
  /** Runs it appeared in (at most 20), and how many in all. */
  runs: string[];
  run_count: number;
  /** One message as it was. */
  example: string;
}

/** `GET /problems`: templates, most frequent first (ties: latest first). */
export interface IProblemsAnswer {
  templates: ILogTemplate[];
  /** Events grouped (the most recent ones when sampled). */
  events: number;
  /** True when only the most recent events were read (the cap was reached). */
  sampled: boolean;
}
