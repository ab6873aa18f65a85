/**
 * Several sealed batches sent to the store as one write (see
 * Pipeline.groupToStore): their events and points, and of each run only the
 * newest summary. A store never replaces a summary with an older version,
 * so the older ones would change nothing.
 */
import type { IWriteBatch } from '../store/store';
import type { IRunSummary } from '../types';

export function mergeWrites(writes: readonly IWriteBatch[]): IWriteBatch {
  if (writes.length === 1) {
    return writes[0];
  }
  const merged: IWriteBatch = {
    documents: [],
    points: [],
    runs: [],
    runVersions: {}
  };
  const newest = new Map<string, { summary: IRunSummary; version: number }>();
  for (const write of writes) {
    // One by one: spreading a large array into push() overflows the stack.
    for (const document of write.documents) {
      merged.documents.push(document);
    }
    for (const point of write.points) {
      merged.points.push(point);
    }
    for (const summary of write.runs) {
      const version =
        write.runVersions?.[summary.run_id] ?? Number.NEGATIVE_INFINITY;
      const known = newest.get(summary.run_id);
      if (known === undefined || version >= known.version) {
        newest.set(summary.run_id, { summary, version });
      }
    }
  }
  for (const [runId, { summary, version }] of newest) {
    merged.runs.push(summary);
    if (Number.isFinite(version)) {
      (merged.runVersions as Record<string, number>)[runId] = version;
    }
  }
  return merged;
}
