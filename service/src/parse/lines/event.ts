import { EventKind, IErrorInfo } from '../../types';
import { Terminator } from '../terminal';
import { MetricBag } from '../values';

/** Scope of the metric points an event yields ('system': the kernel's system and GPU samples). */
export type PointScope = 'epoch' | 'batch' | 'log' | 'system';

/**
 * Per-stream parse state, plain JSON so callers can persist it with their
 * read offset. Rebuilt by feeding a run's records from the start otherwise.
 */
export interface IStreamParseState {
  /** Epoch announced by the last Keras `Epoch k/n` header, until its final line. */
  epoch: number | null;
  epochs_total: number | null;
  /** Lines of a Python traceback in progress; null outside one. */
  traceback: string[] | null;
  /** Lines of the traceback left out of `traceback` to bound its size. */
  traceback_omitted: number;
  /** The previous line was a Python warning: its source line may follow. */
  warning_source: boolean;
  /** The stream's last line, flushed without terminator: the next record continues it. */
  pending?: { raw: string; text: string } | null;
  /**
   * The epoch a Keras 3 bar line ended by '\n' without validation metrics
   * just closed, while only that epoch's callback messages (`Epoch N: ...`,
   * `callback`: one was seen) follow: a complete bar line of `steps` steps
   * with validation metrics then still ends it. Null or absent otherwise.
   */
  closed_epoch?: {
    epoch: number;
    epochs_total: number | null;
    steps: number;
    callback: boolean;
  } | null;
  /**
   * The stream's last record was cut by the kernel's size bound (`split`):
   * the first line of the next record is the rest of an over-long line.
   */
  split?: boolean;
}

export function emptyStreamState(): IStreamParseState {
  return {
    epoch: null,
    epochs_total: null,
    traceback: null,
    traceback_omitted: 0,
    warning_source: false,
    pending: null
  };
}

/** What the parser remembers about the whole run's positions (IRunState has it). */
export interface IRunPositions {
  /**
   * The run printed an epoch 0: it counts epochs from 0, so its global steps
   * are `epoch × steps + batch` (from 1: `(epoch - 1) × ...`).
   */
  epochs_from_zero?: boolean;
}

/**
 * Global step of batch `step` of `steps` in `epoch`. An epoch 0 means the
 * run counts from 0, remembered for its later epochs, so that a step is
 * never negative and epochs 0 and 1 do not share steps.
 */
export function globalStep(
  run: IRunPositions,
  epoch: number,
  steps: number,
  step: number
): number {
  if (epoch === 0) {
    run.epochs_from_zero = true;
  }
  return (run.epochs_from_zero === true ? epoch : epoch - 1) * steps + step;
}

/** What the parser needs to know about where a line came from. */
export interface ILineContext {
  state: IStreamParseState;
  /** The run's position state, shared by its streams and logging records. */
  run: IRunPositions;
  /** How the line's segment ended: '\n', '\r', or null (flushed unterminated). */
  terminator: Terminator;
  /** The record's time, epoch seconds. */
  recordTs: number;
  /** Kernel clock offset east of UTC in seconds, when known. */
  utcOffset: number | null;
}

/** One parsed line: what a pattern recognised, before documents are built. */
export interface ILineEvent {
  message: string;
  /** Kind the pattern implies; the final kind also weighs level and NaN. */
  kind?: EventKind;
  level?: string;
  logger?: string;
  pattern?: string;
  /** Time printed in the line, epoch seconds. */
  time?: number;
  epoch?: number;
  epochs_total?: number;
  step?: number;
  steps_total?: number;
  metrics: MetricBag;
  scope: PointScope;
  error?: IErrorInfo;
}

export function plainEvent(message: string): ILineEvent {
  return { message, metrics: new MetricBag(), scope: 'log' };
}
