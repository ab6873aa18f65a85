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
 *  - the name is one to four words (each a letter or `_`, then letters,
 *    digits, `_ . / -`), single spaces between them, maybe quoted, that
 *    starts a segment: the start of the message, or right after a separator
 *    (`,` `;` `|` `:` tab ` - `), a bracket, or another pair or position.
 *    `Train Loss: 0.3` is `train_loss` (words lower-cased, joined by `_`).
 *    A name of several words needs a clean segment: none of its words is a
 *    small word (`in`, `to`, `the`, `became`...), a level (`INFO`) or a
 *    position with its number, and no free word stands between it and the
 *    last strong boundary (the start, `|` `;` tab ` - `, a bracket), so the
 *    prose of `Created device ..., compute capability: 8.6` stays prose.
 *    A level word in capitals (`INFO`) or a source location
 *    (`train.py:42`) starting a segment is a boundary, never a name;
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
 *    `pid`, `port`, `id` and `*_id`, `version`, `code`, `status`, `line`,
 *    `params`...; for a name of several words its last word decides
 *    (`Total params`, `pci bus id`);
 *  - inside `{...}` only the outer level counts (nested objects are ignored).
 *
 * Positions: `epoch`, `step`, `global_step`, `batch`, `iteration`, `iter`,
 * `it` with a whole number (no decimal point), maybe `N/M`, maybe bracketed
 * (`Epoch [2/5]`, `[Epoch 2/5]`), in any of the pair forms or just
 * `Epoch 2`. A tqdm counter (`40/100 [00:02<...`) is a step position.
 */
import {
  decimalValue,
  fromNumber,
  MetricBag,
  ParsedValue,
  parseValue,
  VALUE_SOURCE
} from './values';

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

/**
 * A whole number, maybe in thousands groups (`1,000`); never the start of a
 * number cut at a comma (`3,42`: no number rather than 3).
 */
const WHOLE_SOURCE = '(\\d{1,3}(?:,\\d{3})+(?!\\d)|\\d+(?!,\\d))';
const POSITION = new RegExp(
  '(["\']?)(global[ _]step|epoch|step|batch|iteration|iter|it)\\1(?![\\w./-])' +
    `\\s*[:=#]?\\s*(\\[\\s*)?${WHOLE_SOURCE}(?:\\s*/\\s*${WHOLE_SOURCE})?(\\s*\\])?(?![\\w.%])`,
  'iy'
);
const TQDM = new RegExp(
  `(?:^|\\| ?)\\s*${WHOLE_SOURCE}(?:/${WHOLE_SOURCE})?(?:it)? \\[\\d+:\\d\\d`
);

/** A whole number as WHOLE_SOURCE reads it, thousands separators dropped. */
export function wholeNumber(digits: string): number {
  return Number(digits.indexOf(',') < 0 ? digits : digits.replace(/,/g, ''));
}

/**
 * Names in brackets after a value (`val loss: 0.30 (best: 0.28)`) that say
 * which earlier value or bound it is compared with: read, not stored.
 */
const QUALIFIERS = new Set(['best', 'min', 'max', 'prev', 'previous']);

/**
 * Where a time printed first (`12:00:03`, `12:00:03.123`, blanks around)
 * ends; 0 when the message does not start with one.
 */
