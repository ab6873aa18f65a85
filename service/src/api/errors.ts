/**
 * The API's errors and the single place where any thrown value becomes an
 * HTTP status and a JSON error body.
 */
import { randomBytes } from 'crypto';

import {
  StoreNotFoundError,
  StoreQueryError,
  StoreUnavailableError
} from '../store/store';
import type { ErrorReason, IApiErrorBody } from '../wire';
import { redactCredentials } from './redact';

export type { ErrorReason } from '../wire';

/** Details some errors carry besides their message. */
export interface IApiErrorDetails {
  /** The query or path parameter at fault. */
  parameter?: string;
  /** Methods the endpoint accepts (405). */
  allow?: string[];
  /** Seconds after which the request may succeed (sent as Retry-After). */
  retryAfterSeconds?: number;
}

/** An error the API raises on purpose, with the status it maps to. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: ErrorReason,
    message: string,
    readonly details: IApiErrorDetails = {}
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static invalidParameter(parameter: string, message: string): ApiError {
    return new ApiError(400, 'invalid_parameter', `${parameter}: ${message}`, {
      parameter
    });
  }

  static notFound(message: string): ApiError {
    return new ApiError(404, 'not_found', message);
  }
}

/** The body of a failed request. */
export type IErrorBody = IApiErrorBody;

/** What the server sends for a failed request. */
export interface IErrorReply {
  status: number;
  headers: Record<string, string>;
  body: IErrorBody;
  /** Set for unexpected errors: what to log (never sent to the client). */
  logDetail?: string;
}

/** Map anything thrown while serving a request to the reply the client gets. */
export function errorReply(thrown: unknown): IErrorReply {
  if (thrown instanceof ApiError) {
    const headers: Record<string, string> = {};
    if (thrown.details.allow) {
      headers['Allow'] = thrown.details.allow.join(', ');
    }
    if (thrown.details.retryAfterSeconds !== undefined) {
      headers['Retry-After'] = String(thrown.details.retryAfterSeconds);
    }
    return reply(thrown.status, thrown.reason, thrown.message, headers, {
      parameter: thrown.details.parameter
    });
  }
  if (thrown instanceof StoreNotFoundError) {
    return reply(404, 'not_found', thrown.message);
  }
  if (thrown instanceof StoreQueryError) {
    return reply(400, 'invalid_query', thrown.message);
  }
  if (thrown instanceof StoreUnavailableError) {
    const headers: Record<string, string> = {};
    if (thrown.retryAfterMs !== undefined && thrown.retryAfterMs >= 0) {
      headers['Retry-After'] = String(Math.ceil(thrown.retryAfterMs / 1000));
    }
    return reply(
      503,
      'store_unavailable',
      `store unavailable: ${thrown.message}`,
      headers
    );
  }
  const id = randomBytes(4).toString('hex');
  const detail =
    thrown instanceof Error ? (thrown.stack ?? thrown.message) : String(thrown);
  return {
    ...reply(
      500,
      'internal',
      `internal error (id ${id}); the tflog service log has the details`,
      {},
      { id }
    ),
    logDetail: `internal error ${id}: ${redactCredentials(detail)}`
  };
}

function reply(
  status: number,
  reason: ErrorReason,
  message: string,
  headers: Record<string, string> = {},
  extra: { parameter?: string; id?: string } = {}
): IErrorReply {
  const error: IErrorBody['error'] = {
    status,
    message: redactCredentials(message),
    reason
  };
  if (extra.parameter !== undefined) {
    error.parameter = extra.parameter;
  }
  if (extra.id !== undefined) {
    error.id = extra.id;
  }
  return { status, headers, body: { error } };
}
