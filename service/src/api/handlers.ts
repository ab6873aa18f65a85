/**
 * The JSON endpoints: read parameters, ask the store, shape the answer.
 * Errors are thrown, never answered here (see errors.ts).
 */
import { storedNotebookPaths } from '../common/notebookPath';
import {
  freshenRunPage,
  mergeSeries,
  newerSummary,
  type IRecentReader
} from '../ship/recent';
import type { IShipperStatus } from '../ship/status';
import { seriesRank } from '../store/compare-common';
import type { IRunSort, IStore, RunSortKey } from '../store/store';
import { EVENT_KINDS } from '../types';
import type {
  IApiCounters,
  ILogPage,
  IRunPage,
  IRunSummary,
  ISeries,
  ISeriesResponse,
  IServiceStatus,
  IStoreNoAnswer,
  IStoreStatus,
  IVersionsResponse,
  LogOrder,
  RunStatus,
  SeriesAxis,
  SeriesScope,
  SortOrder
} from '../wire';
import { ApiError } from './errors';
import { checkRunId, QueryParams } from './params';

export const API_VERSION = 1;

const RUN_STATUSES: readonly RunStatus[] = [
  'running',
  'finished',
  'failed',
  'interrupted',
  'stopped'
];
export const AXES: readonly SeriesAxis[] = ['step', 'epoch', 'time'];
export const SCOPES: readonly SeriesScope[] = [
  'epoch',
  'batch',
  'log',
  'system'
];
const ORDERS: readonly LogOrder[] = ['asc', 'desc'];
const SORT_ORDERS: readonly SortOrder[] = ['asc', 'desc'];
const FIELD_SORTS = [
  'started',
  'duration',
  'updated',
  'name',
  'health'
] as const;
const METRIC_SORT = /^(last|min|max):(.*)$/;
export const METRIC_NAME = /^[^,\s][^,]{0,255}$/;
export const LOG_LEVEL = /^[A-Za-z]{1,16}$/;
/** `notebook` values of one run list at most (each may add its absolute path). */
export const MAX_NOTEBOOKS = 16;

/** How long /status waits for the store before reporting it as not answering. */
const STORE_STATUS_TIMEOUT_MS = 5000;

/** What the endpoints need from the server. */
export interface IHandlerDeps {
  /** The store, or a 503 explaining why there is none. */
  store(): IStore;
  /** The store if one is configured, for /status. */
  storeIfAny(): IStore | null;
  /**
   * What the shipping service sealed or stored in the last seconds, merged
   * into the series and run answers: the store may not have it, or not
   * make it searchable, yet. Every point sealed is in it or searchable, so
   * a live chart reading on from its last step (`series?after=`) misses none.
   */
  recent: IRecentReader | null;
  user: string;
  /**
   * The Jupyter server's root directory (TFLOG_SERVER_ROOT), when known: a
   * notebook filter matches its runs under the path relative to it and
   * under the absolute one.
   */
  serverRoot?: string;
  version: string;
  configError: string | null;
  /** The service's status as `user` may see it. */
  getStatus(user: string): Promise<IShipperStatus> | IShipperStatus;
  apiCounters(): IApiCounters;
}

