/**
 * The named-number scanner: one pass over a line's message that reads
 * position words, name/value pairs and separators, whatever the format.
 *
 *   step 12 loss=0.52 lr=3e-4            step 12, loss, lr
 *   [Epoch 2/5] loss: 0.31 | val_loss: 0.35
 *   epoch 2 step 40: loss 0.31, acc 0.88 (`name value` after a position)
 *   Epoch 2:  40%|███  | 40/100 [00:02<00:03, 17.1it/s, loss=0.31]  (tqdm)
 *   {'loss': 0.31, 'epoch': 1.5}  {"loss": 0.31, "step": 40}
 *
 * A named number is a name bound to a number that stands alone:
 *
 *  - the name is one word (a letter or `_`, then letters, digits, `_ . / -`),
 *    maybe quoted, that starts a segment: the start of the message, or right
 *    after a separator (`,` `;` `|` `:` tab ` - `), a bracket, or another
 *    pair or position. `Total params: 161` has no name (`params` follows a
 *    free word);
 *  - it is bound by `=` or `:` (spaces allowed around them), or, once the
 *    line has shown a position, by a space (`loss 0.31`; not after words
 *    such as `in`, `at`, `took`);
 *  - the number is a plain decimal (`0.31`, `3e-4`, `.5`, `95%`) or `nan`,
 *    `inf`, `-inf`, `Infinity`, and it ends there: at the end, a separator,
 *    a bracket, a sentence's `.`, or a space before the next pair, position
 *    or bracket. So `12:00:03`, `2.9.1`, `2026-11-28`, `3.2s`, `5ms/step`
 *    are not numbers, and `Note: 5 items left` (a free word follows) is not
 *    a pair; `name=value` is never prose, so a free word after it is fine;
 *  - names that count things rather than measure them are left out:
 *    `pid`, `port`, `id` and `*_id`, `version`, `code`, `status`, `line`...
 *  - inside `{...}` only the outer level counts (nested objects are ignored).
 *
 * Positions: `epoch`, `step`, `global_step`, `batch`, `iteration`, `iter`,
 * `it` with a whole number (no decimal point), maybe `N/M`, maybe bracketed
 * (`Epoch [2/5]`, `[Epoch 2/5]`), in any of the pair forms or just
 * `Epoch 2`. A tqdm counter (`40/100 [00:02<...`) is a step position.
 */
import { fromNumber, MetricBag, ParsedValue, parseValue } from './values';

export interface IScanResult {
  metrics: MetricBag;
  /** The same values in order, names lower-cased. */
  pairs: { name: string; value: ParsedValue }[];
  epoch?: number;
  epochs_total?: number;
  /** The step as printed, and its total. */
  step?: number;
  steps_total?: number;
  /** The step counts within the epoch (it came with a total, or from a bar). */
  stepInEpoch: boolean;
  /** A `{...}` line (JSON object or Python dict). */
  object: boolean;
  /** A tqdm progress bar. */
  tqdm: boolean;
}

const POSITION = new RegExp(
  '(["\']?)(global[ _]step|epoch|step|batch|iteration|iter|it)\\1(?![\\w./-])' +
    '\\s*[:=#]?\\s*(\\[\\s*)?(\\d+)(?:\\s*/\\s*(\\d+))?(\\s*\\])?(?![\\w.%])',
  'iy'
);
const TQDM = /(?:^|\| ?)\s*(\d+)(?:\/(\d+))?(?:it)? \[\d+:\d\d/;

/** Names that count or identify rather than measure. */
const NOT_METRICS = new Set([
  'pid',
  'ppid',
  'tid',
  'uid',
  'gid',
  'id',
  'port',
  'version',
  'ver',
  'code',
  'status',
  'status_code',
  'http',
  'errno',
  'line',
  'lineno',
  'year',
  'month',
  'day',
  'hour',
  'minute'
]);
/** Words that never name the number after them (`took 12 s`, `in 3 s`). */
const NOT_NAMES = new Set([
  'a',
  'an',
  'and',
  'or',
  'at',
  'in',
  'on',
  'of',
  'to',
  'by',
  'for',
  'from',
  'with',
  'after',
  'before',
  'took',
  'is',
  'was',
  'are',
  'were',
  'than',
  'every',
  'each',
  'last',
  'first',
  'next'
]);

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function isSeparator(code: number): boolean {
  // , ; | :
  return code === 0x2c || code === 0x3b || code === 0x7c || code === 0x3a;
}

function isOpener(code: number): boolean {
  return code === 0x5b || code === 0x28 || code === 0x7b;
}

function isCloser(code: number): boolean {
  return code === 0x5d || code === 0x29 || code === 0x7d;
}

/** Can a number end just before `index`? */
function valueEnds(text: string, index: number): boolean {
  if (index >= text.length) {
    return true;
  }
  const code = text.charCodeAt(index);
  if (isSpace(code) || isSeparator(code) || isCloser(code)) {
    // `12:00` is a time, not 12 then a separator.
    if (code === 0x3a) {
      const next = text.charCodeAt(index + 1);
      return !(next >= 0x30 && next <= 0x39);
    }
    return true;
  }
  if (code === 0x22 || code === 0x27) {
    return true;
  }
  // A sentence's full stop: `... to 0.5.`
  if (code === 0x2e) {
    return index + 1 >= text.length || isSpace(text.charCodeAt(index + 1));
  }
  return false;
}

/** `{...}` with blanks around. */
function isObjectLine(text: string): boolean {
  let first = 0;
  while (first < text.length && isSpace(text.charCodeAt(first))) {
    first += 1;
  }
  let last = text.length - 1;
  while (last > first && isSpace(text.charCodeAt(last))) {
    last -= 1;
  }
  return text.charCodeAt(first) === 0x7b && text.charCodeAt(last) === 0x7d;
}

/** Could a position word or a name start with this character? */
function startsWord(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    code === 0x22 ||
    code === 0x27
  );
}

