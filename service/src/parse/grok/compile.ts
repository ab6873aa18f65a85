/**
 * Compile Logstash grok syntax to JavaScript regular expressions.
 *
 * Supported: `%{NAME}`, `%{NAME:field}`, `%{NAME:field:int|float}` (nested
 * references in definitions included), `(?<field>...)` named groups, a
 * leading `(?i)`, atomic groups `(?>...)` and possessive quantifiers
 * (`a*+`, `a++`, `a?+`), emulated as regex.ts explains, and the Onigmo
 * constructs JavaScript reads differently (POSIX classes, `\h`, `\Z`,
 * `(?m)`...), translated to what Ruby means (onigmo.ts) or refused. Every capture becomes a generated group
 * name, so field names may hold dots or brackets (`[log][level]` →
 * `log.level`).
 *
 * Each compiled pattern also says up to which line length it provably
 * matches fast (cost.ts): beyond that, or everywhere when the analysis finds
 * no bound, it must run under a time limit (guard.ts).
 */
import { CharSet, onlyChar } from './charset';
import { directLimit } from './cost';
import { BASE_PATTERNS } from './definitions';
import {
  classBody,
  classText,
  hexDigitClass,
  posixClass,
  unicodeProperty
} from './onigmo';
import { DEFAULT_GUARD_MS, GuardedResult, RegexGuard } from './guard';
import {
  emitRegex,
  IParsedRegex,
  parseRegex,
  RegexNode,
  RegexSyntaxError
} from './regex';

export type GrokConversion = 'int' | 'float';

export interface IGrokField {
  /** Generated regex group name. */
  group: string;
  /** Field name as written, brackets turned to dots. */
  field: string;
  conversion: GrokConversion | null;
  /** The definition it captures (`%{NUMBER:x}` → NUMBER); null for `(?<x>...)`. */
  definition: string | null;
}

export interface ICompiledGrok {
  name: string;
  grok: string;
  regex: RegExp;
  fields: IGrokField[];
  /**
   * Longest line (in UTF-16 units) on which the pattern provably takes at
   * most DIRECT_STEP_BUDGET steps, so it may run without a time limit; -1
   * when no bound was found (nested quantifiers and the like).
   */
  directUpTo: number;
  /**
   * Why some lines are matched under the time limit, for the admin; null
   * when the pattern is proven fast on every line it can see.
   */
  guardReason: string | null;
  /** Text every match contains: a line without it cannot match. */
  requiredText: string[];
}

export interface ICompileGrokOptions {
  /** Time limit for the load-time test match of a pattern that needs one, ms. */
  timeoutMs?: number;
}

/**
 * Work allowed for a match that runs without a time limit, in the analysis'
 * steps (a step is a character test or a handover between parts of the
 * pattern). The bound over-estimates: real worst-case matches of patterns at
 * this bound took under 0.5 ms; even a tight one would stay in the
 * milliseconds.
 */
export const DIRECT_STEP_BUDGET = 5_000_000;
/** Longest line the analysis considers (custom patterns see at most 64 KiB). */
export const MAX_ANALYSED_LENGTH = 64 * 1024;

export interface IGrokCapture {
  field: string;
  text: string;
  conversion: GrokConversion | null;
}

/** A pattern that cannot be used, with the pattern's name and what is wrong. */
export class GrokError extends Error {
  readonly patternName: string;
  readonly reason: string;

  constructor(patternName: string, reason: string) {
    super(`grok pattern '${patternName}': ${reason}`);
    this.name = 'GrokError';
    this.patternName = patternName;
    this.reason = reason;
  }
}

/** Longest regex source a pattern may expand to. */
const MAX_EXPANDED_CHARS = 256 * 1024;
const MAX_NESTING = 32;
const DEFINITION_NAME = /^[A-Za-z0-9_]+$/;
/** `name`, `log.level`, `@timestamp`, or `[log][level]`. */
const FIELD_NAME = /^(?:[@A-Za-z0-9_.-]+|(?:\[[@A-Za-z0-9_.-]+\])+)$/;
const FLAG_PREFIX = /^\(\?([imsx]*)(?:-([imsx]*))?\)/;
/** A test line that runs past the limit is tried again with this many times it. */
const PROBE_RETRY_FACTOR = 10;
/** One guard per time limit, shared by every compilation (a guard holds a vm context). */
const guards = new Map<number, RegexGuard>();

