/**
 * The Vega-Lite spec of one metric chart. Its data is the named dataset
 * `points` (rows of IChartRow), filled and extended with changesets after
 * the chart is embedded: the spec itself never carries data.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { TopLevelSpec } from 'vega-lite';

import { formatMetric } from './format';
import type { MarkerSeverity } from './model/logMarkers';
import type { IChartRow, SeriesRole } from './model/series';
import type { IThemeColours } from './theme';
import type { SeriesAxis } from './tokens';
import { defaultBundle } from './views/text';

export const DATASET = 'points';

/** The dataset of log markers (rows of ILogMarker): warnings, errors, NaNs. */
export const MARKERS_DATASET = 'markers';

/**
 * The vega expression function that formats axis numbers with formatNumber
 * (registered by the chart view when vega is loaded).
 */
export const NUMBER_FORMAT_FUNCTION = 'tflogNumber';

/** An axis label through NUMBER_FORMAT_FUNCTION. */
export const NUMBER_LABEL = `${NUMBER_FORMAT_FUNCTION}(datum.value)`;

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

/** A series' role as the legend and the last values name it. */
export function roleLabel(trans: TranslationBundle, role: SeriesRole): string {
  switch (role) {
    case 'train':
      return trans.__('train');
    case 'validation':
      return trans.__('validation');
  }
}

/**
 * A legend's labelExpr that shows each role by its translated label (the
 * data keep the role itself); the labels are JSON strings, valid literals
 * in a vega expression whatever they hold.
 */
export function roleLabelExpr(
  trans: TranslationBundle,
  roles: readonly SeriesRole[]
): string {
  return roles.reduceRight(
    (otherwise, role) =>
      `datum.value === ${JSON.stringify(role)} ? ${JSON.stringify(roleLabel(trans, role))} : ${otherwise}`,
    'datum.label'
  );
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

/** Rows at the readout's x (dates compare as numbers on the time axes). */
export const AT_READOUT = `${READOUT_SIGNAL} != null && toNumber(datum.x) === ${READOUT_SIGNAL}`;

/** The hover: the nearest x to the pointer, cleared when it leaves. */
export function hoverSelection() {
  return {
    name: HOVER_PARAM,
    select: {
      type: 'point' as const,
      fields: ['x'],
      nearest: true,
      on: 'pointermove',
      clear: 'pointerout'
    }
  };
}

/**
 * Non-finite values have no y: a rule across the chart marks where each
 * happened; its tooltip names the series as `seriesTitle` (a metric, a run).
 * The rows are the chart's own, filtered, or those of `dataset` (its
 * non-finite rows only).
 */
export function nonFiniteRule(
  x: { type: 'quantitative' | 'temporal'; title: string },
  options: {
    colours: IThemeColours;
    seriesTitle: string;
    trans: TranslationBundle;
    dataset?: string;
  }
) {
  return {
    name: 'nonfinite',
    ...(options.dataset === undefined
      ? { transform: [{ filter: 'datum.nonfinite != null' }] }
      : { data: { name: options.dataset } }),
    mark: {
      type: 'rule' as const,
      color: options.colours.error,
      strokeWidth: 2,
      strokeDash: [4, 2],
      clip: true
    },
    encoding: {
      x,
      tooltip: [
        {
          field: 'series',
          type: 'nominal' as const,
          title: options.seriesTitle
        },
        {
          field: 'nonfinite',
          type: 'nominal' as const,
          title: options.trans.__('value')
        },
        { field: 'x', type: x.type, title: x.title }
      ]
    }
  };
}

/** The last row of each series (the largest x; the later row on a tie), in the order series first appear. */
export function lastRows<Row extends IChartRow>(rows: readonly Row[]): Row[] {
  const last = new Map<string, Row>();
  for (const row of rows) {
    const previous = last.get(row.series);
    if (!previous || row.x >= previous.x) {
      last.set(row.series, row);
    }
  }
  return [...last.values()];
}

/** The interval brush that zooms the x range (drag across a chart). */
export const ZOOM_PARAM = 'zoom';

/** Names of the marks a click may land on (vega's `item.mark.name`). */
export const LOG_MARKER_MARK = 'log_markers_marks';

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
  /** y on a log scale: values at or below zero are left out. */
  logScale?: boolean;
  /** The curves are smoothed: the raw values are drawn faint behind them. */
  smoothed?: boolean;
  /** The x range shown (zoomed), ascending; absent: all of it. */
  xDomain?: readonly [number, number] | null;
  trans?: TranslationBundle;
}

