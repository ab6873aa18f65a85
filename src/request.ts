/**
 * The one module that talks to the tflog service: every request goes through
 * Jupyter's ServerConnection (base URL, token, XSRF header) to
 * `{baseUrl}tflog/api/v1/...`, where jupyter-server-proxy forwards it.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  IAlertThresholdsResponse,
  IApiErrorBody,
  ICompareQuery,
  ICompareResponse,
  ICrossRunQuery,
  IErrorCountPage,
  ILogPage,
  ILogQuery,
  ILogSearchQuery,
  IMetricHitPage,
  INonfinitePage,
  IPointsQuery,
  IProblemsAnswer,
  IProblemsQuery,
  IRunPage,
  IRunQuery,
  IRunSummary,
  ISeriesQuery,
  ISeriesResponse,
  IServiceStatus,
  ITflogClient
} from './tokens';
import type {
  CompareParams,
  ErrorCountsParams,
  LogSearchParams,
  LogsParams,
  NonfiniteParams,
  PointsParams,
  ProblemsParams,
  RunsParams,
  SeriesParams
} from '../service/src/wire';

/** Query parameters by their wire names (service/src/wire.d.ts). */
type QueryString = Readonly<Record<string, string | undefined>>;

/** Parameters sent once per value (`tag=a:1&tag=b:2`). */
type RepeatedParams = Readonly<Record<string, readonly string[] | undefined>>;

/** `{a: '1'}` as `['a:1']`, the API's `key:value` filters. */
function keyValues(
  pairs: Readonly<Record<string, string>> | undefined
): string[] | undefined {
  return (
    pairs && Object.entries(pairs).map(([key, value]) => `${key}:${value}`)
  );
}

/** Why a request failed, when the tflog service did not say it itself. */
export type ClientFailure =
  /** Jupyter could not be reached at all (network down, server stopped). */
  | 'network'
  /** Jupyter answered, but the proxy route or the service behind it is missing or down. */
  | 'unreachable'
  /** Jupyter refused the request (login expired, XSRF). */
  | 'jupyter_refused'
  /** The answer was not the JSON the API promises. */
  | 'invalid_response';

/**
 * A failed request. `reason` is the service's own reason (`not_found`,
 * `not_configured`, `store_unavailable`, ...) when the service answered with
 * its error body, else one of ClientFailure. `message` is English, for the
 * console: what the user reads is worded by `requestErrorText`
 * (src/requestText.ts) from the other fields.
 */
export class TflogRequestError extends Error {
  /** HTTP status; 0 when no response came. */
  readonly status: number;
  readonly reason: string;
  /** The service's message, when it sent one. */
  readonly serverMessage: string | null;
  /**
   * Untranslated detail of a ClientFailure: the browser's error when no
   * response came, the start of an answer that is not the API's.
   */
  readonly detail: string | null;
  readonly url: string;

  constructor(options: {
    message: string;
    status: number;
    reason: string;
    url: string;
    serverMessage?: string | null;
    detail?: string | null;
  }) {
    super(options.message);
    this.name = 'TflogRequestError';
    this.status = options.status;
    this.reason = options.reason;
    this.url = options.url;
    this.serverMessage = options.serverMessage ?? null;
    this.detail = options.detail ?? null;
  }

  /** True when the service itself could not be reached (as opposed to refusing). */
  get unreachable(): boolean {
    return this.reason === 'unreachable' || this.reason === 'network';
  }
}

/** Proxy answers that mean no tflog service stands behind the route. */
const PROXY_DOWN_STATUSES = new Set([404, 500, 502, 503, 504]);

export class TflogClient implements ITflogClient {
  readonly serverSettings: ServerConnection.ISettings;

  constructor(options: { serverSettings: ServerConnection.ISettings }) {
    this.serverSettings = options.serverSettings;
  }

  status(): Promise<IServiceStatus> {
    return this._get<IServiceStatus>(['status']);
  }

