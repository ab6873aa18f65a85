/**
 * The Vega-Lite spec of a comparison chart: one metric, one line per run
 * (coloured from the theme, dashed once the colours run out), the raw
 * curve faint behind a smoothed one, non-finite values marked, and the
 * hover layers of the readout. Its data are named datasets (see
 * `compareDatasets`), sent with changesets.
 *
 * What vega would derive with transforms (the plotted values, the runs
 * short enough for markers, the non-finite values, the hover's targets)
 * is computed here once: every vega transform runs over every row, and
 * on 20 runs of 1,000 points those passes were most of the drawing time.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { TopLevelSpec } from 'vega-lite';

import {
  DATASET,
  hoverSelection,
  MARKED_POINTS_MAX,
  nonFiniteRule,
  NUMBER_LABEL,
  READOUT_SIGNAL
} from '../chartSpec';
import type { CompareAxis, ICompareRow } from '../model/compareData';
import type { IThemeColours } from '../theme';
import { defaultBundle } from './text';

/** The chart's datasets, by name: `points` is every row. */
export const COMPARE_DATASETS = {
  points: DATASET,
  marked: 'marked',
  nonfinite: 'nonfinite',
  columns: 'columns',
  readout: 'readout'
} as const;

/** A row as drawn: its y and raw value on the chart's y scale (null: not drawn). */
export interface ICompareDrawnRow extends ICompareRow {
  plotY: number | null;
  plotRaw: number | null;
}

/** What each layer of the chart draws (fresh objects: vega marks what it ingests). */
export interface ICompareDatasets {
  /** Every row, for the lines and the readout's points. */
  points: ICompareDrawnRow[];
  /** The drawn rows of runs short enough for a marker on every point. */
  marked: ICompareDrawnRow[];
  /** The NaN and infinite values, each a rule across the chart. */
  nonfinite: ICompareRow[];
  /** The hover's targets: the smallest drawn x in each pixel column. */
  columns: { x: number }[];
  /** The drawn rows at the readout's x (none while there is no readout). */
  readout: ICompareDrawnRow[];
}

/** A log scale cannot show zero or less: those values are left out, not drawn at the edge. */
function plotted(value: number | null, logScale: boolean): number | null {
  if (value === null || Number.isNaN(value)) {
    return null;
  }
  return logScale && value <= 0 ? null : value;
}

/**
 * The datasets of `rows` drawn `width` pixels wide, on a log y scale or
 * not, with the readout at `readoutX` (null or absent: none).
 */
export function compareDatasets(
  rows: readonly ICompareRow[],
  options: { logScale: boolean; width: number; readoutX?: number | null }
): ICompareDatasets {
  const counts = new Map<string, number>();
  for (const row of rows) {
    counts.set(row.series, (counts.get(row.series) ?? 0) + 1);
  }
  const points: ICompareDrawnRow[] = rows.map(row => ({
    ...row,
    plotY: plotted(row.y, options.logScale),
    plotRaw: plotted(row.raw, options.logScale)
  }));
  const drawn = points.filter(row => row.plotY !== null);
  return {
    points,
    // Short series get a marker on every point: a one-point run is a dot.
    marked: drawn
      .filter(row => (counts.get(row.series) ?? 0) <= MARKED_POINTS_MAX)
      .map(row => ({ ...row })),
    nonfinite: rows
      .filter(row => row.nonfinite !== null)
      .map(row => ({ ...row })),
    columns: hoverColumns(
      drawn.map(row => row.x),
      options.width
    ).map(x => ({ x })),
    readout: readoutPoints(points, options.readoutX ?? null)
  };
}

/**
 * The readout's points: copies of the `points` at exactly `x` that are
 * drawn (a y on the chart), none when `x` is null. Picked here rather than
 * by a vega filter, which would pass over every row at each move of the
 * pointer.
 */
export function readoutPoints(
  points: readonly ICompareDrawnRow[],
  x: number | null
): ICompareDrawnRow[] {
  if (x === null) {
    return [];
  }
  return points
    .filter(row => row.x === x && row.plotY !== null)
    .map(row => ({ ...row }));
}

/**
 * The hover's targets among the drawn `xs`: the smallest x in each of
 * `width` columns across their range (at most one target per pixel, and
 * the largest x its own), ascending.
 */
export function hoverColumns(xs: readonly number[], width: number): number[] {
  if (xs.length === 0) {
    return [];
  }
  const columns = Math.max(1, Math.round(width));
  let low = Infinity;
  let high = -Infinity;
  for (const x of xs) {
    low = Math.min(low, x);
    high = Math.max(high, x);
  }
  const span = high - low;
  const smallest = new Map<number, number>();
  for (const x of xs) {
    const column = span > 0 ? Math.floor(((x - low) / span) * columns) : 0;
    const known = smallest.get(column);
    if (known === undefined || x < known) {
      smallest.set(column, x);
    }
  }
  return [...smallest.values()].sort((a, b) => a - b);
}

/** Dashes after the theme's colours are used up: run 6 is the first colour, dashed. */
const DASHES = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 3, 2, 3]
];

