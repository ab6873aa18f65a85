/**
 * The visible lines of one stream record, continuing the stream's last
 * unterminated (partial) line: the kernel-side writer flushes text that has
 * waited 0.25 s without '\n' or '\r' as a partial record, and the next record
 * of the stream goes on with the same terminal line.
 */
import { IStreamParseState } from './lines/event';
import { renderLine, splitSegments, Terminator } from './terminal';

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
}

/** A partial line longer than this is not continued (its raw text would bloat the state). */
const MAX_PENDING_CHARS = 64 * 1024;

export function streamLines(
  text: string,
  state: IStreamParseState
): IStreamLine[] {
  const lines: IStreamLine[] = [];
  const segments = splitSegments(text);
  segments.forEach((segment, index) => {
    let raw = segment.raw;
    let pendingText: string | null = null;
    const pending = state.pending ?? null;
    if (index === 0 && pending !== null) {
      raw = pending.raw + raw;
      pendingText = pending.text;
    }
    if (index === 0) {
      state.pending = null;
    }
    const body = segment.terminator === null ? raw : raw.slice(0, -1);
    const rendered = renderLine(body);
    if (segment.terminator === null) {
      state.pending =
        raw.length <= MAX_PENDING_CHARS ? { raw, text: rendered } : null;
    }
    if (rendered.length === 0) {
      return;
    }
    if (pendingText !== null && rendered === pendingText) {
      if (segment.terminator === '\n') {
        lines.push({ text: rendered, raw, terminator: '\n', completes: true });
      }
      return;
    }
    lines.push({
      text: rendered,
      raw,
      terminator: segment.terminator,
      completes: false
    });
  });
  return lines;
}
