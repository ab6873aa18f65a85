/**
 * ISO 8601 times to milliseconds and back, remembering the last answers:
 * the points of a line share its time, and a batch's lines mostly share
 * their millisecond or a handful of them, while each point is read by the
 * routing, the curve summaries and the alerts (Date.parse and toISOString
 * took about 6 % of the service's CPU when shipping as fast as it can).
 */

/** The last two texts read, most recent first. */
const parsed = [
  { text: '', ms: Number.NaN },
  { text: '', ms: Number.NaN }
];

/** `Date.parse(text)`: milliseconds, NaN when unreadable. */
export function isoMs(text: string): number {
  const [last, other] = parsed;
  if (text === last.text) {
    return last.ms;
  }
  // Two times alternate often (a document's write time and printed time).
  parsed[0] = other;
  parsed[1] = last;
  if (text !== other.text) {
    other.text = text;
    other.ms = Date.parse(text);
  }
  return other.ms;
}

let formatted = { ms: Number.NaN, text: '' };

/** Largest time a JavaScript Date holds, in milliseconds either side of 1970. */
const MAX_DATE_MS = 8.64e15;

/** Whether `new Date(ms)` is a valid date (msIso does not throw for it). */
export function isDateMs(ms: number): boolean {
  return Math.abs(ms) <= MAX_DATE_MS;
}

/** `new Date(ms).toISOString()`, which it throws like for a time out of range. */
export function msIso(ms: number): string {
  if (ms !== formatted.ms) {
    formatted = { ms, text: new Date(ms).toISOString() };
  }
  return formatted.text;
}
