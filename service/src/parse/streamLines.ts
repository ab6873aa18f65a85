/**
 * The visible lines of one stream record, continuing the stream's last
 * unterminated (partial) line: the kernel-side writer flushes text that has
 * waited 0.25 s without '\n' or '\r' as a partial record, and the next record
 * of the stream goes on with the same terminal line.
 *
 * A line longer than the kernel's bound (64 Ki characters) arrives cut into
 * several records, all but the last marked `split`. Their pieces are not
 * joined again (that would hold the whole line in the state): each is a line
 * of its own, marked `fragment`, and so is the first line of the record that
 * follows a split one.
 */
import { IStreamParseState } from './lines/event';
import { renderLine, Terminator } from './terminal';

export interface IStreamLine {
  text: string;
  raw: string;
  terminator: Terminator;
  /**
   * The line was already emitted from a partial record and now ended with
   * '\n' unchanged: only worth a second look if that makes it a Keras
   * epoch's final line.
   */
  completes: boolean;
  /** A piece of a line the kernel cut at its size bound: plain text, no patterns. */
  fragment: boolean;
}

/** A partial line longer than this is not continued (its raw text would bloat the state). */
const MAX_PENDING_CHARS = 64 * 1024;

/**
 * Lines of one stream record parsed at most. The kernel writes one line per
 * record; a record of millions of short lines must not become millions of
 * documents at once.
 */
export const MAX_LINES_PER_RECORD = 1000;

export interface IStreamLines {
  lines: IStreamLine[];
  /**
   * The record's text after its `maxLines`th line, as written, when more
   * visible text follows; '' otherwise. It is not parsed, nor continued as
   * a partial line.
   */
  rest: string;
}

export function streamLines(
  text: string,
  state: IStreamParseState,
  maxLines: number = MAX_LINES_PER_RECORD,
  split = false
): IStreamLines {
  const lines: IStreamLine[] = [];
  let consumed = 0;
  let first = true;
  const continuesSplit = state.split === true;
  if (continuesSplit || split) {
    state.split = split;
  }
  // Segments end after each '\n' and '\r' (terminal.ts: segmentsOf), read
  // here without a generator: most records are one segment. The next of
  // each terminator is looked up natively, and again only once passed.
  let nextNewline = -2;
  let nextReturn = -2;
  while (consumed < text.length) {
    if (nextNewline !== -1 && nextNewline < consumed) {
      nextNewline = text.indexOf('\n', consumed);
    }
    if (nextReturn !== -1 && nextReturn < consumed) {
      nextReturn = text.indexOf('\r', consumed);
    }
    const end =
      nextNewline < 0
        ? nextReturn
        : nextReturn < 0
          ? nextNewline
          : Math.min(nextNewline, nextReturn);
    // Kept in locals, not an object: this runs once per line.
    const segmentRaw =
      end < 0
        ? consumed === 0
          ? text
          : text.slice(consumed)
        : consumed === 0 && end === text.length - 1
          ? text
          : text.slice(consumed, end + 1);
    const terminator: Terminator =
      end < 0 ? null : text.charCodeAt(end) === 0x0a ? '\n' : '\r';
    // Only the last segment can lack a terminator.
    const fragment =
      (first && continuesSplit) || (split && terminator === null);
    if (lines.length >= maxLines) {
      const rest = text.slice(consumed);
      return { lines, rest: rest.trim() === '' ? '' : rest };
    }
    consumed += segmentRaw.length;
    let raw = segmentRaw;
    let pendingText: string | null = null;
    if (first) {
      const pending = state.pending ?? null;
      if (pending !== null) {
        raw = pending.raw + raw;
        pendingText = pending.text;
      }
      state.pending = null;
      first = false;
    }
    const body = terminator === null ? raw : raw.slice(0, -1);
    const rendered = renderLine(body);
    if (terminator === null) {
      // A split record is not continued: the next one starts a new piece.
      state.pending =
        !split && raw.length <= MAX_PENDING_CHARS
          ? { raw, text: rendered }
          : null;
    }
    if (rendered.length === 0) {
      continue;
    }
    if (pendingText !== null && rendered === pendingText) {
      if (terminator === '\n') {
        lines.push({
          text: rendered,
          raw,
          terminator: '\n',
          completes: true,
          fragment: false
        });
      }
      continue;
    }
    lines.push({
      text: rendered,
      raw,
      terminator: terminator,
      completes: false,
      fragment
    });
  }
  return { lines, rest: '' };
}
