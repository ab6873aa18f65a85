/** What a failed request says to the user, in their language. */
import type { TranslationBundle } from '@jupyterlab/translation';

import { TflogRequestError } from './request';

/**
 * Why a request failed, worded through `trans` from the error's reason and
 * status (its `message` is English, for the console), with the service's
 * own message where it sent one. Any other error is shown by its message.
 */
export function requestErrorText(
  trans: TranslationBundle,
  error: unknown
): string {
  if (!(error instanceof TflogRequestError)) {
    return error instanceof Error ? error.message : String(error);
  }
  const { status, detail } = error;
  switch (error.reason) {
    case 'network':
      return detail
        ? trans.__('The Jupyter server cannot be reached: %1', detail)
        : trans.__('The Jupyter server cannot be reached.');
    case 'unreachable':
      return status === 404
        ? trans.__(
            'The tflog service is unreachable (HTTP %1): Jupyter has no route to it: is the tflog server extension enabled and jupyter-server-proxy installed?',
            status
          )
        : trans.__(
            'The tflog service is unreachable (HTTP %1): it is not running or does not answer; the Jupyter server log says why.',
            status
          );
    case 'jupyter_refused':
      return trans.__(
        'Jupyter refused the request (HTTP %1); reloading the page may log you in again.',
        status
      );
    case 'invalid_response':
      // A 2xx answer that is not JSON, or an error page that is not the API's.
      return status >= 200 && status < 300
        ? trans.__('The tflog service answered with something other than JSON.')
        : trans.__(
            'Unexpected answer from the tflog service (HTTP %1): %2',
            status,
            detail ?? ''
          );
  }
  // The service said why, in its own words (names of settings, parameters).
  return error.serverMessage === null
    ? trans.__('The tflog service refused the request (HTTP %1).', status)
    : trans.__('tflog service: %1', error.serverMessage);
}
