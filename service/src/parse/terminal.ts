/**
 * Terminal normalisation of stream text as a kernel emits it.
 *
 * Text is cut into segments that end at '\n' or '\r' (as the kernel-side
 * writer does). Each segment is replayed on a one-line terminal: printable
 * characters overwrite cells at the cursor, '\b' moves the cursor left,
 * CSI cursor moves and erases are honoured, colours and other escape
 * sequences (CSI, OSC, DCS, charset selection) are dropped. What the line
 * shows when its terminator arrives is one visible line.
 */

export type Terminator = '\n' | '\r' | null;

export interface ISegment {
  /** The segment's text as emitted, terminator included. */
  raw: string;
  /** '\n' or '\r' when the segment ended with one; null for a trailing unterminated piece. */
  terminator: Terminator;
}

export interface IVisibleLine {
  /** What the terminal line shows, trailing blanks removed. */
  text: string;
  raw: string;
  terminator: Terminator;
}

/** Cut text after every '\n' and '\r'; a final piece without terminator is kept too. */
export function splitSegments(text: string): ISegment[] {
  return Array.from(segmentsOf(text));
}

/** The segments of `text` one at a time, for readers that may stop early. */
export function* segmentsOf(text: string): Generator<ISegment> {
  let start = 0;
  for (;;) {
    const end = terminatorAfter(text, start);
    if (end < 0) {
      break;
    }
    yield {
      raw: text.slice(start, end + 1),
      terminator: text.charCodeAt(end) === 0x0a ? '\n' : '\r'
    };
    start = end + 1;
  }
  if (start < text.length) {
    yield { raw: text.slice(start), terminator: null };
  }
}

/** Index of the first '\n' or '\r' at or after `start`, or -1. */
export function terminatorAfter(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a || code === 0x0d) {
      return i;
    }
  }
  return -1;
}

/** The non-empty visible lines of a piece of stream text, in order. */
export function visibleLines(text: string): IVisibleLine[] {
  const lines: IVisibleLine[] = [];
  for (const segment of splitSegments(text)) {
    const body =
      segment.terminator === null ? segment.raw : segment.raw.slice(0, -1);
    const rendered = renderLine(body);
    if (rendered.length > 0) {
      lines.push({
        text: rendered,
        raw: segment.raw,
        terminator: segment.terminator
      });
    }
  }
  return lines;
}

/** Replay one segment (without its terminator) on an empty terminal line. */
export function renderLine(text: string): string {
  // Cursor moves left at the very end (Keras' '\b' run before its '\r')
  // write nothing: the line shows the same without them.
  const shown = withoutTrailingBackspaces(text);
  // Plain text, or text whose only controls are colours: no emulator.
  return (
    withoutColours(shown) ?? new LineEmulator().feed(shown).toString()
  ).trimEnd();
}

/** The text without the run of '\b' it ends with, if any. */
function withoutTrailingBackspaces(text: string): string {
  let end = text.length;
  if (text.charCodeAt(end - 1) !== BACKSPACE) {
    return text;
  }
  // Keras' run is as long as its line: found natively when it is the only '\b'.
  const first = text.indexOf('\b');
  BACKSPACES_TO_END.lastIndex = first;
  if (BACKSPACES_TO_END.test(text)) {
    return text.slice(0, first);
  }
  while (end > 0 && text.charCodeAt(end - 1) === BACKSPACE) {
    end -= 1;
  }
  return text.slice(0, end);
}

/** Replay one segment on the emulator, without the shortcuts renderLine takes (for tests). */
export function emulateLine(text: string): string {
  return new LineEmulator().feed(text).toString();
}

/**
 * Text without controls as it is; text whose only controls are colour codes
 * (CSI ... m, as Keras 3 and coloured log formatters print them), without
 * them; null when it holds any other C0 control (tab aside), DEL or C1 CSI,
 * which need the emulator.
 */
function withoutColours(text: string): string | null {
  // Two native passes: find a control at all, then drop the colour codes
  // and look for any control left (one that needs the emulator).
  CONTROL.lastIndex = 0;
  if (!CONTROL.test(text)) {
    return text;
  }
  const plain = text.replace(COLOUR_CODE, '');
  CONTROL.lastIndex = 0;
  return CONTROL.test(plain) ? null : plain;
}

/**
 * A C0 control other than tab, DEL or C1 CSI: any code unit (no `u` flag)
 * but tab and the printable ranges around DEL and C1 CSI.
 */
const CONTROL = /[^\t\x20-\x7e\x80-\x9a\x9c-\uffff]/g;

const ESC = 0x1b;
/** A colour code: ESC [, digits and `;`, m. */
const COLOUR_CODE = new RegExp(`${String.fromCharCode(ESC)}\\[[0-9;]*m`, 'g');
const C1_CSI = 0x9b;
const BEL = 0x07;
const BACKSPACE = 0x08;
const BACKSPACES_TO_END = new RegExp(
  `${String.fromCharCode(BACKSPACE)}*$`,
  'y'
);

/**
 * A single terminal line and its cursor. Appending builds a string (cursor in
 * UTF-16 units, never inside a surrogate pair); the first overwrite switches
 * to an array of cells, one per code point, so '\b'-heavy text stays linear
 * however long the line is. Wide characters count as one cell.
 */
class LineEmulator {
  private line = '';
  private cells: string[] | null = null;
  private cursor = 0;

