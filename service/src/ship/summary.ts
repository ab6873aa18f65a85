/**
 * Folds spool records and what the parser made of them into the run's
 * summary (one document per run in the runs index). The same records from
 * the same starting summary always give the same summary, so a replay after
 * a crash rebuilds exactly what was stored. A record is a line: the summary
 * is folded in place, not copied per line; the pipeline clones a run's state
 * (its summary included) when a batch takes it, so what a batch stores is
 * never changed by the lines after it.
 */
import type {
  IMetricPoint,
  IParsedRecord,
  IRunSummary,
  ITflogDocument,
  SpoolRecord
} from '../types';
import { endErrorInfo } from '../common/errorInfo';
import { msIso } from '../common/isoTime';
import { foldHealthPoint, scoreHealth } from './health';

/** The source of exact points: the Keras callback, tflog.log, tf.summary. */
const EXACT_SOURCE = 'callback';

/** Where the value shown in `last_metrics` for one metric came from. */
export interface ILastMetricOrigin {
  /** From a `metrics` record (exact), not parsed from text. */
  exact: boolean;
  scope: IMetricPoint['scope'];
  epoch?: number;
  step?: number;
}

/**
 * A summary as folded: `last_metrics_at` remembers, per metric, where its
 * last value came from, so that a value parsed from text (a progress bar's
 * rounded `loss: 0.6975`) never replaces the exact one of the same epoch or
 * step, whichever arrives first. Stored with the summary (and in the
 * registry), so a restart folds on exactly as before.
 */
export interface IFoldedSummary extends IRunSummary {
  last_metrics_at?: Record<string, ILastMetricOrigin>;
  /**
   * Metrics whose `min_metrics`/`max_metrics` come from epoch-end values:
   * once a metric has one, its batch and parsed values no longer count.
   */
  extremes_of_epochs?: string[];
}

const ERROR_LEVELS = new Set(['error', 'critical', 'fatal']);
const WARNING_LEVELS = new Set(['warning', 'warn']);

export function isoTime(seconds: number): string {
  return msIso(Math.round(seconds * 1000));
}

