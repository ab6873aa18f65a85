/**
 * Records about the run rather than its output: start, hparams, context,
 * end, loss, the Keras callback's metrics, and unknown types. Each gives at
 * most one document.
 */
import { endErrorInfo } from '../common/errorInfo';
import {
  IContextRecord,
  IEndRecord,
  IHparamsRecord,
  ILossRecord,
  IMetricsRecord,
  IStartRecord,
  RunStatus,
  SpoolRecord
} from '../types';
import { IDocumentSpec, resolveKindAndLevel } from './documents';
import { PointScope } from './lines/event';
import {
  isCount,
  recordId,
  runDocumentSpec,
  seqOf,
  textOf
} from './recordFields';
import { applyStartRecord, IRunState } from './state';
import { MAX_TEXT_CHARS } from './truncate';
import { MAX_METRICS_PER_EVENT, MetricBag, parseRecordValue } from './values';

/** A document to build and the scope of its points. */
export interface IRecordOutput {
  spec: IDocumentSpec;
  scope: PointScope;
  /** What a cap kept out of its fields and points, and where it went instead. */
  capped?: string;
}

function output(spec: IDocumentSpec, scope: PointScope = 'log'): IRecordOutput {
  return { spec, scope };
}

export function startOutput(
  record: IStartRecord,
  state: IRunState,
  time: number
): IRecordOutput {
  applyStartRecord(state, record);
  const where = state.ctx.notebook ? ` in ${state.ctx.notebook}` : '';
  return output({
    ...runDocumentSpec(record, state, time, 'run_start'),
    message: `Run ${state.run_name ?? state.run_id} started${where}`,
    status: 'running'
  });
}

export function hparamsOutput(
  record: IHparamsRecord,
  state: IRunState,
  time: number
): IRecordOutput {
  const hparams: Record<string, string | number | boolean | null> = {};
  for (const [name, value] of Object.entries(objectOf(record.values))) {
    if (
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value))
    ) {
      hparams[name] = value;
    } else {
      hparams[name] = JSON.stringify(value) ?? null;
    }
  }
  const listed = Object.entries(hparams)
    .map(([name, value]) => `${name}=${String(value)}`)
    .join(', ');
  return output({
    ...runDocumentSpec(record, state, time, 'hparams'),
    message: `Hyperparameters: ${listed}`,
    hparams
  });
}

/** Update the notebook and kernel; a document only when the notebook changed. */
export function contextOutput(
  record: IContextRecord,
  state: IRunState,
  time: number
): IRecordOutput | null {
  const before = state.ctx.notebook;
  if (record.notebook !== undefined) {
    state.ctx.notebook =
      typeof record.notebook === 'string' ? record.notebook : null;
  }
  if (record.kernel_id !== undefined) {
    state.ctx.kernel_id =
      typeof record.kernel_id === 'string' ? record.kernel_id : null;
  }
  if (state.ctx.notebook === before) {
    return null;
  }
  const was = before ? ` (was ${before})` : '';
  return output({
    ...runDocumentSpec(record, state, time, 'log'),
    message: `Notebook is now ${state.ctx.notebook ?? '(none)'}${was}`
  });
}

export function endOutput(
  record: IEndRecord,
  state: IRunState,
  time: number
): IRecordOutput {
  const status = endStatus(record.status);
  const error = endErrorInfo(record.error) ?? undefined;
  const because = error ? `: ${error.type}: ${error.message}` : '';
  return output({
    ...runDocumentSpec(record, state, time, 'run_end'),
    message: `Run ${state.run_name ?? state.run_id} ${status}${because}`,
    level: endLevel(status),
    status,
    error
  });
}

export function lossOutput(
  record: ILossRecord,
  state: IRunState,
  time: number
): IRecordOutput {
  const dropped = typeof record.dropped === 'number' ? record.dropped : 0;
  return output({
    ...runDocumentSpec(record, state, time, 'loss'),
    message: `The kernel could not spool ${dropped} records: ${textOf(record.reason)}`,
    level: 'warning'
  });
}