function leadingClockEnd(text: string): number {
  let at = 0;
  while (isSpace(text.charCodeAt(at))) {
    at += 1;
  }
  for (let field = 0; field < 3; field++) {
    if (
      !isDigit(text.charCodeAt(at)) ||
      !isDigit(text.charCodeAt(at + 1)) ||
      (field < 2 && text.charCodeAt(at + 2) !== 0x3a)
    ) {
      return 0;
    }
    at += 3;
  }
  // After the seconds (at - 1): a fraction, then a blank.
  at -= 1;
  const point = text.charCodeAt(at);
  if ((point === 0x2e || point === 0x2c) && isDigit(text.charCodeAt(at + 1))) {
    at = skipDigits(text, at + 1);
  }
  return isSpace(text.charCodeAt(at)) ? at : 0;
}

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
  'minute',
  'params',
  'parameters',
  'gpu',
  'gpus',
  'device',
  'devices',
  // TensorFlow's GPU properties (`coreClock: 1.59GHz coreCount: 40`).
  'corecount',
  'rank',
  // Settings printed once at the start (`Random seed: 42`, `Image size:
  // 224`, `Batch size: 32`, `Num workers: 4`): one-point curves otherwise.
  'seed',
  'size',
  'workers',
  // TensorFlow's allocator dump on running out of memory (`Bin (256):
  // Total Chunks: 45`, `Limit: 15337586688`, `NumAllocs: 1234`...).
  'chunks',
  'allocs',
  'limit',
  'inuse',
  'maxinuse',
  'numallocs',
  'maxallocsize',
  'reserved',
  'peakreserved',
  'largestfreeblock'
]);
/** Endings of one-word names that identify or count, as NOT_METRICS. */
const NOT_METRIC_ENDINGS = [
  '_id',
  '_seed',
  '_size',
  '_workers',
  '_gpus',
  '_devices'
];
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
  'next',
  'became',
  'becomes',
  'become',
  'turned',
  'went',
  'hit',
  'reached',
  'exceeded',
  'exceeds',
  'exceeding',
  'above',
  'over',
  'the',
  'this',
  'that',
  'not',
  'no',
  'be',
  'been',
  'has',
  'have',
  'had',
  'did',
  'will',
  'into',
  'as'
]);

/** Longer words are not lower-cased to be looked up in NOT_NAMES. */
const LONGEST_NOT_NAME = Math.max(
  ...Array.from(NOT_NAMES, word => word.length)
);
/** Most words a name may have: `mean episode reward`. */
const MAX_NAME_WORDS = 4;
/**
 * Longest word of a name of several words: a long run of text before
 * `loss=0.25` is not part of the name (`loss` is).
 */
const MAX_NAME_WORD_LENGTH = 32;

/** Levels as log formats print them, in capitals: never a name. */
const LEVEL_WORDS = new Set([
  'DEBUG',
  'INFO',
  'WARNING',
  'WARN',
  'ERROR',
  'CRITICAL',
  'FATAL',
  'TRACE',
  'NOTICE'
]);

/** Extensions of source files: `train.py:42` is a location, not a pair. */
const SOURCE_EXTENSIONS = new Set([
  'py',
  'pyx',
  'ipynb',
  'c',
  'cc',
  'cpp',
  'cxx',
  'cu',
  'h',
  'hpp',
  'js',
  'mjs',
  'ts',
  'java',
  'scala',
  'go',
  'rs',
  'rb',
  'jl',
  'sh'
]);

/**
 * Words of names whose infinite value is a setting or a starting point
 * (`best: inf` before any epoch, `clip_value: inf`), not a value gone
 * non-finite.
 */
const BOUND_WORDS = new Set([
  'best',
  'min',
  'max',
  'minimum',
  'maximum',
  'threshold',
  'clip',
  'clipnorm',
  'clipvalue',
  'limit',
  'patience',
  'bound',
  'baseline'
]);

/** An infinite value of a bound's name (NaN is never one): read, not stored. */
function boundAtInfinity(name: string, value: ParsedValue | null): boolean {
  if (value === null || value.finite || value.value === 'NaN') {
    return false;
  }
  return name.split(/[_./-]/).some(word => BOUND_WORDS.has(word));
}

/**
 * Is a pair of this name read but not stored (an identifier or a count)?
 * `lastWord` lower-cased; `available` leaves it to the word before
 * (`Num GPUs Available: 1`).
 */
function countsOrIdentifies(lastWord: string, before?: string): boolean {
  let word = lastWord;
  if (word === 'available' && before !== undefined) {
    word = before.toLowerCase();
  } else if (word.endsWith('_available')) {
    word = word.slice(0, -'_available'.length);
  }
  return (
    NOT_METRICS.has(word) ||
    NOT_METRIC_ENDINGS.some(ending => word.endsWith(ending))
  );
}

