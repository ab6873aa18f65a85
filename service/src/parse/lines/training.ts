/**
 * Training lines people print or log themselves.
 *
 *   Loss became NaN at step 3420          nan-detected    (kind nan)
 *   Detected NaN in loss at step 100      nan-detected    (also `Nan in summary histogram`)
 *   Batch 12: Invalid loss, terminating training          (Keras TerminateOnNaN)
 *   Gradient norm exceeded threshold: 15.3                gradient-norm (kind warning)
 *
 * Counters and `name: value` lists (`Epoch 7, Loss: 0.8765`,
 * `step 100 loss=0.41`) are read by the scanner (../scan.ts, named.ts).
 * Metric names from free text are lower-cased (`Loss` → `loss`).
 */
import { parseValue, MetricBag, VALUE_SOURCE } from '../values';
import { wholeNumber } from '../scan';
import { ILineEvent } from './event';

const NAN_PHRASE = new RegExp(
  '\\b(?:became|becomes|become|is|was|turned|went|hit|reached)\\s+(nan|[-+]?inf(?:inity)?)\\b',
  'i'
);
const NAME_BEFORE = /([A-Za-z_][\w.]*)\s*$/;
const WHERE_NUMBER =
  /\b(?:at|in|on|during)\s+(?:global\s+)?(step|batch|iteration|iter|epoch)\s+(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?!,\d))/i;
const TERMINATE_ON_NAN = /^Batch (\d+): Invalid loss, terminating training/;
const TENSOR_HAD = /\bTensor had (NaN|Inf) values\b/;
/**
 * Other NaN reports: TensorFlow's summary op (`Nan in summary histogram
 * for: conv2d/kernel_0`) and `Detected NaN in loss` (the value's name).
 */
const NAN_REPORT =
  /\bNan in summary histogram\b|\b(?:detected|found|encountered|got)\s+(?:an?\s+)?(nan|inf(?:inity)?)\b(?:\s+values?)?(?:\s+in\s+([A-Za-z_][\w.]*))?/i;
const GRADIENT_NORM = new RegExp(
  // The value is never the number of an `at step N` inside the clause
  // (`exceeded threshold at step 7: 15.3`).
  `\\bgrad(?:ient)?[ _-]?norm\\b(\\s+(?:exceeded|exceeds|exceeding|above|over)\\b[^:=\\d]{0,40}(?:\\b(?:step|epoch|iteration|iter|batch)\\s+\\d+)?)?\\s*[:=]?\\s*(?<!\\b(?:step|epoch|iteration|iter|batch)\\s+)(${VALUE_SOURCE})(?![\\w.]|,\\d)`,
  'i'
);

/** NaN reports and gradient-norm warnings: lines that say more than their numbers. */
export function parseTrainingLine(body: string): ILineEvent | null {
  const nan = parseNanLine(body);
  if (nan) {
    return nan;
  }
  const norm = parseGradientNorm(body);
  return norm && norm.kind === 'warning' ? norm : null;
}

/** `Gradient norm 1.25`: no binding the scanner reads (it reads `gradient norm: 1.25`). */
export function parseGradientNormLine(body: string): ILineEvent | null {
  return parseGradientNorm(body);
}

function parseNanLine(body: string): ILineEvent | null {
  const terminate = TERMINATE_ON_NAN.exec(body);
  if (terminate) {
    return {
      message: body,
      kind: 'nan',
      pattern: 'keras-terminate-on-nan',
      step: Number(terminate[1]),
      metrics: new MetricBag(),
      scope: 'batch'
    };
  }
  const tensor = TENSOR_HAD.exec(body);
  if (tensor) {
    return {
      message: body,
      kind: 'nan',
      pattern: 'nan-detected',
      metrics: new MetricBag(),
      scope: 'log'
    };
  }
  const metrics = new MetricBag();
  const phrase = NAN_PHRASE.exec(body);
  if (phrase) {
    // Only the text just before the phrase can name the value: bounded look-back.
    const before = NAME_BEFORE.exec(
      body.slice(Math.max(0, phrase.index - 64), phrase.index)
    );
    const value = parseValue(phrase[1]);
    if (before && value) {
      metrics.add(before[1].toLowerCase(), value);
    }
  } else {
    const report = /nan|inf/i.test(body) ? NAN_REPORT.exec(body) : null;
    if (!report) {
      return null;
    }
    const value = report[1] === undefined ? null : parseValue(report[1]);
    if (value && report[2] !== undefined) {
      metrics.add(report[2].toLowerCase(), value);
    }
  }
  const event: ILineEvent = {
    message: body,
    kind: 'nan',
    pattern: 'nan-detected',
    metrics,
    scope: 'log'
  };
  return withWhere(event, body);
}

/** `at step N` (or `in epoch N`...) in the line: the event's position. */
function withWhere(event: ILineEvent, body: string): ILineEvent {
  const where = WHERE_NUMBER.exec(body);
  if (where) {
    const position = wholeNumber(where[2]);
    if (where[1].toLowerCase() === 'epoch') {
      event.epoch = position;
    } else {
      event.step = position;
      event.scope = 'batch';
    }
  }
  return event;
}

function parseGradientNorm(body: string): ILineEvent | null {
  if (!/grad/i.test(body)) {
    return null;
  }
  const match = GRADIENT_NORM.exec(body);
  const value = match ? parseValue(match[2]) : null;
  if (!match || !value) {
    return null;
  }
  const metrics = new MetricBag();
  metrics.add('grad_norm', value);
  const exceeded = match[1] !== undefined;
  // Read like a NaN report's: `Gradient norm 1.25 at step 100`.
  return withWhere(
    {
      message: body,
      kind: exceeded ? 'warning' : 'metrics',
      pattern: 'gradient-norm',
      metrics,
      scope: 'log'
    },
    body
  );
}