/** The y drawn on a log scale: positive values only (vega cannot place the rest). */
const LOG_Y = 'logY';
const LOG_RAW = 'logRaw';

/**
 * The x range of the zoom brush's selection value (`{x: [a, b]}`, numbers or
 * dates), ascending; null when there is none or it is empty.
 */
export function brushRange(value: unknown): [number, number] | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const field = (value as Record<string, unknown>).x;
  if (!Array.isArray(field) || field.length !== 2) {
    return null;
  }
  const [a, b] = field.map(end =>
    end instanceof Date ? end.getTime() : typeof end === 'number' ? end : NaN
  );
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === b) {
    return null;
  }
  return a < b ? [a, b] : [b, a];
}

export function chartSpec(options: IChartSpecOptions): TopLevelSpec {
  const trans = options.trans ?? defaultBundle();
  const time = options.axis === 'time';
  const domain = options.xDomain ? [...options.xDomain] : undefined;
  const x = {
    field: 'x',
    type: time ? ('temporal' as const) : ('quantitative' as const),
    title: axisTitle(trans, options.axis),
    axis: time ? {} : { tickMinStep: 1, labelExpr: NUMBER_LABEL },
    // Room at the ends, so a mark at the first or last x is not lost on the edge.
    scale: domain ? { padding: 8, domain } : { padding: 8 }
  };
  const roles = options.roles.length > 0 ? options.roles : ['train' as const];
  const log = options.logScale === true;
  // On a log scale only positive values are drawn; the readout says which were left out.
  const yField = log ? LOG_Y : 'y';
  const rawField = log ? LOG_RAW : 'raw';
  const positive = (field: string): string =>
    `isValid(datum.${field}) && datum.${field} > 0 ? datum.${field} : null`;
  const yTransforms = log
    ? [
        { calculate: positive('y'), as: LOG_Y },
        { calculate: positive('raw'), as: LOG_RAW }
      ]
    : [];
  const yScale = log ? { type: 'log' as const } : { zero: false };
  const strokeDash = {
    field: 'role',
    type: 'nominal' as const,
    scale: { domain: roles, range: roles.map(role => DASHES[role]) },
    legend:
      roles.length > 1
        ? {
            title: null,
            orient: 'top' as const,
            symbolStrokeColor: options.colour,
            labelExpr: roleLabelExpr(trans, roles)
          }
        : null
  };
  const severities: MarkerSeverity[] = ['warning', 'error'];
  const severityColour = {
    field: 'severity',
    type: 'nominal' as const,
    scale: {
      domain: severities,
      range: [options.colours.warning, options.colours.error]
    },
    legend: null
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // Vega makes it the plot's aria-label.
    description: trans.__(
      '%1 by %2',
      options.metric,
      axisTitle(trans, options.axis)
    ),
    width: options.width,
    height: options.height,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { name: DATASET },
    params: [{ name: READOUT_SIGNAL, value: null }],
    layer: [
      ...(options.smoothed
        ? [
            {
              // Smoothed curves keep the raw values faint behind them.
              name: 'raw_line',
              transform: yTransforms,
              mark: {
                type: 'line' as const,
                color: options.colour,
                strokeWidth: 1,
                opacity: 0.25,
                clip: true
              },
              encoding: {
                x,
                y: {
                  field: rawField,
                  type: 'quantitative' as const,
                  scale: yScale
                },
                strokeDash: { ...strokeDash, legend: null },
                detail: { field: 'series', type: 'nominal' as const }
              }
            }
          ]
        : []),
      {
        name: 'line',
        transform: yTransforms,
        mark: {
          type: 'line',
          color: options.colour,
          strokeWidth: 1.5,
          clip: true
        },
        encoding: {
          x,
          y: {
            field: yField,
            type: 'quantitative',
            title: options.metric,
            scale: yScale,
            axis: { labelExpr: NUMBER_LABEL }
          },
          strokeDash,
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
          ...yTransforms,
          {
            filter: `datum.seriesPoints <= ${MARKED_POINTS_MAX} && isValid(datum.${yField})`
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
        encoding: { x, y: { field: yField, type: 'quantitative' } }
      },
      nonFiniteRule(x, {
        colours: options.colours,
        seriesTitle: trans.__('metric'),
        trans
      }),
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
          fontSize: options.colours.fontSize,
          clip: true
        },
        encoding: {
          x,
          y: { value: 0 },
          text: { field: 'nonfiniteLabel', type: 'nominal' }
        }
      },
      {
        // Hover: the nearest value under the pointer picks the readout's x;
        // a drag across the chart selects the x range to zoom to.
        name: 'hover_capture',
        params: [
          hoverSelection(),
          {
            name: ZOOM_PARAM,
            select: {
              type: 'interval',
              encodings: ['x'],
              // The wheel scrolls the panel, and a new drag starts a new range.
              zoom: false,
              translate: false,
              clear: 'dblclick',
              mark: {
                fill: options.colours.mutedText,
                fillOpacity: 0.15,
                stroke: options.colours.mutedText,
                strokeOpacity: 0.6
              }
            }
          }
        ],
        transform: [...yTransforms, { filter: `isValid(datum.${yField})` }],
        mark: { type: 'point', opacity: 0, size: 1, clip: true },
        encoding: { x, y: { field: yField, type: 'quantitative' } }
      },
      {
        // The readout's crosshair ...
        name: 'crosshair',
        transform: [{ filter: AT_READOUT }],
        mark: {
          type: 'rule',
          color: options.colours.mutedText,
          strokeWidth: 1,
          clip: true
        },
        encoding: { x }
      },
      {
        // ... and the values it lists.
        name: 'readout_points',
        transform: [
          ...yTransforms,
          { filter: `${AT_READOUT} && isValid(datum.${yField})` }
        ],
        mark: {
          type: 'point',
          filled: true,
          size: 40,
          color: options.colour,
          stroke: options.colours.background,
          strokeWidth: 1,
          clip: true
        },
        encoding: { x, y: { field: yField, type: 'quantitative' } }
      },
      {
        // Warnings, errors and NaNs from the run's logs: a faint rule ...
        name: 'log_marker_rules',
        data: { name: MARKERS_DATASET },
        mark: { type: 'rule', strokeWidth: 1, opacity: 0.4, clip: true },
        encoding: { x, color: severityColour }
      },
      {
        // ... and a triangle at the top to point at and click.
        name: 'log_markers',
        data: { name: MARKERS_DATASET },
        mark: {
          type: 'point',
          shape: 'triangle-down',
          filled: true,
          size: 70,
          opacity: 1,
          cursor: 'pointer',
          clip: true
        },
        encoding: {
          x,
          y: { value: 5 },
          color: severityColour,
          tooltip: [
            { field: 'level', type: 'nominal', title: trans.__('level') },
            { field: 'summary', type: 'nominal', title: trans.__('message') },
            { field: 'lines', type: 'quantitative', title: trans.__('lines') }
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
  rows: readonly IChartRow[],
  trans: TranslationBundle = defaultBundle()
): string {
  const last = lastRows(rows);
  if (last.length === 0) {
    return trans.__('%1 chart: no values yet', metric);
  }
  const parts = last.map(row => {
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
