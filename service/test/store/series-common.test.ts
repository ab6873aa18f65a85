import {
  bucketGrid,
  bucketOf,
  downsample,
  seriesIn
} from '../../src/store/series-common';
import type { ISeriesPoint } from '../../src/store/store';
import type { IMetricPoint } from '../../src/types';

function curve(
  count: number,
  special: Record<number, number | 'NaN'> = {}
): ISeriesPoint[] {
  return Array.from({ length: count }, (_, x) => {
    const value = special[x] ?? Math.sin(x / 50);
    return value === 'NaN'
      ? { x, y: null, nonfinite: 'NaN', time: new Date(x * 1000).toISOString() }
      : { x, y: value, time: new Date(x * 1000).toISOString() };
  });
}

describe('downsample', () => {
  it('returns short series untouched', () => {
    const points = curve(50);
    expect(downsample(points, 100)).toEqual({ points, downsampled: false });
  });

  it('fits maxPoints and keeps every spike, dip and NaN', () => {
    const points = curve(100000, {
      12345: 99,
      54321: -99,
      77777: 'NaN',
      77778: 'NaN'
    });
    const { points: thinned, downsampled } = downsample(points, 1000);
    expect(downsampled).toBe(true);
    expect(thinned.length).toBeLessThanOrEqual(1000);
    expect(thinned.length).toBeGreaterThan(500);
    expect(thinned.find(p => p.x === 12345)?.y).toBe(99);
    expect(thinned.find(p => p.x === 54321)?.y).toBe(-99);
    expect(thinned.find(p => p.x === 77777)?.nonfinite).toBe('NaN');
    expect(thinned[0].x).toBe(0);
    expect(thinned[thinned.length - 1].x).toBe(99999);
    const xs = thinned.map(p => p.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
  });

  it('keeps a series made only of NaNs visible', () => {
    const points = curve(
      5000,
      Object.fromEntries(
        Array.from({ length: 5000 }, (_, x) => [x, 'NaN' as const])
      )
    );
    const { points: thinned } = downsample(points, 100);
    expect(thinned.length).toBeGreaterThan(0);
    expect(thinned.length).toBeLessThanOrEqual(100);
    expect(thinned.every(p => p.nonfinite === 'NaN')).toBe(true);
  });
});

describe('bucketGrid', () => {
  it('splits the range into at most the given buckets, aligned on the smallest x', () => {
    const grid = bucketGrid(1003, 2002, 10);
    expect(grid.interval).toBe(100);
    expect(bucketOf(1003, grid)).toBe(bucketOf(1102, grid));
    expect(bucketOf(1103, grid)).toBe(bucketOf(1003, grid) + 1);
    expect(bucketOf(2002, grid) - bucketOf(1003, grid)).toBe(9);
    expect(grid.offset).toBeGreaterThanOrEqual(0);
    expect(grid.offset).toBeLessThan(grid.interval);
  });

  it('never makes an interval below one unit', () => {
    expect(bucketGrid(5, 5, 250).interval).toBe(1);
  });
});

describe('seriesIn: a zoomed range', () => {
  it('keeps the points with x from `from` to `to`, both included', () => {
    const points: IMetricPoint[] = Array.from({ length: 10 }, (_, step) => ({
      _id: `r:${step}:loss`,
      '@timestamp': new Date(step * 1000).toISOString(),
      run_id: 'r',
      notebook: null,
      user: 'alice',
      name: 'loss',
      scope: 'batch',
      source: 'callback',
      step,
      value: step
    }));
    const xs = (from?: number | string, to?: number | string): number[] =>
      seriesIn(points, {
        runId: 'r',
        axis: from === undefined || typeof from === 'number' ? 'step' : 'time',
        maxPoints: 100,
        from,
        to
      })[0].points.map(point => point.x);
    expect(xs(3, 5)).toEqual([3, 4, 5]);
    expect(xs(8)).toEqual([8, 9]);
    expect(xs('1970-01-01T00:00:08.000Z')).toEqual([8000, 9000]);
  });
});