export function unknownOutput(
  record: SpoolRecord,
  state: IRunState,
  time: number
): IRecordOutput {
  const type = (record as { t?: unknown }).t;
  return output({
    ...runDocumentSpec(record, state, time, 'log'),
    message: `Unrecognised spool record type ${JSON.stringify(type) ?? 'undefined'}`,
    level: 'warning'
  });
}

/**
 * The Keras callback's exact values: one document, points with source
 * 'callback'. Values past MAX_METRICS_PER_EVENT get no point and no field:
 * they are listed in the message (within its MAX_TEXT_CHARS) instead.
 */
export function callbackOutput(
  record: IMetricsRecord,
  state: IRunState,
  time: number
): IRecordOutput {
  const metrics = new MetricBag();
  const overCap: string[] = [];
  let overCapChars = 0;
  let overCapCount = 0;
  for (const [name, raw] of Object.entries(objectOf(record.values))) {
    const value = parseRecordValue(raw);
    if (value === null || metrics.add(name, value)) {
      continue;
    }
    overCapCount += 1;
    // Past what a message keeps, only counted.
    if (overCapChars <= MAX_TEXT_CHARS) {
      const pair = `${name}=${value.value}`;
      overCap.push(pair);
      overCapChars += pair.length + 1;
    }
  }
  const scope: PointScope = record.scope === 'batch' ? 'batch' : 'epoch';
  // Keras counts epochs from 0; documents count them as Keras prints them, from 1.
  const epoch = isCount(record.epoch) ? record.epoch + 1 : undefined;
  const step = isCount(record.step) ? record.step : undefined;
  const resolved = resolveKindAndLevel({ kind: 'metrics', metrics });
  let message = callbackMessage(scope, epoch, step, record.batch, metrics);
  if (overCapCount > 0) {
    message += `; ${overCapCount} more values over the ${MAX_METRICS_PER_EVENT}-metric cap, not stored as points: ${overCap.join(' ')}`;
  }
  const id = recordId(record, state);
  const result = output(
    {
      id,
      seq: seqOf(record),
      time,
      message,
      level: resolved.level,
      dataset: 'tflog.metrics',
      source: 'callback',
      kind: resolved.kind,
      metrics,
      epoch,
      step
    },
    scope
  );
  if (overCapCount > 0) {
    const whole = message.length <= MAX_TEXT_CHARS ? '' : ' (its first part)';
    result.capped = `${overCapCount} value(s) over the ${MAX_METRICS_PER_EVENT}-metric cap: no points for them, kept in the message${whole} of ${id}`;
  }
  return result;
}

function callbackMessage(
  scope: PointScope,
  epoch: number | undefined,
  step: number | undefined,
  batch: unknown,
  metrics: MetricBag
): string {
  const values = [
    ...Object.entries(metrics.metrics).map(
      ([name, value]) => `${name}=${value}`
    ),
    ...Object.entries(metrics.nonfinite).map(
      ([name, value]) => `${name}=${value}`
    )
  ].join(' ');
  if (scope === 'epoch') {
    return `${epoch === undefined ? 'Epoch' : `Epoch ${epoch}`}: ${values}`;
  }
  const parts = [
    step === undefined ? null : `step ${step}`,
    epoch === undefined ? null : `epoch ${epoch}`,
    isCount(batch) ? `batch ${batch}` : null
  ].filter(part => part !== null);
  const where =
    parts.length > 0 ? `Batch metrics (${parts.join(', ')})` : 'Batch metrics';
  return `${where}: ${values}`;
}

function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : {};
}

const END_STATUSES: ReadonlySet<string> = new Set<RunStatus>([
  'finished',
  'failed',
  'interrupted',
  'stopped'
]);

function endStatus(status: unknown): Exclude<RunStatus, 'running'> {
  return typeof status === 'string' && END_STATUSES.has(status)
    ? (status as Exclude<RunStatus, 'running'>)
    : 'finished';
}

function endLevel(status: RunStatus): string {
  if (status === 'failed') {
    return 'error';
  }
  return status === 'finished' ? 'info' : 'warning';
}
