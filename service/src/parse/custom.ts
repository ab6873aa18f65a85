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
  IGrokCapture
} from './grok/compile';
import { DEFAULT_GUARD_MS, RegexGuard } from './grok/guard';

export interface ICustomPattern {
  name: string;
  /** Grok pattern, e.g. `^Epoch %{INT:epoch}, Loss: %{NUMBER:loss:float}`. */
  grok: string;
  /** Kind of the events it yields (default: from what it captured). */
  kind?: EventKind;
  /** Level of the events it yields (default: a captured `level`, else from the kind). */
  level?: string;
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
  const pattern: ICompiledPattern = {
    name,
    grok: compileGrok(name, entry.grok, definitions, options)
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
    key => !['name', 'grok', 'kind', 'level'].includes(key)
  );
  if (unknownKeys.length > 0) {
    throw new GrokError(name, `unknown keys: ${unknownKeys.join(', ')}`);
  }
  return pattern;
}

export interface ICustomMatch {
  pattern: ICompiledPattern;
  captures: IGrokCapture[];
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

/**
 * Tries custom patterns in order. A pattern runs directly on lines no
 * longer than its proven limit (`grok.directUpTo`), else under the time
 * limit; a match cut short counts as no match (the built-in patterns then
 * read the line), is counted and reported, and after `maxTimeouts` of them
 * the pattern is disabled.
 */
export class CustomMatcher {
  readonly timeouts: Record<string, number> = {};
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

  match(line: string): ICustomMatch | null {
    if (this.active.length === 0) {
      return null;
    }
    const input =
      line.length > this.maxInput ? line.slice(0, this.maxInput) : line;
    for (const pattern of this.active) {
      const result = this.exec(pattern, input);
      if (result) {
        return { pattern, captures: grokCaptures(pattern.grok, result) };
      }
    }
    return null;
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
