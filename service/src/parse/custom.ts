/**
 * Admins' own parse patterns, in grok syntax.
 *
 * A pattern set is either an array of patterns or
 * `{ "definitions": { "NAME": "regex" }, "patterns": [...] }`. Loading keeps
 * every good pattern and reports each bad one as a `GrokError`, so one typo
 * never stops the service. Custom patterns are tried, in order, before the
 * built-in ones, on the first `maxInput` characters of a line (64 KiB by
 * default). Lines longer than `guardFrom` characters are matched under a
 * time limit (node's `vm` timeout), so a pattern that backtracks badly on a
 * huge line costs at most `timeoutMs` instead of hanging the service.
 */
import * as vm from 'vm';
import { EVENT_KINDS, type EventKind } from '../types';
import {
  compileGrok,
  GrokError,
  grokCaptures,
  ICompiledGrok,
  IGrokCapture
} from './grok/compile';

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
  extraDefinitions: Record<string, string> = {}
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
      const pattern = compileEntry(entry, index, definitions);
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
  definitions: Record<string, string>
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
    grok: compileGrok(name, entry.grok, definitions)
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
  /** Lines longer than this are matched under a time limit (default 256). */
  guardFrom?: number;
  /** Time limit for one pattern on one long line, ms (default 50). */
  timeoutMs?: number;
}

export const DEFAULT_MAX_CUSTOM_INPUT = 64 * 1024;

/** Tries custom patterns in order; counts the matches a time limit cut short. */
export class CustomMatcher {
  readonly timeouts: Record<string, number> = {};
  private readonly maxInput: number;
  private readonly guardFrom: number;
  private readonly timeoutMs: number;
  private readonly sandbox: {
    regex: RegExp | null;
    input: string;
    result: RegExpExecArray | null;
  };
  private readonly script = new vm.Script('result = regex.exec(input);');
  private readonly context: vm.Context;

  constructor(
    readonly patterns: ICompiledPattern[],
    options: ICustomMatcherOptions = {}
  ) {
    this.maxInput = options.maxInput ?? DEFAULT_MAX_CUSTOM_INPUT;
    this.guardFrom = options.guardFrom ?? 256;
    this.timeoutMs = options.timeoutMs ?? 50;
    this.sandbox = { regex: null, input: '', result: null };
    this.context = vm.createContext(this.sandbox);
  }

  match(line: string): ICustomMatch | null {
    if (this.patterns.length === 0) {
      return null;
    }
    const input =
      line.length > this.maxInput ? line.slice(0, this.maxInput) : line;
    for (const pattern of this.patterns) {
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
    const regex = pattern.grok.regex;
    if (input.length <= this.guardFrom) {
      return regex.exec(input);
    }
    this.sandbox.regex = regex;
    this.sandbox.input = input;
    this.sandbox.result = null;
    try {
      this.script.runInContext(this.context, { timeout: this.timeoutMs });
      return this.sandbox.result;
    } catch (error) {
      if (isTimeout(error)) {
        this.timeouts[pattern.name] = (this.timeouts[pattern.name] ?? 0) + 1;
        return null;
      }
      throw error;
    } finally {
      this.sandbox.input = '';
      this.sandbox.result = null;
    }
  }
}

function isTimeout(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'
  );
}
