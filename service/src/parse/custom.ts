/**
 * Admins' own parse patterns, in grok syntax.
 *
 * A pattern set is either an array of patterns or
 * `{ "definitions": { "NAME": "regex" }, "patterns": [...] }`. Loading keeps
 * every good pattern and reports each bad one as a `GrokError`, so one typo
 * never stops the service. Custom patterns are tried, in order, before the
 * built-in ones, on the first `maxInput` characters of a line (64 KiB by
 * default).
 *
 * Every match is bounded in time. When a pattern is loaded, an analysis of
 * its backtracking (grok/cost.ts) proves up to which line length it is fast;
 * on longer lines, or on all lines when it finds no bound, the match runs
 * under a time limit (node's `vm` timeout, 50 ms by default), so a pattern
 * that backtracks badly costs at most that instead of hanging the service.
 */
import { EVENT_KINDS, type EventKind } from '../types';
import {
  compileGrok,
  GrokError,
  grokCaptures,
  ICompiledGrok,
  ICompileGrokOptions,
  IGrokCapture,
  normaliseField
} from './grok/compile';
import { DEFAULT_GUARD_MS, RegexGuard } from './grok/guard';
import { parseValue } from './values';
import {
  compileTimeFormat,
  defaultTimeFormats,
  isoText,
  ITimeFormat,
  TimeFormatError
} from './grok/timeFormat';

export interface ICustomPattern {
  name: string;
  /** Grok pattern, e.g. `^Epoch %{INT:epoch}, Loss: %{NUMBER:loss:float}`. */
  grok: string;
  /** Kind of the events it yields (default: from what it captured). */
  kind?: EventKind;
  /** Level of the events it yields (default: a captured level, else from the kind). */
  level?: string;
  /**
   * Captures that hold the level, the first one present wins (default:
   * `level`, `loglevel`, `severity`, `log.level`).
   */
  levelField?: string | string[];
  /**
   * Like Logstash's date filter `match`: the capture holding the time, then
   * the formats to try (`ISO8601`, `UNIX`, `UNIX_MS`, Joda-style patterns).
   * Default: `timestamp`, in any of DEFAULT_TIME_FORMATS.
   */
  date?: string[];
  /**
   * Which captures are metrics: a list of names; `typed` (those with a
   * `:int` or `:float` hint); `auto` (default: any capture reading as a
   * number, except identifiers, ports, versions, codes and dates' parts).
   */
  metrics?: string[] | 'typed' | 'auto';
}

export interface IPatternSet {
  definitions?: Record<string, string>;
  patterns: ICustomPattern[];
}

export interface ICompiledPattern {
  name: string;
  kind?: EventKind;
  level?: string;
  grok: ICompiledGrok;
  /** Captures giving the level, in order of preference. */
  levelFields: readonly string[];
  /** The capture giving the time, and the formats tried on it. */
  timeField: string;
  timeFormats: readonly ITimeFormat[];
  /** Which captures are metrics (see ICustomPattern.metrics). */
  metrics: ReadonlySet<string> | 'typed' | 'auto';
  /** Whether the pattern says which captures are metrics. */
  metricsGiven: boolean;
}

export interface IPatternSetResult {
  patterns: ICompiledPattern[];
  errors: GrokError[];
}

const EVENT_KIND_NAMES: ReadonlySet<string> = new Set<string>(EVENT_KINDS);
const DEFINITION_NAME = /^[A-Za-z0-9_]+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Compile a pattern set given as parsed JSON (array or object form), plus
 * optional extra definitions. Bad entries are reported, good ones kept.
 */
export function compilePatternSet(
  input: unknown,
  extraDefinitions: Record<string, string> = {},
  options: ICompileGrokOptions = {}
): IPatternSetResult {
  const errors: GrokError[] = [];
  let entries: unknown[];
  let rawDefinitions: unknown = {};
  if (Array.isArray(input)) {
    entries = input;
  } else if (isRecord(input) && Array.isArray(input.patterns)) {
    entries = input.patterns;
    rawDefinitions = input.definitions ?? {};
  } else if (input === undefined || input === null) {
    entries = [];
  } else {
    return {
      patterns: [],
      errors: [
        new GrokError(
          '(pattern set)',
          'expected an array of patterns or an object with a "patterns" array'
        )
      ]
    };
  }
  const definitions = {
    ...readDefinitions(rawDefinitions, errors),
    ...extraDefinitions
  };
  const patterns: ICompiledPattern[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    try {
      const pattern = compileEntry(entry, index, definitions, options);
      if (seen.has(pattern.name)) {
        throw new GrokError(
          pattern.name,
          'another pattern already has this name'
        );
      }
      seen.add(pattern.name);
      patterns.push(pattern);
    } catch (error) {
      if (error instanceof GrokError) {
        errors.push(error);
      } else {
        throw error;
      }
    }
  });
  return { patterns, errors };
}

