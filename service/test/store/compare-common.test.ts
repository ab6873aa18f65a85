/** What a comparison reads, planned alike for both stores. */
import {
  metricOrder,
  ownedRuns,
  planComparison,
  seriesRank
} from '../../src/store/compare-common';
import type { ISeriesKey } from '../../src/store/series-common';
import { runSummary } from '../api/helpers';

function key(
  name: string,
  scope: ISeriesKey['scope'],
  source: string
): ISeriesKey {
  return { name, scope, source };
}

describe('planning a comparison', () => {
  it('orders metrics loss, val_loss, then by name', () => {
    expect(
      metricOrder(['zeta', 'val_loss', 'accuracy', 'loss', 'loss'])
    ).toEqual(['loss', 'val_loss', 'accuracy', 'zeta']);
  });

  it('ranks exact callback values first, then the scope the axis prefers', () => {
    const batch = key('loss', 'batch', 'callback');
    const epoch = key('loss', 'epoch', 'callback');
    const parsed = key('loss', 'batch', 'keras');
    expect(seriesRank(batch, 'step')).toBeGreaterThan(
      seriesRank(epoch, 'step')
    );
    expect(seriesRank(epoch, 'epoch')).toBeGreaterThan(
      seriesRank(batch, 'epoch')
    );
    expect(seriesRank(epoch, 'step')).toBeGreaterThan(
      seriesRank(parsed, 'step')
    );
  });

  it('takes the metric asked for when a run has it, else the first, and one series per run', () => {
    const summaries = ownedRuns(
      [runSummary('a'), runSummary('b'), runSummary('c', { user: 'bob' })],
      'alice'
    );
    expect([...summaries.keys()]).toEqual(['a', 'b']);
    const series = new Map([
      [
        'a',
        [
          key('loss', 'epoch', 'callback'),
          key('loss', 'batch', 'keras'),
          key('accuracy', 'batch', 'callback')
        ]
      ],
      ['b', [key('val_loss', 'epoch', 'callback')]],
      ['c', [key('loss', 'batch', 'callback')]]
    ]);
    const plan = planComparison(
      ['a', 'b', 'c', 'd'],
      summaries,
      series,
      'accuracy',
      'step'
    );
    expect(plan.metric).toBe('accuracy');
    expect(plan.runs.map(run => run.entry)).toEqual([
      key('accuracy', 'batch', 'callback'),
      null,
      null,
      null
    ]);
    // Another user's series are not even named.
    expect(plan.runs.map(run => run.metrics)).toEqual([
      ['loss', 'accuracy'],
      ['val_loss'],
      [],
      []
    ]);
    const fallback = planComparison(
      ['a', 'b', 'c'],
      summaries,
      series,
      'top5',
      'step'
    );
    expect(fallback.metric).toBe('loss');
    expect(fallback.runs[0].entry).toEqual(key('loss', 'epoch', 'callback'));
    const none = planComparison(['c'], summaries, series, undefined, 'step');
    expect(none).toEqual({
      metric: null,
      runs: [{ runId: 'c', run: null, metrics: [], entry: null }]
    });
  });
});
