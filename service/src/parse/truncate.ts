/** Size limits that keep one event a sane document. */

/** Most characters kept in `message`, `tflog.raw` and `error.*` (32 KiB of UTF-16 code units). */
export const MAX_TEXT_CHARS = 32 * 1024;

/**
 * Cut text longer than `limit`, saying how much was left out, e.g.
 * `…[truncated 4967232 chars]`. Never splits a surrogate pair.
 */
export function truncateText(
  text: string,
  limit: number = MAX_TEXT_CHARS
): string {
  if (text.length <= limit) {
    return text;
  }
  let end = limit;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) {
    end -= 1;
  }
  return `${text.slice(0, end)}…[truncated ${text.length - end} chars]`;
}
