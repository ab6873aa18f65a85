/**
 * Series semantics shared by both stores: which field is the x axis, how
 * points are grouped into series, and how a curve is thinned so that it
 * keeps every spike and every non-finite value (W&B keeps min/max/last per
 * bucket; we also keep the first NaN/Infinity of a bucket).
 */
import { isoMs } from '../common/isoTime';
import type { IMetricPoint } from '../types';
import type {
  ISeries,
  ISeriesPoint,
  ISeriesQuery,
  SeriesAxis,
  SeriesScope
} from './store';

/** The document field each axis reads, in both stores. */
export const AXIS_FIELD: Record<SeriesAxis, 'step' | 'epoch' | '@timestamp'> = {
  step: 'step',
  epoch: 'epoch',
  time: '@timestamp'
};

/** Points kept per bucket at most: min, max, last, first non-finite. */
export const POINTS_PER_BUCKET = 4;

/** The point's x on the axis, undefined when it has none. */
export function axisValue(
  point: IMetricPoint,
  axis: SeriesAxis
): number | undefined {
  if (axis === 'time') {
    const time = Date.parse(point['@timestamp']);
    return Number.isNaN(time) ? undefined : time;
  }
  const value = axis === 'step' ? point.step : point.epoch;
  return typeof value === 'number' ? value : undefined;
}

/** `query.after` as a number on the query's axis (epoch ms for time). */
export function afterValue(query: ISeriesQuery): number | undefined {
  return onAxis(query.after, query.axis);
}

