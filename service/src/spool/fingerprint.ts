/**
 * What a read position looked like: a hash of the first bytes of the line
 * that ends there. A spool file truncated and written again in place keeps
 * its inode and may be longer than the position by the next poll, so size
 * and inode alone would resume in the middle of the new content. The first
 * bytes of a line hold its type, `seq` and `ts`, so they match only where
 * the same record still ends at that offset.
 */
import { createHash } from 'crypto';
import type { FileHandle } from 'fs/promises';

/** Bytes of the line's head that are hashed. */
export const FINGERPRINT_BYTES = 256;

export interface ISpoolFingerprint {
  /** Offset of the first byte hashed: the start of the line before the position. */
  at: number;
  /** How many bytes from `at` are hashed. */
  length: number;
  /** SHA-256 of those bytes, hex. */
  sha256: string;
}

/** The first bytes of a line as read, to fingerprint it later if needed. */
export interface ILineHead {
  at: number;
  bytes: Buffer;
}

/** The head of a line read at `at`, copied when it would keep a long line alive. */
export function lineHead(at: number, lineBytes: Buffer): ILineHead {
  const head = lineBytes.subarray(0, FINGERPRINT_BYTES);
  return {
    at,
    bytes: lineBytes.length > 4 * FINGERPRINT_BYTES ? Buffer.from(head) : head
  };
}

export function fingerprintOf(head: ILineHead): ISpoolFingerprint {
  return {
    at: head.at,
    length: head.bytes.length,
    sha256: createHash('sha256').update(head.bytes).digest('hex')
  };
}

/** True when the file still holds the fingerprinted bytes where they were. */
export async function fingerprintMatches(
  handle: FileHandle,
  fingerprint: ISpoolFingerprint
): Promise<boolean> {
  const bytes = Buffer.alloc(fingerprint.length);
  let filled = 0;
  while (filled < bytes.length) {
    const { bytesRead } = await handle.read(
      bytes,
      filled,
      bytes.length - filled,
      fingerprint.at + filled
    );
    if (bytesRead === 0) {
      return false;
    }
    filled += bytesRead;
  }
  return (
    fingerprintOf({ at: fingerprint.at, bytes }).sha256 === fingerprint.sha256
  );
}

export function isFingerprint(value: unknown): value is ISpoolFingerprint {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const candidate = value as Partial<ISpoolFingerprint>;
  return (
    Number.isSafeInteger(candidate.at) &&
    (candidate.at as number) >= 0 &&
    Number.isSafeInteger(candidate.length) &&
    (candidate.length as number) >= 0 &&
    (candidate.length as number) <= FINGERPRINT_BYTES &&
    typeof candidate.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(candidate.sha256)
  );
}
