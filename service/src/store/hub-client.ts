/**
 * The store of a user's service on a hub: the tflog hub service, over HTTP
 * with the Jupyter server's own JupyterHub token. The hub service holds the
 * Elasticsearch credential and stamps the user from the token; this side
 * keeps the spool, the registry and the parsing. Writes refused for now
 * (429 over quota, 5xx, the hub down) are StoreUnavailableError, retried by
 * the shipper; a body the hub refuses as a whole is a StoreQueryError, which
 * the shipper splits until the refused item is alone.
 */
import { describeError } from '../common/logger';
import type { IRunSummary } from '../types';
import type { ISeriesResponse } from '../wire';
import { sortKeyText } from './run-sort';
import {
  StoreNotFoundError,
  StoreQueryError,
  StoreUnavailableError,
  type ICompareQuery,
  type ICompareResponse,
  type IErrorCountPage,
  type IErrorCountQuery,
  type ILogPage,
  type ILogQuery,
  type ILogSearchQuery,
  type IMetricHitPage,
  type INonfinitePage,
  type INonfiniteQuery,
  type IProblemQuery,
  type IProblemsAnswer,
  type IThresholdQuery,
  type IRunPage,
  type IRunQuery,
  type ISeries,
  type ISeriesQuery,
  type IStore,
  type IStoreStatus,
  type IWriteBatch,
  type IWriteResult
} from './store';

export interface IHubStoreOptions {
  /** The hub service's URL, e.g. `http://127.0.0.1:19500/services/tflog/`. */
  url: string;
  /** This Jupyter server's JupyterHub token. */
  token: string;
  /** Time limit of one request, ms (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** A user's service gives up on a request to the hub service after this long. */
export const HUB_REQUEST_TIMEOUT_MS = 30_000;

interface IErrorBody {
  error?: { message?: string; reason?: string };
}

export class HubStore implements IStore {
  private readonly base: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private lastError: string | null = null;

