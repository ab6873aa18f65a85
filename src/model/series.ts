/**
 * Pure functions that turn the service's series into chart rows: which series
 * of a metric to draw, how metrics group into charts (train and validation
 * together), chart order, and display smoothing.
 */
import type { IRankedSeries, ISeries, ISeriesPoint } from '../tokens';

export type SeriesRole = 'train' | 'validation';

/** One row of a chart's vega dataset. */
export interface IChartRow {
  /** The metric's full name, e.g. `val_loss`. */
  series: string;
  role: SeriesRole;
  x: number;
  /** What is drawn: the smoothed value when smoothing is on, else `raw`. */
  y: number | null;
  /** The value as stored; null when it was not finite. */
  raw: number | null;
  /** 'NaN', 'Infinity' or '-Infinity' for a non-finite value, else null. */
  nonfinite: string | null;
  /** When the value was logged, epoch milliseconds (for the hover readout); absent when unknown. */
  time?: number;
}

const VALIDATION_PREFIX = 'val_';

/** `val_loss` is the validation series of the `loss` chart. */
export function metricBase(name: string): { base: string; role: SeriesRole } {
  if (name.startsWith(VALIDATION_PREFIX) && name.length > 4) {
    return { base: name.slice(VALIDATION_PREFIX.length), role: 'validation' };
  }
  return { base: name, role: 'train' };
}

export function seriesKey(series: Pick<ISeries, 'name' | 'scope' | 'source'>) {
  return `${series.name}|${series.scope}|${series.source}`;
}

/**
 * The best series of every metric name, in first-seen order: the highest
 * ranked, as the service ranks them for the axis asked for.
 */
export function selectSeries<Series extends IRankedSeries>(
  series: readonly Series[]
): Series[] {
  const best = new Map<string, Series>();
  for (const candidate of series) {
    const current = best.get(candidate.name);
    if (!current || candidate.rank > current.rank) {
      best.set(candidate.name, candidate);
    }
  }
  return [...best.values()];
}

/**
 * Chart order: with patterns, only the bases matching one, in pattern order;
 * without, every base with `loss` first, then by name.
 */
export function orderCharts(bases: Iterable<string>, patterns: string[]) {
  const all = [...new Set(bases)].sort((a, b) => a.localeCompare(b));
  if (patterns.length === 0) {
    return [...all.filter(b => b === 'loss'), ...all.filter(b => b !== 'loss')];
  }
  const ordered: string[] = [];
  for (const pattern of patterns) {
    const matcher = patternMatcher(metricBase(pattern).base);
    for (const base of all) {
      if (matcher(base) && !ordered.includes(base)) {
        ordered.push(base);
      }
    }
  }
  return ordered;
}

/** `*` matches any run of characters; everything else literally. */
export function patternMatcher(pattern: string): (name: string) => boolean {
  const escaped = pattern
    .split('*')
    .map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  const regex = new RegExp(`^${escaped.join('.*')}$`);
  return name => regex.test(name);
}

/**
 * Exponential moving average for display, debiased like TensorBoard's so the
 * first values are not pulled towards zero. Non-finite values pass through
 * as null and leave the average untouched.
 */
export class Ema {
  private _value = 0;
  private _count = 0;

  constructor(readonly weight: number) {}

  next(value: number | null): number | null {
    if (value === null || !Number.isFinite(value)) {
      return null;
    }
    if (this.weight <= 0) {
      return value;
    }
    this._value = this._value * this.weight + (1 - this.weight) * value;
    this._count++;
    return this._value / (1 - Math.pow(this.weight, this._count));
  }
}

/** Rows for one series' points, smoothed through `ema`. */
export function toRows(
  name: string,
  points: ISeriesPoint[],
  ema: Ema
): IChartRow[] {
  const { role } = metricBase(name);
  return points.map(point => {
    const raw = point.y === null || !Number.isFinite(point.y) ? null : point.y;
    const time = Date.parse(point.time);
    return {
      series: name,
      role,
      x: point.x,
      y: ema.next(raw),
      raw,
      nonfinite: raw === null ? (point.nonfinite ?? 'NaN') : null,
      ...(Number.isFinite(time) ? { time } : {})
    };
  });
}
