/**
 * Reading a captured time the way Logstash's `date` filter does: a list of
 * formats, each either a name (`ISO8601`, `UNIX`, `UNIX_MS`) or a Joda-style
 * pattern (`dd/MMM/yyyy:HH:mm:ss Z`, `MMM  d HH:mm:ss`), tried in order.
 *
 * A read time is a wall clock (read as if it were UTC) with the zone offset
 * printed with it, if any. Without a zone the parser's usual rules apply
 * (see ../time.ts); without a year (syslog), the year is the one that puts
 * the time closest to a reference time, so `Dec 31 23:59:59` read on
 * January 1st is last year's.
 */
import { partsInRange } from '../time';

export interface IReadTime {
  /** The printed wall-clock time read as if it were UTC, in milliseconds. */
  wallMs: number;
  /** The zone offset printed with it, minutes east of UTC. */
  offsetMinutes?: number;
}

export interface ITimeFormat {
  /** As written in the configuration. */
  spec: string;
  /** The time in `text` (all of it, blanks around it aside), or null. */
  read(text: string, referenceMs: number): IReadTime | null;
}

/** A format that cannot be used, with why. */
export class TimeFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeFormatError';
  }
}

const MONTHS = [
  'jan',
  'feb',
  'mar',
  'apr',
  'may',
  'jun',
  'jul',
  'aug',
  'sep',
  'oct',
  'nov',
  'dec'
];
const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december'
];
const DAY_WORD = '[A-Za-z]{3,9}';

const ISO8601 =
  /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?\s?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Formats tried when a pattern names none: what logs commonly print. */
export const DEFAULT_TIME_FORMATS: readonly string[] = [
  'ISO8601',
  'UNIX',
  'MMM d HH:mm:ss',
  'MMM d yyyy HH:mm:ss',
  'dd/MMM/yyyy:HH:mm:ss Z',
  'EEE MMM d HH:mm:ss.SSSSSS yyyy',
  'EEE MMM d HH:mm:ss yyyy',
  'dd-MMM-yyyy HH:mm:ss.SSS',
  'MMM d, yyyy h:mm:ss a',
  'yyyy/MM/dd HH:mm:ss',
  'yy/MM/dd HH:mm:ss'
];

/** Compile one format of a `date` list; throws TimeFormatError. */
export function compileTimeFormat(spec: string): ITimeFormat {
  switch (spec) {
    case 'ISO8601':
      return { spec, read: readIso8601 };
    case 'UNIX':
      return { spec, read: text => readEpoch(text, 1000) };
    case 'UNIX_MS':
      return { spec, read: text => readEpoch(text, 1) };
    case 'TAI64N':
      throw new TimeFormatError(
        'TAI64N is not supported (use ISO8601, UNIX, UNIX_MS or a Joda-style pattern)'
      );
    default:
      return jodaFormat(spec);
  }
}

/**
 * The default formats, with this difference from `UNIX`: a plain number
 * of 13 or more digits is read as milliseconds, as tflog always did.
 */
export function defaultTimeFormats(): ITimeFormat[] {
  return DEFAULT_TIME_FORMATS.map(spec =>
    spec === 'UNIX'
      ? {
          spec: 'UNIX or UNIX_MS',
          read: (text: string) => {
            const digits = text.trim().split('.')[0].replace(/^-/, '');
            return readEpoch(text, digits.length >= 13 ? 1 : 1000);
          }
        }
      : compileTimeFormat(spec)
  );
}

function readIso8601(text: string): IReadTime | null {
  const match = ISO8601.exec(text.trim());
  if (!match) {
    return null;
  }
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  return build({
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: hour === undefined ? 0 : Number(hour),
    minute: minute === undefined ? 0 : Number(minute),
    second: second === undefined ? 0 : Number(second),
    fraction,
    offsetMinutes: zone === undefined ? undefined : zoneMinutes(zone)
  });
}

function readEpoch(text: string, unitMs: number): IReadTime | null {
  const trimmed = text.trim();
  if (!/^-?\d+(?:\.\d+)?$/.test(trimmed)) {
    return null;
  }
  const wallMs = Number(trimmed) * unitMs;
  if (!Number.isFinite(wallMs) || Math.abs(wallMs) > 8.64e15) {
    return null;
  }
  return { wallMs: Math.round(wallMs), offsetMinutes: 0 };
}

