import { boundWriteTimes, MAX_WRITE_AGE_MS } from '../../src/hub/batch';
import type { IWriteBatch } from '../../src/store/store';
import type { ITflogDocument } from '../../src/types';
import { logEvent, lossPoint } from '../documents';

const NOW = Date.parse('2026-12-02T12:00:00Z');

function document(created: string | undefined): ITflogDocument {
  return logEvent('r', 1, {
    timestamp: '2000-01-01T00:00:00.000Z',
    ...(created === undefined ? {} : { created })
  });
}

describe('boundWriteTimes', () => {
  it('keeps recent write times and files old, future or missing ones under now', () => {
    const recent = new Date(NOW - MAX_WRITE_AGE_MS + 60_000).toISOString();
    const point = lossPoint('r', 1, {
      '@timestamp': '2000-01-01T00:00:00.000Z',
      created: '2000-01-01T00:00:00.000Z'
    });
    const batch: IWriteBatch = {
      documents: [
        document(recent),
        document('2000-01-01T00:00:00Z'),
        document('2099-01-01T00:00:00Z'),
        document(undefined),
        document('not a time')
      ],
      points: [point],
      runs: []
    };
    expect(boundWriteTimes(batch, NOW)).toEqual({
      documents: ['r:1', 'r:1', 'r:1', 'r:1'],
      points: [point._id]
    });
    const now = new Date(NOW).toISOString();
    expect(batch.documents.map(item => item.event.created)).toEqual([
      recent,
      now,
      now,
      now,
      now
    ]);
    expect(batch.points[0].created).toBe(now);
    // What the line printed stays.
    expect(batch.documents[1]['@timestamp']).toBe('2000-01-01T00:00:00.000Z');
  });
});
