/**
 * The Vega-Lite spec of one metric chart. Its data is the named dataset
 * `points` (rows of IChartRow), filled and extended with changesets after
 * the chart is embedded: the spec itself never carries data.
 */
import type { TopLevelSpec } from 'vega-lite';

import { formatMetric } from './format';
import type { IChartRow, SeriesRole } from './model/series';
import type { IThemeColours } from './theme';
import type { SeriesAxis } from './tokens';

export const DATASET = 'points';

export const AXIS_TITLES: Record<SeriesAxis, string> = {
  step: 'step',
  epoch: 'epoch',
  time: 'time'
};

/** Solid for training, dashed for validation: same hue, told apart by the dash. */
const DASHES: Record<SeriesRole, number[]> = {
  train: [1, 0],
  validation: [4, 3]
};

export interface IChartSpecOptions {
  metric: string;
  axis: SeriesAxis;
  /** The roles present, which the legend lists. */
  roles: SeriesRole[];
  colour: string;
  colours: IThemeColours;
  width: number;
  height: number;
}

export function chartSpec(options: IChartSpecOptions): TopLevelSpec {
  const x = {
    field: 'x',
    type:
      options.axis === 'time'
        ? ('temporal' as const)
        : ('quantitative' as const),
    title: AXIS_TITLES[options.axis],
    axis: { tickMinStep: options.axis === 'time' ? undefined : 1 }
  };
  const roles = options.roles.length > 0 ? options.roles : ['train' as const];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description: `${options.metric} by ${options.axis}`,
    width: options.width,
    height: options.height,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: DATASET },
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
            scale: { zero: false }
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
        // Non-finite values have no y: a rule across the chart marks where they happened.
        transform: [{ filter: 'datum.nonfinite != null' }],
        mark: {
          type: 'rule',
          color: options.colours.error,
          strokeWidth: 1.5,
          strokeDash: [2, 2]
        },
        encoding: {
          x,
          tooltip: [
            { field: 'series', type: 'nominal', title: 'metric' },
            { field: 'nonfinite', type: 'nominal', title: 'value' },
            { field: 'x', type: x.type, title: x.title }
          ]
        }
      }
    ]
  };
}

/** What a screen reader hears for a chart: each series' last value. */
export function chartSummary(
  metric: string,
  axis: SeriesAxis,
  rows: readonly IChartRow[]
): string {
  const last = new Map<string, IChartRow>();
  for (const row of rows) {
    const previous = last.get(row.series);
    if (!previous || row.x >= previous.x) {
      last.set(row.series, row);
    }
  }
  if (last.size === 0) {
    return `${metric} chart: no values yet`;
  }
  const parts = [...last.values()].map(row => {
    const value =
      row.raw === null ? (row.nonfinite ?? 'NaN') : formatMetric(row.raw);
    const at = axis === 'time' ? new Date(row.x).toLocaleTimeString() : row.x;
    return `${row.series} ${value} at ${AXIS_TITLES[axis]} ${at}`;
  });
  return `${metric} chart, last values: ${parts.join('; ')}`;
}
