/**
 * Per-bucket summaries of a curve that can be merged: what the embedded
 * store keeps for fixed-width buckets (BUCKET_UNITS) as points arrive, so a
 * long curve is thinned from a few thousand summaries instead of every
 * point. A summary holds the points `downsample` keeps from a bucket (its
 * lowest and highest finite value, its last point, its first non-finite
 * one) plus its first point, and merging two gives the summary of the
 * union. Thinning from merged summaries gives what `downsample` gives from
 * the points themselves on the same grid.
 */
import type { IMetricPoint } from '../types';
import type { NonFinite } from '../wire';
import {
  BUCKET_UNITS,
  bucketOf,
  timeMs,
  type IBucketGrid
} from './series-common';
import type { ISeriesPoint, SeriesAxis } from './store';

/** A point of a summary: x on the summary's axis, `t` its time in ms. */
export interface IRollupPoint {
  x: number;
  t: number;
  /** Null when not finite. */
  y: number | null;
  nonfinite?: NonFinite;
  /** The point's `@timestamp` as stored. */
  time: string;
}

/** The bucket widths kept as summaries, one level per axis and width. */
export interface IRollupLevel {
  /** Stored with the summaries (SQLite rows, Elasticsearch documents): never renumber. */
  id: number;
  axis: SeriesAxis;
  unit: number;
}

/** Every level, numbered by axis and unit (the ids are stored). */
const ALL_LEVELS: readonly IRollupLevel[] = (
  ['step', 'epoch', 'time'] as const
).flatMap((axis, axisIndex) =>
  BUCKET_UNITS[axis].map((unit, unitIndex) => ({
    id: axisIndex * 8 + unitIndex,
    axis,
    unit
  }))
);

/**
 * The levels of the embedded store: all but the finest step width, which
 * only Elasticsearch keeps. SQLite reads the few thousand points of such a
 * curve about as fast as their summaries, and its databases predate it.
 */
export const ROLLUP_LEVELS: readonly IRollupLevel[] = ALL_LEVELS.filter(
  level => !(level.axis === 'step' && level.unit === 4)
);

/** The levels Elasticsearch keeps (es-rollups.ts): every one. */
export const ES_ROLLUP_LEVELS: readonly IRollupLevel[] = ALL_LEVELS;

/** The level of `levels` that a grid of this unit can be thinned from. */
export function rollupLevel(
  axis: SeriesAxis,
  unit: number,
  levels: readonly IRollupLevel[] = ROLLUP_LEVELS
): IRollupLevel | undefined {
  return levels.find(level => level.axis === axis && level.unit === unit);
}

export interface IBucketSummary {
  first: IRollupPoint;
  last: IRollupPoint;
  low?: IRollupPoint;
  high?: IRollupPoint;
  nonfinite?: IRollupPoint;
}

/** Curve order: by x, then time; what both stores sort points by. */
export function comesBefore(a: IRollupPoint, b: IRollupPoint): boolean {
  return a.x < b.x || (a.x === b.x && a.t < b.t);
}

export function summaryOf(point: IRollupPoint): IBucketSummary {
  const summary: IBucketSummary = { first: point, last: point };
  if (point.y === null) {
    summary.nonfinite = point;
  } else {
    summary.low = point;
    summary.high = point;
  }
  return summary;
}

/** The summary of both buckets' points; `a` wins exact ties. */
export function mergeSummaries(
  a: IBucketSummary,
  b: IBucketSummary
): IBucketSummary {
  const merged: IBucketSummary = {
    first: comesBefore(b.first, a.first) ? b.first : a.first,
    last: comesBefore(a.last, b.last) ? b.last : a.last
  };
  const low = pick(a.low, b.low, ranksLower);
  const high = pick(a.high, b.high, ranksHigher);
  const nonfinite = pick(a.nonfinite, b.nonfinite, comesBefore);
  if (low) {
    merged.low = low;
  }
  if (high) {
    merged.high = high;
  }
  if (nonfinite) {
    merged.nonfinite = nonfinite;
  }
  return merged;
}

/**
 * Folds one point into a summary the caller made and still owns, in place
 * (a batch folds every point into buckets of five widths): the same
 * summary as `mergeSummaries(summary, summaryOf(point))`, without two new
 * objects per point and width.
 */