function zoneMinutes(zone: string): number | undefined {
  const upper = zone.toUpperCase();
  if (upper === 'Z' || upper === 'UTC' || upper === 'GMT') {
    return 0;
  }
  const match = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!match) {
    return undefined;
  }
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? '0');
  return match[1] === '-' ? -minutes : minutes;
}

interface IParts {
  year?: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  fraction?: string;
  offsetMinutes?: number;
}

function build(parts: IParts, referenceMs = 0): IReadTime | null {
  const { month, day, hour, minute, second } = parts;
  if (!partsInRange(month, day, hour, minute, second)) {
    return null;
  }
  const millis =
    parts.fraction === undefined ? 0 : Number(`0.${parts.fraction}`) * 1000;
  const at = (year: number): number =>
    Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(millis);
  let wallMs: number;
  if (parts.year !== undefined) {
    wallMs = at(parts.year);
    if (new Date(wallMs).getUTCDate() !== day) {
      return null; // 31 February and the like
    }
  } else {
    // No year printed: the one closest to the reference time.
    const referenceYear = new Date(referenceMs).getUTCFullYear();
    wallMs = at(referenceYear);
    for (const year of [referenceYear - 1, referenceYear + 1]) {
      const candidate = at(year);
      if (Math.abs(candidate - referenceMs) < Math.abs(wallMs - referenceMs)) {
        wallMs = candidate;
      }
    }
  }
  if (!Number.isFinite(wallMs)) {
    return null;
  }
  return parts.offsetMinutes === undefined
    ? { wallMs }
    : { wallMs, offsetMinutes: parts.offsetMinutes };
}

type Setter = (parts: IPartsBuilder, text: string) => boolean;

interface IPartsBuilder extends Partial<IParts> {
  pm?: boolean;
  hour12?: number;
}

interface IToken {
  source: string;
  set: Setter | null;
}

const PATTERN_LETTERS = /[A-Za-z]/;
const NUMERIC_LETTERS = /[yYxdHhmsSM]/;

/** A Joda-style pattern as a regular expression and what each group sets. */
function jodaFormat(spec: string): ITimeFormat {
  const tokens: IToken[] = [];
  let i = 0;
  while (i < spec.length) {
    const char = spec[i];
    if (char === "'") {
      const close = spec.indexOf("'", i + 1);
      if (close < 0) {
        throw new TimeFormatError(
          `unterminated quote in time format '${spec}'`
        );
      }
      const literal = close === i + 1 ? "'" : spec.slice(i + 1, close);
      tokens.push({ source: escapeRegex(literal), set: null });
      i = close + 1;
      continue;
    }
    if (char === ' ') {
      // Logs pad days with a space (`Nov  8`): any run of spaces is one gap.
      while (spec[i] === ' ') {
        i += 1;
      }
      tokens.push({ source: ' +', set: null });
      continue;
    }
    if (!PATTERN_LETTERS.test(char)) {
      tokens.push({ source: escapeRegex(char), set: null });
      i += 1;
      continue;
    }
    let end = i;
    while (spec[end] === char) {
      end += 1;
    }
    // Numbers next to another number (yyyyMMdd) have exactly their width.
    const adjacent = NUMERIC_LETTERS.test(spec[end] ?? '');
    tokens.push(letterToken(spec, char, end - i, adjacent));
    i = end;
  }
  const letters = spec.replace(/'[^']*'/g, '');
  const hasDay = /d/.test(letters);
  const hasMonth = /M/.test(letters);
  if (!hasDay || !hasMonth || !/H|h/.test(letters)) {
    throw new TimeFormatError(
      `time format '${spec}' needs at least a month (M), a day (d) and an hour (H or h)`
    );
  }
  const regex = new RegExp(`^${tokens.map(token => token.source).join('')}$`);
  const setters = tokens.filter(token => token.set !== null);
  return {
    spec,
    read(text: string, referenceMs: number): IReadTime | null {
      const match = regex.exec(text.trim());
      if (!match) {
        return null;
      }
      const parts: IPartsBuilder = {};
      for (let group = 0; group < setters.length; group += 1) {
        const set = setters[group].set;
        if (set !== null && !set(parts, match[group + 1])) {
          return null;
        }
      }
      let hour = parts.hour ?? 0;
      if (parts.hour12 !== undefined) {
        hour = (parts.hour12 % 12) + (parts.pm === true ? 12 : 0);
      }
      return build(
        {
          year: parts.year,
          month: parts.month ?? 1,
          day: parts.day ?? 1,
          hour,
          minute: parts.minute ?? 0,
          second: parts.second ?? 0,
          fraction: parts.fraction,
          offsetMinutes: parts.offsetMinutes
        },
        referenceMs
      );
    }
  };
}

