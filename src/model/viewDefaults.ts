/**
 * How a run is shown when the user has not said otherwise: pure rules, so
 * they are tested without a view. Keras fits start on their epoch-end values
 * (the batch values Keras reports are running averages that reset at each
 * epoch), and a series that never changes reads better as a value than as a
 * flat chart.
 */
import type { ISeries, SeriesAxis, XAxisChoice } from '../tokens';
import type { IChartRow } from './series';

/** The axis `auto` stands for: epochs when the run has epoch-end values, else steps. */
export function autoAxis(
  series: readonly Pick<ISeries, 'scope' | 'points'>[]
): SeriesAxis {
  return series.some(item => item.scope === 'epoch' && item.points.length > 0)
    ? 'epoch'
    : 'step';
}

/** The axis drawn for a choice: the choice itself, or what `auto` stands for. */
export function resolveAxis(
  choice: XAxisChoice,
  series: readonly Pick<ISeries, 'scope' | 'points'>[]
): SeriesAxis {
  return choice === 'auto' ? autoAxis(series) : choice;
}

/** Relative difference under which two values are the same (float rounding). */
const SAME_VALUE_TOLERANCE = 1e-9;

/**
 * The value of a chart whose rows all hold the same finite value (at least
 * two of them: one point says nothing of change), else null.
 */
export function constantValue(rows: readonly IChartRow[]): number | null {
  if (rows.length < 2) {
    return null;
  }
  const first = rows[0].raw;
  if (first === null) {
    return null;
  }
  for (const row of rows) {
    if (row.raw === null || !sameValue(row.raw, first)) {
      return null;
    }
  }
  return first;
}

/** Equal but for float rounding (relative difference under SAME_VALUE_TOLERANCE). */
export function sameValue(value: number, reference: number): boolean {
  return (
    Math.abs(value - reference) <= Math.abs(reference) * SAME_VALUE_TOLERANCE
  );
}

/** The metric filter as typed (`loss, *acc*`) to the `defaultMetrics` setting. */
export function parseMetricFilter(text: string): string[] {
  return text.split(/[\s,]+/).filter(part => part !== '');
}

/** The `defaultMetrics` setting as the filter box shows it. */
export function metricFilterText(patterns: readonly string[]): string {
  return patterns.join(', ');
}
