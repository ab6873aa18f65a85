import { NonFinite } from '../types';

/**
 * Metric values as training code prints them: `0.8765`, `1e-4`, `3.2e+01`,
 * and the non-finite spellings of Python, NumPy and JavaScript.
 */

/** Regex source of a printed metric value (finite or not); no capture groups. */
export const VALUE_SOURCE =
  '[-+]?(?:\\d+(?:\\.\\d*)?(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?|[Nn][Aa][Nn]|[Ii][Nn][Ff](?:[Ii][Nn][Ii][Tt][Yy])?)';

const FINITE_NUMBER =
  /^[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)$/;
const NAN_WORD = /^[-+]?nan$/i;
const INFINITY_WORD = /^([-+]?)inf(?:inity)?$/i;

/** A parsed value: a finite number, or a spelt-out non-finite one. */
export type ParsedValue =
  { finite: true; value: number } | { finite: false; value: NonFinite };

/** 10 to the powers an exact decimal needs (decimalValue). */
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, power) => 10 ** power);

/**
 * The value of text[start, end) when it is a plain decimal (`0.4811`,
 * `-12`, `3.`, `.5`: a sign, at most 15 digits, one point, nothing else),
 * else NaN. Exact: the digits and the power of ten are exact doubles and
 * one division rounds correctly, as Number() does; and no substring is made.
 */
export function decimalValue(text: string, start: number, end: number): number {
  let at = start;
  const sign = text.charCodeAt(at);
  if (sign === 0x2d || sign === 0x2b) {
    at += 1;
  }
  let digits = 0;
  let whole = 0;
  /** Digits after the point; -1 before it. */
  let scale = -1;
  for (; at < end; at++) {
    const code = text.charCodeAt(at);
    if (code >= 0x30 && code <= 0x39) {
      whole = whole * 10 + (code - 0x30);
      digits += 1;
      if (scale >= 0) {
        scale += 1;
      }
    } else if (code === 0x2e && scale < 0) {
      scale = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) {
    return NaN;
  }
  const value = scale > 0 ? whole / POWERS_OF_TEN[scale] : whole;
  return sign === 0x2d ? -value : value;
}

/** Parse one printed value; `null` when the text is not a number at all. */
export function parseValue(text: string): ParsedValue | null {
  // Most values are plain decimals: read without trimming or a regex.
  const plain = decimalValue(text, 0, text.length);
  if (!Number.isNaN(plain)) {
    return { finite: true, value: plain };
  }
  const trimmed = text.trim();
  if (FINITE_NUMBER.test(trimmed)) {
    return fromNumber(Number(trimmed));
  }
  if (NAN_WORD.test(trimmed)) {
    return { finite: false, value: 'NaN' };
  }
  const infinity = INFINITY_WORD.exec(trimmed);
  if (infinity) {
    return {
      finite: false,
      value: infinity[1] === '-' ? '-Infinity' : 'Infinity'
    };
  }
  return null;
}

/** Classify a JavaScript number (1e999 overflows to Infinity). */
export function fromNumber(value: number): ParsedValue {
  if (Number.isFinite(value)) {
    return { finite: true, value };
  }
  if (Number.isNaN(value)) {
    return { finite: false, value: 'NaN' };
  }
  return { finite: false, value: value > 0 ? 'Infinity' : '-Infinity' };
}

/** A value as the kernel's metrics records carry it: number or spelt-out string. */
export function parseRecordValue(value: unknown): ParsedValue | null {
  if (typeof value === 'number') {
    return fromNumber(value);
  }
  if (typeof value === 'string') {
    return parseValue(value);
  }
  return null;
}

/** Most metrics one event keeps: a 5 MB line of `a: 1 ` pairs must not become one huge document. */
export const MAX_METRICS_PER_EVENT = 256;

/** What every bag nothing was added to reads. */
const NO_VALUES: ReadonlyMap<string, ParsedValue> = new Map();

/**
 * Finite values and non-finite ones, kept apart (Elasticsearch cannot index
 * NaN). Names are free text (`__proto__` included), hence a Map inside and
 * prototype-less objects outside.
 */
export class MetricBag {
  // Made on the first value: many lines' bags stay empty, and a Map each
  // would cost more than the rest of the bag.
  private added: Map<string, ParsedValue> | null = null;

  private get values(): ReadonlyMap<string, ParsedValue> {
    return this.added ?? NO_VALUES;
  }

  get size(): number {
    return this.values.size;
  }

  get full(): boolean {
    return this.values.size >= MAX_METRICS_PER_EVENT;
  }

  /** Finite values by name. */
  get metrics(): Record<string, number> {
    const out: Record<string, number> = Object.create(null);
    for (const [name, value] of this.values) {
      if (value.finite) {
        out[name] = value.value;
      }
    }
    return out;
  }

  /** Non-finite values by name, spelt out. */
  get nonfinite(): Record<string, NonFinite> {
    const out: Record<string, NonFinite> = Object.create(null);
    for (const [name, value] of this.values) {
      if (!value.finite) {
        out[name] = value.value;
      }
    }
    return out;
  }

  /**
   * Finite and non-finite values as plain objects in one pass (each null
   * when there are none), as a document carries them.
   */
  fields(): {
    metrics: Record<string, number> | null;
    nonfinite: Record<string, NonFinite> | null;
  } {
    let metrics: Record<string, number> | null = null;
    let nonfinite: Record<string, NonFinite> | null = null;
    for (const [name, value] of this.values) {
      if (value.finite) {
        setField((metrics ??= {}), name, value.value);
      } else {
        setField((nonfinite ??= {}), name, value.value);
      }
    }
    return { metrics, nonfinite };
  }

  /** Add a value (the last one of a name wins); false when the bag is full and it was left out. */
  add(name: string, value: ParsedValue): boolean {
    if (this.full && !this.values.has(name)) {
      return false;
    }
    (this.added ??= new Map()).set(name, value);
    return true;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  names(): string[] {
    return Array.from(this.values.keys());
  }

  hasFinite(): boolean {
    for (const value of this.values.values()) {
      if (value.finite) {
        return true;
      }
    }
    return false;
  }

  hasNonFinite(): boolean {
    for (const value of this.values.values()) {
      if (!value.finite) {
        return true;
      }
    }
    return false;
  }
}

/** `target[name] = value`, also for the name `__proto__` (an own property, as a spread makes it). */
function setField<T>(target: Record<string, T>, name: string, value: T): void {
  if (name === '__proto__') {
    Object.defineProperty(target, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true
    });
  } else {
    target[name] = value;
  }
}
