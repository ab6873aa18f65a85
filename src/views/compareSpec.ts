/**
 * The Vega-Lite spec of a comparison chart: one metric, one line per run
 * (coloured from the theme, dashed once the colours run out), the raw
 * curve faint behind a smoothed one, non-finite values marked, and the
 * hover layers of the readout. The data is the named dataset `points`
 * (ICompareRow), sent with changesets.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { TopLevelSpec } from 'vega-lite';

import {
  AT_READOUT,
  DATASET,
  hoverSelection,
  MARKED_POINTS_MAX,
  nonFiniteRule,
  NUMBER_LABEL,
  READOUT_SIGNAL
} from '../chartSpec';
import type { CompareAxis } from '../model/compareData';
import type { IThemeColours } from '../theme';
import { defaultBundle } from './text';

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

/**
 * The hover's targets: of the drawn values, the smallest x in each of
 * `width` columns across the x range (at most one target per pixel).
 */
export function hoverColumns(width: number) {
  const columns = Math.max(1, Math.round(width));
  return [
    { filter: 'isValid(datum.plotY)' },
    { calculate: 'toNumber(datum.x)', as: 'xValue' },
    {
      joinaggregate: [
        { op: 'min' as const, field: 'xValue', as: 'xLow' },
        { op: 'max' as const, field: 'xValue', as: 'xHigh' }
      ]
    },
    {
      calculate: `datum.xHigh > datum.xLow ? floor((datum.xValue - datum.xLow) / (datum.xHigh - datum.xLow) * ${columns}) : 0`,
      as: 'column'
    },
    {
      aggregate: [{ op: 'min' as const, field: 'x', as: 'x' }],
      groupby: ['column']
    }
  ];
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
  // A log scale cannot show zero or less: those values are left out, not drawn at the edge.
  const plotted = (field: string) =>
    options.logScale
      ? `isValid(datum.${field}) && datum.${field} > 0 ? datum.${field} : null`
      : `datum.${field}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${options.metric} by ${options.axis}, ${options.labels.length} runs`,
    width: options.width,
    height: options.height,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: DATASET },
    params: [{ name: READOUT_SIGNAL, value: null }],
    transform: [
      { calculate: plotted('y'), as: 'plotY' },
      { calculate: plotted('raw'), as: 'plotRaw' }
    ],
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
        // Short series get a marker on every point: a one-point run is a dot.
        name: 'markers',
        transform: [
          {
            joinaggregate: [{ op: 'count', as: 'seriesPoints' }],
            groupby: ['series']
          },
          {
            filter: `datum.seriesPoints <= ${MARKED_POINTS_MAX} && isValid(datum.plotY)`
          }
        ],
        mark: { type: 'point', filled: true, size: 20, opacity: 1, clip: true },
        encoding: { x, y, color: colour }
      },
      nonFiniteRule(x, {
        colours: options.colours,
        seriesTitle: trans.__('run'),
        trans
      }),
      {
        // The pointer picks the nearest x among one per pixel column (the
        // smallest x drawn there), on a line: nearest-point hovering over
        // every point of 20 runs took a second to set up.
        name: 'hover_capture',
        params: [hoverSelection()],
        transform: hoverColumns(options.width),
        mark: { type: 'point', opacity: 0, size: 1 },
        encoding: { x, y: { value: 0 } }
      },
      {
        name: 'crosshair',
        transform: [{ filter: AT_READOUT }],
        mark: {
          type: 'rule',
          color: options.colours.mutedText,
          strokeWidth: 1
        },
        encoding: { x }
      },
      {
        name: 'readout_points',
        transform: [{ filter: `${AT_READOUT} && isValid(datum.plotY)` }],
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