function readDefinitions(
  raw: unknown,
  errors: GrokError[]
): Record<string, string> {
  const definitions: Record<string, string> = {};
  if (!isRecord(raw)) {
    errors.push(
      new GrokError(
        '(definitions)',
        '"definitions" must be an object of NAME: regex'
      )
    );
    return definitions;
  }
  for (const [name, value] of Object.entries(raw)) {
    if (!DEFINITION_NAME.test(name)) {
      errors.push(
        new GrokError(
          name,
          'definition names may only hold letters, digits and _'
        )
      );
    } else if (typeof value !== 'string' || value.length === 0) {
      errors.push(
        new GrokError(name, 'a definition must be a non-empty string')
      );
    } else {
      definitions[name] = value;
    }
  }
  return definitions;
}

function compileEntry(
  entry: unknown,
  index: number,
  definitions: Record<string, string>,
  options: ICompileGrokOptions
): ICompiledPattern {
  const label = `#${index + 1}`;
  if (!isRecord(entry)) {
    throw new GrokError(
      label,
      'a pattern must be an object with "name" and "grok"'
    );
  }
  const name =
    typeof entry.name === 'string' && entry.name.trim() !== ''
      ? entry.name
      : null;
  if (name === null) {
    throw new GrokError(label, 'missing "name" (a non-empty string)');
  }
  if (typeof entry.grok !== 'string') {
    throw new GrokError(name, 'missing "grok" (a string)');
  }
  const grok = compileGrok(name, entry.grok, definitions, options);
  const captured = new Set(grok.fields.map(field => field.field));
  const levelFields =
    entry.levelField === undefined
      ? DEFAULT_LEVEL_FIELDS
      : captureNames(name, 'levelField', entry.levelField, captured);
  let timeField = DEFAULT_TIME_FIELD;
  let timeFormats: readonly ITimeFormat[] = defaultTimeFormats();
  if (entry.date !== undefined) {
    ({ timeField, timeFormats } = readDate(name, entry.date, captured));
  }
  const pattern: ICompiledPattern = {
    name,
    grok,
    levelFields,
    timeField,
    timeFormats,
    metrics: readMetrics(name, entry.metrics, captured, [
      ...levelFields,
      timeField
    ]),
    metricsGiven: entry.metrics !== undefined
  };
  if (entry.kind !== undefined) {
    if (typeof entry.kind !== 'string' || !EVENT_KIND_NAMES.has(entry.kind)) {
      throw new GrokError(
        name,
        `unknown kind ${JSON.stringify(entry.kind)} (one of ${EVENT_KINDS.join(', ')})`
      );
    }
    pattern.kind = entry.kind as EventKind;
  }
  if (entry.level !== undefined) {
    if (typeof entry.level !== 'string' || entry.level.trim() === '') {
      throw new GrokError(name, '"level" must be a non-empty string');
    }
    pattern.level = entry.level;
  }
  const unknownKeys = Object.keys(entry).filter(
    key => !PATTERN_KEYS.includes(key)
  );
  if (unknownKeys.length > 0) {
    throw new GrokError(
      name,
      `unknown keys: ${unknownKeys.join(', ')} (a pattern has ${PATTERN_KEYS.join(', ')})`
    );
  }
  return pattern;
}

const PATTERN_KEYS = [
  'name',
  'grok',
  'kind',
  'level',
  'levelField',
  'date',
  'metrics'
];
export const DEFAULT_LEVEL_FIELDS: readonly string[] = [
  'level',
  'loglevel',
  'severity',
  'log.level'
];
export const DEFAULT_TIME_FIELD = 'timestamp';
/** Captures the parser reads as document fields, never as metrics. */
const DOCUMENT_FIELDS = new Set([
  'message',
  'level',
  'logger',
  'log.logger',
  'timestamp',
  'epoch',
  'step',
  'epochs_total',
  'steps_total'
]);
/**
 * Numbers that identify or count something else: never metrics unless a
 * pattern lists them (the last part of a nested name is what counts).
 */
