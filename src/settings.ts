/**
 * The panel's settings (schema/plugin.json) read into a checked object: a
 * value of the wrong type or out of range falls back to its default, so a
 * hand-edited settings file never breaks the panel.
 */
import type { ITflogSettings, SeriesAxis, XAxisChoice } from './tokens';

export const DEFAULT_SETTINGS: Readonly<ITflogSettings> = Object.freeze({
  liveUpdates: true,
  refreshIntervalMs: 1000,
  xAxis: 'auto',
  smoothing: 0,
  logScale: false,
  defaultMetrics: [],
  maxPoints: 1000
});

const AXES: readonly SeriesAxis[] = ['step', 'epoch', 'time'];
const AXIS_CHOICES: readonly XAxisChoice[] = ['auto', ...AXES];

/** Bounds shared with the schema and the service (max_points 2..10000). */
export const LIMITS = {
  refreshIntervalMs: { min: 250, max: 60000 },
  smoothing: { min: 0, max: 0.99 },
  maxPoints: { min: 2, max: 10000 }
};

export function readSettings(
  composite: Readonly<Record<string, unknown>>
): ITflogSettings {
  const number = (
    key: 'refreshIntervalMs' | 'smoothing' | 'maxPoints',
    integer: boolean
  ): number => {
    const value = composite[key];
    const { min, max } = LIMITS[key];
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (integer && !Number.isInteger(value)) ||
      value < min ||
      value > max
    ) {
      return DEFAULT_SETTINGS[key];
    }
    return value;
  };
  const xAxis = composite.xAxis;
  const metrics = composite.defaultMetrics;
  return {
    liveUpdates:
      typeof composite.liveUpdates === 'boolean'
        ? composite.liveUpdates
        : DEFAULT_SETTINGS.liveUpdates,
    refreshIntervalMs: number('refreshIntervalMs', true),
    xAxis: AXIS_CHOICES.includes(xAxis as XAxisChoice)
      ? (xAxis as XAxisChoice)
      : DEFAULT_SETTINGS.xAxis,
    smoothing: number('smoothing', false),
    logScale:
      typeof composite.logScale === 'boolean'
        ? composite.logScale
        : DEFAULT_SETTINGS.logScale,
    defaultMetrics: Array.isArray(metrics)
      ? metrics.filter(
          (item): item is string => typeof item === 'string' && item !== ''
        )
      : [],
    maxPoints: number('maxPoints', true)
  };
}

export function isSeriesAxis(value: string): value is SeriesAxis {
  return AXES.includes(value as SeriesAxis);
}

export function isXAxisChoice(value: string): value is XAxisChoice {
  return AXIS_CHOICES.includes(value as XAxisChoice);
}
