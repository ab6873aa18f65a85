/**
 * Pure functions of the run comparison: which runs may be compared, the
 * metrics they share, legend labels, the rows drawn for one metric, and the
 * final and best values per metric.
 */
import { lowerIsBetter } from '../metricDirection';
import type { IRunSummary, ISeries, MetricValue, SeriesAxis } from '../tokens';
import { Ema, IChartRow } from './series';

/** The x axes of a comparison: relative time counts from each run's start. */
export type CompareAxis = 'step' | 'epoch' | 'relative' | 'wall';

export const COMPARE_AXES: readonly CompareAxis[] = [
  'step',
  'epoch',
  'relative',
  'wall'
];

export function isCompareAxis(value: unknown): value is CompareAxis {
  return COMPARE_AXES.includes(value as CompareAxis);
}

/** Runs drawn together at most: more would not be told apart. */
export const MAX_COMPARED_RUNS = 20;

/** The service's axis behind a comparison axis: both time axes read epoch milliseconds. */
export function serviceAxis(axis: CompareAxis): SeriesAxis {
  return axis === 'step' || axis === 'epoch' ? axis : 'time';
}

/** Why a list of run ids cannot be compared. */
export type RunIdsProblem = 'invalid' | 'empty' | 'too_many';

/**
 * The distinct run ids of a command's `runIds` argument, in order, or why
 * they cannot be compared.
 */
export function checkRunIds(
  value: unknown
): { runIds: string[] } | { problem: RunIdsProblem } {
  if (
    !Array.isArray(value) ||
    !value.every(id => typeof id === 'string' && id.trim() !== '')
  ) {
    return { problem: 'invalid' };
  }
  const runIds = [...new Set(value as string[])];
  if (runIds.length === 0) {
    return { problem: 'empty' };
  }
  if (runIds.length > MAX_COMPARED_RUNS) {
    return { problem: 'too_many' };
  }
  return { runIds };
}

/**
 * Why a run of a comparison could not be read, for the view to word: the
 * service listed no such run (none of this user's), or its request failed.
 */
export type ComparedRunError =
  { reason: 'not_found' } | { reason: 'failed'; error: Error };

/** One run of a comparison as read from the service. */
export interface IComparedRun {
  runId: string;
  /** Null until read, or when it could not be. */
  summary: IRunSummary | null;
  /** The metrics the run has on the axis, as the service lists them. */
  metrics: string[];
  /**
   * The series read, the best of each metric for the axis (see
   * `selectSeries`): of a comparison, the drawn metric's only.
   */
  series: ISeries[];
  /** Why the run could not be read, else null. */
  error: ComparedRunError | null;
}

/** A chart row of a comparison: one run's value of the metric at x. */
export interface ICompareRow extends IChartRow {
  runId: string;
  /** The smoothed value when smoothing is on (drawn over the faint raw curve). */
  y: number | null;
}

/** The runs' metrics and those of their series: `loss` first, then its validation series, then the others by name. */
export function metricUnion(
  runs: readonly Pick<IComparedRun, 'metrics' | 'series'>[]
): string[] {
  const names = new Set<string>();
  for (const run of runs) {
    run.metrics.forEach(name => names.add(name));
    for (const series of run.series) {
      names.add(series.name);
    }
  }
  const rank = (name: string): number =>
    name === 'loss' ? 0 : name === 'val_loss' ? 1 : 2;
  return [...names].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en')
  );
}

/** The metric to show: the one asked for when a run has it, else the first. */
export function chooseMetric(
  metrics: readonly string[],
  wanted: string | null
): string | null {
  if (wanted !== null && metrics.includes(wanted)) {
    return wanted;
  }
  return metrics[0] ?? null;
}

/** How the legend names runs: by name, or by a tag's or hyperparameter's value. */
export type LegendKey = 'name' | `tag:${string}` | `hparam:${string}`;

export function isLegendKey(value: unknown): value is LegendKey {
  return (
    value === 'name' ||
    (typeof value === 'string' && /^(tag|hparam):.+/.test(value))
  );
}

/** Every legend the runs allow: name, then their tags' and hyperparameters' keys. */
export function legendKeys(runs: readonly IComparedRun[]): LegendKey[] {
  const tags = new Set<string>();
  const hparams = new Set<string>();
  for (const run of runs) {
    Object.keys(run.summary?.tags ?? {}).forEach(key => tags.add(key));
    Object.keys(run.summary?.hparams ?? {}).forEach(key => hparams.add(key));
  }
  const sorted = (keys: Set<string>) =>
    [...keys].sort((a, b) => a.localeCompare(b, 'en'));
  return [
    'name',
    ...sorted(tags).map((key): LegendKey => `tag:${key}`),
    ...sorted(hparams).map((key): LegendKey => `hparam:${key}`)
  ];
}

/** A run's name, or its id when it has none. */
export function runName(run: IComparedRun): string {
  return run.summary?.name || run.runId;
}

