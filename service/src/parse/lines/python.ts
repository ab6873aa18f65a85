/**
 * Python's own stderr output: tracebacks and warnings.
 *
 * A traceback arrives as one line per segment. Every line is an event of
 * kind 'error'; the closing `XxxError: message` line carries error.type,
 * error.message and error.stack_trace (the lines collected in the stream's
 * parse state, bounded). A warning (`file.py:3: UserWarning: message`) is a
 * 'warning' event, and so is the indented source line Python prints after it.
 */
import { IErrorInfo } from '../../types';
import { truncateText } from '../truncate';
import { IStreamParseState } from './event';

export type PythonLine =
  | { role: 'traceback' }
  | { role: 'exception'; error: IErrorInfo }
  | { role: 'warning'; category: string }
  | { role: 'warning-source' };

const TRACEBACK_START = 'Traceback (most recent call last):';
const CHAIN_SENTENCES = [
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:'
];
const EXCEPTION_LINE = /^([A-Za-z_][\w.]*)(?:: ?(.*))?$/;
const WARNING_LINE = /^(.+?):(\d+): ([A-Za-z_]\w*Warning): (.*)$/;
/** Bound on the traceback text kept in the parse state. */
const MAX_STACK_CHARS = 16 * 1024;
const MAX_STACK_LINE_CHARS = 2048;

function indented(line: string): boolean {
  const first = line.charCodeAt(0);
  return first === 0x20 || first === 0x09;
}

/** Classify a line and advance the stream's traceback/warning state. */
export function observePythonLine(
  line: string,
  state: IStreamParseState
): PythonLine | null {
  const expectingSource = state.warning_source;
  state.warning_source = false;
  if (state.traceback !== null) {
    const inTraceback = continueTraceback(line, state);
    if (inTraceback) {
      return inTraceback;
    }
  }
  if (line === TRACEBACK_START) {
    state.traceback = [line];
    state.traceback_omitted = 0;
    return { role: 'traceback' };
  }
  if (expectingSource && indented(line)) {
    return { role: 'warning-source' };
  }
  if (CHAIN_SENTENCES.includes(line)) {
    return { role: 'traceback' };
  }
  if (line.includes('Warning: ')) {
    const warning = WARNING_LINE.exec(line);
    if (warning) {
      state.warning_source = true;
      return { role: 'warning', category: warning[3] };
    }
  }
  return null;
}

function continueTraceback(
  line: string,
  state: IStreamParseState
): PythonLine | null {
  const lines = state.traceback ?? [];
  if (indented(line)) {
    const kept = lines.reduce((sum, text) => sum + text.length + 1, 0);
    if (kept + line.length <= MAX_STACK_CHARS) {
      lines.push(truncateText(line, MAX_STACK_LINE_CHARS));
    } else {
      state.traceback_omitted += 1;
    }
    return { role: 'traceback' };
  }
  if (line === TRACEBACK_START) {
    return null;
  }
  state.traceback = null;
  const exception = EXCEPTION_LINE.exec(line);
  if (!exception) {
    return null;
  }
  const omitted =
    state.traceback_omitted > 0
      ? [`  … ${state.traceback_omitted} lines left out`]
      : [];
  state.traceback_omitted = 0;
  return {
    role: 'exception',
    error: {
      type: exception[1],
      message: truncateText(exception[2] ?? ''),
      stack_trace: [...lines, ...omitted, line].join('\n')
    }
  };
}

/** error.type and error.message from formatted exception text (its last line). */
export function errorFromExceptionText(text: string): IErrorInfo {
  const lines = text.split('\n').filter(line => line.trim().length > 0);
  const last = lines.length > 0 ? lines[lines.length - 1] : '';
  const exception = EXCEPTION_LINE.exec(last.slice(0, MAX_STACK_LINE_CHARS));
  return {
    type: exception ? exception[1] : 'Exception',
    message: truncateText(exception ? (exception[2] ?? '') : last),
    stack_trace: truncateText(text)
  };
}
