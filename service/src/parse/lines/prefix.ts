/**
 * Log-line prefixes: time, level and logger in front of the message.
 *
 *  - `python-asctime`: `%(asctime)s [%(levelname)s] %(message)s` and the
 *    usual variants (`asctime LEVEL msg`, `asctime - name - LEVEL - msg`),
 *    with `2026-11-28 20:16:59,470` or `2025-04-05T10:23:45.123` times.
 *  - `tensorflow-cpp`: `2026-11-28 20:16:59.470123: W tensorflow/...cc:42] msg` (TF 2.x).
 *  - `absl-log`: `W1128 20:16:59.470123  1234 file.cc:42] msg` and absl's
 *    early-start `I0000 00:00:1795898562.538287 ...` form (epoch seconds).
 *  - `python-level`: logging's default `WARNING:root:msg` and `WARNING: msg`.
 */
import { levelFromLetter, LEVEL_WORD_SOURCE, normaliseLevel } from '../levels';
import { parseWallTime, resolveWallTime, wallMilliseconds } from '../time';
import { ILineContext } from './event';

export interface IPrefix {
  pattern: string;
  time?: number;
  level?: string;
  logger?: string;
  /** The message after the prefix. */
  body: string;
}

const ASCTIME =
  /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)/;
/** `[asctime]`, as `[%(asctime)s] %(levelname)s - %(message)s` prints it. */
const ASCTIME_BRACKETED =
  /^\[(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)\]/;
/**
 * Loguru's default after its time: ` | LEVEL    | name:function:line - `;
 * the location is its logger, never a pair of the message.
 */
const LOGURU = /^ \| ([A-Z]+) *\| ([^\s:|]+:[^\s:|]+:\d+) - /;
const LOGURU_LEVELS = new Set([
  'TRACE',
  'DEBUG',
  'INFO',
  'SUCCESS',
  'WARNING',
  'ERROR',
  'CRITICAL'
]);
const TF_CPP =
  /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?): ([IWEF]) ([^\s\]]+)\] ?/;
const LOGGER_LEVEL = new RegExp(
  `^\\s*[-|]\\s*([^\\s|]+)\\s*[-|]\\s*(${LEVEL_WORD_SOURCE})\\s*[-|:]\\s*`
);
const BRACKET_LEVEL = new RegExp(
  `^\\s*[-|:]?\\s*\\[(${LEVEL_WORD_SOURCE})\\]\\s*(?:[-|:]\\s*)?`
);
const BARE_LEVEL = new RegExp(
  `^\\s*[-|:]?\\s*(${LEVEL_WORD_SOURCE})(?![\\w])\\s*(?:[-|:]\\s*)?`
);
const ABSL =
  /^([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d+(?:\.\d+)?) +\d+ ([^\s\]]+)\] ?/;
const PYTHON_LEVEL =
  /^(DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)(?::([A-Za-z_][\w.]*))?: ?/;

export function parsePrefix(
  line: string,
  context: ILineContext
): IPrefix | null {
  const first = line.charCodeAt(0);
  if (first >= 0x30 && first <= 0x39) {
    // Both time prefixes start with a date (`2026-`); Keras bars (`26/26`) do not.
    return startsWithYear(line, 0) ? parseTimePrefix(line, context) : null;
  }
  if (first === 0x5b && startsWithYear(line, 1)) {
    const bracketed = ASCTIME_BRACKETED.exec(line);
    return bracketed
      ? asctimePrefix(bracketed[1], line.slice(bracketed[0].length), context)
      : null;
  }
  if (isLevelLetter(first)) {
    const absl = parseAbsl(line, context);
    if (absl) {
      return absl;
    }
  }
  // PYTHON_LEVEL's level words start with D, I, W, E, C or F.
  if (!(first === 0x44 || first === 0x43 || isLevelLetter(first))) {
    return null;
  }
  const python = PYTHON_LEVEL.exec(line);
  if (python) {
    return withOptional(
      {
        pattern: 'python-level',
        level: normaliseLevel(python[1]),
        body: line.slice(python[0].length)
      },
      'logger',
      python[2]
    );
  }
  return null;
}

/** `dddd-` at `from`: how ASCTIME and TF_CPP start. */
function startsWithYear(line: string, from: number): boolean {
  for (let index = from; index < from + 4; index++) {
    const code = line.charCodeAt(index);
    if (!(code >= 0x30 && code <= 0x39)) {
      return false;
    }
  }
  return line.charCodeAt(from + 4) === 0x2d;
}

