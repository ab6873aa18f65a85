/**
 * Document ids within Elasticsearch's limit of 512 bytes. Ids that fit are
 * kept as they are, so documents stored before keep their ids and a replay
 * still finds them (exactly-once); a longer id (a metric name of hundreds
 * of characters) keeps a readable head and ends in a hash of the whole id,
 * so it stays deterministic and distinct.
 */
import { createHash } from 'node:crypto';

export const MAX_ID_BYTES = 512;
const HASH_MARK = '~';
/** base64url of a SHA-256: 43 characters. */
const HASH_CHARS = 43;

export function boundedId(id: string): string {
  if (Buffer.byteLength(id, 'utf8') <= MAX_ID_BYTES) {
    return id;
  }
  const hash = createHash('sha256').update(id, 'utf8').digest('base64url');
  const head = utf8Prefix(id, MAX_ID_BYTES - HASH_MARK.length - HASH_CHARS);
  return `${head}${HASH_MARK}${hash}`;
}

/** The longest prefix of `text` of at most `bytes` UTF-8 bytes, whole characters only. */
function utf8Prefix(text: string, bytes: number): string {
  let used = 0;
  let end = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8');
    if (used + size > bytes) {
      break;
    }
    used += size;
    end += character.length;
  }
  return text.slice(0, end);
}
