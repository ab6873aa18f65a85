/**
 * Training lines people print or log themselves.
 *
 *   Epoch 7, Loss: 0.8765                 epoch-metrics   (kind epoch)
 *   step 100 loss=0.41 lr=1e-4            step-metrics    (kind step)
 *   Loss became NaN at step 3420          nan-detected    (kind nan)
 *   Batch 12: Invalid loss, terminating training          (Keras TerminateOnNaN)
 *   Gradient norm exceeded threshold: 15.3                gradient-norm (kind warning)
 *   loss: 0.3 acc: 0.9 / loss=0.3, acc=0.9                key-value
 *
 * Metric names from free text are lower-cased (`Loss` → `loss`).
 */
import { parseValue, MetricBag, VALUE_SOURCE } from '../values';
import { ILineEvent } from './event';
import { scanKeyValues } from './keyValue';

const EPOCH_METRICS =
  /^Epoch\s*[:#]?\s*(\d+)(?:\s*\/\s*(\d+))?(?:\s*[,:;|-]\s*|\s+)/i;
const STEP_METRICS =
  /^(?:global[ _]step|step|iteration|iter|batch)\s*[:=#]?\s*(\d+)(?:\s*\/\s*(\d+))?(?:\s*[,:;|-]\s*|\s+)/i;
const NAN_PHRASE = new RegExp(
  '\\b(?:became|becomes|become|is|was|turned|went|hit|reached)\\s+(nan|[-+]?inf(?:inity)?)\\b',
  'i'
);
const NAME_BEFORE = /([A-Za-z_][\w.]*)\s*$/;
const WHERE_NUMBER =
  /\b(?:at|in|on|during)\s+(?:global\s+)?(step|batch|iteration|iter|epoch)\s+(\d+)/i;
const TERMINATE_ON_NAN = /^Batch (\d+): Invalid loss, terminating training/;
const TENSOR_HAD = /\bTensor had (NaN|Inf) values\b/;
const GRADIENT_NORM = new RegExp(
  `\\bgrad(?:ient)?[ _-]?norm\\b(\\s+(?:exceeded|exceeds|exceeding|above|over)\\b[^:=\\d]{0,40})?\\s*[:=]?\\s*(${VALUE_SOURCE})(?![\\w.])`,
  'i'
);

export function parseTrainingLine(body: string): ILineEvent | null {
  return (
    parseNanLine(body) ??
    parseGradientNorm(body) ??
    parseEpochMetrics(body) ??
    parseStepMetrics(body) ??
    parseKeyValueLine(body)
  );
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
  const phrase = NAN_PHRASE.exec(body);
  if (!phrase) {
    return null;
  }
  const metrics = new MetricBag();
  // Only the text just before the phrase can name the value: bounded look-back.
  const before = NAME_BEFORE.exec(
    body.slice(Math.max(0, phrase.index - 64), phrase.index)
  );
  const value = parseValue(phrase[1]);
  if (before && value) {
    metrics.add(before[1].toLowerCase(), value);
  }
  const event: ILineEvent = {
    message: body,
    kind: 'nan',
    pattern: 'nan-detected',
    metrics,
    scope: 'log'
  };
  const where = WHERE_NUMBER.exec(body);
  if (where) {
    const position = Number(where[2]);
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
  return {
    message: body,
    kind: exceeded ? 'warning' : 'metrics',
    pattern: 'gradient-norm',
    metrics,
    scope: 'log'
  };
}

/** `Epoch 7, Loss: 0.8765` and `step 100 loss=0.41`: a counter, then metrics. */
interface ICounterLine {
  head: RegExp;
  kind: 'epoch' | 'step';
  pattern: string;
  counter: 'epoch' | 'step';
  total: 'epochs_total' | 'steps_total';
  scope: 'epoch' | 'batch';
}

const EPOCH_LINE: ICounterLine = {
  head: EPOCH_METRICS,
  kind: 'epoch',
  pattern: 'epoch-metrics',
  counter: 'epoch',
  total: 'epochs_total',
  scope: 'epoch'
};

const STEP_LINE: ICounterLine = {
  head: STEP_METRICS,
  kind: 'step',
  pattern: 'step-metrics',
  counter: 'step',
  total: 'steps_total',
  scope: 'batch'
};

function parseCounterMetrics(
  body: string,
  line: ICounterLine
): ILineEvent | null {
  const head = line.head.exec(body);
  if (!head) {
    return null;
  }
  const metrics = scanKeyValues(body.slice(head[0].length), {
    strict: false,
    lowerCaseNames: true
  });
  if (!metrics) {
    return null;
  }
  const event: ILineEvent = {
    message: body,
    kind: line.kind,
    pattern: line.pattern,
    metrics,
    scope: line.scope
  };
  event[line.counter] = Number(head[1]);
  if (head[2] !== undefined) {
    event[line.total] = Number(head[2]);
  }
  return event;
}

function parseEpochMetrics(body: string): ILineEvent | null {
  return parseCounterMetrics(body, EPOCH_LINE);
}

function parseStepMetrics(body: string): ILineEvent | null {
  return parseCounterMetrics(body, STEP_LINE);
}

function parseKeyValueLine(body: string): ILineEvent | null {
  const metrics = scanKeyValues(body, { strict: true, lowerCaseNames: true });
  if (!metrics) {
    return null;
  }
  return {
    message: body,
    kind: 'metrics',
    pattern: 'key-value',
    metrics,
    scope: 'log'
  };
}