/** The word before a name's last, if any. */
function wordBefore(words: string[]): string | undefined {
  return words.length > 1 ? words[words.length - 2] : undefined;
}

/**
 * The stored name of words read outside the scanner (lines/phrases.ts), or
 * null when they make no clean name of a metric (a small word, a level, an
 * identifier): the scanner's rules for a name.
 */
export function phraseName(words: string[]): string | null {
  if (
    words.length > MAX_NAME_WORDS ||
    words.some(word => !isNameStart(word.charCodeAt(0)))
  ) {
    return null;
  }
  if (words.length > 1 && !words.every(isNameWord)) {
    return null;
  }
  const name = nameOf(words);
  return countsOrIdentifies(
    words[words.length - 1].toLowerCase(),
    wordBefore(words)
  )
    ? null
    : name;
}

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

/**
 * Messages recently found to hold neither positions nor named numbers, by
 * length. scanLine is a pure function of the text, so the same text again
 * holds nothing: prose that repeats word for word (TensorFlow's C++ notices,
 * a loader's messages) is read once. Looked up by length, then compared: a
 * set would hash every line's text first, most of which hold numbers.
 * Bounded: a few texts per length, emptied when it holds too many lengths,
 * and long messages are not kept.
 */
const HOLDS_NOTHING = new Map<number, string[]>();
const MAX_REMEMBERED_LENGTHS = 1024;
const MAX_REMEMBERED_PER_LENGTH = 4;
const MAX_REMEMBERED_CHARS = 1024;

