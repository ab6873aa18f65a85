/**
 * Queries across the user's runs: metric values past a threshold
 * (`GET /points`), each run's first non-finite value (`GET /nonfinite`),
 * runs by their error counts (`GET /errors`), warnings and errors grouped
 * into templates (`GET /problems`) and log lines (`GET /logs`). Always the
 * current user's runs only; parameters are checked here, the stores answer
 * alike.
 */
import type { IStore, ProblemLevel } from '../store/store';
import { EVENT_KINDS } from '../types';
import type {
  IErrorCountPage,
  ILogPage,
  IMetricHitPage,
  INonfinitePage,
  IProblemsAnswer,
  ThresholdOperator
} from '../wire';
import { ApiError } from './errors';
import {
  LOG_LEVEL,
  MAX_NOTEBOOKS,
  METRIC_NAME,
  notebookPaths,
  SCOPES,
  withoutUndefined,
  type IHandlerDeps
} from './handlers';
import { RUN_ID_PATTERN, type QueryParams } from './params';

/** Run ids of one `GET /points` at most. */
const MAX_RUNS = 100;
const OPERATORS: readonly ThresholdOperator[] = ['gt', 'gte', 'lt', 'lte'];
const PROBLEM_LEVELS: readonly ProblemLevel[] = ['warning', 'error'];

export async function points(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<IMetricHitPage> {
  const metric = metricName(params, true);
  const bounds: Partial<Record<ThresholdOperator, number>> = {};
  for (const operator of OPERATORS) {
    const bound = params.number(operator);
    if (bound !== undefined) {
      bounds[operator] = bound;
    }
  }
  checkBounds(bounds);
  const range = timeRange(params);
  const query = {
    user: deps.user,
    metric,
    bounds,
    ...range,
    runIds: runIds(params),
    notebooks: notebooks(deps, params),
    scope: params.oneOf('scope', SCOPES),
    size: params.integer('size', { min: 1, max: 1000, default: 100 }),
    after: params.cursor('after')
  };
  params.done();
  const store = deps.store();
  return method(store, 'thresholdPoints')(withoutUndefined(query));
}

export async function nonfinite(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<INonfinitePage> {
  const query = {
    user: deps.user,
    metric: metricName(params, false),
    ...timeRange(params),
    notebooks: notebooks(deps, params),
    size: params.integer('size', { min: 1, max: 1000, default: 100 }),
    after: params.cursor('after')
  };
  params.done();
  return method(deps.store(), 'nonfiniteRuns')(withoutUndefined(query));
}

export async function errors(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<IErrorCountPage> {
  const query = {
    user: deps.user,
    ...timeRange(params),
    notebooks: notebooks(deps, params),
    size: params.integer('size', { min: 1, max: 1000, default: 50 }),
    after: params.cursor('after')
  };
  params.done();
  return method(deps.store(), 'errorCounts')(withoutUndefined(query));
}

/** Log lines across the user's runs, newest first (`GET /logs`). */
export async function searchLogs(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<ILogPage> {
  const query = {
    user: deps.user,
    levels: params.listMatching('level', LOG_LEVEL, 'a log level'),
    kinds: params.listOf('kind', EVENT_KINDS),
    text: params.text('q', 256),
    runIds: runIds(params),
    ...timeRange(params),
    notebooks: notebooks(deps, params),
    size: params.integer('size', { min: 1, max: 1000, default: 100 }),
    after: params.cursor('after')
  };
  params.done();
  return method(deps.store(), 'searchLogs')(withoutUndefined(query));
}

/**
 * The newest warnings and errors (critical and fatal count as errors) of
 * the user's runs, grouped into templates, most frequent first.
 */
export async function problems(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<IProblemsAnswer> {
  const query = {
    user: deps.user,
    ...timeRange(params),
    notebooks: notebooks(deps, params),
    levels: params.listOf('level', PROBLEM_LEVELS) ?? [...PROBLEM_LEVELS],
    size: params.integer('size', { min: 1, max: 200, default: 50 })
  };
  params.done();
  return method(deps.store(), 'problems')(withoutUndefined(query));
}

/** `run`: run ids, repeated or comma-separated, MAX_RUNS at most. */
function runIds(params: QueryParams): string[] | undefined {
  const ids = params.listMatching(
    'run',
    RUN_ID_PATTERN,
    'a run id (1-128 of A-Z a-z 0-9 _ . : -)'
  );
  if (ids !== undefined && ids.length > MAX_RUNS) {
    throw ApiError.invalidParameter(
      'run',
      `names ${ids.length} runs, at most ${MAX_RUNS}`
    );
  }
  return ids;
}

function metricName(params: QueryParams, required: true): string;
function metricName(params: QueryParams, required: false): string | undefined;
function metricName(
  params: QueryParams,
  required: boolean
): string | undefined {
  const value = params.text('metric', 256);
  if (value === undefined) {
    if (required) {
      throw ApiError.invalidParameter('metric', 'is required (a metric name)');
    }
    return undefined;
  }
  if (!METRIC_NAME.test(value)) {
    throw ApiError.invalidParameter(
      'metric',
      `'${value.slice(0, 80)}' is not a metric name`
    );
  }
  return value;
}

/** At least one bound; one lower and one upper at most; a range that can hold. */
function checkBounds(bounds: Partial<Record<ThresholdOperator, number>>): void {
  const given = Object.keys(bounds);
  if (given.length === 0) {
    throw ApiError.invalidParameter(
      'gt',
      'a threshold is required: one of gt, gte, lt, lte'
    );
  }
  if (bounds.gt !== undefined && bounds.gte !== undefined) {
    throw ApiError.invalidParameter('gte', 'give gt or gte, not both');
  }
  if (bounds.lt !== undefined && bounds.lte !== undefined) {
    throw ApiError.invalidParameter('lte', 'give lt or lte, not both');
  }
  const lower = bounds.gt ?? bounds.gte;
  const upper = bounds.lt ?? bounds.lte;
  if (lower !== undefined && upper !== undefined) {
    const open = bounds.gt !== undefined || bounds.lt !== undefined;
    if (lower > upper || (open && lower === upper)) {
      throw ApiError.invalidParameter(
        bounds.lt !== undefined ? 'lt' : 'lte',
        `no value is above ${lower} and below ${upper}`
      );
    }
  }
}

function timeRange(params: QueryParams): { from?: string; to?: string } {
  const from = params.isoTime('from');
  const to = params.isoTime('to');
  if (from !== undefined && to !== undefined && from > to) {
    throw ApiError.invalidParameter('to', 'is earlier than from');
  }
  return { from, to };
}

function notebooks(
  deps: IHandlerDeps,
  params: QueryParams
): string[] | undefined {
  return notebookPaths(
    params.repeated('notebook', MAX_NOTEBOOKS),
    deps.serverRoot
  );
}

type FindingsMethod =
  | 'thresholdPoints'
  | 'nonfiniteRuns'
  | 'errorCounts'
  | 'problems'
  | 'searchLogs';

/** The store's query, bound to it; 501 for a store without it. */
function method<M extends FindingsMethod>(
  store: IStore,
  name: M
): NonNullable<IStore[M]> {
  const found = store[name];
  if (found === undefined) {
    throw new ApiError(
      501,
      'not_implemented',
      'this store cannot answer queries across runs'
    );
  }
  return found.bind(store) as NonNullable<IStore[M]>;
}
