/** Documents and metric points, ECS-shaped, from parsed events. */
import {
  ECS_VERSION,
  EventKind,
  IErrorInfo,
  IMetricPoint,
  ITflogDocument,
  ITflogFields,
  RunStatus
} from '../types';
import { boundedId } from './ids';
import { isErrorLevel, isWarningLevel } from './levels';
import { ILineEvent, PointScope } from './lines/event';
import { IRunState } from './state';
import { isoFromSeconds } from './time';
import { truncateText } from './truncate';
import { MetricBag } from './values';

export type Dataset =
  'tflog.log' | 'tflog.stream' | 'tflog.metrics' | 'tflog.run' | 'tflog.alert';

export interface IDocumentSpec {
  id: string;
  seq: number;
  /** Event time, epoch seconds. */
  time: number;
  message: string;
  level: string;
  logger?: string;
  dataset: Dataset;
  source: ITflogFields['source'];
  kind: EventKind;
  pattern?: string;
  epoch?: number;
  epochs_total?: number;
  step?: number;
  steps_total?: number;
  metrics?: MetricBag;
  hparams?: Record<string, string | number | boolean | null>;
  status?: RunStatus;
  raw?: string;
  partial?: boolean;
  error?: IErrorInfo;
}

export function buildDocument(
  state: IRunState,
  spec: IDocumentSpec
): ITflogDocument {
  const tflog: ITflogFields = {
    run_id: state.run_id,
    run_name: state.run_name,
    notebook: state.ctx.notebook,
    kernel_id: state.ctx.kernel_id,
    source: spec.source,
    kind: spec.kind
  };
  if (spec.pattern !== undefined) {
    tflog.pattern = spec.pattern;
  }
  if (spec.epoch !== undefined) {
    tflog.epoch = spec.epoch;
  }
  if (spec.epochs_total !== undefined) {
    tflog.epochs_total = spec.epochs_total;
  }
  if (spec.step !== undefined) {
    tflog.step = spec.step;
  }
  if (spec.steps_total !== undefined) {
    tflog.steps_total = spec.steps_total;
  }
  if (spec.metrics && spec.metrics.size > 0) {
    const { metrics, nonfinite } = spec.metrics.fields();
    if (metrics !== null) {
      tflog.metrics = metrics;
    }
    if (nonfinite !== null) {
      tflog.nonfinite = nonfinite;
    }
  }
  if (spec.hparams) {
    tflog.hparams = spec.hparams;
  }
  if (spec.status) {
    tflog.status = spec.status;
  }
  if (spec.raw !== undefined) {
    tflog.raw = truncateText(spec.raw);
  }
  if (spec.partial) {
    tflog.partial = true;
  }
  const hasMetrics =
    tflog.metrics !== undefined || tflog.nonfinite !== undefined;
  const document: ITflogDocument = {
    _id: spec.id,
    '@timestamp': timestamp(spec.time, state),
    message: truncateText(spec.message),
    log:
      spec.logger === undefined
        ? { level: spec.level }
        : { level: spec.level, logger: spec.logger },
    event: {
      dataset: spec.dataset,
      sequence: spec.seq,
      kind: hasMetrics ? 'metric' : 'event',
      created: writeTime(spec.time, state)
    },
    user: { name: state.ctx.user },
    host: { name: state.ctx.host },
    process: { pid: state.ctx.pid },
    service: { name: 'tflog' },
    ecs: { version: ECS_VERSION },
    labels: { ...state.tags },
    tflog
  };
  if (spec.error) {
    document.error = {
      type: truncateText(spec.error.type),
      message: truncateText(spec.error.message)
    };
    if (spec.error.stack_trace !== undefined) {
      document.error.stack_trace = truncateText(spec.error.stack_trace);
    }
  }
  return document;
}

/** One point per value of a document: `<document id>:<metric name>`, bounded (ids.ts). */
export function buildPoints(
  document: ITflogDocument,
  scope: PointScope,
  source: string
): IMetricPoint[] {
  const points: IMetricPoint[] = [];
  const { tflog } = document;
  const point = (name: string): IMetricPoint => {
    const made: IMetricPoint = {
      _id: boundedId(`${document._id}:${name}`),
      '@timestamp': document['@timestamp'],
      created: document.event.created ?? document['@timestamp'],
      run_id: tflog.run_id,
      notebook: tflog.notebook,
      user: document.user.name,
      name,
      scope,
      source
    };
    if (tflog.step !== undefined) {
      made.step = tflog.step;
    }
    if (tflog.epoch !== undefined) {
      made.epoch = tflog.epoch;
    }
    return made;
  };
  for (const [name, value] of Object.entries(tflog.metrics ?? {})) {
    const made = point(name);
    made.value = value;
    points.push(made);
  }
  for (const [name, nonfinite] of Object.entries(tflog.nonfinite ?? {})) {
    const made = point(name);
    made.nonfinite = nonfinite;
    points.push(made);
  }
  return points;
}

/**
 * The kind and level an event ends up with. A non-finite value makes it
 * 'nan'; an error level or a traceback 'error'; a warning 'warning'; else
 * what its pattern said.
 */
export function resolveKindAndLevel(
  event: Pick<ILineEvent, 'kind' | 'level' | 'metrics'>,
  fixedLevel?: string
): { kind: EventKind; level: string } {
  const level = fixedLevel ?? event.level;
  let kind: EventKind;
  if (event.kind === 'nan' || event.metrics.hasNonFinite()) {
    kind = 'nan';
  } else if (event.kind === 'error' || isErrorLevel(level)) {
    kind = 'error';
  } else if (event.kind === 'warning' || isWarningLevel(level)) {
    kind = 'warning';
  } else {
    kind = event.kind ?? (event.metrics.size > 0 ? 'metrics' : 'log');
  }
  return { kind, level: level ?? defaultLevel(kind) };
}

function defaultLevel(kind: EventKind): string {
  if (kind === 'error') {
    return 'error';
  }
  if (kind === 'warning' || kind === 'nan') {
    return 'warning';
  }
  return 'info';
}

/** A document's `@timestamp`: its event time, else the last record time. */
export function timestamp(seconds: number, state: IRunState): string {
  return (
    isoFromSeconds(seconds) ??
    isoFromSeconds(state.last_ts ?? 0) ??
    new Date(0).toISOString()
  );
}

/**
 * When the kernel wrote the record: its `ts`, which parseRecord keeps in
 * `state.last_ts` before any document is built (the last readable one when
 * a record has none). `spec.time` may be a time printed in the text, so it
 * is used only when no record time was ever seen.
 */
export function writeTime(seconds: number, state: IRunState): string {
  return (
    isoFromSeconds(state.last_ts ?? seconds) ??
    isoFromSeconds(seconds) ??
    new Date(0).toISOString()
  );
}
