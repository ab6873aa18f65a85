/**
 * Keras progress output (Keras 3 and Keras 2 / tf.keras, verbose 1 and 2).
 *
 *   Epoch 3/10                                                   keras-epoch-header
 *   26/26 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - accuracy: 0.77 - loss: 0.53   keras3-progbar
 *   12/26 [=====>........] - ETA: 0s - loss: 0.69                keras2-progbar
 *   32/32 - 0s - 5ms/step - accuracy: 0.8169 - loss: 0.4811      keras-verbose2
 *
 * A progress bar line is an epoch's final line when it is complete (k = n,
 * no ETA) and either ended with '\n' (Keras ends the epoch's line that way,
 * in-place updates end with '\r' or are flushed unterminated), is a
 * verbose=2 line, or carries validation metrics. The epoch comes from the
 * stream's last header; a final line closes it, so a later `evaluate()`
 * bar is not taken for an epoch. Keras 3 prints ModelCheckpoint's (and
 * other callbacks') `\nEpoch N: ...` before the epoch's last line, which
 * ends the bar's last in-place update with '\n': a complete line with
 * validation metrics right after such messages still ends epoch N.
 */
import { parseValue, MetricBag } from '../values';
import { globalStep, ILineContext, ILineEvent } from './event';

const EPOCH_HEADER = /^Epoch (\d+)\/(\d+)$/;
const PROGRESS_HEAD = /^\s*(\d+)\/(\d+|Unknown)(?=\s|$)/;
const KERAS2_BAR = /^ \[[=>.]*\]/;
const KERAS3_BAR = /^ [━─]+/;
const KERAS3_TIMING = /^ \d+(?:\.\d+)?(?:s|ms|us|µs)(?:\s|$)/;
const METRIC_PART = /^([^\s:]+): (\S+)$/;

/** Could `trim()` remove this character? (ASCII blanks, and anything beyond ASCII.) */
function isBlank(code: number): boolean {
  return code <= 0x20 || code >= 0x7f;
}

export function parseEpochHeader(
  body: string,
  context: ILineContext
): ILineEvent | null {
  if (body.charCodeAt(0) !== 0x45) {
    return null;
  }
  const header = EPOCH_HEADER.exec(body);
  if (!header) {
    return null;
  }
  const epoch = Number(header[1]);
  const total = Number(header[2]);
  context.state.epoch = epoch;
  context.state.epochs_total = total;
  if (epoch === 0) {
    // Printed by a custom loop counting from 0 (Keras counts from 1).
    context.run.epochs_from_zero = true;
  }
  return {
    message: body,
    kind: 'progress',
    pattern: 'keras-epoch-header',
    epoch,
    epochs_total: total,
    metrics: new MetricBag(),
    scope: 'log'
  };
}