const IDENTIFIER_NAMES = new Set([
  'pid',
  'ppid',
  'tid',
  'uid',
  'gid',
  'id',
  'port',
  'version',
  'httpversion',
  'code',
  'status',
  'response',
  'errno',
  'line',
  'lineno',
  'pri',
  'facility',
  'year',
  'month',
  'monthday',
  'day',
  'hour',
  'minute',
  'second',
  'thread'
]);

/** Whether a capture name reads as an identifier rather than a measurement. */
export function isIdentifierName(field: string): boolean {
  const last = field.split('.').pop()?.toLowerCase() ?? '';
  return (
    IDENTIFIER_NAMES.has(last) ||
    /(?:^|_)(?:id|port|version|code|pid|status)$/.test(last)
  );
}

/** Capture names given in a key, checked against what the pattern captures. */
function captureNames(
  name: string,
  key: string,
  value: unknown,
  captured: ReadonlySet<string>
): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every(item => typeof item === 'string' && item.trim() !== '')
  ) {
    throw new GrokError(
      name,
      `"${key}" must be a capture name or a non-empty list of them`
    );
  }
  const names = (list as string[]).map(normaliseField);
  const missing = names.filter(field => !captured.has(field));
  if (missing.length > 0) {
    throw new GrokError(
      name,
      `"${key}" names ${missing.map(field => `'${field}'`).join(', ')}, which the pattern does not capture (it captures ${describeCaptures(captured)})`
    );
  }
  return names;
}

function describeCaptures(captured: ReadonlySet<string>): string {
  return captured.size === 0
    ? 'nothing'
    : Array.from(captured)
        .map(field => `'${field}'`)
        .join(', ');
}

function readDate(
  name: string,
  value: unknown,
  captured: ReadonlySet<string>
): { timeField: string; timeFormats: ITimeFormat[] } {
  if (
    !Array.isArray(value) ||
    value.length < 2 ||
    !value.every(item => typeof item === 'string' && item !== '')
  ) {
    throw new GrokError(
      name,
      '"date" must be a list: the capture holding the time, then one or more formats, as in Logstash\'s date filter (["timestamp", "dd/MMM/yyyy:HH:mm:ss Z"])'
    );
  }
  const [field, ...specs] = value as string[];
  const [timeField] = captureNames(name, 'date', field, captured);
  const timeFormats = specs.map(spec => {
    try {
      return compileTimeFormat(spec);
    } catch (error) {
      if (error instanceof TimeFormatError) {
        throw new GrokError(name, `"date": ${error.message}`);
      }
      throw error;
    }
  });
  return { timeField, timeFormats };
}

function readMetrics(
  name: string,
  value: unknown,
  captured: ReadonlySet<string>,
  roles: readonly string[]
): ReadonlySet<string> | 'typed' | 'auto' {
  if (value === undefined || value === 'auto') {
    return 'auto';
  }
  if (value === 'typed') {
    return 'typed';
  }
  if (Array.isArray(value) && value.length === 0) {
    return new Set();
  }
  if (!Array.isArray(value)) {
    throw new GrokError(
      name,
      '"metrics" must be a list of capture names, "typed" or "auto"'
    );
  }
  const names = captureNames(name, 'metrics', value, captured);
  const taken = names.filter(
    field => DOCUMENT_FIELDS.has(field) || roles.includes(field)
  );
  if (taken.length > 0) {
    throw new GrokError(
      name,
      `"metrics" names ${taken.map(field => `'${field}'`).join(', ')}, which ${taken.length === 1 ? 'is' : 'are'} read as the level, the time, the message, the logger or a position`
    );
  }
  return new Set(names);
}

/** What the captures of one match give the event, by role. */
export interface IInterpretedCaptures {
  /**
   * For the event: `level`, `timestamp` (ISO 8601 text), `message`,
   * `logger`, positions, and the metrics under their names.
   */
  captures: IGrokCapture[];
  /** Why the time capture could not be read; null when it was, or absent. */
  timeProblem: string | null;
  /** Numeric captures left out of the metrics as identifiers (`auto` only). */
  identifiers: string[];
}