/** scanLine, reading a message already found to hold nothing only once. */
export function scanLineRemembered(text: string): IScanResult | null {
  const known = HOLDS_NOTHING.get(text.length);
  if (known !== undefined && known.includes(text)) {
    return null;
  }
  const result = scanLine(text);
  if (result === null && text.length <= MAX_REMEMBERED_CHARS) {
    if (known === undefined) {
      if (HOLDS_NOTHING.size >= MAX_REMEMBERED_LENGTHS) {
        HOLDS_NOTHING.clear();
      }
      HOLDS_NOTHING.set(text.length, [text]);
    } else {
      if (known.length >= MAX_REMEMBERED_PER_LENGTH) {
        known.shift();
      }
      known.push(text);
    }
  }
  return result;
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
  // A time printed first (`12:00:03 step 100 loss=0.25`) is a boundary.
  let index = leadingClockEnd(text);
  let atStart = true;
  let depth = 0;
  let positionSeen = false;
  /** A `(` right after a value: `(best: 0.28)` qualifies it. */
  let qualifying = false;
  /** A pair just read, kept only if no free word follows it. */
  let pending = false;
  /** A free word since the last strong boundary: no names of several words. */
  let prose = false;
  let bracketedNumber = false;
  /** Where the last pair or position read ends. */
  let valueEnd = -1;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (isSpace(code)) {
      if (code === 0x09) {
        atStart = true;
        pending = false;
        prose = false;
      }
      // ` - ` separates like `|`.
      if (
        text.charCodeAt(index + 1) === 0x2d &&
        isSpace(text.charCodeAt(index + 2))
      ) {
        atStart = true;
        pending = false;
        prose = false;
        index += 3;
        continue;
      }
      index += 1;
      continue;
    }
    if (isSeparator(code) || isOpener(code) || isCloser(code)) {
      qualifying =
        code === 0x28 &&
        valueEnd >= 0 &&
        (index === valueEnd ||
          (index === valueEnd + 1 && isSpace(text.charCodeAt(valueEnd))));
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
      // `,` and `:` go on with the segment's prose; the others end it.
      if (code !== 0x2c && code !== 0x3a) {
        prose = false;
      }
      atStart = true;
      pending = false;
      index += 1;
      continue;
    }
    if (atStart && startsWord(code)) {
      const read = readAt(text, index, positionSeen, depth <= 1, !prose);
      if (read !== null) {
        index = read.end;
        valueEnd = read.pair || read.position ? index : -1;
        if (read.position) {
          positionSeen = true;
          found = applyPosition(result, read.position) || found;
          pending = false;
        } else if (read.pair) {
          if (qualifying && QUALIFIERS.has(read.pair.name)) {
            // The best or previous value of the value before: no curve.
            read.pair.value = null;
          }
          pairs.push(read.pair);
          pending = !read.equals;
        } else {
          pending = false;
        }
        if (read.boundary) {
          prose = false;
        }
        atStart = true;
        qualifying = false;
        continue;
      }
    }
    if (code === 0x2e && index === valueEnd) {
      // A sentence's full stop right after a value (valueEnds allowed it
      // there): it ends the sentence, and the pair is no prose.
      atStart = true;
      pending = false;
      prose = false;
      index += 1;
      continue;
    }
    // A free word or other text: the pair just before it was prose.
    if (pending) {
      pairs.pop();
      pending = false;
    }
    if (isNameStart(code)) {
      prose = true;
    }
    atStart = false;
    index = skipToken(text, index);
  }
  for (const pair of pairs) {
    if (pair.value) {
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
        result.step = wholeNumber(bar[1]);
        if (bar[2] !== undefined) {
          result.steps_total = wholeNumber(bar[2]);
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
  /** A level word or a source location: ends the segment's prose. */
  boundary?: boolean;
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

/**
 * Could this word be one of POSITION_WORDS, in any case? Checked first, so
 * that most words are not lower-cased (a new string) only to be looked up.
 */
function mayBePositionWord(word: string): boolean {
  if (word.length < 2 || word.length > 11) {
    return false;
  }
  // A to Z and a to z differ by 0x20 only.
  const first = word.charCodeAt(0) | 0x20;
  return (
    first === 0x65 || // e
    first === 0x73 || // s
    first === 0x67 || // g
    first === 0x62 || // b
    first === 0x69 // i
  );
}

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

/**
 * The value at `index` and where it ends (a `%` after it included), or null.
 * Value null: a token to skip, not a value (a number with a unit, `0.5s`,
 * or the percentage in front of a progress bar, `45%|`).
 */
function readValue(
  text: string,
  index: number
): { value: ParsedValue | null; end: number } | null {
  const first = text.charCodeAt(index);
  if (first === 0x74 || first === 0x3c) {
    return tensorValue(text, index);
  }
  let end = numberEnd(text, index);
  let value: ParsedValue | null;
  if (end >= 0) {
    if (text.charCodeAt(end) === 0x2c && isDigit(text.charCodeAt(end + 1))) {
      // `1,234.5`, or a number cut at a comma (`0,25`): no value then.
      return groupedValue(text, index, end);
    }
    const plain = decimalValue(text, index, end);
    value = fromNumber(
      Number.isNaN(plain) ? Number(text.slice(index, end)) : plain
    );
    const unit = unitEnd(text, end);
    if (unit > end) {
      return valueEnds(text, unit) ? { value: null, end: unit } : null;
    }
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
    // tqdm's percentage, before its bar: progress, not a value.
    if (text.charCodeAt(end) === 0x7c) {
      return { value: null, end };
    }
  }
  return valueEnds(text, end) ? { value, end } : null;
}

/**
 * A scalar eager tensor as Python prints it: `tf.Tensor(0.25, shape=(),
 * dtype=float32)` (str) or `<tf.Tensor: shape=(), dtype=float32,
 * numpy=0.25>` (repr, inside a dict): what `print(loss)` shows in a custom
 * loop. Tensors with a shape are no single value.
 */
const TENSOR_STR = new RegExp(
  `tf\\.Tensor\\((${VALUE_SOURCE}), shape=\\(\\), dtype=\\w+\\)`,
  'y'
);
const TENSOR_REPR = new RegExp(
  `<tf\\.Tensor: (?:id=\\d+, )?shape=\\(\\), dtype=\\w+, numpy=(${VALUE_SOURCE})>`,
  'y'
);

function tensorValue(
  text: string,
  index: number
): { value: ParsedValue | null; end: number } | null {
  const expression = text.charCodeAt(index) === 0x74 ? TENSOR_STR : TENSOR_REPR;
  expression.lastIndex = index;
  const tensor = expression.exec(text);
  if (!tensor || !valueEnds(text, expression.lastIndex)) {
    return null;
  }
  return { value: parseValue(tensor[1]), end: expression.lastIndex };
}

const GROUPED = /^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;

/**
 * A number in thousands groups at `start` (`12,345`, `1,234,567.5`), whose
 * first comma `numberEnd` stopped at. Digits, commas and points in any
 * other order (`0,25`, `1,2345`, `0.5,0.6`) make a token to skip (value
 * null), never a number cut at a comma.
 */
function groupedValue(
  text: string,
  start: number,
  comma: number
): { value: ParsedValue | null; end: number } | null {
  let end = comma;
  for (;;) {
    const code = text.charCodeAt(end);
    if (isDigit(code)) {
      end += 1;
    } else if (
      (code === 0x2c || code === 0x2e) &&
      isDigit(text.charCodeAt(end + 1))
    ) {
      end += 2;
    } else {
      break;
    }
  }
  if (!valueEnds(text, end)) {
    return null;
  }
  const printed = text.slice(start, end);
  const value = GROUPED.test(printed)
    ? fromNumber(Number(printed.replace(/,/g, '')))
    : null;
  return { value, end };
}

/**
 * End of a unit right after a number (`0.5s`, `12ms`, `9.87MB/s`,
 * `17.1it/s`): letters, maybe `/` and letters; `end` when there is none.
 */
function unitEnd(text: string, end: number): number {
  let at = end;
  while (isLetter(text.charCodeAt(at))) {
    at += 1;
  }
  if (
    at > end &&
    text.charCodeAt(at) === 0x2f &&
    isLetter(text.charCodeAt(at + 1))
  ) {
    at += 2;
    while (isLetter(text.charCodeAt(at))) {
      at += 1;
    }
  }
  return at;
}

function isLetter(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0xb5 // µ
  );
}

function isNameStart(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f
  );
}

function wordEnd(text: string, index: number): number {
  let end = index;
  while (end < text.length && isNameChar(text.charCodeAt(end))) {
    end += 1;
  }
  return end;
}

/** Can a word of several be one of a name's? */
function isNameWord(word: string): boolean {
  return (
    word.length <= MAX_NAME_WORD_LENGTH &&
    !(word.length <= LONGEST_NOT_NAME && NOT_NAMES.has(word.toLowerCase())) &&
    !LEVEL_WORDS.has(word)
  );
}

/** `file.py:42`: where the location ends, or -1. */
function locationEnd(text: string, word: string, end: number): number {
  const dot = word.lastIndexOf('.');
  if (
    dot < 0 ||
    text.charCodeAt(end) !== 0x3a ||
    !isDigit(text.charCodeAt(end + 1)) ||
    !SOURCE_EXTENSIONS.has(word.slice(dot + 1).toLowerCase())
  ) {
    return -1;
  }
  return skipDigits(text, end + 1);
}

/**
 * Does the name at `index` follow `device:`? The type of a TensorFlow
 * device name (`/device:CPU:0`, `/job:localhost/.../device:GPU:0`) and its
 * number identify a device, as `device` and `gpu` do.
 */
function deviceType(text: string, index: number): boolean {
  return (
    index >= 7 &&
    text.charCodeAt(index - 1) === 0x3a &&
    text.startsWith('device', index - 7)
  );
}

/** The stored name of a name's words: lower-cased, joined by `_`. */
function nameOf(words: string[]): string {
  if (words.length === 1) {
    return words[0].toLowerCase();
  }
  const name = words.join('_').toLowerCase();
  // The gradient-norm pattern's name, which alerts use.
  return name === 'gradient_norm' || name === 'grad_norm' ? 'grad_norm' : name;
}

/**
 * A position, a pair, or a boundary (a level word, a source location)
 * starting at `index`, or null. `multiWord`: names of several words may
 * start here (a clean segment).
 */
function readAt(
  text: string,
  index: number,
  spaceBinding: boolean,
  outerLevel: boolean,
  multiWord: boolean
): IRead | null {
  let at = index;
  const quote = text.charCodeAt(at);
  const quoted = quote === 0x22 || quote === 0x27;
  if (quoted) {
    at += 1;
  }
  if (!isNameStart(text.charCodeAt(at))) {
    return null;
  }
  let wordStop = wordEnd(text, at + 1);
  const first = text.slice(at, wordStop);
  if (mayBePositionWord(first) && POSITION_WORDS.has(first.toLowerCase())) {
    const position = readPosition(text, index, outerLevel);
    if (position) {
      return position;
    }
  }
  const words = [first];
  if (quoted) {
    // The quotes say where the name ends: `'train loss': 0.3`.
    while (
      words.length < MAX_NAME_WORDS &&
      text.charCodeAt(wordStop) === 0x20 &&
      isNameStart(text.charCodeAt(wordStop + 1))
    ) {
      const next = wordEnd(text, wordStop + 2);
      words.push(text.slice(wordStop + 1, next));
      wordStop = next;
    }
    if (text.charCodeAt(wordStop) !== quote) {
      return null;
    }
    return bindAt(text, wordStop + 1, words, false, outerLevel);
  }
  if (LEVEL_WORDS.has(first)) {
    return { end: wordStop, boundary: true };
  }
  const location = locationEnd(text, first, wordStop);
  if (location >= 0) {
    return { end: location, boundary: true };
  }
  for (;;) {
    const read = bindAt(text, wordStop, words, spaceBinding, outerLevel);
    if (read !== null) {
      if (read.pair && deviceType(text, index)) {
        read.pair.value = null;
      }
      return read;
    }
    // One more word of the name?
    const next = wordStop + 1;
    if (
      !multiWord ||
      words.length >= MAX_NAME_WORDS ||
      text.charCodeAt(wordStop) !== 0x20 ||
      !isNameStart(text.charCodeAt(next)) ||
      !isNameWord(words[words.length - 1])
    ) {
      return null;
    }
    const nextStop = wordEnd(text, next + 1);
    const word = text.slice(next, nextStop);
    if (
      !isNameWord(word) ||
      (mayBePositionWord(word) &&
        POSITION_WORDS.has(word.toLowerCase()) &&
        readPosition(text, next, outerLevel) !== null)
    ) {
      return null;
    }
    words.push(word);
    wordStop = nextStop;
  }
}

/**
 * A name's binding and value after its words (ending at `end`): `:` or `=`
 * with spaces around, or a space when `spaceBinding`; null when unbound.
 */
function bindAt(
  text: string,
  nameEnd: number,
  words: string[],
  spaceBinding: boolean,
  outerLevel: boolean
): IRead | null {
  let end = nameEnd;
  while (end < text.length && isSpace(text.charCodeAt(end))) {
    end += 1;
  }
  const bind = text.charCodeAt(end);
  const bound = bind === 0x3a || bind === 0x3d;
  // Most words of prose are unbound: lower-cased only once they may be a name.
  if (!bound && (!spaceBinding || end === nameEnd)) {
    return null;
  }
  const last = words[words.length - 1].toLowerCase();
  if (bound) {
    end += 1;
    while (end < text.length && isSpace(text.charCodeAt(end))) {
      end += 1;
    }
  } else if (NOT_NAMES.has(last)) {
    return null;
  }
  const value = readValue(text, end);
  if (!value) {
    // `name: text`: a name, but no number. A space-bound word is just a word.
    return bound ? { end } : null;
  }
  const name = nameOf(words);
  return {
    end: value.end,
    pair: {
      name,
      value:
        outerLevel &&
        !countsOrIdentifies(last, wordBefore(words)) &&
        !boundAtInfinity(name, value.value)
          ? value.value
          : null
    },
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
      value: wholeNumber(position[4])
    };
    if (position[5] !== undefined) {
      read.position.total = wholeNumber(position[5]);
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
