/**
 * A parser for the regular expressions grok patterns expand to: JavaScript
 * syntax (without the `u` flag, Annex B leniencies included) plus the two
 * Logstash (Onigmo) constructs JavaScript lacks, atomic groups `(?>X)` and
 * possessive quantifiers `X*+`, `X++`, `X?+` (Ruby reads `X{n,m}+` as
 * `(?:X{n,m})+`, a repeat of the interval, and so does this parser).
 *
 * `emitRegex` writes the tree back as JavaScript: untouched parts exactly as
 * written, atomic groups as `(?=(X))\N` — a lookahead captures what X
 * matches first, and a backreference to that capture consumes it. A
 * JavaScript lookahead is atomic, so X is never re-entered to try another
 * way, which is what `(?>X)` means. A possessive quantifier is an atomic
 * group around the greedy one (`X*+` is `(?>X*)`). Inside a lookbehind,
 * which matches right to left, the mirror form `\N(?<=(X))` is used. Each
 * emulation adds one numbered group; the numbers are counted over the whole
 * expression, plain `(...)` groups included.
 */
import {
  ALL,
  caseFold,
  CharSet,
  charRange,
  complement,
  DIGITS,
  LINE_TERMINATORS,
  singleChar,
  SPACES,
  unionAll,
  WORD_CHARS
} from './charset';

export type RegexNode =
  | IAltNode
  | ISeqNode
  | ICharNode
  | IAssertNode
  | ILookNode
  | IGroupNode
  | IAtomicNode
  | IRepeatNode
  | IBackrefNode;

interface INodeBase {
  /** The node's source text. */
  raw: string;
  /** Capturing groups in `raw`. */
  captures: number;
  /** Holds an atomic group or possessive quantifier (needs rewriting). */
  rewrite: boolean;
}

export interface IAltNode extends INodeBase {
  type: 'alt';
  alts: RegexNode[];
}

export interface ISeqNode extends INodeBase {
  type: 'seq';
  items: RegexNode[];
}

/** One character position: a literal, a class, an escape such as `\d`, or `.`. */
export interface ICharNode extends INodeBase {
  type: 'char';
  /** The code units it may match (an over-approximation under `i`). */
  set: CharSet;
}

export interface IAssertNode extends INodeBase {
  type: 'assert';
  kind: 'start' | 'end' | 'boundary' | 'nonboundary';
}

export interface ILookNode extends INodeBase {
  type: 'look';
  behind: boolean;
  negate: boolean;
  body: RegexNode;
}

export interface IGroupNode extends INodeBase {
  type: 'group';
  capture: boolean;
  /** `(`, `(?:` or `(?<name>`. */
  open: string;
  body: RegexNode;
}

export interface IAtomicNode extends INodeBase {
  type: 'atomic';
  body: RegexNode;
}

export interface IRepeatNode extends INodeBase {
  type: 'repeat';
  body: RegexNode;
  min: number;
  max: number;
  lazy: boolean;
  /** The quantifier as written (`*`, `{2,}?`, ...; a possessive `+` is not part of it). */
  quantifier: string;
}

export interface IBackrefNode extends INodeBase {
  type: 'backref';
}

export class RegexSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexSyntaxError';
  }
}

export interface IParsedRegex {
  root: RegexNode;
  flags: string;
}

export function parseRegex(source: string, flags = ''): IParsedRegex {
  const parser = new Parser(source, flags);
  return { root: parser.parse(), flags };
}

/**
 * JavaScript source for a parsed expression, atomic groups and possessive
 * quantifiers emulated. `groups` is the number of capturing groups in it.
 */
export function emitRegex(parsed: IParsedRegex): {
  source: string;
  groups: number;
} {
  const state = { groups: 0 };
  const source = emit(parsed.root, state, false);
  return { source, groups: state.groups };
}