  feed(text: string): this {
    let i = 0;
    while (i < text.length) {
      const runEnd = printableRunEnd(text, i);
      if (runEnd > i) {
        this.write(text, i, runEnd);
        i = runEnd;
        continue;
      }
      const code = text.charCodeAt(i);
      if (code === ESC) {
        i = this.escape(text, i + 1);
      } else if (code === C1_CSI) {
        i = this.controlSequence(text, i + 1);
      } else if (code === BACKSPACE) {
        this.back(1);
        i += 1;
      } else if (code === 0x0d || code === 0x0a) {
        this.cursor = 0;
        i += 1;
      } else {
        // Other controls (bell, shift-in/out, DEL...) show nothing.
        i += 1;
      }
    }
    return this;
  }

  toString(): string {
    return (this.cells === null ? this.line : this.cells.join('')).trimEnd();
  }

  private write(text: string, start: number, end: number): void {
    if (this.cells === null && this.cursor >= this.line.length) {
      const gap = this.cursor - this.line.length;
      this.line += (gap > 0 ? ' '.repeat(gap) : '') + text.slice(start, end);
      this.cursor += end - start;
      return;
    }
    const cells = this.toCells();
    while (cells.length < this.cursor) {
      cells.push(' ');
    }
    let i = start;
    while (i < end) {
      const width = isSurrogatePair(text, i) ? 2 : 1;
      cells[this.cursor] = width === 2 ? text.slice(i, i + 2) : text[i];
      this.cursor += 1;
      i += width;
    }
  }

  /** Switch to one cell per code point, converting the cursor. */
  private toCells(): string[] {
    if (this.cells === null) {
      const before = this.line.slice(
        0,
        Math.min(this.cursor, this.line.length)
      );
      const gap = Math.max(0, this.cursor - this.line.length);
      this.cells = Array.from(this.line);
      this.cursor = Array.from(before).length + gap;
    }
    return this.cells;
  }

  private back(count: number): void {
    if (this.cells !== null) {
      this.cursor = Math.max(0, this.cursor - count);
      return;
    }
    for (let n = 0; n < count && this.cursor > 0; n++) {
      this.cursor -= 1;
      if (this.cursor > 0 && isSurrogatePair(this.line, this.cursor - 1)) {
        this.cursor -= 1;
      }
    }
  }

  /** Skip an escape sequence whose ESC is just before `start`; return the next index. */
  private escape(text: string, start: number): number {
    if (start >= text.length) {
      return start;
    }
    const kind = text[start];
    if (kind === '[') {
      return this.controlSequence(text, start + 1);
    }
    if (
      kind === ']' ||
      kind === 'P' ||
      kind === 'X' ||
      kind === '^' ||
      kind === '_'
    ) {
      return skipString(text, start + 1, kind === ']');
    }
    if (
      kind === '(' ||
      kind === ')' ||
      kind === '*' ||
      kind === '+' ||
      kind === '#'
    ) {
      return Math.min(text.length, start + 2);
    }
    return start + 1;
  }

  /** Apply a CSI sequence whose parameters start at `start`; return the next index. */
  private controlSequence(text: string, start: number): number {
    let i = start;
    while (i < text.length && isParameterByte(text.charCodeAt(i))) {
      i += 1;
    }
    const params = text.slice(start, i);
    while (i < text.length && isIntermediateByte(text.charCodeAt(i))) {
      i += 1;
    }
    if (i >= text.length) {
      return i;
    }
    const final = text.charCodeAt(i);
    if (final < 0x40 || final > 0x7e) {
      // Malformed: drop the introducer, keep what follows as text.
      return i;
    }
    this.applyControl(final, params);
    return i + 1;
  }

  private applyControl(final: number, params: string): void {
    // Colours (m) and everything else that does not move along one line: nothing to do.
    if (
      final !== CSI_LEFT &&
      final !== CSI_RIGHT &&
      final !== CSI_COLUMN &&
      final !== CSI_ERASE
    ) {
      return;
    }
    const first = Number.parseInt(params, 10);
    const count = Number.isNaN(first) || first < 1 ? 1 : first;
    if (final === CSI_LEFT) {
      this.back(count);
    } else if (final === CSI_RIGHT) {
      this.cursor += count;
    } else if (final === CSI_COLUMN) {
      this.cursor = count - 1;
    } else {
      this.eraseInLine(Number.isNaN(first) ? 0 : first);
    }
  }

  private eraseInLine(mode: number): void {
    if (mode !== 0 && mode !== 1 && mode !== 2) {
      return;
    }
    if (mode === 2) {
      this.line = '';
      this.cells = this.cells === null ? null : [];
      return;
    }
    if (mode === 0 && this.cells === null && this.cursor >= this.line.length) {
      return;
    }
    const cells = this.toCells();
    if (mode === 0) {
      cells.length = Math.min(cells.length, this.cursor);
    } else {
      for (let c = 0; c <= this.cursor && c < cells.length; c++) {
        cells[c] = ' ';
      }
    }
  }
}

function isSurrogatePair(text: string, index: number): boolean {
  const high = text.charCodeAt(index);
  const low = text.charCodeAt(index + 1);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

const CSI_LEFT = 0x44; // D
const CSI_RIGHT = 0x43; // C
const CSI_COLUMN = 0x47; // G
const CSI_ERASE = 0x4b; // K

/** End of the run of printable characters starting at `start`. */
function printableRunEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code === 0x9b) {
      break;
    }
    i += 1;
  }
  return i;
}

function isParameterByte(code: number): boolean {
  return code >= 0x30 && code <= 0x3f;
}

function isIntermediateByte(code: number): boolean {
  return code >= 0x20 && code <= 0x2f;
}

/** Skip an OSC/DCS-style string up to ST (ESC \\) or, for OSC, BEL. */
function skipString(text: string, start: number, bellEnds: boolean): number {
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (bellEnds && code === BEL) {
      return i + 1;
    }
    if (code === ESC && text[i + 1] === '\\') {
      return i + 2;
    }
  }
  return text.length;
}
