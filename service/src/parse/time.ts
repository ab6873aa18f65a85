/**
 * Times printed in log lines and how they become `@timestamp`.
 *
 * `%(asctime)s` and TensorFlow's C++ prefix print the kernel's local wall
 * clock without a zone. The zone is taken, in order, from: the text itself
 * (`Z`, `+02:00`); the run context's `utc_offset` (seconds east of UTC, when
 * the kernel side sends one); the record's own `ts` (the line was stamped
 * when it was written, so the wall clock minus `ts`, rounded to a quarter
 * hour, is the kernel's offset, accepted when the rest is under two
 * minutes); and last, the local zone of the process running the parser
 * (the service runs on the kernel's host).
 */

export interface IWallTime {
  /** The printed wall-clock time read as if it were UTC, in milliseconds. */
  wallMs: number;
  /** The zone offset printed with it, minutes east of UTC. */
  offsetMinutes?: number;
}

const WALL_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Parse `2026-11-28 20:16:59,470`, `2025-04-05T10:23:45.123`, `...Z`, `...+02:00`. */
export function parseWallTime(text: string): IWallTime | null {
  const quick = quickWallTime(text);
  if (quick !== null) {
    return quick;
  }
  const match = WALL_TIME.exec(text.trim());
  if (!match) {
    return null;
  }
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const wall = wallMilliseconds(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    second === undefined ? 0 : Number(second),
    fraction
  );
  if (wall === null) {
    return null;
  }
  const offsetMinutes = zone === undefined ? undefined : parseZone(zone);
  return offsetMinutes === undefined
    ? { wallMs: wall }
    : { wallMs: wall, offsetMinutes };
}

/** The last `YYYY-MM-DD HH:MM:SS` read and its wall milliseconds: log lines come a second after another. */
const lastSecond = { text: '', wallMs: 0 };

/**
 * `2026-11-28 20:16:59` with `,470`, `.470123` or nothing after it, the
 * commonest form, read without the regular expression once its second was
 * seen; null for anything else.
 */
function quickWallTime(text: string): IWallTime | null {
  if (
    lastSecond.text === '' ||
    !text.startsWith(lastSecond.text) ||
    !hasDigitsOnly(text, 20, text.length)
  ) {
    if (text.length >= 19 && WALL_SECOND.test(text)) {
      const wallMs = parseWallTimeSlowly(text.slice(0, 19));
      if (wallMs !== null) {
        lastSecond.text = text.slice(0, 19);
        lastSecond.wallMs = wallMs;
      }
    }
    return null;
  }
  if (text.length === 19) {
    return { wallMs: lastSecond.wallMs };
  }
  const separator = text.charCodeAt(19);
  if ((separator !== 0x2c && separator !== 0x2e) || text.length === 20) {
    return null;
  }
  const millis = Number(`0.${text.slice(20)}`) * 1000;
  return { wallMs: Math.round(lastSecond.wallMs + millis) };
}

const WALL_SECOND = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[.,]\d+)?$/;

function hasDigitsOnly(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) {
      return false;
    }
  }
  return true;
}

function parseWallTimeSlowly(text: string): number | null {
  const match = WALL_TIME.exec(text);
  if (!match) {
    return null;
  }
  const [, year, month, day, hour, minute, second] = match;
  return wallMilliseconds(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    second === undefined ? 0 : Number(second)
  );
}

/** Whether printed date and clock parts can name a time (a leap second too). */
export function partsInRange(
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number
): boolean {
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 31 &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 60
  );
}

/** Build wall milliseconds from parts, or null when a part is out of range. */
export function wallMilliseconds(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction?: string
): number | null {
  if (!partsInRange(month, day, hour, minute, second)) {
    return null;
  }
  const millis = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  const value = Date.UTC(year, month - 1, day, hour, minute, second) + millis;
  return Number.isFinite(value) ? Math.round(value) : null;
}

function parseZone(zone: string): number {
  if (zone === 'Z') {
    return 0;
  }
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes);
}

const QUARTER_HOUR_S = 900;
/** Zones at a quarter past or to the hour: Nepal, Eucla, Chatham. */
const QUARTER_ZONES_S = [5 * 3600 + 2700, 8 * 3600 + 2700, 12 * 3600 + 2700];

