import { mergeWrites } from '../../src/ship/merge-writes';
import type { IWriteBatch } from '../../src/store/store';
import type { IMetricPoint, ITflogDocument } from '../../src/types';
import { runSummary } from '../api/helpers';

function write(
  seq: number,
  runs: Record<string, number>,
  extra: Partial<IWriteBatch> = {}
): IWriteBatch {
  return {
    documents: [{ _id: `doc-${seq}` } as ITflogDocument],
    points: [{ _id: `point-${seq}` } as IMetricPoint],
    runs: Object.keys(runs).map(runId =>
      runSummary(runId, { last_step: runs[runId] })
    ),
    runVersions: runs,
    ...extra
  };
}

describe('mergeWrites', () => {
  it('returns a single write as it is', () => {
    const only = write(1, { a: 1 });
    expect(mergeWrites([only])).toBe(only);
  });

  it('keeps every event and point in order, and the newest summary of each run', () => {
    const merged = mergeWrites([
      write(1, { a: 1, b: 1 }),
      write(2, { a: 2 }),
      write(3, {}, { runs: [], runVersions: undefined })
    ]);
    expect(merged.documents.map(document => document._id)).toEqual([
      'doc-1',
      'doc-2',
      'doc-3'
    ]);
    expect(merged.points.map(point => point._id)).toEqual([
      'point-1',
      'point-2',
      'point-3'
    ]);
    expect(
      merged.runs.map(summary => [summary.run_id, summary.last_step])
    ).toEqual([
      ['a', 2],
      ['b', 1]
    ]);
    expect(merged.runVersions).toEqual({ a: 2, b: 1 });
  });

  it('keeps the higher version when an older summary comes later', () => {
    const merged = mergeWrites([write(1, { a: 7 }), write(2, { a: 5 })]);
    expect(merged.runs.map(summary => summary.last_step)).toEqual([7]);
    expect(merged.runVersions).toEqual({ a: 7 });
  });
});
