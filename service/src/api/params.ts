/**
 * Typed readers for query parameters. Each reader validates one parameter
 * and throws a 400 naming it; `done()` refuses parameters nobody read, so a
 * misspelt name fails loudly instead of being ignored.
 */
import { ApiError } from './errors';

/** Run ids as the kernel side creates them. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

const OPAQUE_CURSOR = /^[\x21-\x7e]{1,2048}$/;
const TAG_KEY = /^[^:\s][^:]{0,127}$/;
const MAX_TEXT = 4096;

// ISO 8601 date or date-time; a time needs an offset so its meaning does not
// depend on the server's time zone. A space stands for '+' because an
// unencoded '+' in a query string arrives as a space.
const ISO_TIME =
  /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+\- ]\d{2}:?\d{2}))?$/;

export interface IIntegerSpec {
  min: number;
  max: number;
  default: number;
}

/**
 * Jupyter's (and JupyterHub's) own credential in a URL, `?token=`: the
 * server checked it before forwarding the request here, so no endpoint reads
 * it, and it is never written to a log.
 */
const JUPYTER_TOKEN = /([?&]token=)[^&#]*/g;

/** The parameters of a request's query, without Jupyter's token. */
export function requestParams(query: string): QueryParams {
  const search = new URLSearchParams(query);
  search.delete('token');
  return new QueryParams(search);
}

/** A request's path and query as logged: Jupyter's token masked. */
export function loggedTarget(target: string): string {
  return target.replace(JUPYTER_TOKEN, '$1***');
}

export class QueryParams {
  private readonly _read = new Set<string>();

  constructor(private readonly _search: URLSearchParams) {}

  /** A parameter given at most once, or undefined. Empty counts as absent. */
  single(name: string): string | undefined {
    this._read.add(name);
    const values = this._search.getAll(name);
    if (values.length > 1) {
      throw ApiError.invalidParameter(name, 'given more than once');
    }
    const value = values[0];
    return value === undefined || value === '' ? undefined : value;
  }

  /** Every value of a parameter given as repeats and/or comma-separated lists. */
  list(name: string): string[] {
    this._read.add(name);
    const items: string[] = [];
    for (const value of this._search.getAll(name)) {
      for (const item of value.split(',')) {
        const trimmed = item.trim();
        if (trimmed !== '') {
          items.push(trimmed);
        }
      }
    }
    return items;
  }

  /**
   * Every value of a parameter given as repeats, commas being part of a
   * value (paths); at most `maxCount` values, each up to `maxLength`.
   * Empty values count as absent; undefined when none is left.
   */
  repeated(
    name: string,
    maxCount: number,
    maxLength = MAX_TEXT
  ): string[] | undefined {
    this._read.add(name);
    const values = this._search.getAll(name).filter(value => value !== '');
    if (values.length > maxCount) {
      throw ApiError.invalidParameter(
        name,
        `given ${values.length} times, at most ${maxCount}`
      );
    }
    for (const value of values) {
      if (value.length > maxLength) {
        throw ApiError.invalidParameter(
          name,
          `longer than ${maxLength} characters`
        );
      }
    }
    return values.length === 0 ? undefined : unique(values);
  }

  text(name: string, maxLength = MAX_TEXT): string | undefined {
    const value = this.single(name);
    if (value !== undefined && value.length > maxLength) {
      throw ApiError.invalidParameter(
        name,
        `longer than ${maxLength} characters`
      );
    }
    return value;
  }

  integer(name: string, spec: IIntegerSpec): number {
    const value = this.single(name);
    if (value === undefined) {
      return spec.default;
    }
    if (!/^-?\d{1,9}$/.test(value)) {
      throw ApiError.invalidParameter(
        name,
        `'${clip(value)}' is not an integer`
      );
    }
    const parsed = Number(value);
    if (parsed < spec.min || parsed > spec.max) {
      throw ApiError.invalidParameter(
        name,
        `must be between ${spec.min} and ${spec.max}, got ${parsed}`
      );
    }
    return parsed;
  }

  /** A finite number (integer or decimal), or undefined. */
  number(name: string): number | undefined {
    const value = this.single(name);
    if (value === undefined) {
      return undefined;
    }
    const parsed = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(value)
      ? Number(value)
      : NaN;
    if (!Number.isFinite(parsed)) {
      throw ApiError.invalidParameter(name, `'${clip(value)}' is not a number`);
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T;
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined;
  oneOf<T extends string>(
    name: string,
    allowed: readonly T[],
    fallback?: T
  ): T | undefined {
    const value = this.single(name);
    if (value === undefined) {
      return fallback;
    }
    return checkMember(name, value, allowed);
  }

  /** A comma list of enum members; undefined when none were given. */
  listOf<T extends string>(
    name: string,
    allowed: readonly T[]
  ): T[] | undefined {
    const items = this.list(name);
    if (items.length === 0) {
      return undefined;
    }
    return unique(items.map(item => checkMember(name, item, allowed)));
  }

  /** A comma list of free-form items matching `pattern`. */
  listMatching(
    name: string,
    pattern: RegExp,
    description: string
  ): string[] | undefined {
    const items = this.list(name);
    if (items.length === 0) {
      return undefined;
    }
    for (const item of items) {
      if (!pattern.test(item)) {
        throw ApiError.invalidParameter(
          name,
          `'${clip(item)}' is not ${description}`
        );
      }
    }
    return unique(items);
  }

  /** An ISO 8601 date or date-time, returned normalised to UTC ISO form. */
  isoTime(name: string): string | undefined {
    const value = this.single(name);
    if (value === undefined) {
      return undefined;
    }
    const millis =
      ISO_TIME.test(value) && isCalendarDate(value)
        ? Date.parse(value.replace(' ', '+'))
        : NaN;
    if (Number.isNaN(millis)) {
      throw ApiError.invalidParameter(
        name,
        `'${clip(value)}' is not an ISO 8601 date or date-time with offset (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)`
      );
    }
    return new Date(millis).toISOString();
  }

  /** `key:value` pairs, repeatable; the first ':' separates key from value. */
  tags(name: string): Record<string, string> | undefined {
    return this.keyValues(name, 'tag');
  }

  /** `key:value` pairs as `tags` reads them; `noun` names a key in messages. */
  keyValues(name: string, noun: string): Record<string, string> | undefined {
    this._read.add(name);
    const values = this._search.getAll(name);
    if (values.length === 0) {
      return undefined;
    }
    const tags: Record<string, string> = {};
    for (const pair of values) {
      const colon = pair.indexOf(':');
      const key = colon < 0 ? '' : pair.slice(0, colon);
      if (colon < 0 || !TAG_KEY.test(key) || pair.length > MAX_TEXT) {
        throw ApiError.invalidParameter(
          name,
          `'${clip(pair)}' is not key:value`
        );
      }
      const value = pair.slice(colon + 1);
      if (key in tags && tags[key] !== value) {
        throw ApiError.invalidParameter(
          name,
          `${noun} '${clip(key)}' is given two different values`
        );
      }
      tags[key] = value;
    }
    return tags;
  }

  /** An opaque paging cursor returned by a previous page. */
  cursor(name: string): string | undefined {
    const value = this.single(name);
    if (value !== undefined && !OPAQUE_CURSOR.test(value)) {
      throw ApiError.invalidParameter(
        name,
        'is not a cursor returned by a previous page'
      );
    }
    return value;
  }

  /** Refuse every parameter that no reader asked for. */
  done(): void {
    for (const name of this._search.keys()) {
      if (!this._read.has(name)) {
        throw ApiError.invalidParameter(
          clip(name),
          'unknown parameter for this endpoint'
        );
      }
    }
  }
}

/** Validate a run id taken from the path. */
export function checkRunId(runId: string): string {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw ApiError.invalidParameter(
      'runId',
      `'${clip(runId)}' is not a run id (1-128 of A-Z a-z 0-9 _ . : -)`
    );
  }
  return runId;
}

function checkMember<T extends string>(
  name: string,
  value: string,
  allowed: readonly T[]
): T {
  const member = allowed.find(candidate => candidate === value);
  if (member === undefined) {
    throw ApiError.invalidParameter(
      name,
      `'${clip(value)}' is not one of ${allowed.join(', ')}`
    );
  }
  return member;
}

/** Date.parse rolls 2026-02-30 over to March; refuse such days instead. */
function isCalendarDate(isoTime: string): boolean {
  const [year, month, day] = isoTime.slice(0, 10).split('-').map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Keep echoed input short in messages. */
function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