function hasDigitOrWord(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x30 && code <= 0x39) {
      return true;
    }
  }
  return /nan|inf/i.test(text);
}

/** Shared by results without values; never added to. */
const EMPTY = new MetricBag();

interface IPending {
  name: string;
  value: ReturnType<typeof parseValue>;
}

/** Read a message's positions and named numbers; null when it has neither. */
export function scanLine(text: string): IScanResult | null {
  if (!hasDigitOrWord(text)) {
    return null;
  }
  const result: IScanResult = {
    metrics: EMPTY,
    pairs: [],
    stepInEpoch: false,
    object: false,
    tqdm: false
  };
  const pairs: IPending[] = [];
  let found = false;
  let index = 0;
  let atStart = true;
  let depth = 0;
  let positionSeen = false;
  /** A pair just read, kept only if no free word follows it. */
  let pending = false;
  let bracketedNumber = false;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (isSpace(code)) {
      if (code === 0x09) {
        atStart = true;
        pending = false;
      }
      // ` - ` separates like `|`.
      if (
        text.charCodeAt(index + 1) === 0x2d &&
        isSpace(text.charCodeAt(index + 2))
      ) {
        atStart = true;
        pending = false;
        index += 3;
        continue;
      }
      index += 1;
      continue;
    }
    if (isSeparator(code) || isOpener(code) || isCloser(code)) {
      if (code === 0x7b) {
        depth += 1;
      } else if (
        code === 0x5b &&
        isSpace(text.charCodeAt(index - 1)) &&
        isDigit(text.charCodeAt(index + 1))
      ) {
        // tqdm's ` [00:02<00:03, ...]`.
        bracketedNumber = true;
      } else if (code === 0x7d && depth > 0) {
        depth -= 1;
      }
      atStart = true;
      pending = false;
      index += 1;
      continue;
    }
    if (atStart && startsWord(code)) {
      const read = readAt(text, index, positionSeen, depth <= 1);
      if (read !== null) {
        index = read.end;
        if (read.position) {
          positionSeen = true;
          found = applyPosition(result, read.position) || found;
          pending = false;
        } else if (read.pair) {
          pairs.push(read.pair);
          pending = !read.equals;
        } else {
          pending = false;
        }
        atStart = true;
        continue;
      }
    }
    // A free word or other text: the pair just before it was prose.
    if (pending) {
      pairs.pop();
      pending = false;
    }
    atStart = false;
    index = skipToken(text, index);
  }
  for (const pair of pairs) {
    if (pair.value && !NOT_METRICS.has(pair.name)) {
      found = true;
      if (result.metrics === EMPTY) {
        result.metrics = new MetricBag();
      }
      if (!result.metrics.add(pair.name, pair.value)) {
        break;
      }
      result.pairs.push({ name: pair.name, value: pair.value });
    }
  }
  result.object = isObjectLine(text);
  if (!result.object && bracketedNumber) {
    const bar = TQDM.exec(text);
    if (bar) {
      result.tqdm = true;
      if (result.step === undefined) {
        result.step = Number(bar[1]);
        if (bar[2] !== undefined) {
          result.steps_total = Number(bar[2]);
        }
        result.stepInEpoch = true;
        found = true;
      }
    }
  }
  return found ? result : null;
}

interface IPosition {
  word: string;
  value: number;
  total?: number;
}

interface IRead {
  end: number;
  position?: IPosition;
  /** A pair (value null: a name bound to something else, or a left-out name). */
  pair?: IPending;
  /** Bound by `=`: never prose, so kept whatever follows. */
  equals?: boolean;
}

const POSITION_WORDS = new Set([
  'epoch',
  'step',
  'global_step',
  'global',
  'batch',
  'iteration',
  'iter',
  'it'
]);

function isNameChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === 0x2e ||
    code === 0x2f ||
    code === 0x2d
  );
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function skipDigits(text: string, index: number): number {
  let end = index;
  while (end < text.length && isDigit(text.charCodeAt(end))) {
    end += 1;
  }
  return end;
}