function emit(
  node: RegexNode,
  state: { groups: number },
  backward: boolean
): string {
  if (!node.rewrite) {
    state.groups += node.captures;
    return node.raw;
  }
  switch (node.type) {
    case 'alt':
      return node.alts.map(alt => emit(alt, state, backward)).join('|');
    case 'seq':
      return node.items.map(item => emit(item, state, backward)).join('');
    case 'group':
      if (node.capture) {
        state.groups += 1;
      }
      return `${node.open}${emit(node.body, state, backward)})`;
    case 'look': {
      const open = `(?${node.behind ? '<' : ''}${node.negate ? '!' : '='}`;
      return `${open}${emit(node.body, state, node.behind)})`;
    }
    case 'repeat': {
      const body = emit(node.body, state, backward);
      // A repeat of a repeat (Ruby's `x{2}+`, `x?*`) needs a group in JavaScript.
      return node.body.type === 'repeat'
        ? `(?:${body})${node.quantifier}`
        : `${body}${node.quantifier}`;
    }
    case 'atomic': {
      state.groups += 1;
      const group = state.groups;
      const body = emit(node.body, state, backward);
      // (?:...) keeps the pair one atom for a quantifier, and keeps a digit
      // written after it out of the group number.
      return backward
        ? `(?:\\${group}(?<=(${body})))`
        : `(?:(?=(${body}))\\${group})`;
    }
    default:
      // Leaves never need rewriting.
      return node.raw;
  }
}

const HEX = /^[0-9A-Fa-f]$/;
const QUANTIFIER_BRACES = /^\{(\d+)(?:(,)(\d*))?\}/;

