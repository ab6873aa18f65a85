/**
 * The hover readout of a chart: at an x, each series' nearest value, with
 * the x itself and the time since the run started.
 */
import type { IChartRow } from './model/series';

export interface IReadoutValue {
  series: string;
  x: number;
  /** The value as stored; null when it was not finite. */
  raw: number | null;
  nonfinite: string | null;
}

export interface IReadout {
  x: number;
  /** Milliseconds from the run's start to the value at x; null when unknown. */
  elapsedMs: number | null;
  /** One per series, in the order series first appear. */
  values: IReadoutValue[];
}

/**
 * What the readout says at `x`: per series the row nearest to x (the later
 * one on a tie); null when there are no rows.
 */
export function readoutAt(
  rows: readonly IChartRow[],
  x: number,
  runStarted: number | null
): IReadout | null {
  const nearest = new Map<string, IChartRow>();
  for (const row of rows) {
    const best = nearest.get(row.series);
    if (
      !best ||
      Math.abs(row.x - x) < Math.abs(best.x - x) ||
      (Math.abs(row.x - x) === Math.abs(best.x - x) && row.x > best.x)
    ) {
      nearest.set(row.series, row);
    }
  }
  if (nearest.size === 0) {
    return null;
  }
  const atX = [...nearest.values()].find(
    row => row.x === x && row.time !== undefined && Number.isFinite(row.time)
  );
  const elapsedMs =
    atX?.time !== undefined &&
    runStarted !== null &&
    Number.isFinite(runStarted)
      ? Math.max(0, atX.time - runStarted)
      : null;
  return {
    x,
    elapsedMs,
    values: [...nearest.values()].map(row => ({
      series: row.series,
      x: row.x,
      raw: row.raw,
      nonfinite: row.nonfinite
    }))
  };
}

/** The distinct x values of the rows, ascending: where the keyboard moves the readout. */
export function readoutStops(rows: readonly IChartRow[]): number[] {
  return [...new Set(rows.map(row => row.x))].sort((a, b) => a - b);
}

/** The selection value vega reports for the hover param: `{x: [12]}` or `{x: 12}`; null when cleared. */
export function hoveredX(value: unknown): number | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const field = (value as Record<string, unknown>).x;
  const first = Array.isArray(field) ? field[0] : field;
  if (typeof first === 'number' && Number.isFinite(first)) {
    return first;
  }
  if (first instanceof Date) {
    return first.getTime();
  }
  return null;
}
