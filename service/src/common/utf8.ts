/**
 * UTF-8 decoding that never throws: invalid sequences become U+FFFD and are
 * counted, so a broken byte in a log line costs one character, not the line.
 */

export interface IDecodedText {
  text: string;
  /** Replacement characters introduced by invalid input (not ones already in it). */
  replaced: number;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const lenientDecoder = new TextDecoder('utf-8', { fatal: false });
const REPLACEMENT = '\uFFFD';
/** U+FFFD encoded: a replacement character the writer really wrote. */
const ENCODED_REPLACEMENT = Buffer.from(REPLACEMENT, 'utf8');

export function decodeUtf8(bytes: Uint8Array): IDecodedText {
  try {
    return { text: strictDecoder.decode(bytes), replaced: 0 };
  } catch {
    // Invalid input: decode again replacing bad sequences, and count them.
    const text = lenientDecoder.decode(bytes);
    return {
      text,
      replaced: countOf(text, REPLACEMENT) - countEncodedReplacements(bytes)
    };
  }
}

function countOf(text: string, character: string): number {
  let count = 0;
  for (
    let index = text.indexOf(character);
    index !== -1;
    index = text.indexOf(character, index + 1)
  ) {
    count += 1;
  }
  return count;
}

function countEncodedReplacements(bytes: Uint8Array): number {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (
    let index = buffer.indexOf(ENCODED_REPLACEMENT);
    index !== -1;
    index = buffer.indexOf(
      ENCODED_REPLACEMENT,
      index + ENCODED_REPLACEMENT.length
    )
  ) {
    count += 1;
  }
  return count;
}
