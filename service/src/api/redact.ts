/**
 * Last line of defence against leaking credentials through the API: URLs
 * such as `https://elastic:secret@es.example:9200` lose their userinfo part
 * wherever they appear in text the API sends out (status, error messages).
 *
 * A password may hold '/', '?', '#', '@' or ':' unencoded, so the userinfo
 * runs to the last '@' before the next whitespace. That may also take a
 * path's '@' for one (`https://host/a@b` shows as `https://b`): showing too
 * little is the safe side.
 */

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)\S*@/gi;

/** The text with the `user:password@` part of every URL in it removed. */
export function redactCredentials(text: string): string {
  return text.replace(URL_USERINFO, '$1');
}

/** A deep copy of a JSON-like value with every string passed through `redactCredentials`. */
export function redactDeep(value: unknown): unknown {
  if (typeof value === 'string') {
    return redactCredentials(value);
  }
  if (Array.isArray(value)) {
    return value.map(redactDeep);
  }
  if (value !== null && typeof value === 'object') {
    if (value instanceof Date) {
      return value.toISOString();
    }
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] = redactDeep(item);
    }
    return copy;
  }
  return value;
}