  constructor(options: IHubStoreOptions) {
    this.base = options.url.replace(/\/+$/, '') + '/api/v1';
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? HUB_REQUEST_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Checks that the hub service answers and takes this server's token. */
  async init(): Promise<void> {
    await this.request('GET', '/status');
  }

  async write(batch: IWriteBatch): Promise<IWriteResult> {
    const answer = (await this.request(
      'POST',
      '/ingest',
      batch
    )) as Partial<IWriteResult>;
    if (
      typeof answer?.created !== 'number' ||
      typeof answer.duplicates !== 'number' ||
      !Array.isArray(answer.rejected)
    ) {
      throw new StoreUnavailableError(
        `the hub service (${this.base}) answered a write with something that is not a write result`
      );
    }
    return answer as IWriteResult;
  }

  async getRun(runId: string): Promise<IRunSummary | null> {
    try {
      return (await this.request(
        'GET',
        `/runs/${encodeURIComponent(runId)}`
      )) as IRunSummary;
    } catch (error) {
      if (error instanceof StoreNotFoundError) {
        return null;
      }
      throw error;
    }
  }

  async searchRuns(query: IRunQuery): Promise<IRunPage> {
    const params = new URLSearchParams();
    for (const notebook of query.notebooks ?? []) {
      params.append('notebook', notebook);
    }
    setIf(params, 'status', query.status?.join(','));
    for (const [key, value] of Object.entries(query.tags ?? {})) {
      params.append('tag', `${key}:${value}`);
    }
    setIf(params, 'from', query.from);
    setIf(params, 'to', query.to);
    setIf(params, 'q', query.text);
    for (const [key, value] of Object.entries(query.hparams ?? {})) {
      params.append('hparam', `${key}:${value}`);
    }
    if (query.sort !== undefined) {
      params.set('sort', sortKeyText(query.sort.key));
      params.set('order', query.sort.order);
    }
    params.set('size', String(query.size));
    setIf(params, 'after', query.after);
    return (await this.request('GET', `/runs?${params}`)) as IRunPage;
  }

  async series(query: ISeriesQuery): Promise<ISeries[]> {
    const params = new URLSearchParams({
      axis: query.axis,
      max_points: String(query.maxPoints)
    });
    setIf(params, 'names', query.names?.join(','));
    setIf(params, 'scope', query.scope);
    setIf(params, 'after', query.after?.toString());
    setIf(params, 'from', query.from?.toString());
    setIf(params, 'to', query.to?.toString());
    const answer = (await this.request(
      'GET',
      `/runs/${encodeURIComponent(query.runId)}/series?${params}`
    )) as Partial<ISeriesResponse>;
    // As a store answers: the rank is what the API adds for the panel.
    return (answer.series ?? []).map(series => ({
      name: series.name,
      scope: series.scope,
      source: series.source,
      points: series.points,
      downsampled: series.downsampled
    }));
  }

  /** The hub service answers for the token's user: `user` is not sent. */
  async compare(query: ICompareQuery): Promise<ICompareResponse> {
    const params = new URLSearchParams({
      runs: query.runIds.join(','),
      axis: query.axis,
      max_points: String(query.maxPoints)
    });
    setIf(params, 'metric', query.metric);
    return (await this.request(
      'GET',
      `/compare?${params}`
    )) as ICompareResponse;
  }

  async logs(query: ILogQuery): Promise<ILogPage> {
    const params = new URLSearchParams({
      size: String(query.size),
      order: query.order
    });
    setIf(params, 'level', query.levels?.join(','));
    setIf(params, 'kind', query.kinds?.join(','));
    setIf(params, 'q', query.text);
    setIf(params, 'after', query.after);
    setIf(params, 'at', query.at);
    return (await this.request(
      'GET',
      `/runs/${encodeURIComponent(query.runId)}/logs?${params}`
    )) as ILogPage;
  }

  /** The hub service answers for the token's user: `user` is not sent. */
  async thresholdPoints(query: IThresholdQuery): Promise<IMetricHitPage> {
    const params = new URLSearchParams({
      metric: query.metric,
      size: String(query.size)
    });
    for (const [operator, bound] of Object.entries(query.bounds)) {
      params.set(operator, String(bound));
    }
    setFilters(params, query);
    setIf(params, 'run', query.runIds?.join(','));
    setIf(params, 'scope', query.scope);
    return (await this.request('GET', `/points?${params}`)) as IMetricHitPage;
  }

  async nonfiniteRuns(query: INonfiniteQuery): Promise<INonfinitePage> {
    const params = new URLSearchParams({ size: String(query.size) });
    setIf(params, 'metric', query.metric);
    setFilters(params, query);
    return (await this.request(
      'GET',
      `/nonfinite?${params}`
    )) as INonfinitePage;
  }

  async errorCounts(query: IErrorCountQuery): Promise<IErrorCountPage> {
    const params = new URLSearchParams({ size: String(query.size) });
    setFilters(params, query);
    return (await this.request('GET', `/errors?${params}`)) as IErrorCountPage;
  }

  async problems(query: IProblemQuery): Promise<IProblemsAnswer> {
    const params = new URLSearchParams({
      size: String(query.size),
      level: query.levels.join(',')
    });
    setFilters(params, query);
    return (await this.request(
      'GET',
      `/problems?${params}`
    )) as IProblemsAnswer;
  }

  async searchLogs(query: ILogSearchQuery): Promise<ILogPage> {
    const params = new URLSearchParams({ size: String(query.size) });
    setIf(params, 'level', query.levels?.join(','));
    setIf(params, 'kind', query.kinds?.join(','));
    setIf(params, 'q', query.text);
    for (const runId of query.runIds ?? []) {
      params.append('run', runId);
    }
    setFilters(params, query);
    return (await this.request('GET', `/logs?${params}`)) as ILogPage;
  }

  async status(): Promise<IStoreStatus> {
    const status: IStoreStatus = {
      kind: 'hub',
      location: this.base,
      healthy: false,
      degraded: []
    };
    try {
      const hub = (await this.request('GET', '/status')) as {
        version?: string;
        store?: IStoreStatus | null;
      };
      const store = hub.store;
      status.healthy = store?.healthy === true;
      if (hub.version) {
        status.version = hub.version;
      }
      status.degraded = store?.degraded ?? [];
      if (!status.healthy) {
        status.error = store?.error ?? 'the hub service reports no store';
      }
    } catch (error) {
      status.error = describeError(error);
    }
    return status;
  }

  async close(): Promise<void> {
    // Nothing held open: each request is its own.
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown
  ): Promise<unknown> {
    const url = this.base + path;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          Authorization: `token ${this.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' })
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs)
      });
    } catch (error) {
      throw this.unavailable(
        `cannot reach the tflog hub service at ${this.base}: ${describeError(error)}`
      );
    }
    const text = await response.text();
    if (response.ok) {
      this.lastError = null;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw this.unavailable(
          `the tflog hub service answered ${method} ${path} with something that is not JSON (${describeError(error)})`
        );
      }
    }
    const said = messageOf(text) ?? `HTTP ${response.status}`;
    if (response.status === 404) {
      throw new StoreNotFoundError(said);
    }
    if (response.status === 400 || response.status === 413) {
      throw new StoreQueryError(`the tflog hub service refused it: ${said}`);
    }
    if (response.status === 401 || response.status === 403) {
      throw this.unavailable(
        `the tflog hub service refused this server's JupyterHub token (${response.status}): ${said}`,
        response.status
      );
    }
    const retryAfter = Number(response.headers.get('retry-after'));
    throw this.unavailable(
      `the tflog hub service answered ${response.status}: ${said}`,
      response.status,
      Number.isFinite(retryAfter) && retryAfter > 0
        ? retryAfter * 1000
        : undefined
    );
  }

  private unavailable(
    message: string,
    status?: number,
    retryAfterMs?: number
  ): StoreUnavailableError {
    this.lastError = message;
    return new StoreUnavailableError(message, status, retryAfterMs);
  }

  /** The last failure, for tests and logs. */
  get error(): string | null {
    return this.lastError;
  }
}

function setIf(
  params: URLSearchParams,
  name: string,
  value: string | undefined
): void {
  if (value !== undefined && value !== '') {
    params.set(name, value);
  }
}

/** Time range, notebooks and cursor, as the query API takes them. */
function setFilters(
  params: URLSearchParams,
  query: { from?: string; to?: string; notebooks?: string[]; after?: string }
): void {
  setIf(params, 'from', query.from);
  setIf(params, 'to', query.to);
  for (const notebook of query.notebooks ?? []) {
    params.append('notebook', notebook);
  }
  setIf(params, 'after', query.after);
}

function messageOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as IErrorBody).error?.message;
  } catch (notJson) {
    // Not JSON (a proxy's error page): its start is the message.
    return `${text.slice(0, 200)} (${describeError(notJson)})`;
  }
}