/** Sort a match's captures into the event's fields and its metrics. */
export function interpretCaptures(
  pattern: ICompiledPattern,
  fields: readonly IGrokCapture[],
  referenceMs: number
): IInterpretedCaptures {
  const captures: IGrokCapture[] = [];
  const identifiers: string[] = [];
  let timeProblem: string | null = null;
  let level: IGrokCapture | null = null;
  let levelRank = Infinity;
  for (const capture of fields) {
    const { field } = capture;
    const rank = pattern.levelFields.indexOf(field);
    if (rank >= 0) {
      if (rank < levelRank && capture.text.trim() !== '') {
        level = { field: 'level', text: capture.text, conversion: null };
        levelRank = rank;
      }
    } else if (field === pattern.timeField) {
      if (capture.text.trim() === '') {
        continue;
      }
      const time = readTime(pattern.timeFormats, capture.text, referenceMs);
      if (time === null) {
        timeProblem = `capture '${field}' ${JSON.stringify(capture.text.slice(0, 80))} is not a time in ${formatList(pattern.timeFormats)}; the event keeps the time of its record`;
      } else {
        captures.push({ field: 'timestamp', text: time, conversion: null });
      }
    } else if (field === 'log.logger') {
      captures.push({ ...capture, field: 'logger' });
    } else if (DOCUMENT_FIELDS.has(field)) {
      if (field !== 'level' && field !== 'timestamp') {
        captures.push(capture);
      }
    } else if (isMetric(pattern, capture)) {
      captures.push(capture);
    } else if (
      pattern.metrics === 'auto' &&
      isIdentifierName(field) &&
      parseValue(capture.text) !== null
    ) {
      identifiers.push(field);
    }
  }
  if (level !== null) {
    captures.push(level);
  }
  return { captures, timeProblem, identifiers };
}

function isMetric(pattern: ICompiledPattern, capture: IGrokCapture): boolean {
  const { metrics } = pattern;
  if (metrics === 'auto') {
    return (
      !isIdentifierName(capture.field) && parseValue(capture.text) !== null
    );
  }
  if (metrics === 'typed') {
    return capture.conversion !== null;
  }
  return metrics.has(capture.field);
}

function readTime(
  formats: readonly ITimeFormat[],
  text: string,
  referenceMs: number
): string | null {
  for (const format of formats) {
    const time = format.read(text, referenceMs);
    if (time !== null) {
      return isoText(time);
    }
  }
  return null;
}

function formatList(formats: readonly ITimeFormat[]): string {
  const specs = formats.map(format => `'${format.spec}'`);
  return specs.length === 1
    ? `the format ${specs[0]}`
    : `any of the formats ${specs.join(', ')}`;
}

export interface ICustomMatch {
  pattern: ICompiledPattern;
  /** What the event takes, by role (see interpretCaptures). */
  captures: IGrokCapture[];
  /** Every capture of the match, as captured. */
  fields: IGrokCapture[];
}

export interface ICustomMatcherOptions {
  /** Characters of a line the patterns see (default 64 KiB). */
  maxInput?: number;
  /** Time limit for one pattern on one line, ms (default 50). */
  timeoutMs?: number;
  /**
   * Time-outs after which a pattern is disabled (default 5; Infinity:
   * never).
   */
  maxTimeouts?: number;
  /** Told of each time-out and each disabled pattern, as a GrokError. */
  onProblem?: (problem: GrokError) => void;
}

export const DEFAULT_MAX_CUSTOM_INPUT = 64 * 1024;
export const DEFAULT_CUSTOM_TIMEOUT_MS = DEFAULT_GUARD_MS;
export const DEFAULT_MAX_CUSTOM_TIMEOUTS = 5;
/** Unreadable times reported per pattern; the rest are only counted. */
export const MAX_TIME_REPORTS = 3;

/**
 * Tries custom patterns in order. A pattern runs directly on lines no
 * longer than its proven limit (`grok.directUpTo`), else under the time
 * limit; a match cut short counts as no match (the built-in patterns then
 * read the line), is counted and reported, and after `maxTimeouts` of them
 * the pattern is disabled.
 */
export class CustomMatcher {
  readonly timeouts: Record<string, number> = {};
  /** Matches whose time capture could not be read, per pattern. */
  readonly unreadTimes: Record<string, number> = {};
  /** Patterns whose identifier captures were already reported. */
  private readonly notedIdentifiers = new Set<string>();
  /** Patterns disabled after too many time-outs. */
  readonly disabled = new Set<string>();
  private readonly maxInput: number;
  private readonly maxTimeouts: number;
  private readonly guard: RegexGuard;
  private readonly onProblem: (problem: GrokError) => void;
  private active: ICompiledPattern[];