function sharedGuard(timeoutMs: number): RegexGuard {
  let guard = guards.get(timeoutMs);
  if (guard === undefined) {
    guard = new RegexGuard(timeoutMs);
    guards.set(timeoutMs, guard);
  }
  return guard;
}

/** Lines no useful pattern matches all of. */
const PROBE_LINES = ['', 'x', 'tflog probe ~ Zq9 | 12.5 #'];

/**
 * Compile one grok pattern. `definitions` add to (and may override) the
 * base patterns. Throws `GrokError` naming the pattern and the problem.
 */
export function compileGrok(
  name: string,
  grok: string,
  definitions: Readonly<Record<string, string>> = {},
  options: ICompileGrokOptions = {}
): ICompiledGrok {
  if (grok.trim().length === 0) {
    throw new GrokError(name, 'the pattern is empty');
  }
  let body = grok;
  let flags = '';
  let dotAll = false;
  const flagPrefix = FLAG_PREFIX.exec(body);
  if (flagPrefix && /i/.test(flagPrefix[0])) {
    // A leading (?i) is the whole pattern's flag; the expander reads any
    // other inline flag where it stands.
    const [whole, on, off = ''] = flagPrefix;
    if (/x/.test(on + off)) {
      throw new GrokError(
        name,
        'inline flag (?x) (extended syntax: spaces and # comments ignored) is not supported; remove the spaces and comments'
      );
    }
    flags = on.includes('i') ? 'i' : '';
    dotAll = /[ms]/.test(on) && !/[ms]/.test(off);
    body = body.slice(whole.length);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_GUARD_MS;
  const expander = new Expander(name, definitions);
  const expanded = expander.expand(body, [], dotAll);
  const { parsed, unread } = parseExpanded(name, expanded, flags);
  let source = expanded;
  let groups: number | null = null;
  if (parsed !== null) {
    ({ source, groups } = emitRegex(parsed));
  }
  const regex = newRegExp(name, source, flags);
  if (groups !== null && countGroups(source, flags) !== groups) {
    // The emulation's backreferences would point at the wrong groups.
    throw new GrokError(
      name,
      'internal error: capture groups miscounted; please report this pattern'
    );
  }
  const { directUpTo, guardReason } =
    parsed === null
      ? {
          directUpTo: -1,
          guardReason: `its backtracking cannot be analysed (${unread}), so every line is matched under the ${timeoutMs} ms time limit`
        }
      : provenLimit(parsed, timeoutMs);
  const compiled: ICompiledGrok = {
    name,
    grok,
    regex,
    fields: expander.fields,
    directUpTo,
    guardReason,
    requiredText: parsed === null ? [] : requiredText(parsed.root)
  };
  // The test lines are matched like any line: under the time limit where
  // the pattern is not proven fast.
  let matchesAll = true;
  for (const probe of PROBE_LINES) {
    let result: GuardedResult;
    if (probe.length <= compiled.directUpTo) {
      result = { timedOut: false, match: regex.exec(probe) };
    } else {
      result = sharedGuard(timeoutMs).exec(regex, probe);
      if (result.timedOut) {
        // The limit is wall-clock time: on a busy machine even a short
        // match can run past it. Refuse only what also runs past ten times
        // the limit, which a test line this short never needs.
        result = sharedGuard(timeoutMs * PROBE_RETRY_FACTOR).exec(regex, probe);
      }
    }
    if (result.timedOut) {
      throw new GrokError(
        name,
        `the pattern backtracks catastrophically: it took over ${timeoutMs * PROBE_RETRY_FACTOR} ms on a ${probe.length}-character test line; avoid nested quantifiers such as (a+)+, or make them atomic (?>...) or possessive (a++)`
      );
    }
    matchesAll = matchesAll && result.match !== null;
  }
  if (matchesAll) {
    throw new GrokError(
      name,
      'the pattern matches any line (even an empty one), so no other pattern would ever run; add literal text or anchors'
    );
  }
  return compiled;
}

/**
 * The expanded pattern as a tree; or no tree when it is plain JavaScript
 * this parser does not follow, with what it could not read (then it is used
 * as written, and never trusted to run without a time limit).
 */
function parseExpanded(
  name: string,
  expanded: string,
  flags: string
): { parsed: IParsedRegex; unread: null } | { parsed: null; unread: string } {
  try {
    return { parsed: parseRegex(expanded, flags), unread: null };
  } catch (error) {
    if (!(error instanceof RegexSyntaxError)) {
      throw error;
    }
    if (/\(\?>|[*+?}]\+/.test(expanded)) {
      // Atomic or possessive syntax: JavaScript cannot read it either.
      throw new GrokError(name, `invalid regular expression: ${error.message}`);
    }
    newRegExp(name, expanded, flags);
    return { parsed: null, unread: error.message };
  }
}

/** How long a line the pattern provably matches fast on, and if not all, why. */
function provenLimit(
  parsed: IParsedRegex,
  timeoutMs: number
): { directUpTo: number; guardReason: string | null } {
  let directUpTo: number;
  try {
    directUpTo = directLimit(parsed, MAX_ANALYSED_LENGTH, DIRECT_STEP_BUDGET);
  } catch (error) {
    if (!(error instanceof RangeError)) {
      throw error;
    }
    return {
      directUpTo: -1,
      guardReason: `it is too large to analyse (${error.message}), so every line is matched under the ${timeoutMs} ms time limit`
    };
  }
  if (directUpTo >= MAX_ANALYSED_LENGTH) {
    return { directUpTo, guardReason: null };
  }
  if (directUpTo <= 0) {
    return {
      directUpTo,
      guardReason: `no useful bound found on how much it may backtrack (nested quantifiers such as (a+)+?), so every line is matched under the ${timeoutMs} ms time limit`
    };
  }
  return {
    directUpTo,
    guardReason: `proven fast on lines of up to ${directUpTo} characters; longer ones are matched under the ${timeoutMs} ms time limit`
  };
}

function newRegExp(name: string, source: string, flags: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new GrokError(
      name,
      `invalid regular expression: ${detail.split(': ').pop()}`
    );
  }
}