/** I, W, E or F: absl's level letters. */
function isLevelLetter(code: number): boolean {
  return code === 0x49 || code === 0x57 || code === 0x45 || code === 0x46;
}

function parseTimePrefix(line: string, context: ILineContext): IPrefix | null {
  // Prefixes are built field by field, not spread: this runs per line.
  const cpp = TF_CPP.exec(line);
  if (cpp) {
    return withTime(
      {
        pattern: 'tensorflow-cpp',
        level: levelFromLetter(cpp[2]),
        logger: cpp[3],
        body: line.slice(cpp[0].length)
      },
      cpp[1],
      context
    );
  }
  const asctime = ASCTIME.exec(line);
  if (!asctime) {
    return null;
  }
  return asctimePrefix(asctime[1], line.slice(asctime[0].length), context);
}

/** What follows a `%(asctime)s` time (`time`): level, logger, message. */
function asctimePrefix(
  time: string,
  rest: string,
  context: ILineContext
): IPrefix | null {
  const loguru = rest.charCodeAt(1) === 0x7c ? LOGURU.exec(rest) : null;
  if (loguru && LOGURU_LEVELS.has(loguru[1])) {
    return withTime(
      {
        pattern: 'python-asctime',
        logger: loguru[2],
        // Loguru's own level between info and warning.
        level: loguru[1] === 'SUCCESS' ? 'info' : normaliseLevel(loguru[1]),
        body: rest.slice(loguru[0].length)
      },
      time,
      context
    );
  }
  const withLogger = LOGGER_LEVEL.exec(rest);
  if (withLogger) {
    return withTime(
      {
        pattern: 'python-asctime',
        logger: withLogger[1],
        level: normaliseLevel(withLogger[2]),
        body: rest.slice(withLogger[0].length)
      },
      time,
      context
    );
  }
  const level = BRACKET_LEVEL.exec(rest) ?? BARE_LEVEL.exec(rest);
  if (level) {
    return withTime(
      {
        pattern: 'python-asctime',
        level: normaliseLevel(level[1]),
        body: rest.slice(level[0].length)
      },
      time,
      context
    );
  }
  if (/^\s/.test(rest)) {
    return withTime(
      { pattern: 'python-asctime', body: rest.trimStart() },
      time,
      context
    );
  }
  return null;
}

function parseAbsl(line: string, context: ILineContext): IPrefix | null {
  const match = ABSL.exec(line);
  if (!match) {
    return null;
  }
  const [whole, letter, month, day, hour, minute, second, location] = match;
  const prefix: IPrefix = {
    pattern: 'absl-log',
    level: levelFromLetter(letter),
    logger: location,
    body: line.slice(whole.length)
  };
  const time = abslTime(month, day, hour, minute, second, context);
  if (time !== null) {
    prefix.time = time;
  }
  return prefix;
}

/** absl prints `0000 00:00:<epoch seconds>` before its clock is set up. */
function abslTime(
  month: string,
  day: string,
  hour: string,
  minute: string,
  second: string,
  context: ILineContext
): number | null {
  if (month === '00' && day === '00' && hour === '00' && minute === '00') {
    const seconds = Number(second);
    return seconds > 0 ? seconds : null;
  }
  if (!Number.isFinite(context.recordTs)) {
    return null;
  }
  const year = new Date(context.recordTs * 1000).getUTCFullYear();
  const [whole, fraction] = second.split('.');
  const wallMs = wallMilliseconds(
    year,
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(whole),
    fraction
  );
  if (wallMs === null) {
    return null;
  }
  return resolveWallTime({ wallMs }, context.recordTs, context.utcOffset);
}

/** The prefix with the time read from `text`, when it is one. */
function withTime(
  prefix: IPrefix,
  text: string,
  context: ILineContext
): IPrefix {
  const wall = parseWallTime(text);
  if (wall) {
    prefix.time = resolveWallTime(wall, context.recordTs, context.utcOffset);
  }
  return prefix;
}

function withOptional(
  prefix: IPrefix,
  key: 'logger',
  value: string | undefined
): IPrefix {
  if (value !== undefined) {
    prefix[key] = value;
  }
  return prefix;
}