  runs(query: IRunQuery = {}): Promise<IRunPage> {
    const params: RunsParams = {
      notebook: query.notebook,
      status: query.status?.join(','),
      from: query.from,
      to: query.to,
      q: query.text,
      sort: query.sort,
      order: query.order,
      size: query.size?.toString(),
      after: query.after
    };
    return this._get<IRunPage>(['runs'], params, {
      tag: keyValues(query.tags),
      hparam: keyValues(query.hparams)
    });
  }

  run(runId: string): Promise<IRunSummary> {
    return this._get<IRunSummary>(['runs', runId]);
  }

  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse> {
    const params: SeriesParams = {
      axis: query.axis,
      max_points: query.maxPoints.toString(),
      after: query.after?.toString(),
      names: query.names?.join(','),
      scope: query.scope,
      from: query.from?.toString(),
      to: query.to?.toString()
    };
    return this._get<ISeriesResponse>(['runs', runId, 'series'], params);
  }

  compare(query: ICompareQuery): Promise<ICompareResponse> {
    const params: CompareParams = {
      runs: query.runIds.join(','),
      metric: query.metric,
      axis: query.axis,
      max_points: query.maxPoints.toString()
    };
    return this._get<ICompareResponse>(['compare'], params);
  }

  logs(runId: string, query: ILogQuery = {}): Promise<ILogPage> {
    const params: LogsParams = {
      level: query.levels?.join(','),
      kind: query.kinds?.join(','),
      q: query.text,
      size: query.size?.toString(),
      after: query.after,
      order: query.order,
      at: query.at
    };
    return this._get<ILogPage>(['runs', runId, 'logs'], params);
  }

  searchLogs(query: ILogSearchQuery = {}): Promise<ILogPage> {
    const params: LogSearchParams = {
      level: query.levels?.join(','),
      kind: query.kinds?.join(','),
      q: query.text,
      notebook: query.notebook,
      from: query.from,
      to: query.to,
      size: query.size?.toString(),
      after: query.after
    };
    return this._get<ILogPage>(['logs'], params, { run: query.runIds });
  }

  points(query: IPointsQuery): Promise<IMetricHitPage> {
    const params: PointsParams = {
      metric: query.metric,
      [query.operator]: query.value.toString(),
      from: query.from,
      to: query.to,
      run: query.runId,
      notebook: query.notebook,
      scope: query.scope,
      size: query.size?.toString(),
      after: query.after
    };
    return this._get<IMetricHitPage>(['points'], params);
  }

  nonfinite(query: ICrossRunQuery = {}): Promise<INonfinitePage> {
    const params: NonfiniteParams = {
      metric: query.metric,
      from: query.from,
      to: query.to,
      notebook: query.notebook,
      size: query.size?.toString(),
      after: query.after
    };
    return this._get<INonfinitePage>(['nonfinite'], params);
  }

  errorCounts(query: ICrossRunQuery = {}): Promise<IErrorCountPage> {
    const params: ErrorCountsParams = {
      from: query.from,
      to: query.to,
      notebook: query.notebook,
      size: query.size?.toString(),
      after: query.after
    };
    return this._get<IErrorCountPage>(['errors'], params);
  }

  problems(query: IProblemsQuery = {}): Promise<IProblemsAnswer> {
    const params: ProblemsParams = {
      from: query.from,
      to: query.to,
      notebook: query.notebook,
      level: query.levels?.join(','),
      size: query.size?.toString()
    };
    return this._get<IProblemsAnswer>(['problems'], params);
  }

  eventsUrl(): string {
    return this._url(['events']);
  }

  alertThresholds(): Promise<IAlertThresholdsResponse> {
    return this._get<IAlertThresholdsResponse>(['alerts', 'thresholds']);
  }

