import type { estypes } from '@elastic/elasticsearch';

import {
  buildRollupWrite,
  createdPoints,
  exactSummaries,
  mergeIntoStored,
  mergeRollups,
  parseRollupGet,
  parseRollupWrite,
  rollupDeltas,
  rollupId,
  rollupIdsOfRange,
  ROLLUP_CHUNK,
  toStoredRollup,
  type IRollupOnRecord,
  type IRollupDoc,
  type IStoredRollup
} from '../../src/store/es-rollups';
import {
  rollupLevel,
  thinFromSummaries,
  type IRollupPoint
} from '../../src/store/rollup';
import {
  BUCKET_UNITS,
  bucketCount,
  bucketGrid,
  downsample
} from '../../src/store/series-common';
import type { ISeriesPoint, SeriesAxis } from '../../src/store/store';
import type { IMetricPoint } from '../../src/types';
import { random } from '../seeded';

const START_MS = Date.UTC(2026, 0, 31, 10);

/** A noisy curve of one run's loss, with ties, a spike and a NaN. */
function curve(count: number, seed: number, runId = 'run-a'): IMetricPoint[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, index) => {
    const step = 37 + index * 2 + Math.floor(next() * 2);
    const point: IMetricPoint = {
      _id: `${runId}:${index}`,
      '@timestamp': new Date(START_MS + index * 250).toISOString(),
      run_id: runId,
      notebook: 'train.ipynb',
      user: 'alice',
      name: 'loss',
      scope: 'batch',
      source: 'callback',
      step,
      epoch: Math.floor(index / 1000)
    };
    if (index === count - 17) {
      point.nonfinite = 'NaN';
    } else {
      point.value = index === 333 ? 1e6 : Math.round(next() * 20) / 4;
    }
    return point;
  });
}

function seriesPoint(point: IMetricPoint, axis: SeriesAxis): ISeriesPoint {
  const ms = Date.parse(point['@timestamp']);
  const x = axis === 'time' ? ms : axis === 'step' ? point.step : point.epoch;
  const plain: ISeriesPoint = {
    x: x as number,
    y: point.value ?? null,
    time: point['@timestamp']
  };
  if (point.nonfinite !== undefined) {
    plain.nonfinite = point.nonfinite;
  }
  return plain;
}

/**
 * Each id's deltas of `points` stored in `batches` bulks, folded bulk after
 * bulk: the first by `first`, each later one into it by `merge`.
 */
function foldBulks<T>(
  points: IMetricPoint[],
  batches: number,
  first: (delta: IRollupDoc) => T,
  merge: (current: T, delta: IRollupDoc) => T
): Map<string, T> {
  const folded = new Map<string, T>();
  const size = Math.ceil(points.length / batches);
  for (let start = 0; start < points.length; start += size) {
    for (const [id, delta] of rollupDeltas(points.slice(start, start + size))) {
      const current = folded.get(id);
      folded.set(id, current ? merge(current, delta) : first(delta));
    }
  }
  return folded;
}

/** Deltas of points stored in `batches` bulks, merged as the writer merges them. */
function deltasAfter(
  points: IMetricPoint[],
  batches: number
): Map<string, IRollupDoc> {
  return foldBulks(points, batches, delta => delta, mergeRollups);
}

/** The documents stored after `batches` bulks, each merged in as the writer merges it. */
function storedAfter(
  points: IMetricPoint[],
  batches: number
): Map<string, IStoredRollup> {
  return foldBulks(points, batches, toStoredRollup, mergeIntoStored);
}

/** Every point of a document's buckets as a plain object (as JSON has it). */
function plainRollup(rollup: IRollupDoc): unknown {
  const plain = (point: IRollupPoint | undefined) =>
    point && {
      x: point.x,
      t: point.t,
      y: point.y,
      time: point.time,
      nonfinite: point.nonfinite
    };
  return {
    ...rollup,
    buckets: Object.fromEntries(
      Object.entries(rollup.buckets).map(([bucket, summary]) => [
        bucket,
        {
          first: plain(summary.first),
          last: plain(summary.last),
          low: plain(summary.low),
          high: plain(summary.high),
          nonfinite: plain(summary.nonfinite)
        }
      ])
    )
  };
}