/** End of a decimal number at `index` (as VALUE_SOURCE reads it), or -1. */
function numberEnd(text: string, index: number): number {
  let at = index;
  const sign = text.charCodeAt(at);
  if (sign === 0x2d || sign === 0x2b) {
    at += 1;
  }
  const whole = skipDigits(text, at);
  let end = whole;
  if (text.charCodeAt(end) === 0x2e) {
    const fraction = skipDigits(text, end + 1);
    if (whole === at && fraction === end + 1) {
      return -1;
    }
    end = fraction;
  } else if (whole === at) {
    return -1;
  }
  const e = text.charCodeAt(end);
  if (e === 0x65 || e === 0x45) {
    let exponent = end + 1;
    const expSign = text.charCodeAt(exponent);
    if (expSign === 0x2d || expSign === 0x2b) {
      exponent += 1;
    }
    const digits = skipDigits(text, exponent);
    if (digits > exponent) {
      end = digits;
    }
  }
  return end;
}

const NON_FINITE = /[-+]?(?:nan|inf(?:inity)?)/iy;

/** The value at `index` and where it ends (a `%` after it included), or null. */
function readValue(
  text: string,
  index: number
): { value: ParsedValue | null; end: number } | null {
  let end = numberEnd(text, index);
  let value: ParsedValue | null;
  if (end >= 0) {
    value = fromNumber(Number(text.slice(index, end)));
  } else {
    NON_FINITE.lastIndex = index;
    const word = NON_FINITE.exec(text);
    if (!word) {
      return null;
    }
    end = NON_FINITE.lastIndex;
    value = parseValue(word[0]);
  }
  if (text.charCodeAt(end) === 0x25) {
    end += 1;
  }
  return valueEnds(text, end) ? { value, end } : null;
}

/** A position or a pair starting at `index`, or null. */
function readAt(
  text: string,
  index: number,
  spaceBinding: boolean,
  outerLevel: boolean
): IRead | null {
  let at = index;
  const quote = text.charCodeAt(at);
  const quoted = quote === 0x22 || quote === 0x27;
  if (quoted) {
    at += 1;
  }
  const first = text.charCodeAt(at);
  if (!(
    (first >= 0x61 && first <= 0x7a) ||
    (first >= 0x41 && first <= 0x5a) ||
    first === 0x5f
  )) {
    return null;
  }
  let nameEnd = at + 1;
  while (nameEnd < text.length && isNameChar(text.charCodeAt(nameEnd))) {
    nameEnd += 1;
  }
  const name = text.slice(at, nameEnd).toLowerCase();
  if (POSITION_WORDS.has(name)) {
    const position = readPosition(text, index, outerLevel);
    if (position) {
      return position;
    }
  }
  let end = nameEnd;
  if (quoted) {
    if (text.charCodeAt(end) !== quote) {
      return null;
    }
    end += 1;
  }
  const afterName = end;
  while (end < text.length && isSpace(text.charCodeAt(end))) {
    end += 1;
  }
  const bind = text.charCodeAt(end);
  const bound = bind === 0x3a || bind === 0x3d;
  if (bound) {
    end += 1;
    while (end < text.length && isSpace(text.charCodeAt(end))) {
      end += 1;
    }
  } else if (
    !spaceBinding ||
    quoted ||
    end === afterName ||
    NOT_NAMES.has(name)
  ) {
    return null;
  }
  const value = readValue(text, end);
  if (!value) {
    // `name: text`: a name, but no number. A space-bound word is just a word.
    return bound ? { end } : null;
  }
  return {
    end: value.end,
    pair: { name, value: outerLevel ? value.value : null },
    equals: bind === 0x3d
  };
}

function readPosition(
  text: string,
  index: number,
  outerLevel: boolean
): IRead | null {
  POSITION.lastIndex = index;
  const position = POSITION.exec(text);
  // `Epoch [2/5]` needs its closing bracket.
  if (!position || (position[3] !== undefined && position[6] === undefined)) {
    return null;
  }
  const read: IRead = { end: POSITION.lastIndex };
  if (outerLevel) {
    read.position = {
      word: position[2].toLowerCase(),
      value: Number(position[4])
    };
    if (position[5] !== undefined) {
      read.position.total = Number(position[5]);
    }
  }
  return read;
}

function skipToken(text: string, index: number): number {
  const quote = text.charCodeAt(index);
  if (quote === 0x22 || quote === 0x27) {
    const close = text.indexOf(text[index], index + 1);
    return close < 0 ? text.length : close + 1;
  }
  let end = index + 1;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (
      isSpace(code) ||
      isSeparator(code) ||
      isOpener(code) ||
      isCloser(code)
    ) {
      break;
    }
    end += 1;
  }
  return end;
}

/** The first position of each kind wins; `global_step` wins over the others. */
function applyPosition(result: IScanResult, position: IPosition): boolean {
  const { word, value, total } = position;
  if (word === 'epoch') {
    if (result.epoch === undefined) {
      result.epoch = value;
      if (total !== undefined) {
        result.epochs_total = total;
      }
    }
    return true;
  }
  if (word === 'global step' || word === 'global_step') {
    result.step = value;
    result.steps_total = total;
    result.stepInEpoch = false;
    return true;
  }
  if (result.step === undefined) {
    result.step = value;
    if (total !== undefined) {
      result.steps_total = total;
      result.stepInEpoch = true;
    }
  }
  return true;
}