  setAlertThresholds(
    override: Record<string, unknown>
  ): Promise<IAlertThresholdsResponse> {
    return this._request<IAlertThresholdsResponse>(
      'PUT',
      ['alerts', 'thresholds'],
      {},
      JSON.stringify(override)
    );
  }

  private _url(
    segments: string[],
    params: QueryString = {},
    repeated: RepeatedParams = {}
  ): string {
    const path = URLExt.join(
      this.serverSettings.baseUrl,
      'tflog',
      'api',
      'v1',
      ...segments.map(encodeURIComponent)
    );
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      // The API counts an empty value as absent; leave those out entirely.
      if (value !== undefined && value !== '') {
        search.append(key, value);
      }
    }
    for (const [key, values] of Object.entries(repeated)) {
      for (const value of values ?? []) {
        search.append(key, value);
      }
    }
    const query = search.toString();
    return query ? `${path}?${query}` : path;
  }

  private _get<T>(
    segments: string[],
    params?: QueryString,
    repeated?: RepeatedParams
  ): Promise<T> {
    return this._request<T>('GET', segments, params, undefined, repeated);
  }

  private async _request<T>(
    method: 'GET' | 'PUT',
    segments: string[],
    params?: QueryString,
    payload?: string,
    repeated?: RepeatedParams
  ): Promise<T> {
    const url = this._url(segments, params, repeated);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        {
          method,
          headers:
            payload === undefined
              ? { Accept: 'application/json' }
              : {
                  Accept: 'application/json',
                  'Content-Type': 'application/json'
                },
          body: payload,
          // ServerConnection's default, 'no-store', appends a `?<time>` cache
          // buster that the service refuses as an unknown parameter; its
          // answers say `Cache-Control: no-store` anyway.
          cache: 'no-cache'
        },
        this.serverSettings
      );
    } catch (error) {
      const detail = describe(error);
      throw new TflogRequestError({
        message: `The Jupyter server cannot be reached: ${detail}`,
        status: 0,
        reason: 'network',
        url,
        detail
      });
    }
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) {
      throw errorFromResponse(response.status, body, text, url);
    }
    if (body === undefined) {
      throw new TflogRequestError({
        message: `The tflog service answered ${url} with something other than JSON.`,
        status: response.status,
        reason: 'invalid_response',
        url
      });
    }
    return body as T;
  }
}

/** The error for a non-2xx answer, with the clearest message that fits it. */
export function errorFromResponse(
  status: number,
  body: unknown,
  text: string,
  url: string
): TflogRequestError {
  if (isApiErrorBody(body)) {
    const { message, reason } = body.error;
    return new TflogRequestError({
      message: `tflog service: ${message}`,
      status,
      reason,
      url,
      serverMessage: message
    });
  }
  if (PROXY_DOWN_STATUSES.has(status)) {
    const why =
      status === 404
        ? 'Jupyter has no route to it: is the tflog server extension enabled and jupyter-server-proxy installed?'
        : 'it is not running or does not answer; the Jupyter server log says why.';
    return new TflogRequestError({
      message: `The tflog service is unreachable (HTTP ${status}): ${why}`,
      status,
      reason: 'unreachable',
      url
    });
  }
  if (status === 401 || status === 403) {
    return new TflogRequestError({
      message: `Jupyter refused the request (HTTP ${status}); reloading the page may log you in again.`,
      status,
      reason: 'jupyter_refused',
      url
    });
  }
  const detail = text.slice(0, 200);
  return new TflogRequestError({
    message: `Unexpected answer from the tflog service (HTTP ${status}): ${detail}`,
    status,
    reason: 'invalid_response',
    url,
    detail
  });
}

function isApiErrorBody(body: unknown): body is IApiErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) {
    return false;
  }
  const error = (body as { error: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string' &&
    typeof (error as { reason?: unknown }).reason === 'string'
  );
}

/** The parsed body, or undefined when it is not JSON (e.g. an HTML error page). */
function parseJson(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