/** Capturing groups of a source, as the engine counts them. */
function countGroups(source: string, flags: string): number {
  const match = new RegExp(`(?:${source})|`, flags).exec('');
  return match === null ? -1 : match.length - 1;
}

/**
 * Runs of literal characters every match contains, longest first (at most
 * three): checked with `includes` before a match that needs the time limit.
 */
function requiredText(root: RegexNode): string[] {
  const runs: string[] = [];
  let current = '';
  const flush = (): void => {
    if (current !== '') {
      runs.push(current);
      current = '';
    }
  };
  const walk = (node: RegexNode): void => {
    switch (node.type) {
      case 'char': {
        const unit = onlyChar(node.set);
        if (unit === null) {
          flush();
        } else {
          current += String.fromCharCode(unit);
        }
        return;
      }
      case 'seq':
        node.items.forEach(walk);
        return;
      case 'group':
      case 'atomic':
        walk(node.body);
        return;
      case 'repeat':
        flush();
        if (node.min >= 1) {
          walk(node.body);
          flush();
        }
        return;
      default:
        // Alternatives, assertions, lookarounds, backreferences.
        flush();
    }
  };
  walk(root);
  flush();
  return runs.sort((a, b) => b.length - a.length).slice(0, 3);
}

/** The defined captures of a match, in pattern order. */
export function grokCaptures(
  compiled: ICompiledGrok,
  match: RegExpExecArray
): IGrokCapture[] {
  const captures: IGrokCapture[] = [];
  const groups = match.groups ?? {};
  for (const field of compiled.fields) {
    const text = groups[field.group];
    if (text !== undefined) {
      captures.push({ field: field.field, text, conversion: field.conversion });
    }
  }
  return captures;
}

/** Turns grok text into regex source, collecting the named fields. */
class Expander {
  readonly fields: IGrokField[] = [];
  private readonly groupsByField = new Map<string, string>();

  constructor(
    private readonly patternName: string,
    private readonly definitions: Readonly<Record<string, string>>
  ) {}

