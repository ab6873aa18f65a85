import { errorFromResponse, TflogRequestError } from '../request';
import { requestErrorText } from '../requestText';
import { markingBundle } from './translation';

const URL = 'http://localhost/tflog/api/v1/runs';

describe('requestErrorText', () => {
  const trans = markingBundle();

  it('words each failure through the translator, not the English message', () => {
    const cases: [TflogRequestError, string][] = [
      [
        errorFromResponse(404, undefined, '<html></html>', URL),
        '«The tflog service is unreachable (HTTP 404): Jupyter has no route to it: is the tflog server extension enabled and jupyter-server-proxy installed?»'
      ],
      [
        errorFromResponse(502, undefined, 'Bad Gateway', URL),
        '«The tflog service is unreachable (HTTP 502): it is not running or does not answer; the Jupyter server log says why.»'
      ],
      [
        errorFromResponse(403, undefined, '', URL),
        '«Jupyter refused the request (HTTP 403); reloading the page may log you in again.»'
      ],
      [
        errorFromResponse(418, undefined, 'teapot', URL),
        '«Unexpected answer from the tflog service (HTTP 418): teapot»'
      ],
      [
        new TflogRequestError({
          message: 'The Jupyter server cannot be reached: Failed to fetch',
          status: 0,
          reason: 'network',
          url: URL,
          detail: 'Failed to fetch'
        }),
        '«The Jupyter server cannot be reached: Failed to fetch»'
      ],
      [
        new TflogRequestError({
          message: 'not JSON',
          status: 200,
          reason: 'invalid_response',
          url: URL
        }),
        '«The tflog service answered with something other than JSON.»'
      ]
    ];
    for (const [error, text] of cases) {
      expect(requestErrorText(trans, error)).toBe(text);
    }
  });

  it("adds the service's own message where it sent one", () => {
    const error = errorFromResponse(
      503,
      {
        error: {
          status: 503,
          reason: 'not_configured',
          message: 'TFLOG_ES_URLS: not a URL'
        }
      },
      '',
      URL
    );
    expect(error.reason).toBe('not_configured');
    expect(requestErrorText(trans, error)).toBe(
      '«tflog service: TFLOG_ES_URLS: not a URL»'
    );
  });

  it('shows any other error by its message', () => {
    expect(requestErrorText(trans, new Error('boom'))).toBe('boom');
    expect(requestErrorText(trans, 'plain')).toBe('plain');
  });
});
