import {
  foldPoint,
  mergeSummaries,
  summarizeInto,
  summaryOf,
  thinFromSummaries,
  type IBucketSummary,
  type IRollupPoint
} from '../../src/store/rollup';
import {
  BUCKET_UNITS,
  bucketCount,
  bucketGrid,
  downsample
} from '../../src/store/series-common';
import type { ISeriesPoint, SeriesAxis } from '../../src/store/store';
import { random } from '../seeded';

function noisyCurve(
  count: number,
  seed: number,
  options: { repeatX?: boolean; start?: number } = {}
): IRollupPoint[] {
  const next = random(seed);
  const points: IRollupPoint[] = [];
  let x = options.start ?? 0;
  for (let index = 0; index < count; index += 1) {
    x += options.repeatX && next() < 0.3 ? 0 : 1 + Math.floor(next() * 3);
    const t = 1_700_000_000_000 + index * 7;
    const roll = next();
    const point: IRollupPoint =
      roll < 0.002
        ? { x, t, y: null, nonfinite: 'NaN', time: new Date(t).toISOString() }
        : {
            x,
            t,
            // Coarse values: ties between points are common.
            y: roll > 0.999 ? 1e6 : Math.round(next() * 20) / 4,
            time: new Date(t).toISOString()
          };
    points.push(point);
  }
  return points;
}

function plain(points: IRollupPoint[]): ISeriesPoint[] {
  return points.map(point => {
    const result: ISeriesPoint = { x: point.x, y: point.y, time: point.time };
    if (point.nonfinite !== undefined) {
      result.nonfinite = point.nonfinite;
    }
    return result;
  });
}

/** Summaries of width `unit`, built from points arriving in `chunks` in shuffled order. */
function summariesOf(
  points: IRollupPoint[],
  unit: number,
  chunks: number,
  seed: number
): { bucket: number; summary: IBucketSummary }[] {
  const next = random(seed);
  const shuffled = [...points].sort(() => next() - 0.5);
  const summaries = new Map<number, IBucketSummary>();
  const size = Math.ceil(shuffled.length / chunks);
  for (let start = 0; start < shuffled.length; start += size) {
    summarizeInto(summaries, shuffled.slice(start, start + size), point =>
      Math.floor(point.x / unit)
    );
  }
  return [...summaries].map(([bucket, summary]) => ({ bucket, summary }));
}

describe('thinning from bucket summaries', () => {
  it.each([
    ['step', 200_000, 1000, false],
    ['step', 30_000, 1000, true],
    ['step', 5_000, 500, false],
    ['time', 100_000, 2000, false]
  ] as [SeriesAxis, number, number, boolean][])(
    'gives what downsample gives from every point (%s axis, %i points, %i max)',
    (axis, count, maxPoints, repeatX) => {
      const curve = noisyCurve(count, count + maxPoints, {
        repeatX,
        start: 37
      });
      const points =
        axis === 'time'
          ? curve.map(point => ({ ...point, x: point.t }))
          : curve;
      const sorted = [...points].sort((a, b) => a.x - b.x || a.t - b.t);
      const expected = downsample(plain(sorted), maxPoints, axis);
      expect(expected.downsampled).toBe(true);
      const grid = bucketGrid(
        sorted[0].x,
        sorted[sorted.length - 1].x,
        bucketCount(maxPoints),
        BUCKET_UNITS[axis]
      );
      expect(grid.unit).toBeGreaterThan(1);
      const thinned = thinFromSummaries(
        summariesOf(points, grid.unit, 7, count),
        grid.unit,
        grid
      );
      expect(thinned).toEqual(expected.points);
      expect(thinned.length).toBeLessThanOrEqual(maxPoints);
    }
  );

  it('keeps spikes and non-finite values of a long curve', () => {
    const curve = noisyCurve(100_000, 3);
    curve[54_321] = { ...curve[54_321], y: -1e9 };
    curve[77_777] = { ...curve[77_777], y: null, nonfinite: 'Infinity' };
    const grid = bucketGrid(
      curve[0].x,
      curve[curve.length - 1].x,
      bucketCount(1000),
      BUCKET_UNITS.step
    );
    const thinned = thinFromSummaries(
      summariesOf(curve, grid.unit, 3, 1),
      grid.unit,
      grid
    );
    expect(thinned.some(point => point.y === -1e9)).toBe(true);
    expect(thinned.some(point => point.nonfinite === 'Infinity')).toBe(true);
    expect(thinned[0]).toMatchObject({ x: curve[0].x });
    expect(thinned[thinned.length - 1]).toMatchObject({
      x: curve[curve.length - 1].x
    });
  });
});

describe('bucketGrid with bucket widths', () => {
  it('snaps a long curve to a multiple of the largest width that fits', () => {
    const grid = bucketGrid(37, 1_000_037, 249, BUCKET_UNITS.step);
    expect(grid.unit).toBe(1024);
    expect(grid.interval % 1024).toBe(0);
    expect(grid.offset % 1024).toBe(0);
    expect(
      Math.floor((1_000_037 - grid.offset) / grid.interval) -
        Math.floor((37 - grid.offset) / grid.interval)
    ).toBeLessThan(249);
  });

  it('uses plain buckets when a bucket is narrower than every width', () => {
    // 747 steps in 249 buckets: 3 a bucket, under the finest width.
    expect(bucketGrid(0, 746, 249, BUCKET_UNITS.step)).toEqual(
      bucketGrid(0, 746, 249)
    );
    expect(bucketGrid(0, 746, 249, BUCKET_UNITS.step).unit).toBe(1);
    // 996 steps: 4 a bucket, on the finest width.
    expect(bucketGrid(0, 995, 249, BUCKET_UNITS.step)).toEqual({
      interval: 4,
      offset: 0,
      unit: 4
    });
  });
});

describe('folding a point into a summary in place', () => {
  it('gives the summary that merging the point’s own summary gives', () => {
    for (const seed of [1, 2, 3]) {
      // Few distinct x and values, repeated x, NaNs: ties on every role.
      const points = noisyCurve(400, seed, { repeatX: true });
      const next = random(seed + 10);
      const shuffled = [...points].sort(() => next() - 0.5);
      const folded = summaryOf(shuffled[0]);
      let merged = summaryOf(shuffled[0]);
      for (const point of shuffled.slice(1)) {
        foldPoint(folded, point);
        merged = mergeSummaries(merged, summaryOf(point));
        expect(folded).toEqual(merged);
      }
    }
  });

  it('starts the value roles of a summary that held only non-finite points', () => {
    const nan: IRollupPoint = {
      x: 1,
      t: 5,
      y: null,
      nonfinite: 'NaN',
      time: ''
    };
    const value: IRollupPoint = { x: 2, t: 6, y: 0.5, time: '' };
    const summary = summaryOf(nan);
    foldPoint(summary, value);
    expect(summary).toEqual({
      first: nan,
      last: value,
      nonfinite: nan,
      low: value,
      high: value
    });
  });
});