  /**
   * `dotAll`: Ruby's `(?m)` is in force (a `.` also matches a newline),
   * from an enclosing pattern or a leading flag.
   */
  expand(text: string, stack: string[], dotAll = false): string {
    let out = '';
    let inClass = false;
    // Per open group: whether `(?m)` is in force inside it (Onigmo scopes an
    // inline flag to the rest of its group).
    const frames: boolean[] = [dotAll];
    let i = 0;
    while (i < text.length) {
      const char = text[i];
      const mode = frames[frames.length - 1];
      if (char === '\\') {
        const [piece, next] = this.escape(text, i, inClass, stack);
        out += piece;
        i = next;
      } else if (inClass) {
        const [piece, next, closed] = this.classPart(text, i, stack);
        inClass = !closed;
        out += piece;
        i = next;
      } else if (char === '[') {
        inClass = true;
        out += char;
        i += 1;
        // A ']' right after '[' or '[^' is a literal member of the class.
        if (text[i] === '^') {
          out += '^';
          i += 1;
        }
        if (text[i] === ']') {
          out += '\\]';
          i += 1;
        }
      } else if (text.startsWith('%{', i)) {
        const [piece, next] = this.reference(text, i, stack, mode);
        out += piece;
        i = next;
      } else if (char === '(' && text[i + 1] === '?') {
        const group = this.specialGroup(text, i, stack, mode);
        out += group.piece;
        i = group.next;
        if (group.isolated !== null) {
          frames[frames.length - 1] = group.isolated;
        } else if (group.opens !== null) {
          frames.push(group.opens);
        }
      } else if (char === '(') {
        frames.push(mode);
        out += char;
        i += 1;
      } else if (char === ')') {
        if (frames.length > 1) {
          frames.pop();
        }
        out += char;
        i += 1;
      } else if (char === '.' && mode) {
        out += '[\\s\\S]';
        i += 1;
      } else if (char === '{' && /^\{,\d+\}/.test(text.slice(i, i + 12))) {
        // Onigmo's {,n} is {0,n}; JavaScript would read it as text.
        out += '{0';
        i += 1;
      } else {
        out += char;
        i += 1;
      }
      if (out.length > MAX_EXPANDED_CHARS) {
        throw new GrokError(
          this.patternName,
          `the pattern expands to more than ${MAX_EXPANDED_CHARS} characters`
        );
      }
    }
    return out;
  }

  /** Inside a class: one member, a POSIX class, or the closing bracket. */
  private classPart(
    text: string,
    at: number,
    stack: string[]
  ): [string, number, boolean] {
    const char = text[at];
    if (char === ']') {
      return [char, at + 1, true];
    }
    if (char === '[') {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(text.slice(at, at + 16));
      if (posix) {
        const set = posixClass(posix[2], posix[1] === '^');
        if (set === null) {
          throw new GrokError(
            this.patternName,
            `unknown POSIX bracket class [:${posix[1]}${posix[2]}:]${this.where(stack)} (alnum, alpha, ascii, blank, cntrl, digit, graph, lower, print, punct, space, upper, word, xdigit)`
          );
        }
        return [classBody(set), at + posix[0].length, false];
      }
      return this.nestedClass(text, at, stack);
    }
    if (char === '&' && text[at + 1] === '&') {
      throw new GrokError(
        this.patternName,
        `character class intersection && at position ${at}${this.where(stack)} is not supported`
      );
    }
    return [char, at + 1, false];
  }

  /**
   * Onigmo's nested set inside a class (`[a-z[0-9]]`, `[[[:alnum:]]_-]`):
   * its members join the outer class's.
   */
  private nestedClass(
    text: string,
    at: number,
    stack: string[]
  ): [string, number, boolean] {
    let out = '[';
    let i = at + 1;
    if (text[i] === '^') {
      out += '^';
      i += 1;
    }
    if (text[i] === ']') {
      out += '\\]';
      i += 1;
    }
    for (;;) {
      if (i >= text.length) {
        throw new GrokError(
          this.patternName,
          `unterminated nested character class at position ${at}${this.where(stack)}`
        );
      }
      let piece: string;
      let closed = false;
      if (text[i] === '\\') {
        [piece, i] = this.escape(text, i, true, stack);
      } else {
        [piece, i, closed] = this.classPart(text, i, stack);
      }
      if (closed) {
        break;
      }
      out += piece;
    }
    out += ']';
    let set: CharSet;
    try {
      const { root } = parseRegex(out);
      const item = root.type === 'seq' ? root.items[0] : root;
      if (item === undefined || item.type !== 'char') {
        throw new RegexSyntaxError('not a class');
      }
      set = item.set;
    } catch (error) {
      if (!(error instanceof RegexSyntaxError)) {
        throw error;
      }
      throw new GrokError(
        this.patternName,
        `invalid nested character class at position ${at}${this.where(stack)}: ${error.message}`
      );
    }
    return [classBody(set), i, false];
  }