export function parseProgressLine(
  body: string,
  context: ILineContext
): ILineEvent | null {
  // PROGRESS_HEAD needs a digit after blanks: most lines fail at their first character.
  const first = body.charCodeAt(0);
  if (!(first >= 0x30 && first <= 0x39) && !isBlank(first)) {
    return null;
  }
  const head = PROGRESS_HEAD.exec(body);
  if (!head) {
    return null;
  }
  let rest = body.slice(head[0].length);
  let pattern: string;
  const keras2Bar = KERAS2_BAR.exec(rest);
  if (keras2Bar) {
    pattern = 'keras2-progbar';
    rest = rest.slice(keras2Bar[0].length);
  } else if (KERAS3_BAR.test(rest) || KERAS3_TIMING.test(rest)) {
    pattern = 'keras3-progbar';
  } else if (rest.startsWith(' - ')) {
    pattern = 'keras-verbose2';
  } else {
    return null;
  }
  const metrics = new MetricBag();
  let eta = false;
  // The parts between ' - ', without splitting the line into an array.
  for (let from = 0; from <= rest.length;) {
    let to = rest.indexOf(' - ', from);
    if (to < 0) {
      to = rest.length;
    }
    const part = rest.slice(from, to);
    from = to + 3;
    const trimmed =
      isBlank(part.charCodeAt(0)) || isBlank(part.charCodeAt(part.length - 1))
        ? part.trim()
        : part;
    if (trimmed.startsWith('ETA:')) {
      eta = true;
      continue;
    }
    // Only a part with `: ` can be a metric: most timing parts are not.
    if (trimmed.indexOf(': ') < 0) {
      continue;
    }
    const pair = metricPart(trimmed);
    const value = pair ? parseValue(pair[1]) : null;
    if (pair && value && !metrics.add(pair[0], value)) {
      break;
    }
  }
  const current = Number(head[1]);
  const total = head[2] === 'Unknown' ? null : Number(head[2]);
  const complete = total !== null && current >= total && !eta;
  // Validation metrics are looked for last: most bars are not complete.
  const validation =
    complete && metrics.names().some(name => name.startsWith('val_'));
  const final =
    complete &&
    (context.terminator === '\n' || pattern === 'keras-verbose2' || validation);
  let { epoch, epochs_total: epochsTotal } = context.state;
  const closed = context.state.closed_epoch ?? null;
  if (
    epoch === null &&
    validation &&
    closed !== null &&
    closed.callback &&
    closed.steps === total
  ) {
    // Keras 3 runs ModelCheckpoint and the like before the bar's callback:
    // their `\nEpoch N: ...` ended the bar's last in-place update, which
    // closed the epoch; this line with the validation metrics is its end.
    epoch = closed.epoch;
    epochsTotal = closed.epochs_total;
  }
  const event: ILineEvent = {
    message: body,
    kind: final ? finalKind(epoch, metrics) : 'progress',
    pattern,
    metrics,
    scope: final ? (epoch === null ? 'log' : 'epoch') : 'batch'
  };
  if (epoch !== null) {
    event.epoch = epoch;
    if (epochsTotal !== null) {
      event.epochs_total = epochsTotal;
    }
    if (total !== null) {
      // Global step, as the Keras callback counts it.
      event.step = globalStep(context.run, epoch, total, current);
      if (epochsTotal !== null) {
        event.steps_total = epochsTotal * total;
      }
    }
  }
  if (final) {
    context.state.epoch = null;
    context.state.epochs_total = null;
    // An epoch closed by a line without validation metrics that ended with
    // '\n' may still have its real last line to come (see above).
    context.state.closed_epoch =
      epoch !== null &&
      total !== null &&
      !validation &&
      context.terminator === '\n' &&
      pattern === 'keras3-progbar'
        ? { epoch, epochs_total: epochsTotal, steps: total, callback: false }
        : null;
  }
  return event;
}

/**
 * A part's name and value, as METRIC_PART reads them. Parts of printable
 * ASCII (nearly all) are cut at their first `:` without the regex; any
 * other character may be a blank the regex knows, so it decides.
 */
function metricPart(part: string): [string, string] | null {
  const colon = part.indexOf(':');
  if (
    colon > 0 &&
    colon + 2 < part.length &&
    part.charCodeAt(colon + 1) === 0x20 &&
    isPrintableAscii(part, 0, colon) &&
    isPrintableAscii(part, colon + 2, part.length)
  ) {
    return [part.slice(0, colon), part.slice(colon + 2)];
  }
  const pair = METRIC_PART.exec(part);
  return pair ? [pair[1], pair[2]] : null;
}

/** No blank, control or non-ASCII character from `start` to `end`. */
function isPrintableAscii(text: string, start: number, end: number): boolean {
  for (let index = start; index < end; index++) {
    const code = text.charCodeAt(index);
    if (code <= 0x20 || code >= 0x7f) {
      return false;
    }
  }
  return true;
}

/** An epoch's last line; without a known epoch (evaluate, predict) just its metrics. */
function finalKind(
  epoch: number | null,
  metrics: MetricBag
): ILineEvent['kind'] {
  if (epoch !== null) {
    return 'epoch';
  }
  return metrics.size > 0 ? 'metrics' : 'progress';
}
