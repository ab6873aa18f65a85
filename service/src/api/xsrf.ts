/**
 * Cross-site request forgery check for state-changing requests.
 *
 * jupyter-server-proxy authenticates requests but leaves XSRF checks to the
 * proxied service. We apply Jupyter's own rule: the `X-XSRFToken` header must
 * carry the same token as the `_xsrf` cookie, compared after decoding
 * tornado's masked "2|mask|masked_token|timestamp" form, since tornado masks
 * the same token differently each time it hands it out. A request carrying
 * `Authorization: token …` passed Jupyter's token authentication (the proxy
 * lets nothing unauthenticated through), and a browser never attaches that
 * header cross-site without a CORS preflight, which Jupyter refuses.
 */
import type { IncomingHttpHeaders } from 'http';
import { timingSafeEqual } from 'crypto';

import { ApiError } from './errors';

export const XSRF_COOKIE = '_xsrf';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const VERSIONED = /^([1-9][0-9]*)\|/;

/** Methods that change nothing and so need no XSRF token. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/**
 * The raw token inside a cookie or header value, as tornado's
 * `_decode_xsrf_token` computes it; null when the value is malformed.
 */
export function decodeXsrfToken(value: string): Buffer | null {
  const versioned = VERSIONED.exec(value);
  if (!versioned) {
    // Version 1: the token in hex, or the bytes as they are.
    return HEX.test(value)
      ? Buffer.from(value, 'hex')
      : Buffer.from(value, 'utf8');
  }
  if (versioned[1] !== '2') {
    return null;
  }
  const parts = value.split('|');
  if (parts.length !== 4) {
    return null;
  }
  const [, maskHex, maskedHex, timestamp] = parts;
  if (
    maskHex.length !== 8 ||
    !HEX.test(maskHex) ||
    !HEX.test(maskedHex) ||
    !/^-?\d+$/.test(timestamp)
  ) {
    return null;
  }
  const mask = Buffer.from(maskHex, 'hex');
  const masked = Buffer.from(maskedHex, 'hex');
  // The WebSocket masking function: XOR with the 4-byte mask, repeated.
  return Buffer.from(masked.map((byte, index) => byte ^ mask[index % 4]));
}

/** Values of every cookie called `name` in a Cookie header. */
export function cookieValues(
  header: string | undefined,
  name: string
): string[] {
  if (!header) {
    return [];
  }
  const values: string[] = [];
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals < 0 || part.slice(0, equals).trim() !== name) {
      continue;
    }
    let value = part.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1);
    }
    values.push(value);
  }
  return values;
}

/** True when the header token and the cookie hold the same XSRF token. */
export function xsrfTokensMatch(headerToken: string, cookie: string): boolean {
  if (headerToken === '' || cookie === '') {
    return false;
  }
  if (sameBytes(Buffer.from(headerToken), Buffer.from(cookie))) {
    return true;
  }
  const sent = decodeXsrfToken(headerToken);
  const expected = decodeXsrfToken(cookie);
  if (!sent || !expected || sent.length === 0) {
    return false;
  }
  return sameBytes(sent, expected);
}

/** Throw a 403 unless the request proves it comes from the Jupyter page itself. */
export function checkXsrf(headers: IncomingHttpHeaders): void {
  if (hasTokenAuthorization(headers.authorization)) {
    return;
  }
  const headerToken = firstHeader(
    headers['x-xsrftoken'] ?? headers['x-csrftoken']
  );
  if (!headerToken) {
    throw new ApiError(
      403,
      'xsrf',
      "XSRF check failed: send the '_xsrf' cookie's value in an X-XSRFToken header"
    );
  }
  const cookies = cookieValues(headers.cookie, XSRF_COOKIE);
  if (cookies.length === 0) {
    throw new ApiError(403, 'xsrf', "XSRF check failed: no '_xsrf' cookie");
  }
  if (!cookies.some(cookie => xsrfTokensMatch(headerToken, cookie))) {
    throw new ApiError(
      403,
      'xsrf',
      "XSRF check failed: X-XSRFToken does not match the '_xsrf' cookie"
    );
  }
}

function hasTokenAuthorization(value: string | undefined): boolean {
  return value !== undefined && /^(?:token|bearer)\s+\S+/i.test(value.trim());
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function sameBytes(left: Buffer, right: Buffer): boolean {
  return left.length === right.length && timingSafeEqual(left, right);
}
