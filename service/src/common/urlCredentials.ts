/**
 * Credentials written in a URL (`https://user:password@host`): split off
 * without a URL parser, decoded, and removed for messages and status.
 */
import { unescape as percentDecode } from 'node:querystring';

/** `scheme://` or `//` at the start: where a URL's authority begins. */
const AUTHORITY_START = /^(?:[a-z][a-z0-9+.-]*:)?\/\//i;

/**
 * A URL and the `user:password` written in it, split without a URL parser.
 * Credentials may hold '/', '?', '#', '@' and ':' unencoded, which a parser
 * takes for the end of the authority: here everything between `scheme://`
 * and the last '@' is the userinfo. (An '@' in a path or query must then be
 * written %40.) Text without `//` is treated the same way from its start.
 */
export function splitUserinfo(candidate: string): {
  url: string;
  userinfo: string | null;
} {
  const start = AUTHORITY_START.exec(candidate)?.[0].length ?? 0;
  const at = candidate.lastIndexOf('@');
  if (at < start) {
    return { url: candidate, userinfo: null };
  }
  return {
    url: candidate.slice(0, start) + candidate.slice(at + 1),
    userinfo: candidate.slice(start, at)
  };
}

export interface ILogin {
  username: string;
  password: string;
}

/** `user:password` (percent-encoding decoded, a lone '%' kept as it is). */
export function loginOf(userinfo: string): ILogin {
  const colon = userinfo.indexOf(':');
  const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
  const password = colon === -1 ? '' : userinfo.slice(colon + 1);
  return { username: percentDecode(user), password: percentDecode(password) };
}

/** A URL with any user:password removed, for messages and status. */
export function redactUrl(candidate: string): string {
  const { url } = splitUserinfo(candidate);
  try {
    return new URL(url).toString();
  } catch {
    // Not a URL: what is left after the credentials, as written.
    return url;
  }
}