/** A bound given as a number or text, as a number on the axis. */
function onAxis(
  bound: number | string | undefined,
  axis: SeriesAxis
): number | undefined {
  if (bound === undefined) {
    return undefined;
  }
  if (typeof bound === 'number') {
    return bound;
  }
  const parsed = axis === 'time' ? Date.parse(bound) : Number(bound);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** The x range a series query is zoomed to, both ends included. */
export interface IXRange {
  from?: number;
  to?: number;
}

/** `query.from`/`query.to` on the query's axis; undefined when not zoomed. */
export function xRange(query: ISeriesQuery): IXRange | undefined {
  const from = onAxis(query.from, query.axis);
  const to = onAxis(query.to, query.axis);
  if (from === undefined && to === undefined) {
    return undefined;
  }
  const range: IXRange = {};
  if (from !== undefined) {
    range.from = from;
  }
  if (to !== undefined) {
    range.to = to;
  }
  return range;
}

export function inXRange(x: number, range: IXRange | undefined): boolean {
  return (
    range === undefined ||
    ((range.from === undefined || x >= range.from) &&
      (range.to === undefined || x <= range.to))
  );
}

export function toSeriesPoint(point: IMetricPoint, x: number): ISeriesPoint {
  const seriesPoint: ISeriesPoint = {
    x,
    y: typeof point.value === 'number' ? point.value : null,
    time: point['@timestamp']
  };
  if (point.nonfinite !== undefined) {
    seriesPoint.nonfinite = point.nonfinite;
  }
  return seriesPoint;
}

/** Series are told apart by metric name, scope and source. */
export interface ISeriesKey {
  name: string;
  scope: SeriesScope;
  source: string;
}

export function compareSeriesKeys(a: ISeriesKey, b: ISeriesKey): number {
  return (
    compareText(a.name, b.name) ||
    compareText(a.scope, b.scope) ||
    compareText(a.source, b.source)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Bucket boundaries: key(x) = floor((x - offset) / interval). */
export interface IBucketGrid {
  /** Whole units of the axis (steps, epochs, milliseconds), at least 1. */
  interval: number;
  /** In [0, interval): aligns a boundary on the smallest x. */
  offset: number;
  /** Both interval and offset are multiples of this (see BUCKET_UNITS). */
  unit: number;
}

/**
 * Bucket widths a grid snaps to on each axis, largest first. A long curve's
 * buckets are then whole multiples of one of these, so a store may keep
 * per-bucket summaries at these widths (the embedded store does) and merge
 * them instead of reading every point; Elasticsearch draws the same grid.
 * Shorter curves (an interval under the smallest width) use plain buckets.
 */
export const BUCKET_UNITS: Record<SeriesAxis, readonly number[]> = {
  step: [1024, 16, 4],
  epoch: [1],
  time: [60_000, 1000]
};

/**
 * The grid splitting [minX, maxX] into at most `buckets` buckets: with the
 * largest of `units` that is not wider than a bucket, else whole units of
 * the axis, a boundary at or just before the smallest x.
 */
export function bucketGrid(
  minX: number,
  maxX: number,
  buckets: number,
  units: readonly number[] = []
): IBucketGrid {
  const count = Math.max(1, buckets);
  for (const unit of [...units, 1]) {
    const start = Math.floor(Math.floor(minX) / unit) * unit;
    const span = Math.max(0, Math.floor(maxX) - start) + 1;
    const wanted = Math.ceil(span / count);
    if (wanted >= unit || unit === 1) {
      const interval = Math.max(unit, Math.ceil(wanted / unit) * unit);
      const offset = ((start % interval) + interval) % interval;
      return { interval, offset, unit };
    }
  }
  // Not reached: the loop ends with unit 1.
  return { interval: 1, offset: 0, unit: 1 };
}

export function bucketOf(x: number, grid: IBucketGrid): number {
  return Math.floor((x - grid.offset) / grid.interval);
}

/** Buckets that fit `maxPoints` points: four per bucket plus the very first point. */
export function bucketCount(maxPoints: number): number {
  return Math.max(1, Math.floor((maxPoints - 1) / POINTS_PER_BUCKET));
}

export interface IDownsampled {
  points: ISeriesPoint[];
  downsampled: boolean;
}

/** What thinning reads of a point: a store may attach the rest (its time) to the kept ones only. */
export type ThinnedPoint = Pick<ISeriesPoint, 'x' | 'y'>;

/**
 * Thins points sorted by x to at most `maxPoints`: the first point (where
 * the curve starts), and per bucket the lowest and highest finite value,
 * the last point, and the first non-finite one. Fewer points than
 * `maxPoints` come back untouched.
 */
export function downsample<Point extends ThinnedPoint = ISeriesPoint>(
  points: readonly Point[],
  maxPoints: number,
  axis?: SeriesAxis
): { points: Point[]; downsampled: boolean } {
  if (points.length <= maxPoints) {
    return { points: points.slice(), downsampled: false };
  }
  const grid = bucketGrid(
    points[0].x,
    points[points.length - 1].x,
    bucketCount(maxPoints),
    axis === undefined ? [] : BUCKET_UNITS[axis]
  );
  const kept = new Set<number>([0]);
  let start = 0;
  while (start < points.length) {
    const bucket = bucketOf(points[start].x, grid);
    let end = start;
    while (end < points.length && bucketOf(points[end].x, grid) === bucket) {
      end += 1;
    }
    for (const index of representatives(points, start, end)) {
      kept.add(index);
    }
    start = end;
  }
  const thinned = [...kept].sort((a, b) => a - b).map(index => points[index]);
  return { points: thinned, downsampled: true };
}

/** Indexes of the points one bucket [start, end) keeps. */
function representatives(
  points: readonly ThinnedPoint[],
  start: number,
  end: number
): number[] {
  let lowest = -1;
  let highest = -1;
  let firstNonFinite = -1;
  for (let index = start; index < end; index += 1) {
    const y = points[index].y;
    if (y === null) {
      if (firstNonFinite === -1) {
        firstNonFinite = index;
      }
      continue;
    }
    if (lowest === -1 || y < (points[lowest].y as number)) {
      lowest = index;
    }
    if (highest === -1 || y > (points[highest].y as number)) {
      highest = index;
    }
  }
  return [lowest, highest, end - 1, firstNonFinite].filter(
    index => index !== -1
  );
}

/**
 * The curves of one run from points in memory (the live cache of recent
 * points), with the stores' semantics: grouped by name, scope and source,
 * filtered, after `after`, sorted by x then time, thinned.
 */
export function seriesIn(
  points: Iterable<IMetricPoint>,
  query: ISeriesQuery
): ISeries[] {
  const after = afterValue(query);
  const range = xRange(query);
  const groups = new Map<string, { key: ISeriesKey; points: ISeriesPoint[] }>();
  for (const point of points) {
    if (
      point.run_id !== query.runId ||
      (query.names &&
        query.names.length > 0 &&
        !query.names.includes(point.name)) ||
      (query.scope !== undefined && point.scope !== query.scope)
    ) {
      continue;
    }
    const x = axisValue(point, query.axis);
    if (
      x === undefined ||
      (after !== undefined && !(x > after)) ||
      !inXRange(x, range)
    ) {
      continue;
    }
    const key = { name: point.name, scope: point.scope, source: point.source };
    const id = JSON.stringify([key.name, key.scope, key.source]);
    let group = groups.get(id);
    if (!group) {
      group = { key, points: [] };
      groups.set(id, group);
    }
    group.points.push(toSeriesPoint(point, x));
  }
  return [...groups.values()]
    .map(group => {
      group.points.sort((a, b) => a.x - b.x || compareTimes(a.time, b.time));
      return {
        ...group.key,
        ...downsample(group.points, query.maxPoints, query.axis)
      };
    })
    .sort(compareSeriesKeys);
}

function compareTimes(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}

/** Milliseconds of an ISO time, 0 when it does not parse (sorts last). */
export function timeMs(iso: string | null | undefined): number {
  const parsed = iso ? isoMs(iso) : NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}