/** The summary of a run before any record is folded in. */
export function emptySummary(runId: string, startedAt: string): IRunSummary {
  return {
    run_id: runId,
    name: null,
    status: 'running',
    notebook: null,
    kernel_id: null,
    user: '',
    host: '',
    tags: {},
    hparams: {},
    started: startedAt,
    ended: null,
    updated: startedAt,
    last_metrics: {},
    last_epoch: null,
    last_step: null,
    counts: { events: 0, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0
  };
}

/**
 * The record's time: its `ts`, else the time the parser gave its events,
 * else the run's last update (never the clock: a replay must fold the same).
 */
function recordTime(
  record: SpoolRecord,
  parsed: IParsedRecord,
  previous: IRunSummary | null
): string {
  if (typeof record.ts === 'number' && Number.isFinite(record.ts)) {
    return isoTime(record.ts);
  }
  const dated = parsed.documents.find(
    document => !Number.isNaN(Date.parse(document['@timestamp']))
  );
  return dated?.['@timestamp'] ?? previous?.updated ?? isoTime(0);
}

export function foldSummary(
  previous: IRunSummary | null,
  runId: string,
  record: SpoolRecord,
  parsed: IParsedRecord
): IRunSummary {
  const time = recordTime(record, parsed, previous);
  const before: IFoldedSummary | null = previous;
  // Values fold into the summary's metrics; the kernel's system samples
  // do not.
  const foldsValues = parsed.points.some(point => point.scope !== 'system');
  const summary: IFoldedSummary = before ?? {
    ...emptySummary(runId, time),
    last_metrics_at: {},
    min_metrics: {},
    max_metrics: {},
    extremes_of_epochs: []
  };
  // A summary stored before extremes were kept has none: starting them now
  // would show extremes of the rest of the run only.
  const extremes =
    foldsValues && summary.min_metrics && summary.max_metrics
      ? {
          min: summary.min_metrics,
          max: summary.max_metrics,
          ofEpochs: (summary.extremes_of_epochs ??= [])
        }
      : null;
  switch (record.t) {
    case 'start':
      summary.run_id = record.run || runId;
      summary.name = record.name;
      summary.tags = { ...record.tags };
      summary.notebook = record.ctx.notebook;
      summary.kernel_id = record.ctx.kernel_id;
      summary.user = record.ctx.user;
      summary.host = record.ctx.host;
      summary.started = time;
      summary.status = 'running';
      break;
    case 'context':
      if (record.notebook !== undefined) {
        summary.notebook = record.notebook;
      }
      if (record.kernel_id !== undefined) {
        summary.kernel_id = record.kernel_id;
      }
      break;
    case 'hparams':
      summary.hparams = { ...summary.hparams, ...record.values };
      break;
    case 'end':
      summary.status = record.status;
      summary.ended = time;
      // Only the fields the wire knows, of the right type (the kernel's cell reference).
      summary.error = endErrorInfo(record.error);
      break;
    case 'loss':
      summary.dropped += record.dropped;
      break;
    default:
      break;
  }
  for (const document of parsed.documents) {
    countEvent(summary, document);
  }
  const origins = summary.last_metrics_at ?? {};
  summary.last_metrics_at = origins;
  for (const point of parsed.points) {
    if (point.scope === 'system') {
      // The kernel's system and GPU samples: beside training, not its metrics.
      continue;
    }
    summary.health = foldHealthPoint(summary.health, point);
    if (!keepsExactValue(origins[point.name], point)) {
      summary.last_metrics[point.name] =
        typeof point.value === 'number'
          ? point.value
          : (point.nonfinite ?? 'NaN');
      origins[point.name] = originOf(point);
    }
    if (extremes) {
      foldExtremes(extremes, point);
    }
    if (typeof point.epoch === 'number') {
      summary.last_epoch = Math.max(
        summary.last_epoch ?? point.epoch,
        point.epoch
      );
    }
    if (typeof point.step === 'number') {
      summary.last_step = Math.max(summary.last_step ?? point.step, point.step);
    }
  }
  if (time > summary.updated) {
    summary.updated = time;
  }
  summary.health = scoreHealth(summary, summary.health);
  return summary;
}

interface IExtremes {
  min: Record<string, number>;
  max: Record<string, number>;
  /** A handful of names at most: an array is cheaper than a Set per record. */
  ofEpochs: string[];
}

/**
 * Folds a finite value into its metric's extremes: epoch-end values only
 * once the metric has one (what a run's result is judged by, as in
 * `last_metrics`), else every value.
 */
function foldExtremes(extremes: IExtremes, point: IMetricPoint): void {
  const value = point.value;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return;
  }
  const name = point.name;
  const epochEnd = point.scope === 'epoch';
  const ofEpochs = extremes.ofEpochs.includes(name);
  if (!epochEnd && ofEpochs) {
    return;
  }
  if (epochEnd && !ofEpochs) {
    // The first epoch-end value: what batches showed no longer counts.
    extremes.ofEpochs.push(name);
    delete extremes.min[name];
    delete extremes.max[name];
  }
  const low = extremes.min[name];
  const high = extremes.max[name];
  extremes.min[name] = low === undefined ? value : Math.min(low, value);
  extremes.max[name] = high === undefined ? value : Math.max(high, value);
}

function originOf(point: IMetricPoint): ILastMetricOrigin {
  const origin: ILastMetricOrigin = {
    exact: point.source === EXACT_SOURCE,
    scope: point.scope
  };
  if (typeof point.epoch === 'number') {
    origin.epoch = point.epoch;
  }
  if (typeof point.step === 'number') {
    origin.step = point.step;
  }
  return origin;
}

/**
 * True when `point`, parsed from text, must not replace the exact value
 * `current` because both are the same metric at the same point of training:
 * after an exact epoch-end value, anything parsed for that epoch (the final
 * progress-bar line comes after it or before it, as callbacks run); after
 * an exact step value, what was parsed for that step. An exact point always
 * replaces; a parsed one at another epoch or step too (it is newer).
 */
function keepsExactValue(
  current: ILastMetricOrigin | undefined,
  point: IMetricPoint
): boolean {
  if (current === undefined || !current.exact) {
    return false;
  }
  if (point.source === EXACT_SOURCE) {
    return false;
  }
  if (current.scope === 'epoch') {
    return current.epoch !== undefined && point.epoch === current.epoch;
  }
  if (current.step === undefined || point.step !== current.step) {
    return false;
  }
  return (
    current.epoch === undefined ||
    point.epoch === undefined ||
    point.epoch === current.epoch
  );
}

function countEvent(summary: IRunSummary, document: ITflogDocument): void {
  if (document.tflog?.kind === 'alert') {
    // Said about the run's records, not one of them.
    return;
  }
  summary.counts.events += 1;
  const level = (document.log?.level ?? '').toLowerCase();
  const kind = document.tflog?.kind;
  if (kind === 'error' || ERROR_LEVELS.has(level)) {
    summary.counts.errors += 1;
  } else if (kind === 'warning' || WARNING_LEVELS.has(level)) {
    summary.counts.warnings += 1;
  }
  if (kind === 'nan') {
    summary.counts.nan += 1;
  }
}
