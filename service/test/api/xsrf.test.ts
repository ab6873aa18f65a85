import { randomBytes } from 'crypto';

import {
  cookieValues,
  decodeXsrfToken,
  xsrfTokensMatch
} from '../../src/api/xsrf';
import { errorOf, ITestServer, json, request, startServer } from './helpers';

/** Mask a token the way tornado's `xsrf_token` does (cookie format version 2). */
function tornadoV2(token: Buffer, mask: Buffer = randomBytes(4)): string {
  const masked = Buffer.from(
    token.map((byte, index) => byte ^ mask[index % 4])
  );
  return `2|${mask.toString('hex')}|${masked.toString('hex')}|1795898771`;
}

// Two values real tornado 6 handed out for one token (cookie, then a later
// xsrf_token masked afresh); tornado's check_xsrf_cookie accepts the pair.
const TORNADO_COOKIE = '2|97d8eec5|8eaf475843552334fce293f52f8c0262|1795898771';
const TORNADO_HEADER = '2|5714a2e7|4e630b7a83996f163c2edfd7ef404e40|1795898771';
const TORNADO_TOKEN = '1977a99dd48dcdf16b3a7d30b854eca7';

describe('XSRF tokens', () => {
  it('decodes tornado version 2 values to the raw token', () => {
    expect(decodeXsrfToken(TORNADO_COOKIE)?.toString('hex')).toBe(
      TORNADO_TOKEN
    );
    expect(decodeXsrfToken(TORNADO_HEADER)?.toString('hex')).toBe(
      TORNADO_TOKEN
    );
  });

  it('decodes version 1 values as hex, else as bytes', () => {
    expect(decodeXsrfToken('abcd')?.toString('hex')).toBe('abcd');
    expect(decodeXsrfToken('not-hex')?.toString('utf8')).toBe('not-hex');
  });

  it('refuses malformed versioned values', () => {
    expect(decodeXsrfToken('3|aa|bb|1')).toBeNull();
    expect(decodeXsrfToken('2|97d8eec5|8eaf|x')).toBeNull();
    expect(decodeXsrfToken('2|97d8|8eaf|1')).toBeNull();
    expect(decodeXsrfToken('2|97d8eec5|8ea|1')).toBeNull();
    expect(decodeXsrfToken('2|97d8eec5|8eaf|1|extra')).toBeNull();
  });

  it('matches the same token under different masks, and only it', () => {
    const token = randomBytes(16);
    expect(xsrfTokensMatch(tornadoV2(token), tornadoV2(token))).toBe(true);
    expect(xsrfTokensMatch(tornadoV2(randomBytes(16)), tornadoV2(token))).toBe(
      false
    );
    expect(xsrfTokensMatch(TORNADO_HEADER, TORNADO_COOKIE)).toBe(true);
    expect(xsrfTokensMatch('', '')).toBe(false);
  });

  it('reads every _xsrf cookie of a Cookie header', () => {
    expect(
      cookieValues('a=1; _xsrf="2|x|y|1"; b=2;_xsrf=raw', '_xsrf')
    ).toEqual(['2|x|y|1', 'raw']);
    expect(cookieValues(undefined, '_xsrf')).toEqual([]);
  });
});

describe('XSRF check on state-changing requests', () => {
  let server: ITestServer;
  let flushes: number;

  beforeAll(async () => {
    server = await startServer({
      flush: async () => {
        flushes++;
      }
    });
  });

  beforeEach(() => {
    flushes = 0;
  });

  afterAll(() => server.api.close());

  const post = (headers: Record<string, string>) =>
    request(server.at, '/api/v1/flush', { method: 'POST', headers });

  it('refuses a POST without any token', async () => {
    const response = await post({});
    expect(response.status).toBe(403);
    expect(errorOf(response).reason).toBe('xsrf');
    expect(flushes).toBe(0);
  });

  it('refuses a header token without a cookie', async () => {
    const response = await post({ 'X-XSRFToken': TORNADO_HEADER });
    expect(response.status).toBe(403);
    expect(errorOf(response).message).toContain('no ');
  });

  it('refuses a token that does not match the cookie', async () => {
    const cookie = tornadoV2(randomBytes(16));
    const response = await post({
      Cookie: `_xsrf=${cookie}`,
      'X-XSRFToken': tornadoV2(randomBytes(16))
    });
    expect(response.status).toBe(403);
    expect(errorOf(response).message).toContain('does not match');
    expect(flushes).toBe(0);
  });

  it('accepts the cookie value repeated in the header', async () => {
    const cookie = tornadoV2(randomBytes(16));
    const response = await post({
      Cookie: `username-x=y; _xsrf=${cookie}`,
      'X-XSRFToken': cookie
    });
    expect(response.status).toBe(200);
    expect(json(response)).toEqual({ flushed: true });
    expect(flushes).toBe(1);
  });

  it('accepts the same token masked differently, as tornado does', async () => {
    const response = await post({
      Cookie: `_xsrf=${TORNADO_COOKIE}`,
      'X-XSRFToken': TORNADO_HEADER
    });
    expect(response.status).toBe(200);
    expect(flushes).toBe(1);
  });

  it('accepts token-authenticated requests', async () => {
    const response = await post({ Authorization: 'token 0123abcd' });
    expect(response.status).toBe(200);
    expect(flushes).toBe(1);
  });

  it('refuses an empty Authorization token', async () => {
    const response = await post({ Authorization: 'token ' });
    expect(response.status).toBe(403);
  });

  it('needs no token for GET', async () => {
    const response = await request(server.at, '/api/v1/runs');
    expect(response.status).toBe(200);
  });

  it('checks before routing, so unknown POST targets are refused too', async () => {
    const response = await request(server.at, '/api/v1/nothing', {
      method: 'POST'
    });
    expect(response.status).toBe(403);
  });
});

describe('flush endpoint', () => {
  it('answers 501 when the service gives no flush callback', async () => {
    const server = await startServer();
    try {
      const response = await request(server.at, '/api/v1/flush', {
        method: 'POST',
        headers: { Authorization: 'token t' }
      });
      expect(response.status).toBe(501);
      expect(errorOf(response).reason).toBe('not_implemented');
    } finally {
      await server.api.close();
    }
  });
});
