/**
 * Reads complete lines from an append-only file, starting at a byte offset.
 * A trailing line without its newline is left for a later read (the writer
 * is still appending it). Lines longer than the cap keep only their head, so
 * memory stays bounded whatever the file holds.
 */
import type { FileHandle } from 'fs/promises';

export interface IRawLine {
  /** Offset of the line's first byte. */
  start: number;
  /** Offset just past the line's newline: where the next line starts. */
  end: number;
  /** The line without its newline; only the first `maxLineBytes` when truncated. */
  bytes: Buffer;
  /** Length of the whole line in bytes, without the newline. */
  length: number;
  truncated: boolean;
}

export interface IReadOptions {
  /** Longest line kept whole; longer lines keep their head only. */
  maxLineBytes: number;
  /** Stop after this many bytes of complete lines (a started line is finished). */
  budgetBytes: number;
  chunkBytes?: number;
}

const NEWLINE = 0x0a;

export async function readCompleteLines(
  handle: FileHandle,
  from: number,
  options: IReadOptions
): Promise<IRawLine[]> {
  const chunk = Buffer.allocUnsafe(options.chunkBytes ?? 256 * 1024);
  const lines: IRawLine[] = [];
  let position = from;
  let lineStart = from;
  let lineLength = 0;
  let pieces: Buffer[] = [];
  let keptBytes = 0;

  const keep = (piece: Buffer): void => {
    lineLength += piece.length;
    const room = options.maxLineBytes - keptBytes;
    if (room > 0) {
      const kept = Buffer.from(piece.subarray(0, Math.min(room, piece.length)));
      pieces.push(kept);
      keptBytes += kept.length;
    }
  };

  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) {
      break;
    }
    let scanFrom = 0;
    for (;;) {
      const newline = chunk.indexOf(NEWLINE, scanFrom);
      if (newline === -1 || newline >= bytesRead) {
        keep(chunk.subarray(scanFrom, bytesRead));
        break;
      }
      keep(chunk.subarray(scanFrom, newline));
      const end = position + newline + 1;
      lines.push({
        start: lineStart,
        end,
        bytes: Buffer.concat(pieces, keptBytes),
        length: lineLength,
        truncated: lineLength > options.maxLineBytes
      });
      if (end - from >= options.budgetBytes) {
        // The rest of the chunk is read again next time.
        return lines;
      }
      lineStart = end;
      lineLength = 0;
      pieces = [];
      keptBytes = 0;
      scanFrom = newline + 1;
    }
    position += bytesRead;
  }
  return lines;
}

/** Cuts `bytes` back to a UTF-8 character boundary (drops a split character). */
export function trimToCharacterBoundary(bytes: Buffer): Buffer {
  let end = bytes.length;
  let continuation = 0;
  while (end > 0 && continuation < 4 && (bytes[end - 1] & 0xc0) === 0x80) {
    end -= 1;
    continuation += 1;
  }
  if (end === 0) {
    return bytes;
  }
  const lead = bytes[end - 1];
  const expected = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (expected === continuation + 1) {
    return bytes;
  }
  return expected > 1 ? bytes.subarray(0, end - 1) : bytes;
}