/** Offsets real zones use: whole and half hours from -12:00 to +14:00, and three at :45. */
function isZoneOffset(offset: number): boolean {
  if (offset < -12 * 3600 || offset > 14 * 3600) {
    return false;
  }
  return offset % 1800 === 0 || QUARTER_ZONES_S.includes(offset);
}
const MAX_WRITE_DELAY_S = 120;

/** Epoch seconds of a printed wall time (see the module comment for the zone rules). */
export function resolveWallTime(
  wall: IWallTime,
  recordTs: number,
  declaredOffsetSeconds: number | null
): number {
  if (wall.offsetMinutes !== undefined) {
    return (wall.wallMs - wall.offsetMinutes * 60000) / 1000;
  }
  if (declaredOffsetSeconds !== null) {
    return wall.wallMs / 1000 - declaredOffsetSeconds;
  }
  if (Number.isFinite(recordTs)) {
    const difference = wall.wallMs / 1000 - recordTs;
    const offset = Math.round(difference / QUARTER_HOUR_S) * QUARTER_HOUR_S;
    if (
      isZoneOffset(offset) &&
      Math.abs(difference - offset) <= MAX_WRITE_DELAY_S
    ) {
      return wall.wallMs / 1000 - offset;
    }
  }
  const parts = new Date(wall.wallMs);
  return (
    new Date(
      parts.getUTCFullYear(),
      parts.getUTCMonth(),
      parts.getUTCDate(),
      parts.getUTCHours(),
      parts.getUTCMinutes(),
      parts.getUTCSeconds(),
      parts.getUTCMilliseconds()
    ).getTime() / 1000
  );
}

/** Largest time a JavaScript Date can hold, in seconds. */
const MAX_DATE_S = 8.64e12;

/** ISO 8601 text of epoch seconds; null when the number is no usable time. */
export function isoFromSeconds(seconds: number): string | null {
  if (!Number.isFinite(seconds) || Math.abs(seconds) > MAX_DATE_S) {
    return null;
  }
  const millis = Math.round(seconds * 1000);
  // A document's two times, and a record's documents, mostly repeat the
  // last of two times: the time printed in the line and the record's time.
  if (millis === lastIso.millis) {
    return lastIso.text;
  }
  if (millis === otherIso.millis) {
    // The most recent first: times printed in lines change, the record's stays.
    const text = otherIso.text;
    otherIso.millis = lastIso.millis;
    otherIso.text = lastIso.text;
    lastIso.millis = millis;
    lastIso.text = text;
    return text;
  }
  otherIso.millis = lastIso.millis;
  otherIso.text = lastIso.text;
  // Most events share their day with the previous one: format the date once a day.
  const sinceMidnight = millis - cachedDay.start;
  if (!(sinceMidnight >= 0 && sinceMidnight < DAY_MS)) {
    const iso = new Date(millis).toISOString();
    if (iso.length !== 24) {
      // Years beyond 0000-9999 print as ±YYYYYY: rare, not cached.
      return iso;
    }
    cachedDay.start = millis - (((millis % DAY_MS) + DAY_MS) % DAY_MS);
    cachedDay.prefix = iso.slice(0, 11);
    lastIso.millis = millis;
    lastIso.text = iso;
    return iso;
  }
  const hours = Math.floor(sinceMidnight / 3600000);
  const minutes = Math.floor(sinceMidnight / 60000) % 60;
  const secs = Math.floor(sinceMidnight / 1000) % 60;
  const ms = sinceMidnight % 1000;
  const text = `${cachedDay.prefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[secs]}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  lastIso.millis = millis;
  lastIso.text = text;
  return text;
}

const DAY_MS = 86400000;
const cachedDay = { start: Number.NaN, prefix: '' };
const lastIso = { millis: Number.NaN, text: '' };
const otherIso = { millis: Number.NaN, text: '' };
/** '00' to '99'. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, value) =>
  String(value).padStart(2, '0')
);

/** Read a captured `timestamp`: printed wall time or epoch seconds/milliseconds. */
export function parseTimestampText(
  text: string,
  recordTs: number,
  declaredOffsetSeconds: number | null
): number | null {
  const wall = parseWallTime(text);
  if (wall) {
    return resolveWallTime(wall, recordTs, declaredOffsetSeconds);
  }
  const trimmed = text.trim();
  if (/^\d{9,13}(?:\.\d+)?$/.test(trimmed)) {
    const value = Number(trimmed);
    // Thirteen integer digits are milliseconds.
    return trimmed.split('.')[0].length >= 13 ? value / 1000 : value;
  }
  return null;
}
