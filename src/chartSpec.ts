/**
 * The Vega-Lite spec of one metric chart. Its data is the named dataset
 * `points` (rows of IChartRow), filled and extended with changesets after
 * the chart is embedded: the spec itself never carries data.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { TopLevelSpec } from 'vega-lite';

import { formatMetric } from './format';
import type { IChartRow, SeriesRole } from './model/series';
import type { IThemeColours } from './theme';
import type { SeriesAxis } from './tokens';
import { defaultBundle } from './views/text';

export const DATASET = 'points';

/**
 * The vega expression function that formats axis numbers with formatNumber
 * (registered by the chart view when vega is loaded).
 */
export const NUMBER_FORMAT_FUNCTION = 'tflogNumber';

const NUMBER_LABEL = `${NUMBER_FORMAT_FUNCTION}(datum.value)`;

/** The x axis' title: `step`, `epoch`, `time`. */
export function axisTitle(trans: TranslationBundle, axis: SeriesAxis): string {
  switch (axis) {
    case 'step':
      return trans.__('step');
    case 'epoch':
      return trans.__('epoch');
    case 'time':
      return trans.__('time');
  }
}

/** Solid for training, dashed for validation: same hue, told apart by the dash. */
const DASHES: Record<SeriesRole, number[]> = {
  train: [1, 0],
  validation: [4, 3]
};

/** The point selection that follows the pointer to the nearest x. */
export const HOVER_PARAM = 'hover';

/** The x the readout shows (set from the hover or the keyboard); null for none. */
export const READOUT_SIGNAL = 'readoutX';

/** Rows at the readout's x (dates compare as numbers on the time axis). */
const AT_READOUT = `${READOUT_SIGNAL} != null && toNumber(datum.x) === ${READOUT_SIGNAL}`;

/** Series with at most this many rows get a marker on each point. */
export const MARKED_POINTS_MAX = 60;

/** Non-finite marks are labelled while a chart has at most this many. */
export const LABELLED_NONFINITE_MAX = 20;

export interface IChartSpecOptions {
  metric: string;
  axis: SeriesAxis;
  /** The roles present, which the legend lists. */
  roles: SeriesRole[];
  colour: string;
  colours: IThemeColours;
  width: number;
  height: number;
  trans?: TranslationBundle;
}