  /**
   * A group opening with `(?`: inline flags (`(?m)`, `(?m:...)`, `(?-m)`),
   * comments, Onigmo's `(?'name'...)`, named groups, or a JavaScript group
   * form passed through. `isolated`: the new `(?m)` state for the rest of
   * the enclosing group; `opens`: the state inside a group it opens.
   */
  private specialGroup(
    text: string,
    at: number,
    stack: string[],
    mode: boolean
  ): {
    piece: string;
    next: number;
    isolated: boolean | null;
    opens: boolean | null;
  } {
    const rest = text.slice(at, at + 8);
    const flags = /^\(\?([imxs]*)(?:-([imxs]*))?([:)])/.exec(rest);
    if (flags && (flags[1] !== '' || flags[2] !== undefined)) {
      const [whole, on, off = '', end] = flags;
      for (const flag of on + off) {
        if (flag === 'x') {
          throw new GrokError(
            this.patternName,
            `inline flag (?x) (extended syntax: spaces and # comments ignored) at position ${at}${this.where(stack)} is not supported; remove the spaces and comments`
          );
        }
        if (flag === 'i') {
          throw new GrokError(
            this.patternName,
            `inline flag '${flag}' at position ${at}${this.where(stack)} is not supported inside a pattern (JavaScript has no scoped case-insensitivity); put (?i) at the very start of the whole pattern`
          );
        }
      }
      // Ruby's m (and Perl's s) is dot-matches-newline.
      let next = mode;
      if (/[ms]/.test(on)) {
        next = true;
      }
      if (/[ms]/.test(off)) {
        next = false;
      }
      if (end === ')') {
        return {
          piece: '',
          next: at + whole.length,
          isolated: next,
          opens: null
        };
      }
      return {
        piece: '(?:',
        next: at + whole.length,
        isolated: null,
        opens: next
      };
    }
    if (rest.startsWith('(?#')) {
      const close = text.indexOf(')', at);
      if (close < 0) {
        throw new GrokError(
          this.patternName,
          `unterminated comment (?# at position ${at}${this.where(stack)}`
        );
      }
      return { piece: '', next: close + 1, isolated: null, opens: null };
    }
    if (rest.startsWith("(?'")) {
      const close = text.indexOf("'", at + 3);
      return this.namedGroup(text, at, close, stack, mode);
    }
    if (rest.startsWith('(?<') && !/^\(\?<[=!]/.test(rest)) {
      const close = text.indexOf('>', at + 3);
      return this.namedGroup(text, at, close, stack, mode);
    }
    if (/^\(\?(?:[:=!>]|<[=!])/.test(rest)) {
      const open = rest.startsWith('(?<') ? 4 : 3;
      return {
        piece: text.slice(at, at + open),
        next: at + open,
        isolated: null,
        opens: mode
      };
    }
    const what = rest.startsWith('(?~')
      ? 'the absence operator (?~...)'
      : rest.startsWith('(?(')
        ? 'a conditional group (?(...)...)'
        : `the group syntax ${rest.slice(0, 4)}`;
    throw new GrokError(
      this.patternName,
      `${what} at position ${at}${this.where(stack)} is not supported`
    );
  }

  private where(stack: string[]): string {
    return stack.length === 0 ? '' : ` (in %{${stack[stack.length - 1]}})`;
  }

  private escape(
    text: string,
    at: number,
    inClass: boolean,
    stack: string[]
  ): [string, number] {
    const next = text[at + 1];
    if (next === undefined) {
      throw new GrokError(
        this.patternName,
        `the pattern ends with a lone backslash${this.where(stack)}`
      );
    }
    const refuse = (what: string): never => {
      throw new GrokError(
        this.patternName,
        `${what} at position ${at}${this.where(stack)} is not supported`
      );
    };
    switch (next) {
      case 'h':
      case 'H': {
        // Ruby's hexadecimal digit; JavaScript reads \h as a plain h.
        const set = hexDigitClass(next === 'H');
        return [inClass ? classBody(set) : classText(set), at + 2];
      }
      case 'p':
      case 'P': {
        const property = /^\{(\^?)([^}]*)\}/.exec(text.slice(at + 2, at + 64));
        if (!property) {
          return refuse(`\\${next} without {name}`);
        }
        const negate = (next === 'P') !== (property[1] === '^');
        const set = unicodeProperty(property[2], negate);
        if (set === null) {
          return refuse(
            `the Unicode property \\${next}{${property[1]}${property[2]}}`
          );
        }
        return [
          inClass ? classBody(set) : classText(set),
          at + 2 + property[0].length
        ];
      }
      case 'e':
        return ['\\x1b', at + 2];
      case 'a':
        return ['\\x07', at + 2];
      case 'x': {
        const wide = /^\{([0-9A-Fa-f]{1,4})\}/.exec(text.slice(at + 2, at + 9));
        if (wide) {
          return [`\\u${wide[1].padStart(4, '0')}`, at + 2 + wide[0].length];
        }
        if (text[at + 2] === '{') {
          return refuse('a code point above U+FFFF (\\x{...})');
        }
        return [text.slice(at, at + 2), at + 2];
      }
      default:
        break;
    }
    if (inClass) {
      if (/[AZzGRXKgkQEyYO]/.test(next)) {
        return refuse(`\\${next} inside a character class`);
      }
      if (/[a-zA-Z]/.test(next) && !/[dDwWsSbtnvfrcu0]/.test(next)) {
        return refuse(`the escape \\${next} inside a character class`);
      }
      return [text.slice(at, at + 2), at + 2];
    }
    switch (next) {
      case 'A':
      case 'G':
        // \G is where the search started: the start of the line, as grok
        // matches a whole field.
        return ['^', at + 2];
      case 'Z':
        // The end, or before a newline that ends the text.
        return ['(?=\\n?$)', at + 2];
      case 'z':
        return ['$', at + 2];
      case 'R':
        return ['(?:\\r\\n|[\\n\\v\\f\\r\\u0085\\u2028\\u2029])', at + 2];
      case 'K':
        return refuse('\\K (keep what matched so far out of the match)');
      case 'X':
        return refuse('\\X (an extended grapheme cluster)');
      case 'g':
        return refuse('the subexpression call \\g<...>');
      case 'y':
      case 'Y':
        return refuse(`\\${next} (a grapheme cluster boundary)`);
      case 'O':
        return refuse('\\O (any character, whatever the flags)');
      case 'Q':
      case 'E':
        return refuse(`\\${next} (quoting, which Ruby does not have either)`);
      default:
        break;
    }
    if (next >= '1' && next <= '9') {
      throw new GrokError(
        this.patternName,
        `numbered backreference \\${next} is not supported${this.where(stack)}; use (?<name>...) and \\k<name>`
      );
    }
    if (next === 'k' && (text[at + 2] === '<' || text[at + 2] === "'")) {
      const close = text.indexOf(text[at + 2] === '<' ? '>' : "'", at + 3);
      const field = close < 0 ? '' : normaliseField(text.slice(at + 3, close));
      const group = this.groupsByField.get(field);
      if (group === undefined) {
        throw new GrokError(
          this.patternName,
          `backreference \\k<${field}> names no earlier capture${this.where(stack)}`
        );
      }
      return [`\\k<${group}>`, close + 1];
    }
    if (/[a-zA-Z]/.test(next) && !/[dDwWsSbBtnvfrcu0k]/.test(next)) {
      // JavaScript would read an unknown letter escape as the letter.
      return refuse(`the escape \\${next}`);
    }
    return [text.slice(at, at + 2), at + 2];
  }

  private reference(
    text: string,
    at: number,
    stack: string[],
    mode: boolean
  ): [string, number] {
    const close = text.indexOf('}', at + 2);
    if (close < 0) {
      throw new GrokError(
        this.patternName,
        `unterminated %{ at position ${at}${this.where(stack)}`
      );
    }
    const inside = text.slice(at + 2, close);
    if (/^[A-Za-z0-9_]+=/.test(inside)) {
      throw new GrokError(
        this.patternName,
        `inline definition %{${inside}}${this.where(stack)} is not supported; put the definition in "definitions"`
      );
    }
    const [definitionName, rawField, rawConversion, ...extra] =
      inside.split(':');
    if (!DEFINITION_NAME.test(definitionName)) {
      throw new GrokError(
        this.patternName,
        `malformed reference %{${inside}}${this.where(stack)}; expected %{NAME}, %{NAME:field} or %{NAME:field:int|float}`
      );
    }
    if (extra.length > 0) {
      throw new GrokError(
        this.patternName,
        `unexpected text ':${extra.join(':')}' after the type in %{${inside}}${this.where(stack)}; expected %{NAME:field:int} or %{NAME:field:float}`
      );
    }
    const definition = this.lookup(definitionName);
    if (definition === undefined) {
      throw new GrokError(
        this.patternName,
        `unknown pattern %{${definitionName}}${this.where(stack)}`
      );
    }
    if (stack.includes(definitionName)) {
      throw new GrokError(
        this.patternName,
        `recursive pattern: ${[...stack, definitionName].join(' → ')}`
      );
    }
    if (stack.length >= MAX_NESTING) {
      throw new GrokError(
        this.patternName,
        `patterns nest more than ${MAX_NESTING} levels deep`
      );
    }
    const conversion = parseConversion(
      this.patternName,
      rawField,
      rawConversion
    );
    if (rawField === undefined || rawField === '') {
      if (rawConversion !== undefined) {
        throw new GrokError(
          this.patternName,
          `%{${inside}} has a type but no field name`
        );
      }
      return [
        `(?:${this.expand(definition, [...stack, definitionName], mode)})`,
        close + 1
      ];
    }
    const group = this.addField(rawField, conversion, definitionName);
    const inner = this.expand(definition, [...stack, definitionName], mode);
    return [`(?<${group}>${inner})`, close + 1];
  }

  private namedGroup(
    text: string,
    at: number,
    close: number,
    stack: string[],
    mode: boolean
  ): { piece: string; next: number; isolated: null; opens: boolean } {
    const rawField = close < 0 ? '' : text.slice(at + 3, close);
    if (close < 0 || rawField.trim() === '') {
      throw new GrokError(
        this.patternName,
        `malformed named group at position ${at}${this.where(stack)}`
      );
    }
    const group = this.addField(rawField, null, null);
    return {
      piece: `(?<${group}>`,
      next: close + 1,
      isolated: null,
      opens: mode
    };
  }

  private addField(
    rawField: string,
    conversion: GrokConversion | null,
    definition: string | null
  ): string {
    if (!FIELD_NAME.test(rawField.trim())) {
      throw new GrokError(
        this.patternName,
        `field name '${rawField}' is not a Logstash field name: use letters, digits and _ . - @, or [nested][names]`
      );
    }
    const field = normaliseField(rawField);
    if (field === '') {
      throw new GrokError(this.patternName, `empty field name '${rawField}'`);
    }
    const group = `g${this.fields.length}`;
    this.fields.push({ group, field, conversion, definition });
    this.groupsByField.set(field, group);
    return group;
  }

  private lookup(definitionName: string): string | undefined {
    if (
      Object.prototype.hasOwnProperty.call(this.definitions, definitionName)
    ) {
      return this.definitions[definitionName];
    }
    if (Object.prototype.hasOwnProperty.call(BASE_PATTERNS, definitionName)) {
      return BASE_PATTERNS[definitionName];
    }
    return undefined;
  }
}

function parseConversion(
  patternName: string,
  field: string | undefined,
  conversion: string | undefined
): GrokConversion | null {
  if (conversion === undefined || conversion === '') {
    return null;
  }
  if (conversion === 'int' || conversion === 'float') {
    return conversion;
  }
  throw new GrokError(
    patternName,
    `unknown type '${conversion}' for field '${field ?? ''}' (use int or float)`
  );
}

/** `[log][level]` → `log.level`; plain names unchanged. */
export function normaliseField(raw: string): string {
  const trimmed = raw.trim();
  if (trimmed.startsWith('[')) {
    return trimmed
      .split(/[[\]]+/)
      .filter(part => part.length > 0)
      .join('.');
  }
  return trimmed;
}