/** Deepest nesting of groups accepted (the tree is walked recursively). */
export const MAX_GROUP_DEPTH = 500;

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly ignoreCase: boolean;
  private readonly dotAll: boolean;

  constructor(
    private readonly src: string,
    flags: string
  ) {
    this.ignoreCase = flags.includes('i');
    this.dotAll = flags.includes('s');
  }

  parse(): RegexNode {
    const root = this.disjunction();
    if (this.pos < this.src.length) {
      // Only a ')' stops a disjunction early.
      throw new RegexSyntaxError("Unmatched ')'");
    }
    return root;
  }

  private disjunction(): RegexNode {
    const start = this.pos;
    const alts = [this.alternative()];
    while (this.src[this.pos] === '|') {
      this.pos += 1;
      alts.push(this.alternative());
    }
    if (alts.length === 1) {
      return alts[0];
    }
    return {
      type: 'alt',
      alts,
      raw: this.src.slice(start, this.pos),
      captures: sum(alts.map(alt => alt.captures)),
      rewrite: alts.some(alt => alt.rewrite)
    };
  }

  private alternative(): ISeqNode {
    const start = this.pos;
    const items: RegexNode[] = [];
    while (this.pos < this.src.length) {
      const char = this.src[this.pos];
      if (char === '|' || char === ')') {
        break;
      }
      items.push(this.term());
    }
    return {
      type: 'seq',
      items,
      raw: this.src.slice(start, this.pos),
      captures: sum(items.map(item => item.captures)),
      rewrite: items.some(item => item.rewrite)
    };
  }

  private term(): RegexNode {
    const start = this.pos;
    const atom = this.atom();
    const quantifiable =
      atom.type !== 'assert' && !(atom.type === 'look' && atom.behind);
    const quantifier = this.quantifier();
    if (quantifier === null) {
      return atom;
    }
    if (!quantifiable) {
      throw new RegexSyntaxError('Nothing to repeat');
    }
    const quantifierEnd = this.pos;
    let possessive = false;
    let repeated = false;
    if (!quantifier.lazy && this.src[this.pos] === '+') {
      // In Ruby, `x{2,5}+` is `(?:x{2,5})+`; only `*+ ++ ?+` are possessive.
      repeated = this.src[quantifier.start] === '{';
      possessive = !repeated;
      this.pos += 1;
    }
    const repeat: IRepeatNode = {
      type: 'repeat',
      body: atom,
      min: quantifier.min,
      max: quantifier.max,
      lazy: quantifier.lazy,
      quantifier: this.src.slice(quantifier.start, quantifierEnd),
      raw: this.src.slice(start, quantifierEnd),
      captures: atom.captures,
      rewrite: atom.rewrite
    };
    let node: RegexNode = repeat;
    if (repeated) {
      node = {
        type: 'repeat',
        body: repeat,
        min: 1,
        max: Infinity,
        lazy: false,
        quantifier: '+',
        raw: this.src.slice(start, this.pos),
        captures: repeat.captures,
        rewrite: true
      };
    } else if (possessive) {
      node = {
        type: 'atomic',
        body: repeat,
        raw: this.src.slice(start, this.pos),
        captures: repeat.captures,
        rewrite: true
      };
    }
    // Ruby repeats a repeat (`x?*`, `x+*`, `x{2}{3}`); JavaScript needs a group.
    while (
      this.src[this.pos] === '*' ||
      (this.src[this.pos] === '{' && this.braces() !== null)
    ) {
      const outer = this.quantifier();
      if (outer === null) {
        break;
      }
      node = {
        type: 'repeat',
        body: node,
        min: outer.min,
        max: outer.max,
        lazy: outer.lazy,
        quantifier: this.src.slice(outer.start, this.pos),
        raw: this.src.slice(start, this.pos),
        captures: node.captures,
        rewrite: true
      };
    }
    if (/^[*+?{]/.test(this.src.slice(this.pos, this.pos + 1))) {
      if (this.src[this.pos] !== '{' || this.braces() !== null) {
        throw new RegexSyntaxError('Nothing to repeat');
      }
    }
    return node;
  }

  private braces(): { min: number; max: number; length: number } | null {
    const match = QUANTIFIER_BRACES.exec(this.src.slice(this.pos));
    if (!match) {
      return null;
    }
    const min = Number(match[1]);
    const max =
      match[2] === undefined
        ? min
        : match[3] === ''
          ? Infinity
          : Number(match[3]);
    if (max < min) {
      throw new RegexSyntaxError('numbers out of order in {} quantifier');
    }
    return { min, max, length: match[0].length };
  }

  private quantifier(): {
    min: number;
    max: number;
    lazy: boolean;
    start: number;
  } | null {
    const start = this.pos;
    const char = this.src[this.pos];
    let min: number;
    let max: number;
    if (char === '*') {
      [min, max] = [0, Infinity];
      this.pos += 1;
    } else if (char === '+') {
      [min, max] = [1, Infinity];
      this.pos += 1;
    } else if (char === '?') {
      [min, max] = [0, 1];
      this.pos += 1;
    } else if (char === '{') {
      const braces = this.braces();
      if (braces === null) {
        return null;
      }
      ({ min, max } = braces);
      this.pos += braces.length;
    } else {
      return null;
    }
    let lazy = false;
    if (this.src[this.pos] === '?') {
      lazy = true;
      this.pos += 1;
    }
    return { min, max, lazy, start };
  }

  private atom(): RegexNode {
    const start = this.pos;
    const char = this.src[this.pos];
    switch (char) {
      case '^':
        this.pos += 1;
        return this.assertion('start', start);
      case '$':
        this.pos += 1;
        return this.assertion('end', start);
      case '(':
        return this.group();
      case '[':
        return this.charNode(this.charClass(), start);
      case '.':
        this.pos += 1;
        return this.charNode(
          this.dotAll ? ALL : complement(LINE_TERMINATORS),
          start
        );
      case '\\':
        return this.atomEscape();
      case '*':
      case '+':
      case '?':
        throw new RegexSyntaxError('Nothing to repeat');
      case '{':
        if (this.braces() !== null) {
          throw new RegexSyntaxError('Nothing to repeat');
        }
        this.pos += 1;
        return this.charNode(singleChar(char.charCodeAt(0)), start);
      default:
        this.pos += 1;
        return this.charNode(singleChar(char.charCodeAt(0)), start);
    }
  }

  private assertion(kind: IAssertNode['kind'], start: number): IAssertNode {
    return {
      type: 'assert',
      kind,
      raw: this.src.slice(start, this.pos),
      captures: 0,
      rewrite: false
    };
  }

  private charNode(set: CharSet, start: number): ICharNode {
    return {
      type: 'char',
      set: this.ignoreCase ? caseFold(set) : set,
      raw: this.src.slice(start, this.pos),
      captures: 0,
      rewrite: false
    };
  }

  private group(): RegexNode {
    const start = this.pos;
    const rest = this.src.slice(this.pos, this.pos + 4);
    let kind: 'capture' | 'plain' | 'named' | 'atomic' | 'look';
    let behind = false;
    let negate = false;
    if (rest.startsWith('(?:')) {
      kind = 'plain';
      this.pos += 3;
    } else if (rest.startsWith('(?>')) {
      kind = 'atomic';
      this.pos += 3;
    } else if (rest.startsWith('(?=') || rest.startsWith('(?!')) {
      kind = 'look';
      negate = rest[2] === '!';
      this.pos += 3;
    } else if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) {
      kind = 'look';
      behind = true;
      negate = rest[3] === '!';
      this.pos += 4;
    } else if (rest.startsWith('(?<')) {
      const close = this.src.indexOf('>', this.pos + 3);
      const name = close < 0 ? '' : this.src.slice(this.pos + 3, close);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
        throw new RegexSyntaxError('Invalid capture group name');
      }
      kind = 'named';
      this.pos = close + 1;
    } else if (rest.startsWith('(?')) {
      throw new RegexSyntaxError('Invalid group');
    } else {
      kind = 'capture';
      this.pos += 1;
    }
    const open = this.src.slice(start, this.pos);
    this.depth += 1;
    if (this.depth > MAX_GROUP_DEPTH) {
      throw new RegexSyntaxError(
        `groups nest more than ${MAX_GROUP_DEPTH} deep`
      );
    }
    const body = this.disjunction();
    this.depth -= 1;
    if (this.src[this.pos] !== ')') {
      throw new RegexSyntaxError('Unterminated group');
    }
    this.pos += 1;
    const raw = this.src.slice(start, this.pos);
    if (kind === 'look') {
      return {
        type: 'look',
        behind,
        negate,
        body,
        raw,
        captures: body.captures,
        rewrite: body.rewrite
      };
    }
    if (kind === 'atomic') {
      return {
        type: 'atomic',
        body,
        raw,
        captures: body.captures,
        rewrite: true
      };
    }
    const capture = kind !== 'plain';
    return {
      type: 'group',
      capture,
      open,
      body,
      raw,
      captures: body.captures + (capture ? 1 : 0),
      rewrite: body.rewrite
    };
  }

  private atomEscape(): RegexNode {
    const start = this.pos;
    const next = this.src[this.pos + 1];
    if (next === undefined) {
      throw new RegexSyntaxError('\\ at end of pattern');
    }
    if (next === 'b' || next === 'B') {
      this.pos += 2;
      return this.assertion(next === 'b' ? 'boundary' : 'nonboundary', start);
    }
    if (next === 'k' && this.src[this.pos + 2] === '<') {
      const close = this.src.indexOf('>', this.pos + 3);
      if (close < 0) {
        throw new RegexSyntaxError('Invalid named reference');
      }
      this.pos = close + 1;
      return this.backref(start);
    }
    if (next >= '1' && next <= '9') {
      // Expansion refuses numbered backreferences; read one as what it is.
      this.pos += 2;
      while (/[0-9]/.test(this.src[this.pos] ?? '')) {
        this.pos += 1;
      }
      return this.backref(start);
    }
    this.pos += 1;
    return this.charNode(this.escapeSet(false), start);
  }

  private backref(start: number): IBackrefNode {
    return {
      type: 'backref',
      raw: this.src.slice(start, this.pos),
      captures: 0,
      rewrite: false
    };
  }

  /** After a backslash (pos is on the escaped character): what it matches. */
  private escapeSet(inClass: boolean): CharSet {
    const char = this.src[this.pos];
    this.pos += 1;
    switch (char) {
      case 'd':
        return DIGITS;
      case 'D':
        return complement(DIGITS);
      case 'w':
        return WORD_CHARS;
      case 'W':
        return complement(WORD_CHARS);
      case 's':
        return SPACES;
      case 'S':
        return complement(SPACES);
      case 't':
        return singleChar(0x09);
      case 'n':
        return singleChar(0x0a);
      case 'v':
        return singleChar(0x0b);
      case 'f':
        return singleChar(0x0c);
      case 'r':
        return singleChar(0x0d);
      case 'b':
        // Only reached inside a class: backspace.
        return singleChar(0x08);
      case 'c': {
        const letter = this.src[this.pos] ?? '';
        const allowed = inClass ? /^[A-Za-z0-9_]$/ : /^[A-Za-z]$/;
        if (allowed.test(letter)) {
          this.pos += 1;
          return singleChar(letter.charCodeAt(0) % 32);
        }
        // Annex B: a lone \c is a backslash, and the c is read next.
        this.pos -= 1;
        return singleChar(0x5c);
      }
      case 'x':
        return this.hexEscape(2, 'x');
      case 'u':
        return this.hexEscape(4, 'u');
      default:
        break;
    }
    if (char >= '0' && char <= '7' && (char === '0' || inClass)) {
      // \0 and legacy octal escapes: up to three digits, at most \377.
      let value = Number(char);
      for (let i = 0; i < 2; i += 1) {
        const digit = this.src[this.pos];
        if (digit === undefined || digit < '0' || digit > '7') {
          break;
        }
        const next = value * 8 + Number(digit);
        if (next > 0o377) {
          break;
        }
        value = next;
        this.pos += 1;
      }
      return singleChar(value);
    }
    return singleChar(char.charCodeAt(0));
  }

  private hexEscape(digits: number, letter: string): CharSet {
    const text = this.src.slice(this.pos, this.pos + digits);
    if (text.length === digits && Array.from(text).every(d => HEX.test(d))) {
      this.pos += digits;
      return singleChar(parseInt(text, 16));
    }
    return singleChar(letter.charCodeAt(0));
  }

  private charClass(): CharSet {
    this.pos += 1; // [
    let negate = false;
    if (this.src[this.pos] === '^') {
      negate = true;
      this.pos += 1;
    }
    const parts: CharSet[] = [];
    for (;;) {
      const char = this.src[this.pos];
      if (char === undefined) {
        throw new RegexSyntaxError('Unterminated character class');
      }
      if (char === ']') {
        this.pos += 1;
        break;
      }
      const first = this.classAtom();
      if (
        this.src[this.pos] === '-' &&
        this.src[this.pos + 1] !== ']' &&
        this.src[this.pos + 1] !== undefined
      ) {
        this.pos += 1; // -
        const second = this.classAtom();
        if (first.single !== null && second.single !== null) {
          if (second.single < first.single) {
            throw new RegexSyntaxError('Range out of order in character class');
          }
          parts.push(charRange(first.single, second.single));
        } else {
          // Annex B: a class escape at either end makes '-' a literal.
          parts.push(first.set, second.set, singleChar(0x2d));
        }
      } else {
        parts.push(first.set);
      }
    }
    const set = unionAll(parts);
    return negate ? complement(set) : set;
  }

  private classAtom(): { set: CharSet; single: number | null } {
    const char = this.src[this.pos];
    if (char !== '\\') {
      this.pos += 1;
      const unit = char.charCodeAt(0);
      return { set: singleChar(unit), single: unit };
    }
    this.pos += 1;
    if (this.src[this.pos] === undefined) {
      throw new RegexSyntaxError('\\ at end of pattern');
    }
    const escaped = this.src[this.pos];
    const set = this.escapeSet(true);
    const isClassEscape = /^[dDwWsS]$/.test(escaped);
    return {
      set,
      single: isClassEscape ? null : set[0][0]
    };
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
