import { logsIn, searchRunsIn } from '../../src/store/embedded-queries';
import { emptySummary } from '../../src/ship/summary';
import type { ITflogDocument } from '../../src/types';

describe('searchRunsIn', () => {
  const runs = ['c', 'a', 'b', 'd'].map(id => ({
    ...emptySummary(
      id,
      id === 'd' ? '2025-01-02T00:00:00.000Z' : '2025-01-01T00:00:00.000Z'
    ),
    user: 'alice'
  }));

  it('sorts newest first, then by run id, and pages without gaps or repeats', () => {
    const first = searchRunsIn(runs, { size: 2 });
    expect(first.runs.map(run => run.run_id)).toEqual(['d', 'a']);
    expect(first.total).toBe(4);
    const second = searchRunsIn(runs, { size: 2, after: first.next });
    expect(second.runs.map(run => run.run_id)).toEqual(['b', 'c']);
    expect(second.next).toBeUndefined();
  });

  it('treats `to` as exclusive and `from` as inclusive', () => {
    const page = searchRunsIn(runs, {
      size: 10,
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-01-02T00:00:00.000Z'
    });
    expect(page.runs.map(run => run.run_id)).toEqual(['a', 'b', 'c']);
  });
});

describe('logsIn', () => {
  const event = (
    id: string,
    sequence: number,
    message: string
  ): ITflogDocument =>
    ({
      _id: id,
      message,
      log: { level: 'info' },
      event: { sequence },
      tflog: { run_id: id.split(':')[0], kind: 'log' }
    }) as ITflogDocument;
  const documents = [
    event('r:2', 2, 'b'),
    event('r:1:1', 1, 'a second'),
    event('r:1', 1, 'a first'),
    event('r:1:10', 1, 'a eleventh'),
    event('other:1', 1, 'not this run')
  ];

  it('orders by sequence, then by the event number within a record', () => {
    const page = logsIn(documents, { runId: 'r', size: 10, order: 'asc' });
    expect(page.lines.map(line => line._id)).toEqual([
      'r:1',
      'r:1:1',
      'r:1:10',
      'r:2'
    ]);
  });

  it('pages in descending order with a cursor', () => {
    const first = logsIn(documents, { runId: 'r', size: 3, order: 'desc' });
    expect(first.lines.map(line => line._id)).toEqual([
      'r:2',
      'r:1:10',
      'r:1:1'
    ]);
    const rest = logsIn(documents, {
      runId: 'r',
      size: 3,
      order: 'desc',
      after: first.next
    });
    expect(rest.lines.map(line => line._id)).toEqual(['r:1']);
  });
});
