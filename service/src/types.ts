/**
 * Types shared by every part of the service.
 *
 * Spool records (`SpoolRecord`) are what the kernel side appends, one JSON
 * object per line, to `<spool>/<run_id>.ndjson`. Documents (`ITflogDocument`,
 * `IMetricPoint`, `IRunSummary`) are what the service stores. docs/formats.md
 * describes both for admins; keep the two in step. What the API answers
 * (summaries, events as `/logs` lines) is defined once in wire.d.ts and
 * re-exported here.
 */
import type {
  EventKind,
  HparamValue,
  IErrorInfo,
  ITflogDocument,
  MetricValue,
  NonFinite,
  RunStatus,
  SeriesScope
} from './wire';

export type {
  EventKind,
  HparamValue,
  IErrorInfo,
  IRunSummary,
  ITflogDocument,
  ITflogFields,
  MetricValue,
  NonFinite,
  RunStatus
} from './wire';

/** Version of the spool record format written by the kernel side. */
export const SPOOL_FORMAT_VERSION = 1;

/** ECS version the documents follow. */
export const ECS_VERSION = '8.11.0';

/** Fields every spool record has. `seq` is unique and increasing per run file. */
export interface IRecordBase {
  /** Record sequence number within the run, from 0 (the start record). */
  seq: number;
  /** Event time, seconds since the epoch (float). */
  ts: number;
}

/** Who and where: sent in the start record, updated by context records. */
export interface IRunContext {
  notebook: string | null;
  kernel_id: string | null;
  user: string;
  host: string;
  pid: number;
  python?: string;
  tflog_version?: string;
  /** Seconds east of UTC of the kernel's local time, for zone-less log times. */
  utc_offset?: number;
}

export interface IStartRecord extends IRecordBase {
  t: 'start';
  v: number;
  run: string;
  name: string | null;
  tags: Record<string, string>;
  ctx: IRunContext;
}

export interface ILogRecord extends IRecordBase {
  t: 'log';
  level: string;
  logger: string;
  msg: string;
  /** Formatted exception text, when the record carried exc_info. */
  exc?: string | null;
  file?: string;
  line?: number;
  func?: string;
  thread?: string;
}

/**
 * Text written to stdout or stderr, exactly as emitted (\r, \b, ANSI kept).
 * The kernel side assembles writes into segments that end with '\n' or '\r';
 * `partial` marks text flushed without a terminator after an idle pause.
 */
export interface IStreamRecord extends IRecordBase {
  t: 'stream';
  stream: 'stdout' | 'stderr';
  text: string;
  partial?: boolean;
  /**
   * The kernel cut an over-long line here (at 64 Ki characters): the next
   * record of the stream goes on with the same line. Always partial too.
   */
  split?: boolean;
}

/**
 * How the kernel samples system metrics, in a run's first `system` record:
 * the interval, and how GPUs are read or why there is none.
 */
export interface ISystemInfo {
  interval?: number;
  gpu_count?: number;
  /** 'nvml' or 'nvidia-smi'. */
  gpu_source?: string;
  gpus?: string[];
  driver?: string;
  /** Why no GPU is sampled (no NVIDIA library, no nvidia-smi…). */
  no_gpu?: string;
}

/**
 * Exact metrics: the Keras callback, `tflog.log`, `tf.summary.scalar`
 * (scopes 'epoch' and 'batch'); and the kernel's system and GPU samples
 * (scope 'system': `system.cpu_percent`, `gpu0.power_w`…, at no step).
 */
export interface IMetricsRecord extends IRecordBase {
  t: 'metrics';
  scope: 'epoch' | 'batch' | 'system';
  /** 0-based epoch as Keras counts it. */
  epoch?: number;
  /** Batch index within the epoch (scope 'batch'). */
  batch?: number;
  /** Global training step (batches seen since fit started). */
  step?: number;
  values: Record<string, MetricValue>;
  /** Scope 'system', the run's first sample only. */
  system?: ISystemInfo;
}

export interface IHparamsRecord extends IRecordBase {
  t: 'hparams';
  values: Record<string, HparamValue>;
}

/** The notebook was renamed or the frontend told us its path. */
export interface IContextRecord extends IRecordBase {
  t: 'context';
  notebook?: string | null;
  kernel_id?: string | null;
}

export interface IEndRecord extends IRecordBase {
  t: 'end';
  status: Exclude<RunStatus, 'running'>;
  error?: IErrorInfo | null;
}

/** Records the kernel could not write (disk full, unwritable spool). */
export interface ILossRecord extends IRecordBase {
  t: 'loss';
  dropped: number;
  reason: string;
}

export type SpoolRecord =
  | IStartRecord
  | ILogRecord
  | IStreamRecord
  | IMetricsRecord
  | IHparamsRecord
  | IContextRecord
  | IEndRecord
  | ILossRecord;

/** Every kind of event (wire.d.ts's `EventKind`), for parameter checks. */
export const EVENT_KINDS = [
  'log',
  'progress',
  'epoch',
  'step',
  'metrics',
  'nan',
  'warning',
  'error',
  'run_start',
  'run_end',
  'hparams',
  'loss',
  'alert'
] as const satisfies readonly EventKind[];

/** Fails to compile when `EVENT_KINDS` misses a kind the wire knows. */
const EVENT_KINDS_COMPLETE: Exclude<
  EventKind,
  (typeof EVENT_KINDS)[number]
> extends never
  ? true
  : never = true;
void EVENT_KINDS_COMPLETE;

/**
 * One value of one metric at one point: the unit charts are drawn from.
 * Stored apart from the events so metric names never become mapped fields.
 */
export interface IMetricPoint {
  _id: string;
  '@timestamp': string;
  /** The write time of its event (`event.created`); picks the daily index. */
  created?: string;
  run_id: string;
  notebook: string | null;
  user: string;
  name: string;
  /** The value when finite; absent when not. */
  value?: number;
  /** 'NaN', 'Infinity' or '-Infinity' when the value was not finite. */
  nonfinite?: NonFinite;
  step?: number;
  epoch?: number;
  scope: SeriesScope;
  /** 'callback' when exact, 'system' for system samples, else the parse pattern's name. */
  source: string;
}

/** What parsing one record yields. */
export interface IParsedRecord {
  documents: ITflogDocument[];
  points: IMetricPoint[];
  /**
   * What a per-record cap kept out of the documents' fields and the points,
   * and where it was stored instead: one sentence each, for the log.
   */
  capped?: string[];
  /**
   * Its documents of progress-bar states ended by '\r' (the next write
   * replaces them on screen): stored as their points only when a later line
   * of the same stream overwrites them in the same batch (parse/overwritten.ts).
   */
  inPlace?: ITflogDocument[];
}
