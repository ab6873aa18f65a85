/**
 * Large JSON answers gzipped for a client that accepts it: a comparison of
 * 20 runs is about 1 MB of JSON, which Jupyter's proxy copies byte for byte
 * (it passes `Content-Encoding` through) and a hub sends over the network;
 * gzip at its fastest level takes it to about a fifth in a few ms.
 */
import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

/** Answers shorter than this are sent as they are: not worth the work. */
export const COMPRESS_MIN_BYTES = 32 * 1024;

/**
 * Whether an `Accept-Encoding` header accepts gzip: named (or `*`) without
 * `q=0`.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  for (const part of value.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') {
      continue;
    }
    const quality = params
      .map(param => param.trim())
      .find(param => param.startsWith('q='));
    if (quality === undefined || Number(quality.slice(2)) > 0) {
      return true;
    }
  }
  return false;
}

/** The body to send for `text`, gzipped when it is long and the client accepts it. */
export async function encodeBody(
  text: string,
  acceptEncoding: string | string[] | undefined
): Promise<{ body: string | Buffer; headers: Record<string, string> }> {
  if (
    Buffer.byteLength(text) < COMPRESS_MIN_BYTES ||
    !acceptsGzip(acceptEncoding)
  ) {
    return { body: text, headers: {} };
  }
  const body = await gzipAsync(text, { level: constants.Z_BEST_SPEED });
  return { body, headers: { 'Content-Encoding': 'gzip' } };
}