function numeric(
  count: number,
  max: number,
  exact: boolean,
  assign: (parts: IPartsBuilder, value: number) => void
): IToken {
  // As Joda parses: any number of digits up to the field's width, unless
  // the width is fixed (a year, or a number right before another).
  const digits = exact ? `\\d{${count}}` : `\\d{1,${max}}`;
  return {
    source: `(${digits})`,
    set: (parts, text) => {
      assign(parts, Number(text));
      return true;
    }
  };
}

function letterToken(
  spec: string,
  letter: string,
  count: number,
  exact: boolean
): IToken {
  switch (letter) {
    case 'y':
    case 'Y':
    case 'x':
      if (count === 2) {
        // Two-digit years: 1970 to 2069, as Joda pivots around now.
        return numeric(2, 2, true, (parts, value) => {
          parts.year = value < 70 ? 2000 + value : 1900 + value;
        });
      }
      return numeric(4, 4, true, (parts, value) => {
        parts.year = value;
      });
    case 'M':
      if (count >= 3) {
        return {
          source: count === 3 ? '([A-Za-z]{3})' : '([A-Za-z]{3,9})',
          set: (parts, text) => {
            const lower = text.toLowerCase();
            const index =
              count === 3 ? MONTHS.indexOf(lower) : MONTH_NAMES.indexOf(lower);
            parts.month = index + 1;
            return index >= 0;
          }
        };
      }
      return numeric(count, 2, exact, (parts, value) => {
        parts.month = value;
      });
    case 'd':
      return numeric(count, 2, exact, (parts, value) => {
        parts.day = value;
      });
    case 'H':
      return numeric(count, 2, exact, (parts, value) => {
        parts.hour = value;
      });
    case 'h':
      return numeric(count, 2, exact, (parts, value) => {
        parts.hour12 = value;
      });
    case 'm':
      return numeric(count, 2, exact, (parts, value) => {
        parts.minute = value;
      });
    case 's':
      return numeric(count, 2, exact, (parts, value) => {
        parts.second = value;
      });
    case 'S':
      return {
        source: exact ? `(\\d{${count}})` : '(\\d{1,9})',
        set: (parts, text) => {
          parts.fraction = text;
          return true;
        }
      };
    case 'a':
      return {
        source: '([AaPp][Mm])',
        set: (parts, text) => {
          parts.pm = text.toLowerCase() === 'pm';
          return true;
        }
      };
    case 'E':
      return { source: DAY_WORD, set: null };
    case 'Z':
      return {
        source:
          count === 1
            ? '([+-]\\d{4}|Z)'
            : count === 2
              ? '([+-]\\d{2}:\\d{2}|Z)'
              : '(UTC|GMT|Z)',
        set: (parts, text) => {
          parts.offsetMinutes = zoneMinutes(text);
          return parts.offsetMinutes !== undefined;
        }
      };
    case 'z':
      return {
        source: '(UTC|GMT|Z)',
        set: (parts, text) => {
          parts.offsetMinutes = zoneMinutes(text);
          return true;
        }
      };
    default:
      throw new TimeFormatError(
        `time format '${spec}': the letter '${letter}' is not supported (y M d H h m s S a E Z z; quote literal text: 'T')`
      );
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Text the parser's time reader takes: ISO 8601, with the zone when known. */
export function isoText(time: IReadTime): string {
  const offset = time.offsetMinutes;
  const iso = new Date(time.wallMs).toISOString();
  if (iso.length !== 24) {
    return iso; // beyond year 9999: left for the reader to refuse
  }
  const wall = iso.slice(0, 23);
  if (offset === undefined) {
    return wall;
  }
  const sign = offset < 0 ? '-' : '+';
  const magnitude = Math.abs(offset);
  const hours = String(Math.floor(magnitude / 60)).padStart(2, '0');
  const minutes = String(magnitude % 60).padStart(2, '0');
  return `${wall}${sign}${hours}:${minutes}`;
}