/** The x axis' title on each comparison axis. */
export function compareAxisTitle(
  trans: TranslationBundle,
  axis: CompareAxis
): string {
  switch (axis) {
    case 'step':
      return trans.__('step');
    case 'epoch':
      return trans.__('epoch');
    case 'relative':
      return trans.__('seconds since start');
    case 'wall':
      return trans.__('time');
  }
}

export interface IRunStroke {
  colour: string;
  dash: number[];
}

/** Each run's colour and dash, in run order: the theme's colours first, then dashed. */
export function runStrokes(count: number, palette: string[]): IRunStroke[] {
  const colours = palette.length > 0 ? palette : ['currentColor'];
  return Array.from({ length: count }, (_, index) => ({
    colour: colours[index % colours.length],
    dash: DASHES[Math.floor(index / colours.length) % DASHES.length]
  }));
}

export interface ICompareSpecOptions {
  metric: string;
  axis: CompareAxis;
  /** The runs' legend labels, in run order (the `series` of the rows). */
  labels: string[];
  colours: IThemeColours;
  logScale: boolean;
  /** Draw the raw curves faint behind the smoothed ones. */
  smoothed: boolean;
  width: number;
  height: number;
  trans?: TranslationBundle;
}

export function compareSpec(options: ICompareSpecOptions): TopLevelSpec {
  const trans = options.trans ?? defaultBundle();
  const wall = options.axis === 'wall';
  const x = {
    field: 'x',
    type: wall ? ('temporal' as const) : ('quantitative' as const),
    title: compareAxisTitle(trans, options.axis),
    axis: wall
      ? {}
      : options.axis === 'relative'
        ? { labelExpr: NUMBER_LABEL }
        : { tickMinStep: 1, labelExpr: NUMBER_LABEL },
    scale: { padding: 8 }
  };
  const y = {
    field: 'plotY',
    type: 'quantitative' as const,
    title: options.metric,
    scale: options.logScale
      ? { type: 'log' as const }
      : { zero: false as const },
    axis: { labelExpr: NUMBER_LABEL }
  };
  const strokes = runStrokes(options.labels.length, options.colours.palette);
  // Each run's line takes its colour and dash by its label.
  const byRun = <T>(range: T[]) => ({
    field: 'series',
    type: 'nominal' as const,
    scale: { domain: options.labels, range },
    legend: null
  });
  const colour = byRun(strokes.map(stroke => stroke.colour));
  const strokeDash = byRun(strokes.map(stroke => stroke.dash));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // Vega makes it the plot's aria-label.
    description: trans._n(
      '%2 by %3, %1 run',
      '%2 by %3, %1 runs',
      options.labels.length,
      options.metric,
      compareAxisTitle(trans, options.axis)
    ),
    width: options.width,
    height: options.height,
    autosize: { type: 'fit-x', contains: 'padding' },
    // The rows are numbers already: no parsing pass over them.
    data: { name: COMPARE_DATASETS.points, format: { parse: null } },
    params: [{ name: READOUT_SIGNAL, value: null }],
    layer: [
      // With smoothing, the raw curves stay faint behind the smoothed ones.
      ...(options.smoothed
        ? [
            {
              name: 'raw',
              mark: {
                type: 'line' as const,
                strokeWidth: 1,
                opacity: 0.25,
                clip: true
              },
              encoding: {
                x,
                y: { ...y, field: 'plotRaw' },
                color: colour,
                strokeDash,
                detail: { field: 'series', type: 'nominal' as const }
              }
            }
          ]
        : []),
      {
        name: 'lines',
        mark: { type: 'line', strokeWidth: 1.5, clip: true },
        encoding: {
          x,
          y,
          color: colour,
          strokeDash,
          detail: { field: 'series', type: 'nominal' }
        }
      },
      {
        name: 'markers',
        data: { name: COMPARE_DATASETS.marked },
        mark: { type: 'point', filled: true, size: 20, opacity: 1, clip: true },
        encoding: { x, y, color: colour }
      },
      nonFiniteRule(x, {
        colours: options.colours,
        seriesTitle: trans.__('run'),
        trans,
        dataset: COMPARE_DATASETS.nonfinite
      }),
      {
        // The pointer picks the nearest x among one per pixel column (the
        // smallest x drawn there), on a line: nearest-point hovering over
        // every point of 20 runs took a second to set up.
        name: 'hover_capture',
        data: { name: COMPARE_DATASETS.columns },
        params: [hoverSelection()],
        mark: { type: 'point', opacity: 0, size: 1 },
        encoding: { x, y: { value: 0 } }
      },
      {
        // One row, at the readout's x while there is one.
        name: 'crosshair',
        data: { values: [{}] },
        transform: [
          { filter: `${READOUT_SIGNAL} != null` },
          { calculate: READOUT_SIGNAL, as: 'x' }
        ],
        mark: {
          type: 'rule',
          color: options.colours.mutedText,
          strokeWidth: 1
        },
        encoding: { x }
      },
      {
        name: 'readout_points',
        data: { name: COMPARE_DATASETS.readout },
        mark: {
          type: 'point',
          filled: true,
          size: 40,
          stroke: options.colours.background,
          strokeWidth: 1
        },
        encoding: { x, y, color: colour }
      }
    ]
  };
}
