/**
 * Logging records printed a second time by a stream handler.
 *
 * `logging.basicConfig()` prints each record to stderr while the kernel
 * side also records it: the stream copy would be a duplicate event. After a
 * logging record, its lines (message and exception text) are remembered in
 * the run state for a few records; a stream line repeating the next of them
 * (with or without the handler's prefix) is dropped.
 */
import { IRunState } from './state';

const MAX_ECHO_LINES = 200;
/** Records after the logging record's own lines during which its copy may arrive. */
const ECHO_WINDOW_RECORDS = 16;
/** Remembered lines a stream line may skip (a handler may filter some). */
const ECHO_LOOKAHEAD = 3;

export function rememberLoggingLines(
  state: IRunState,
  seq: number,
  lines: string[]
): void {
  const kept = lines.slice(0, MAX_ECHO_LINES);
  state.logging_echo =
    kept.length > 0
      ? { lines: kept, until_seq: seq + kept.length + ECHO_WINDOW_RECORDS }
      : null;
}

/** Is this stream line (`text`, `body` without its log prefix) the copy of a remembered line? */
export function isLoggingEcho(
  state: IRunState,
  seq: number,
  text: string,
  body: string
): boolean {
  const echo = state.logging_echo;
  if (echo === null || echo === undefined) {
    return false;
  }
  if (seq > echo.until_seq || echo.lines.length === 0) {
    state.logging_echo = null;
    return false;
  }
  const limit = Math.min(ECHO_LOOKAHEAD, echo.lines.length);
  for (let i = 0; i < limit; i++) {
    if (repeats(text, body, echo.lines[i])) {
      echo.lines.splice(0, i + 1);
      if (echo.lines.length === 0) {
        state.logging_echo = null;
      }
      return true;
    }
  }
  return false;
}

/** Equal to the logged line, or ending with it right after a separator. */
function repeats(text: string, body: string, logged: string): boolean {
  if (text === logged || body === logged) {
    return true;
  }
  if (logged.length === 0 || !text.endsWith(logged)) {
    return false;
  }
  const before = text.charAt(text.length - logged.length - 1);
  return (
    before === ' ' ||
    before === ':' ||
    before === ']' ||
    before === '|' ||
    before === '-' ||
    before === '\t'
  );
}