describe('curve summaries in Elasticsearch', () => {
  it.each([
    ['step', 20_000, 1000],
    ['time', 20_000, 500]
  ] as [SeriesAxis, number, number][])(
    'thin a %s curve of %i points to what downsample gives from every point (%i max)',
    (axis, count, maxPoints) => {
      const points = curve(count, count);
      // Stored in a shuffled order, in several bulks.
      const next = random(5);
      const shuffled = [...points].sort(() => next() - 0.5);
      const stored = storedAfter(shuffled, 9);
      const sorted = points
        .map(point => seriesPoint(point, axis))
        .sort((a, b) => a.x - b.x || Date.parse(a.time) - Date.parse(b.time));
      const expected = downsample(sorted, maxPoints, axis);
      expect(expected.downsampled).toBe(true);
      const grid = bucketGrid(
        sorted[0].x,
        sorted[sorted.length - 1].x,
        bucketCount(maxPoints),
        BUCKET_UNITS[axis]
      );
      const level = rollupLevel(axis, grid.unit);
      if (!level) {
        throw new Error(`no summaries kept for a ${grid.unit} unit`);
      }
      const ids = rollupIdsOfRange(
        points[0],
        level,
        sorted[0].x,
        sorted[sorted.length - 1].x
      );
      const summaries = exactSummaries(
        ids.map(id => stored.get(id)),
        count
      );
      expect(summaries).not.toBeNull();
      expect(thinFromSummaries(summaries ?? [], level.unit, grid)).toEqual(
        expected.points
      );
    }
  );

  it('count each point once, whatever the bulks, and every level holds every point', () => {
    const points = curve(3000, 1);
    const inOne = storedAfter(points, 1);
    // Stored in 13 bulks, or merged in memory first: the same documents.
    const inMany = storedAfter(points, 13);
    expect(inMany).toEqual(inOne);
    expect(
      new Map(
        [...deltasAfter(points, 7)].map(([id, delta]) => [
          id,
          toStoredRollup(delta)
        ])
      )
    ).toEqual(inOne);
    const byLevel = new Map<number, number>();
    for (const rollup of inOne.values()) {
      byLevel.set(
        rollup.level,
        (byLevel.get(rollup.level) ?? 0) + rollup.count
      );
      expect(Object.keys(rollup.buckets).length).toBeLessThanOrEqual(
        ROLLUP_CHUNK
      );
      expect(rollup.last_time <= points[points.length - 1]['@timestamp']).toBe(
        true
      );
    }
    // step 1024, 16 and 4, epoch 1, time 60 s and 1 s: every point on each.
    expect([...byLevel.values()]).toEqual([3000, 3000, 3000, 3000, 3000, 3000]);
  });

  it('are not used when they hold fewer or more points than the series', () => {
    const points = curve(2000, 2);
    const stored = storedAfter(points.slice(1), 3);
    const level = rollupLevel('step', 16);
    if (!level) {
      throw new Error('no step summaries of width 16');
    }
    const ids = rollupIdsOfRange(points[0], level, 0, 10_000);
    const rollups = ids.map(id => stored.get(id));
    expect(exactSummaries(rollups, 2000)).toBeNull();
    expect(exactSummaries(rollups, 1998)).toBeNull();
    expect(exactSummaries(rollups, 1999)).not.toBeNull();
    expect(exactSummaries([], 0)).toEqual([]);
  });

  it('name one document per series, level and chunk, of a bounded length', () => {
    const series = {
      run_id: 'r'.repeat(600),
      name: 'n'.repeat(600),
      scope: 'batch' as const,
      source: 'callback'
    };
    const id = rollupId(series, 0, 12);
    expect(Buffer.byteLength(id)).toBeLessThan(64);
    expect(id).not.toBe(rollupId({ ...series, scope: 'epoch' }, 0, 12));
    expect(id).not.toBe(rollupId(series, 1, 12));
    expect(id).not.toBe(rollupId(series, 0, 13));
    const level = rollupLevel('step', 16);
    if (!level) {
      throw new Error('no step summaries of width 16');
    }
    // Buckets 0..64 of width 16: chunks 0 and 1.
    expect(rollupIdsOfRange(series, level, 0, 64 * 16)).toEqual([
      rollupId(series, level.id, 0),
      rollupId(series, level.id, 1)
    ]);
  });

  it('write new documents with create and stored ones only if unchanged since read', () => {
    const [first, second] = [...deltasAfter(curve(10, 3), 1)].slice(0, 2);
    const stored = new Map<string, IRollupOnRecord>([
      [
        second[0],
        { rollup: toStoredRollup(second[1]), seqNo: 7, primaryTerm: 2 }
      ]
    ]);
    const { operations, ids } = buildRollupWrite(
      new Map([first, second]),
      stored,
      'tflog-rollups'
    );
    expect(ids).toEqual([first[0], second[0]]);
    expect(operations?.[0]).toEqual({
      create: { _index: 'tflog-rollups', _id: first[0] }
    });
    expect(operations?.[1]).toEqual(toStoredRollup(first[1]));
    expect(operations?.[2]).toEqual({
      index: {
        _index: 'tflog-rollups',
        _id: second[0],
        if_seq_no: 7,
        if_primary_term: 2
      }
    });
    // The delta merged into what is stored: its points twice.
    expect((operations?.[3] as IStoredRollup).count).toBe(2 * second[1].count);

    const response: estypes.BulkResponse = {
      took: 1,
      errors: true,
      items: [
        { create: { _index: 'x', status: 409 } },
        {
          index: {
            _index: 'x',
            status: 429,
            error: { type: 'es_rejected_execution_exception', reason: 'busy' }
          }
        }
      ]
    };
    expect(parseRollupWrite(ids, response)).toEqual({
      conflicted: [first[0]],
      failed: [
        {
          id: second[0],
          reason: '429 es_rejected_execution_exception: busy'
        }
      ]
    });
  });

  it('store buckets compactly and read them back as they were', () => {
    const points = curve(500, 6);
    // A time as written that its milliseconds do not give back.
    points[3] = { ...points[3], '@timestamp': '2026-01-31T10:00:00.750123Z' };
    for (const rollup of deltasAfter(points, 4).values()) {
      const stored = toStoredRollup(rollup);
      expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
      const read = exactSummaries(
        [JSON.parse(JSON.stringify(stored))],
        rollup.count
      );
      expect(
        plainRollup({
          ...rollup,
          buckets: Object.fromEntries(
            (read ?? []).map(({ bucket, summary }) => [bucket, summary])
          )
        })
      ).toEqual(plainRollup(rollup));
    }
  });

  it('read stored documents with their sequence numbers, skipping missing ones', () => {
    const [[id, rollup]] = [...deltasAfter(curve(5, 4), 1)];
    const found = parseRollupGet({
      docs: [
        {
          _index: 'tflog-rollups',
          _id: id,
          found: true,
          _seq_no: 3,
          _primary_term: 1,
          _source: toStoredRollup(rollup)
        },
        { _index: 'tflog-rollups', _id: 'other', found: false }
      ]
    });
    expect([...found.keys()]).toEqual([id]);
    expect(found.get(id)).toMatchObject({ seqNo: 3, primaryTerm: 1 });
    expect(found.get(id)?.rollup).toEqual(toStoredRollup(rollup));
  });

  it('fold in only the points a bulk newly created', () => {
    const points = curve(3, 5);
    const response: estypes.BulkResponse = {
      took: 1,
      errors: true,
      items: [
        { create: { _index: 'logs', status: 201 } },
        { create: { _index: 'metrics', status: 201 } },
        { create: { _index: 'metrics', status: 409 } },
        { create: { _index: 'metrics', status: 429 } },
        { index: { _index: 'runs', status: 200 } }
      ]
    };
    expect(
      createdPoints(
        points,
        [
          { kind: 'document', id: 'event' },
          ...points.map(point => ({ kind: 'point' as const, id: point._id })),
          { kind: 'run', id: 'run-a' }
        ],
        response
      )
    ).toEqual([points[0]]);
  });
});