export function chartSpec(options: IChartSpecOptions): TopLevelSpec {
  const trans = options.trans ?? defaultBundle();
  const time = options.axis === 'time';
  const x = {
    field: 'x',
    type: time ? ('temporal' as const) : ('quantitative' as const),
    title: axisTitle(trans, options.axis),
    axis: time ? {} : { tickMinStep: 1, labelExpr: NUMBER_LABEL },
    // Room at the ends, so a mark at the first or last x is not lost on the edge.
    scale: { padding: 8 }
  };
  const roles = options.roles.length > 0 ? options.roles : ['train' as const];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${options.metric} by ${options.axis}`,
    width: options.width,
    height: options.height,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: DATASET },
    params: [{ name: READOUT_SIGNAL, value: null }],
    layer: [
      {
        mark: {
          type: 'line',
          color: options.colour,
          strokeWidth: 1.5,
          clip: true
        },
        encoding: {
          x,
          y: {
            field: 'y',
            type: 'quantitative',
            title: options.metric,
            scale: { zero: false },
            axis: { labelExpr: NUMBER_LABEL }
          },
          strokeDash: {
            field: 'role',
            type: 'nominal',
            scale: { domain: roles, range: roles.map(role => DASHES[role]) },
            legend:
              roles.length > 1
                ? {
                    title: null,
                    orient: 'top',
                    symbolStrokeColor: options.colour
                  }
                : null
          },
          detail: { field: 'series', type: 'nominal' }
        }
      },
      {
        // Short series get a marker on every point: a one-point series is a dot, not nothing.
        name: 'markers',
        transform: [
          {
            joinaggregate: [{ op: 'count', as: 'seriesPoints' }],
            groupby: ['series']
          },
          {
            filter: `datum.seriesPoints <= ${MARKED_POINTS_MAX} && isValid(datum.y)`
          }
        ],
        mark: {
          type: 'point',
          filled: true,
          size: 24,
          color: options.colour,
          opacity: 1,
          clip: true
        },
        encoding: { x, y: { field: 'y', type: 'quantitative' } }
      },
      {
        // Non-finite values have no y: a rule across the chart marks where they happened.
        name: 'nonfinite',
        transform: [{ filter: 'datum.nonfinite != null' }],
        mark: {
          type: 'rule',
          color: options.colours.error,
          strokeWidth: 2,
          strokeDash: [4, 2]
        },
        encoding: {
          x,
          tooltip: [
            { field: 'series', type: 'nominal', title: trans.__('metric') },
            { field: 'nonfinite', type: 'nominal', title: trans.__('value') },
            { field: 'x', type: x.type, title: x.title }
          ]
        }
      },
      {
        // ... labelled at the top (NaN, +Inf, -Inf), while there are few enough to read.
        name: 'nonfinite_labels',
        transform: [
          { filter: 'datum.nonfinite != null' },
          { joinaggregate: [{ op: 'count', as: 'nonfiniteRows' }] },
          { filter: `datum.nonfiniteRows <= ${LABELLED_NONFINITE_MAX}` },
          {
            calculate:
              "datum.nonfinite === 'Infinity' ? '+Inf' : datum.nonfinite === '-Infinity' ? '-Inf' : 'NaN'",
            as: 'nonfiniteLabel'
          }
        ],
        mark: {
          type: 'text',
          color: options.colours.error,
          baseline: 'top',
          align: 'left',
          dx: 3,
          dy: 2,
          fontWeight: 'bold',
          fontSize: options.colours.fontSize
        },
        encoding: {
          x,
          y: { value: 0 },
          text: { field: 'nonfiniteLabel', type: 'nominal' }
        }
      },
      {
        // Hover: the nearest value under the pointer picks the readout's x.
        name: 'hover_capture',
        params: [
          {
            name: HOVER_PARAM,
            select: {
              type: 'point',
              fields: ['x'],
              nearest: true,
              on: 'pointermove',
              clear: 'pointerout'
            }
          }
        ],
        transform: [{ filter: 'isValid(datum.y)' }],
        mark: { type: 'point', opacity: 0, size: 1 },
        encoding: { x, y: { field: 'y', type: 'quantitative' } }
      },
      {
        // The readout's crosshair ...
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
        // ... and the values it lists.
        name: 'readout_points',
        transform: [{ filter: `${AT_READOUT} && isValid(datum.y)` }],
        mark: {
          type: 'point',
          filled: true,
          size: 40,
          color: options.colour,
          stroke: options.colours.background,
          strokeWidth: 1
        },
        encoding: { x, y: { field: 'y', type: 'quantitative' } }
      }
    ]
  };
}

/** What a screen reader hears for a chart: each series' last value. */
export function chartSummary(
  metric: string,
  axis: SeriesAxis,
  rows: readonly IChartRow[],
  trans: TranslationBundle = defaultBundle()
): string {
  const last = new Map<string, IChartRow>();
  for (const row of rows) {
    const previous = last.get(row.series);
    if (!previous || row.x >= previous.x) {
      last.set(row.series, row);
    }
  }
  if (last.size === 0) {
    return trans.__('%1 chart: no values yet', metric);
  }
  const parts = [...last.values()].map(row => {
    const value =
      row.raw === null ? (row.nonfinite ?? 'NaN') : formatMetric(row.raw);
    const at = axis === 'time' ? new Date(row.x).toLocaleTimeString() : row.x;
    return trans.__(
      '%1 %2 at %3 %4',
      row.series,
      value,
      axisTitle(trans, axis),
      at
    );
  });
  return trans.__('%1 chart, last values: %2', metric, parts.join('; '));
}
