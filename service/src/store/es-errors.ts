/**
 * The one place where Elasticsearch client errors become store errors:
 * StoreUnavailableError (retry later: connection, timeout, 429, 5xx, and
 * refused credentials, which an admin can fix while we wait) or
 * StoreQueryError (the request itself is wrong: other 4xx). Messages say
 * what to check, never echo credentials.
 */
import { errors } from '@elastic/elasticsearch';

import { describeCause } from './es-queries';
import { StoreQueryError, StoreUnavailableError } from './store';

const TLS_PROBLEM =
  /certificate|self[- ]signed|\bSSL\b|\bTLS\b|EPROTO|altnames|wrong version number/i;

/**
 * Maps `error`, thrown while doing `what` against `location` (URLs without
 * credentials), to the store's error types.
 */
export function mapElasticsearchError(
  error: unknown,
  what: string,
  location: string
): Error {
  if (
    error instanceof StoreUnavailableError ||
    error instanceof StoreQueryError
  ) {
    return error;
  }
  if (error instanceof errors.ProductNotSupportedError) {
    return new StoreUnavailableError(
      `${what}: the server at ${location} is not a supported Elasticsearch (7.14 or newer; OpenSearch and older Elasticsearch do not send the x-elastic-product header the client requires)`
    );
  }
  if (error instanceof errors.ResponseError) {
    return mapResponseError(error, what, location);
  }
  if (error instanceof errors.TimeoutError) {
    return new StoreUnavailableError(
      `${what}: Elasticsearch at ${location} did not answer in time (TFLOG_ES_REQUEST_TIMEOUT_MS)`
    );
  }
  if (
    error instanceof errors.ConnectionError ||
    error instanceof errors.NoLivingConnectionsError
  ) {
    const detail = connectionDetail(error);
    if (TLS_PROBLEM.test(detail)) {
      return new StoreUnavailableError(
        `${what}: TLS connection to ${location} failed (${detail}); set TFLOG_ES_CA_CERTS to the cluster's CA certificate file, or TFLOG_ES_VERIFY_CERTS=false to skip verification`
      );
    }
    return new StoreUnavailableError(
      `${what}: cannot connect to Elasticsearch at ${location} (${detail})`
    );
  }
  if (error instanceof errors.ElasticsearchClientError) {
    return new Error(`${what}: ${error.name}: ${error.message}`);
  }
  return error instanceof Error
    ? new Error(`${what}: ${error.message}`)
    : new Error(`${what}: ${String(error)}`);
}

/**
 * One failed search of an `msearch`, or one failed item of a bulk request
 * (both answer 200 around it), mapped as the same failure of a request of
 * its own: refused credentials or privileges, and busy or failing, are
 * worth retrying (an admin can fix the first); anything else is a bad
 * request.
 */
export function mapSearchFailure(
  status: number,
  cause: Parameters<typeof describeCause>[0],
  what: string
): Error {
  const reason = describeCause(cause);
  if (status === 401 || status === 403) {
    return notAuthorized(what, status, reason);
  }
  if (status === 429 || status >= 500) {
    return new StoreUnavailableError(
      `${what}: Elasticsearch is busy or failing (${status} ${reason})`,
      status
    );
  }
  return new StoreQueryError(`${what}: ${status} ${reason}`);
}

/** Creating what another writer created first (an index, a template). */
export function isAlreadyThere(error: unknown): boolean {
  return (
    error instanceof errors.ResponseError &&
    error.statusCode === 400 &&
    JSON.stringify(error.body ?? '').includes(
      'resource_already_exists_exception'
    )
  );
}

/** A refusal an admin can fix by granting privileges: retried meanwhile. */
function notAuthorized(
  what: string,
  status: number,
  reason: string
): StoreUnavailableError {
  return new StoreUnavailableError(
    `${what}: not authorized (${status} ${reason}); the user or API key needs the privileges listed in docs/storage.md`,
    status
  );
}

function mapResponseError(
  error: InstanceType<typeof errors.ResponseError>,
  what: string,
  location: string
): Error {
  const status = error.statusCode ?? 0;
  const reason = responseReason(error);
  if (status === 401) {
    return new StoreUnavailableError(
      `${what}: Elasticsearch at ${location} refused the credentials (401 ${reason}); check TFLOG_ES_API_KEY or TFLOG_ES_USERNAME/TFLOG_ES_PASSWORD`,
      status
    );
  }
  if (status === 403) {
    return notAuthorized(what, status, reason);
  }
  if (status === 429 || status >= 500) {
    return new StoreUnavailableError(
      `${what}: Elasticsearch is busy or failing (${status} ${reason})`,
      status,
      retryAfterMs(error)
    );
  }
  return new StoreQueryError(`${what}: ${status} ${reason}`);
}

function responseReason(
  error: InstanceType<typeof errors.ResponseError>
): string {
  const body: unknown = error.body;
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const cause = (body as { error: unknown }).error;
    if (typeof cause === 'string') {
      return cause;
    }
    if (typeof cause === 'object' && cause !== null) {
      return describeCause(cause as Parameters<typeof describeCause>[0]);
    }
  }
  return error.message;
}

function retryAfterMs(
  error: InstanceType<typeof errors.ResponseError>
): number | undefined {
  const header = error.headers?.['retry-after'];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** The innermost useful text of a connection failure. */
function connectionDetail(error: Error): string {
  const parts = [error.message];
  let cause: unknown = (error as { cause?: unknown }).cause;
  while (cause instanceof Error && parts.length < 4) {
    parts.push(cause.message);
    cause = (cause as { cause?: unknown }).cause;
  }
  return parts.filter(part => part !== '').join(': ');
}
