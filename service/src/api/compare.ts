/**
 * `GET /compare`: one metric of up to 20 of the user's runs in one
 * request, for the comparison view. Another user's run, or one that does
 * not exist, answers with `run: null` (ids of others cannot be probed).
 */
import { mergeSeries, newerSummary, type IRecentReader } from '../ship/recent';
import {
  bestSeries,
  comparedMetric,
  MAX_COMPARED_RUNS,
  metricOrder
} from '../store/compare-common';
import { axisValue } from '../store/series-common';
import type { ICompareQuery } from '../store/store';
import type { ICompareResponse, ICompareRun } from '../wire';
import { ApiError } from './errors';
import {
  AXES,
  METRIC_NAME,
  withoutUndefined,
  type IHandlerDeps
} from './handlers';
import { RUN_ID_PATTERN, type QueryParams } from './params';

export async function compare(
  deps: IHandlerDeps,
  params: QueryParams
): Promise<ICompareResponse> {
  const runIds = params.listMatching(
    'runs',
    RUN_ID_PATTERN,
    'a run id (1-128 of A-Z a-z 0-9 _ . : -)'
  );
  if (runIds === undefined) {
    throw ApiError.invalidParameter(
      'runs',
      `is required: 1 to ${MAX_COMPARED_RUNS} run ids, comma-separated`
    );
  }
  if (runIds.length > MAX_COMPARED_RUNS) {
    throw ApiError.invalidParameter(
      'runs',
      `names ${runIds.length} runs, at most ${MAX_COMPARED_RUNS}`
    );
  }
  const metric = params.text('metric', 256);
  if (metric !== undefined && !METRIC_NAME.test(metric)) {
    throw ApiError.invalidParameter(
      'metric',
      `'${metric.slice(0, 80)}' is not a metric name`
    );
  }
  const query: ICompareQuery = withoutUndefined({
    user: deps.user,
    runIds,
    metric,
    axis: params.oneOf('axis', AXES, 'step'),
    maxPoints: params.integer('max_points', {
      min: 2,
      max: 10000,
      default: 1000
    })
  });
  params.done();
  const store = deps.store();
  if (store.compare === undefined) {
    throw new ApiError(
      501,
      'not_implemented',
      "this store cannot compare runs in one request; read each run's series"
    );
  }
  const answer = await store.compare(query);
  // Read after the store answered: what it stored meanwhile is merged in.
  return deps.recent === null ? answer : withRecent(answer, deps.recent, query);
}

/**
 * The answer with what this service stored in the last seconds (the store
 * may not make it searchable yet): newer summaries of the user's runs, and
 * their latest points of the metric. The cache may hold metrics the store
 * cannot find yet, so the metric is chosen again over both; a store's
 * series of another metric is then left out.
 */
function withRecent(
  answer: ICompareResponse,
  recent: IRecentReader,
  query: ICompareQuery
): ICompareResponse {
  const runs = answer.runs.map(entry => {
    const cached = recent.summary(entry.run_id);
    if (cached === null || cached.user !== query.user) {
      return { entry, points: [] };
    }
    const points = recent
      .points(entry.run_id)
      .filter(point => axisValue(point, query.axis) !== undefined);
    const updated: ICompareRun = {
      ...entry,
      run: newerSummary(entry.run, cached),
      metrics: metricOrder([
        ...entry.metrics,
        ...points.map(point => point.name)
      ])
    };
    return { entry: updated, points };
  });
  const metric = comparedMetric(
    runs.map(({ entry }) => entry.metrics),
    query.metric
  );
  return {
    metric,
    runs: runs.map(({ entry, points }): ICompareRun => {
      const stored = metric === answer.metric ? entry.series : null;
      const recentOfMetric = points.filter(point => point.name === metric);
      if (metric === null || recentOfMetric.length === 0) {
        return { ...entry, series: stored };
      }
      const merged = mergeSeries(
        stored === null ? [] : [stored],
        recentOfMetric,
        {
          runId: entry.run_id,
          names: [metric],
          axis: query.axis,
          maxPoints: query.maxPoints
        }
      );
      return { ...entry, series: bestSeries(merged, query.axis) };
    })
  };
}