export function foldPoint(summary: IBucketSummary, point: IRollupPoint): void {
  if (comesBefore(point, summary.first)) {
    summary.first = point;
  }
  if (comesBefore(summary.last, point)) {
    summary.last = point;
  }
  if (point.y === null) {
    if (!summary.nonfinite || comesBefore(point, summary.nonfinite)) {
      summary.nonfinite = point;
    }
    return;
  }
  if (!summary.low || ranksLower(point, summary.low)) {
    summary.low = point;
  }
  if (!summary.high || ranksHigher(point, summary.high)) {
    summary.high = point;
  }
}

/** `candidate` replaces `current` when better says so. */
function pick(
  current: IRollupPoint | undefined,
  candidate: IRollupPoint | undefined,
  better: (candidate: IRollupPoint, current: IRollupPoint) => boolean
): IRollupPoint | undefined {
  if (!current || !candidate) {
    return current ?? candidate;
  }
  return better(candidate, current) ? candidate : current;
}

/** For the lowest value: by value, then curve order (Elasticsearch's top hits sort). */
function ranksLower(p: IRollupPoint, q: IRollupPoint): boolean {
  const py = p.y as number;
  const qy = q.y as number;
  return py < qy || (py === qy && comesBefore(p, q));
}

/** For the highest value: by value descending, then curve order. */
function ranksHigher(p: IRollupPoint, q: IRollupPoint): boolean {
  const py = p.y as number;
  const qy = q.y as number;
  return py > qy || (py === qy && comesBefore(p, q));
}

/** Adds points to the summaries of their buckets (`bucket(point)` names one). */
export function summarizeInto(
  summaries: Map<number, IBucketSummary>,
  points: Iterable<IRollupPoint>,
  bucket: (point: IRollupPoint) => number
): void {
  for (const point of points) {
    const key = bucket(point);
    const current = summaries.get(key);
    const own = summaryOf(point);
    summaries.set(key, current ? mergeSummaries(current, own) : own);
  }
}

/**
 * The thinned curve from summaries of fixed buckets of width `unit`
 * (bucket k covers [k·unit, (k+1)·unit)), on a grid whose interval and
 * offset are multiples of `unit`: per grid bucket its representatives, and
 * the curve's first point, in curve order, each point once.
 */
export function thinFromSummaries(
  summaries: Iterable<{ bucket: number; summary: IBucketSummary }>,
  unit: number,
  grid: IBucketGrid
): ISeriesPoint[] {
  const merged = new Map<number, IBucketSummary>();
  let overall: IBucketSummary | undefined;
  for (const { bucket, summary } of summaries) {
    const key = bucketOf(bucket * unit, grid);
    const current = merged.get(key);
    merged.set(key, current ? mergeSummaries(current, summary) : summary);
    overall = overall ? mergeSummaries(overall, summary) : summary;
  }
  if (!overall) {
    return [];
  }
  const kept = new Map<string, IRollupPoint>();
  const keep = (point: IRollupPoint | undefined): void => {
    if (point) {
      kept.set(
        JSON.stringify([point.x, point.t, point.y, point.nonfinite ?? null]),
        point
      );
    }
  };
  keep(overall.first);
  for (const summary of merged.values()) {
    keep(summary.low);
    keep(summary.high);
    keep(summary.last);
    keep(summary.nonfinite);
  }
  return [...kept.values()]
    .sort((a, b) => (comesBefore(a, b) ? -1 : comesBefore(b, a) ? 1 : 0))
    .map(toPlainPoint);
}

export function toPlainPoint(point: IRollupPoint): ISeriesPoint {
  const plain: ISeriesPoint = { x: point.x, y: point.y, time: point.time };
  if (point.nonfinite !== undefined) {
    plain.nonfinite = point.nonfinite;
  }
  return plain;
}

/** A point as each axis sees it (absent on an axis it has no x for). */
export type IRollupPointSet = Partial<Record<SeriesAxis, IRollupPoint>>;

export function onAxis(set: IRollupPointSet, axis: SeriesAxis): IRollupPoint[] {
  const point = set[axis];
  return point ? [point] : [];
}

/** A stored metric point on every axis it has an x for. */
export function rollupPoint(point: IMetricPoint): IRollupPointSet {
  const ts = timeMs(point['@timestamp']);
  const base = {
    t: ts,
    y: typeof point.value === 'number' ? point.value : null,
    time: point['@timestamp']
  };
  const at = (x: number): IRollupPoint =>
    point.nonfinite !== undefined
      ? { x, ...base, nonfinite: point.nonfinite }
      : { x, ...base };
  const set: IRollupPointSet = { time: at(ts) };
  if (typeof point.step === 'number' && Number.isFinite(point.step)) {
    set.step = at(point.step);
  }
  if (typeof point.epoch === 'number') {
    set.epoch = at(point.epoch);
  }
  return set;
}