export async function versions(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<IVersionsResponse> {
  params.done();
  return { name: 'tflog', version: deps.version, api_versions: [API_VERSION] };
}

export async function status(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<IServiceStatus> {
  params.done();
  const [service, store] = await Promise.all([
    deps.getStatus(deps.user),
    storeStatus(deps.storeIfAny())
  ]);
  return {
    apiVersion: API_VERSION,
    version: deps.version,
    user: deps.user,
    configError: deps.configError,
    ...service,
    store,
    api: deps.apiCounters()
  };
}

export async function runs(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<IRunPage> {
  const user = params.text('user', 256);
  if (user !== undefined && user !== deps.user) {
    throw new ApiError(
      403,
      'forbidden',
      `this service answers for user '${deps.user}' only`,
      { parameter: 'user' }
    );
  }
  const from = params.isoTime('from');
  const to = params.isoTime('to');
  if (from !== undefined && to !== undefined && from > to) {
    throw ApiError.invalidParameter('to', 'is earlier than from');
  }
  const query = {
    user: deps.user,
    notebooks: notebookPaths(
      params.repeated('notebook', MAX_NOTEBOOKS),
      deps.serverRoot
    ),
    status: params.listOf('status', RUN_STATUSES),
    tags: params.tags('tag'),
    from,
    to,
    text: params.text('q', 256),
    hparams: params.keyValues('hparam', 'hyperparameter'),
    sort: runSort(params),
    size: params.integer('size', { min: 1, max: 1000, default: 50 }),
    after: params.cursor('after')
  };
  params.done();
  const page = await deps.store().searchRuns(withoutUndefined(query));
  const cached = deps.recent?.summaries();
  return cached ? freshenRunPage(page, query, cached) : page;
}

/**
 * `sort` and `order` of a run list; undefined for the default (started,
 * newest first), whose cursors stay those of lists without a sort.
 */
function runSort(params: QueryParams): IRunSort | undefined {
  const given = params.text('sort', 300);
  const order = params.oneOf('order', SORT_ORDERS, 'desc');
  let key: RunSortKey = { by: 'started' };
  if (given !== undefined) {
    const field = FIELD_SORTS.find(candidate => candidate === given);
    const metric = METRIC_SORT.exec(given);
    if (field !== undefined) {
      key = { by: field };
    } else if (metric !== null && METRIC_NAME.test(metric[2])) {
      key = { by: metric[1] as 'last' | 'min' | 'max', metric: metric[2] };
    } else {
      throw ApiError.invalidParameter(
        'sort',
        `'${given.slice(0, 80)}' is not one of ${FIELD_SORTS.join(', ')}, last:<metric>, min:<metric>, max:<metric>`
      );
    }
  }
  return key.by === 'started' && order === 'desc' ? undefined : { key, order };
}

export async function run(
  deps: IHandlerDeps,
  params: QueryParams,
  runId: string
): Promise<IRunSummary> {
  params.done();
  return ownRun(deps, runId);
}

export async function series(
  deps: IHandlerDeps,
  params: QueryParams,
  runId: string
): Promise<ISeriesResponse> {
  const axis = params.oneOf('axis', AXES, 'step');
  const query = {
    runId: checkRunId(runId),
    names: params.listMatching('names', METRIC_NAME, 'a metric name'),
    axis,
    scope: params.oneOf('scope', SCOPES),
    maxPoints: params.integer('max_points', {
      min: 2,
      max: 10000,
      default: 1000
    }),
    after: axis === 'time' ? params.isoTime('after') : params.number('after'),
    ...xRange(params, axis)
  };
  params.done();
  const storeQuery = withoutUndefined(query);
  let summary: IRunSummary;
  let found: ISeries[];
  if (deps.recent?.summary(storeQuery.runId)?.user === deps.user) {
    // Shipped by this service moments ago, so the run is the user's: a live
    // chart's read need not wait for the stored summary before the data.
    [summary, found] = await Promise.all([
      ownRun(deps, runId),
      deps.store().series(storeQuery)
    ]);
  } else {
    summary = await ownRun(deps, runId);
    found = await deps.store().series(storeQuery);
  }
  // Read after the store answered: what was sealed meanwhile is merged in.
  const recent = deps.recent?.points(storeQuery.runId) ?? [];
  const series = mergeSeries(found, recent, storeQuery).map(merged => ({
    ...merged,
    rank: seriesRank(merged, storeQuery.axis)
  }));
  return { run: summary, series };
}

/** `from` and `to` of a zoomed series: numbers, or ISO times on the time axis. */
function xRange(
  params: QueryParams,
  axis: SeriesAxis
): { from?: number | string; to?: number | string } {
  const read = (name: string): number | string | undefined =>
    axis === 'time' ? params.isoTime(name) : params.number(name);
  const from = read('from');
  const to = read('to');
  const onAxis = (bound: number | string): number =>
    typeof bound === 'number' ? bound : Date.parse(bound);
  if (from !== undefined && to !== undefined && onAxis(from) > onAxis(to)) {
    throw ApiError.invalidParameter('to', 'is less than from');
  }
  return { from, to };
}

export async function logs(
  deps: IHandlerDeps,
  params: QueryParams,
  runId: string
): Promise<ILogPage> {
  const query = {
    runId: checkRunId(runId),
    levels: params.listMatching('level', LOG_LEVEL, 'a log level'),
    kinds: params.listOf('kind', EVENT_KINDS),
    text: params.text('q', 256),
    size: params.integer('size', { min: 1, max: 1000, default: 100 }),
    after: params.cursor('after'),
    order: params.oneOf('order', ORDERS, 'asc'),
    at: params.isoTime('at')
  };
  if (query.at !== undefined && query.after !== undefined) {
    throw ApiError.invalidParameter(
      'at',
      'cannot be given with after: the lines around a time are one window (its next cursor continues it)'
    );
  }
  params.done();
  await ownRun(deps, runId);
  return deps.store().logs(withoutUndefined(query));
}

/**
 * The run when it exists and belongs to the current user. Another user's
 * run is reported as missing, so run ids of others cannot be probed.
 */
async function ownRun(deps: IHandlerDeps, runId: string): Promise<IRunSummary> {
  const checked = checkRunId(runId);
  // The cache holds what the kernel claimed; only the user's own is used.
  const cached = deps.recent?.summary(checked) ?? null;
  const summary = newerSummary(
    await deps.store().getRun(checked),
    cached?.user === deps.user ? cached : null
  );
  if (!summary || summary.user !== deps.user) {
    throw ApiError.notFound(`no run '${runId}'`);
  }
  return summary;
}

type StoreReport = IStoreStatus | IStoreNoAnswer | null;

async function storeStatus(store: IStore | null): Promise<StoreReport> {
  if (!store) {
    return null;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(`no answer within ${STORE_STATUS_TIMEOUT_MS / 1000} s`)
        ),
      STORE_STATUS_TIMEOUT_MS
    );
  });
  try {
    return await Promise.race([store.status(), timeout]);
  } catch (error) {
    // An unreachable store is what /status exists to report, not a failure of it.
    return {
      healthy: false,
      error: error instanceof Error ? error.message : String(error)
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Every path the given notebooks' runs may be stored under. */
export function notebookPaths(
  notebooks: string[] | undefined,
  root: string | undefined
): string[] | undefined {
  if (notebooks === undefined) {
    return undefined;
  }
  return [
    ...new Set(notebooks.flatMap(path => storedNotebookPaths(path, root)))
  ];
}

/** Drop absent optional fields so stores see only what was asked. */
export function withoutUndefined<T extends object>(value: T): T {
  const copy = { ...value };
  for (const key of Object.keys(copy) as (keyof T)[]) {
    if (copy[key] === undefined) {
      delete copy[key];
    }
  }
  return copy;
}