/**
 * The legend label of each run (by run id): `lr=0.01` for a
 * hyperparameter, `—` where a run lacks it; labels that would be equal get
 * the run's name after them, so every run keeps its own entry.
 */
export function runLabels(
  runs: readonly IComparedRun[],
  legend: LegendKey
): Map<string, string> {
  const base = new Map<string, string>();
  for (const run of runs) {
    base.set(run.runId, legendValue(run, legend));
  }
  const counts = new Map<string, number>();
  for (const label of base.values()) {
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const labels = new Map<string, string>();
  const taken = new Set<string>();
  for (const run of runs) {
    let label = base.get(run.runId) ?? run.runId;
    if ((counts.get(label) ?? 0) > 1) {
      label =
        legend === 'name'
          ? `${label} (${run.runId})`
          : `${label} · ${runName(run)}`;
    }
    // Two runs of the same name and value: the id tells them apart.
    if (taken.has(label)) {
      label = `${label} (${run.runId})`;
    }
    taken.add(label);
    labels.set(run.runId, label);
  }
  return labels;
}

function legendValue(run: IComparedRun, legend: LegendKey): string {
  if (legend === 'name') {
    return runName(run);
  }
  const [kind, ...rest] = legend.split(':');
  const key = rest.join(':');
  const values: Record<string, unknown> =
    (kind === 'tag' ? run.summary?.tags : run.summary?.hparams) ?? {};
  return key in values ? `${key}=${String(values[key])}` : `${key}=—`;
}

/** Where a run's x starts on an axis: its start time on the relative axis, else 0. */
function xOrigin(run: IComparedRun, axis: CompareAxis): number | null {
  if (axis !== 'relative') {
    return 0;
  }
  const started = Date.parse(run.summary?.started ?? '');
  return Number.isFinite(started) ? started : null;
}

/**
 * The rows of `metric` for every run that has it: x in the axis' unit
 * (seconds since the run's start on the relative axis, epoch milliseconds
 * on wall time), `y` smoothed by an EMA of `smoothing` (0: raw), NaN and
 * infinities kept with a null value.
 */
export function compareRows(
  runs: readonly IComparedRun[],
  metric: string,
  axis: CompareAxis,
  smoothing: number,
  labels: ReadonlyMap<string, string>
): ICompareRow[] {
  const rows: ICompareRow[] = [];
  for (const run of runs) {
    const series = run.series.find(candidate => candidate.name === metric);
    const origin = xOrigin(run, axis);
    if (!series || origin === null) {
      continue;
    }
    const ema = new Ema(smoothing);
    const label = labels.get(run.runId) ?? run.runId;
    for (const point of series.points) {
      const raw =
        point.y === null || !Number.isFinite(point.y) ? null : point.y;
      const time = Date.parse(point.time);
      rows.push({
        runId: run.runId,
        series: label,
        role: 'train',
        x: axis === 'relative' ? (point.x - origin) / 1000 : point.x,
        y: ema.next(raw),
        raw,
        nonfinite: raw === null ? (point.nonfinite ?? 'NaN') : null,
        ...(Number.isFinite(time) ? { time } : {})
      });
    }
  }
  return rows;
}

export interface IMetricOutcome {
  /** The last value logged (NaN and infinities as their names); null when none. */
  final: MetricValue | null;
  /** The lowest (loss-like) or highest finite value; null when none. */
  best: number | null;
}

/** Final and best values of each metric, per run: one row per metric. */
export interface IOutcomeRow {
  metric: string;
  lowerIsBetter: boolean;
  /** By run id. */
  runs: Map<string, IMetricOutcome>;
}

/**
 * The final and best value of every metric for every run. The run's
 * summary is preferred (it saw every value, the series may be thinned);
 * the series give what a summary lacks.
 */
export function outcomeTable(
  runs: readonly IComparedRun[],
  metrics: readonly string[]
): IOutcomeRow[] {
  return metrics.map(metric => {
    const lower = lowerIsBetter(metric);
    const outcomes = new Map<string, IMetricOutcome>();
    for (const run of runs) {
      outcomes.set(run.runId, metricOutcome(run, metric, lower));
    }
    return { metric, lowerIsBetter: lower, runs: outcomes };
  });
}

function metricOutcome(
  run: IComparedRun,
  metric: string,
  lower: boolean
): IMetricOutcome {
  const summary = run.summary;
  const points = run.series.find(series => series.name === metric)?.points;
  const lastPoint = points?.[points.length - 1];
  let final: MetricValue | null = summary?.last_metrics[metric] ?? null;
  if (final === null && lastPoint) {
    final = lastPoint.y ?? lastPoint.nonfinite ?? 'NaN';
  }
  let best: number | null =
    (lower ? summary?.min_metrics?.[metric] : summary?.max_metrics?.[metric]) ??
    null;
  if (best === null && points) {
    for (const point of points) {
      if (point.y !== null && Number.isFinite(point.y)) {
        best =
          best === null
            ? point.y
            : lower
              ? Math.min(best, point.y)
              : Math.max(best, point.y);
      }
    }
  }
  return { final, best };
}