  constructor(
    readonly patterns: ICompiledPattern[],
    options: ICustomMatcherOptions = {}
  ) {
    this.maxInput = options.maxInput ?? DEFAULT_MAX_CUSTOM_INPUT;
    this.maxTimeouts = options.maxTimeouts ?? DEFAULT_MAX_CUSTOM_TIMEOUTS;
    this.guard = new RegexGuard(options.timeoutMs ?? DEFAULT_CUSTOM_TIMEOUT_MS);
    this.onProblem = options.onProblem ?? (() => undefined);
    this.active = patterns.slice();
  }

  /**
   * The first pattern matching `line`, with its captures sorted by role.
   * `referenceMs` (default: now) is the time a time printed without its
   * year is placed near.
   */
  match(line: string, referenceMs: number = Date.now()): ICustomMatch | null {
    if (this.active.length === 0) {
      return null;
    }
    const input =
      line.length > this.maxInput ? line.slice(0, this.maxInput) : line;
    for (const pattern of this.active) {
      const result = this.exec(pattern, input);
      if (result) {
        const fields = grokCaptures(pattern.grok, result);
        const { captures, timeProblem, identifiers } = interpretCaptures(
          pattern,
          fields,
          referenceMs
        );
        if (timeProblem !== null) {
          this.unreadTime(pattern, timeProblem);
        }
        if (identifiers.length > 0 && !pattern.metricsGiven) {
          this.noteIdentifiers(pattern, identifiers);
        }
        return { pattern, captures, fields };
      }
    }
    return null;
  }

  /**
   * Once per pattern without a "metrics" key: numbers it captures that are
   * not stored as metrics (earlier versions stored them).
   */
  private noteIdentifiers(pattern: ICompiledPattern, fields: string[]): void {
    if (this.notedIdentifiers.has(pattern.name)) {
      return;
    }
    this.notedIdentifiers.add(pattern.name);
    const names = Array.from(new Set(fields))
      .map(field => `'${field}'`)
      .join(', ');
    this.onProblem(
      new GrokError(
        pattern.name,
        `${names} captured a number but ${fields.length === 1 ? 'is' : 'are'} not stored as a metric: identifiers, ports, versions and codes are not (earlier versions stored them); list the captures to store in "metrics", or set "metrics": "auto" to keep this and no longer be told`
      )
    );
  }

  private unreadTime(pattern: ICompiledPattern, problem: string): void {
    const count = (this.unreadTimes[pattern.name] ?? 0) + 1;
    this.unreadTimes[pattern.name] = count;
    if (count <= MAX_TIME_REPORTS) {
      const more =
        count === MAX_TIME_REPORTS
          ? ' (further unreadable times of this pattern are counted, not reported; set its "date" formats)'
          : '';
      this.onProblem(new GrokError(pattern.name, `${problem}${more}`));
    }
  }

  private exec(
    pattern: ICompiledPattern,
    input: string
  ): RegExpExecArray | null {
    const { regex, directUpTo, requiredText } = pattern.grok;
    if (input.length <= directUpTo) {
      return regex.exec(input);
    }
    for (const text of requiredText) {
      if (!input.includes(text)) {
        return null;
      }
    }
    const result = this.guard.exec(regex, input);
    if (!result.timedOut) {
      return result.match;
    }
    this.timedOut(pattern, input.length);
    return null;
  }

  private timedOut(pattern: ICompiledPattern, length: number): void {
    const count = (this.timeouts[pattern.name] ?? 0) + 1;
    this.timeouts[pattern.name] = count;
    const limit = `${this.guard.timeoutMs} ms`;
    const left =
      this.maxTimeouts === Infinity
        ? ''
        : ` (time-out ${count} of ${this.maxTimeouts} before it is disabled)`;
    this.onProblem(
      new GrokError(
        pattern.name,
        `no result within ${limit} on a line of ${length} characters${left}; the line was read by the built-in patterns instead`
      )
    );
    if (count >= this.maxTimeouts) {
      this.disabled.add(pattern.name);
      this.active = this.active.filter(other => other !== pattern);
      this.onProblem(
        new GrokError(
          pattern.name,
          `disabled after ${count} time-outs of ${limit}: it backtracks too much on some lines, so lines are read without it until the patterns are loaded again; anchor it (^...$), prefer NOTSPACE or INT to DATA, and avoid nested quantifiers such as (a+)+ or make them atomic (?>...) or possessive (a++)`
        )
      );
    }
  }
}
