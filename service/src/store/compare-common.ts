/**
 * What a comparison of runs (`GET /compare`) reads, decided alike by both
 * stores: the metric drawn, and for each run the one series of it a chart
 * draws. A store lists the runs' series first, plans with these functions,
 * then reads only the planned series.
 */
import type { IRunSummary } from '../types';
import type { ICompareResponse, ICompareRun } from '../wire';
import { compareSeriesKeys, type ISeriesKey } from './series-common';
import type { ISeries, SeriesAxis } from './store';

/** Runs of one comparison at most: more would not be told apart on a chart. */
export const MAX_COMPARED_RUNS = 20;

/** Which scope reads best on an axis: epoch-end values on the epoch axis, the densest otherwise. */
const SCOPE_PREFERENCE: Record<SeriesAxis, readonly string[]> = {
  step: ['batch', 'epoch', 'log'],
  time: ['batch', 'epoch', 'log'],
  epoch: ['epoch', 'batch', 'log']
};

/**
 * How good a series is for drawing its metric on an axis (higher is
 * better): exact callback values beat values parsed from output, then the
 * axis' scope preference decides. The one rule: `GET /runs/{runId}/series`
 * serves each series with its rank, and the panel draws by it.
 */
export function seriesRank(
  key: Pick<ISeriesKey, 'scope' | 'source'>,
  axis: SeriesAxis
): number {
  const scopes = SCOPE_PREFERENCE[axis];
  const scopeIndex = scopes.indexOf(key.scope);
  const scopeRank = scopeIndex < 0 ? 0 : scopes.length - scopeIndex;
  return (key.source === 'callback' ? 100 : 0) + scopeRank;
}

/** `loss` first, then `val_loss`, then the others by name. */
export function metricOrder(names: Iterable<string>): string[] {
  const rank = (name: string): number =>
    name === 'loss' ? 0 : name === 'val_loss' ? 1 : 2;
  return [...new Set(names)].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en')
  );
}

/**
 * The metric a comparison draws, given each run's metrics: the one wanted
 * when a run has it, else the first in `metricOrder` of them all.
 */
export function comparedMetric(
  metricsOfRuns: Iterable<readonly string[]>,
  wanted: string | undefined
): string | null {
  const all = metricOrder([...metricsOfRuns].flat());
  return wanted !== undefined && all.includes(wanted)
    ? wanted
    : (all[0] ?? null);
}

/** One run of a comparison before its series is read. */
export interface IComparePlanRun<Entry extends ISeriesKey> {
  runId: string;
  run: IRunSummary | null;
  metrics: string[];
  /** The series of the plan's metric to read; null when the run has none. */
  entry: Entry | null;
}

export interface IComparePlan<Entry extends ISeriesKey> {
  metric: string | null;
  runs: IComparePlanRun<Entry>[];
}

/**
 * The metric of a comparison (the one wanted when a run has it, else the
 * first of every run's metrics) and the series of it to read per run. Runs
 * missing from `summaries` (unknown, or another user's) get no series.
 * Ties between equally ranked series go to the first in key order, so
 * both stores pick the same.
 */
export function planComparison<Entry extends ISeriesKey>(
  runIds: readonly string[],
  summaries: ReadonlyMap<string, IRunSummary>,
  seriesByRun: ReadonlyMap<string, readonly Entry[]>,
  wanted: string | undefined,
  axis: SeriesAxis
): IComparePlan<Entry> {
  const metricsByRun = new Map<string, string[]>();
  for (const runId of runIds) {
    const names = summaries.has(runId)
      ? (seriesByRun.get(runId) ?? []).map(entry => entry.name)
      : [];
    metricsByRun.set(runId, metricOrder(names));
  }
  const metric = comparedMetric(metricsByRun.values(), wanted);
  return {
    metric,
    runs: runIds.map(runId => {
      const run = summaries.get(runId) ?? null;
      const candidates =
        run === null || metric === null
          ? []
          : (seriesByRun.get(runId) ?? []).filter(
              entry => entry.name === metric
            );
      return {
        runId,
        run,
        metrics: metricsByRun.get(runId) ?? [],
        entry: bestSeries(candidates, axis)
      };
    })
  };
}

/** The best ranked series for the axis; the first in key order among equals. */
export function bestSeries<Entry extends ISeriesKey>(
  candidates: readonly Entry[],
  axis: SeriesAxis
): Entry | null {
  let best: Entry | null = null;
  for (const candidate of [...candidates].sort(compareSeriesKeys)) {
    if (best === null || seriesRank(candidate, axis) > seriesRank(best, axis)) {
      best = candidate;
    }
  }
  return best;
}

/** The answer of a plan once its series are read (`read` is by run id). */
export function compareAnswer<Entry extends ISeriesKey>(
  plan: IComparePlan<Entry>,
  read: ReadonlyMap<string, ISeries | null>
): ICompareResponse {
  return {
    metric: plan.metric,
    runs: plan.runs.map((planned): ICompareRun => ({
      run_id: planned.runId,
      run: planned.run,
      metrics: planned.metrics,
      series: read.get(planned.runId) ?? null
    }))
  };
}

/** The summaries of the user's runs among `found`: another user's run is left out. */
export function ownedRuns(
  found: Iterable<IRunSummary>,
  user: string
): Map<string, IRunSummary> {
  const owned = new Map<string, IRunSummary>();
  for (const summary of found) {
    if (summary.user === user) {
      owned.set(summary.run_id, summary);
    }
  }
  return owned;
}
