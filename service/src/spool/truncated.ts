/**
 * Salvages a spool line that was cut because it exceeded the line cap: the
 * cut almost always falls inside the one huge string (stream text, log
 * message, traceback). Closing that string and the open objects gives a
 * record that still ships, with a marker saying how much was lost.
 */
import { validateRecord, type LineParseResult } from './record';

type Container = { kind: 'object'; expectKey: boolean } | { kind: 'array' };

interface IScanEnd {
  /** Open containers, outermost first. */
  stack: Container[];
  /** Inside a string at the cut, and whether that string is an object key. */
  inString: boolean;
  inKey: boolean;
}

/**
 * Repairs `head` (the first bytes of an over-long line, decoded) into a
 * record whose cut string ends with `marker`. Fails when the cut fell
 * somewhere other than inside a string value.
 */
export function salvageTruncatedLine(
  head: string,
  marker: string
): LineParseResult {
  const end = scan(head);
  if (!end.inString || end.inKey || end.stack.length === 0) {
    return {
      ok: false,
      problem: 'line exceeds the line cap and was not cut inside a string value'
    };
  }
  const closed =
    dropIncompleteEscape(head) +
    JSON.stringify(marker).slice(1, -1) +
    '"' +
    end.stack
      .slice()
      .reverse()
      .map(container => (container.kind === 'object' ? '}' : ']'))
      .join('');
  let value: unknown;
  try {
    value = JSON.parse(closed);
  } catch (error) {
    return {
      ok: false,
      problem: `line exceeds the line cap and could not be repaired (${String(error)})`
    };
  }
  return validateRecord(value);
}

function scan(text: string): IScanEnd {
  const stack: Container[] = [];
  let inString = false;
  let inKey = false;
  let escaped = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (character === '\\') {
        escaped = true;
      } else if (character === '"') {
        inString = false;
      }
      continue;
    }
    const top = stack[stack.length - 1];
    switch (character) {
      case '"':
        inString = true;
        inKey = top !== undefined && top.kind === 'object' && top.expectKey;
        break;
      case '{':
        stack.push({ kind: 'object', expectKey: true });
        break;
      case '[':
        stack.push({ kind: 'array' });
        break;
      case '}':
      case ']':
        stack.pop();
        break;
      case ':':
        if (top && top.kind === 'object') {
          top.expectKey = false;
        }
        break;
      case ',':
        if (top && top.kind === 'object') {
          top.expectKey = true;
        }
        break;
      default:
        break;
    }
  }
  return { stack, inString, inKey };
}

/** Removes a trailing `\` or partial `\uXX` so the string can be closed. */
function dropIncompleteEscape(text: string): string {
  const partialUnicode = /\\u[0-9a-fA-F]{0,3}$/.exec(text);
  if (partialUnicode && !isEscapedBackslash(text, partialUnicode.index)) {
    return text.slice(0, partialUnicode.index);
  }
  if (text.endsWith('\\') && !isEscapedBackslash(text, text.length - 1)) {
    return text.slice(0, -1);
  }
  return text;
}

/** True when the backslash at `index` is itself escaped by an odd run before it. */
function isEscapedBackslash(text: string, index: number): boolean {
  let run = 0;
  for (
    let cursor = index - 1;
    cursor >= 0 && text[cursor] === '\\';
    cursor -= 1
  ) {
    run += 1;
  }
  return run % 2 === 1;
}
