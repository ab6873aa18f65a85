import {
  checkRunIds,
  compareRows,
  IComparedRun,
  legendKeys,
  MAX_COMPARED_RUNS,
  metricUnion,
  outcomeTable,
  runLabels
} from '../model/compareData';
import { CompareModel } from '../model/compareModel';
import type {
  ICompareQuery,
  ICompareResponse,
  ISeriesQuery,
  ISeriesResponse
} from '../tokens';
import { FakeClient, points, ranked, series, summary } from './fakes';

function run(
  runId: string,
  overrides: Partial<IComparedRun> = {}
): IComparedRun {
  return {
    runId,
    summary: summary({ run_id: runId, name: runId }),
    metrics: [],
    series: [],
    error: null,
    ...overrides
  };
}

describe('checkRunIds', () => {
  it('keeps distinct ids in order', () => {
    expect(checkRunIds(['b', 'a', 'b'])).toEqual({ runIds: ['b', 'a'] });
  });

  it('says what is wrong with the argument', () => {
    expect(checkRunIds('a')).toEqual({ problem: 'invalid' });
    expect(checkRunIds(['a', 3])).toEqual({ problem: 'invalid' });
    expect(checkRunIds(['a', ' '])).toEqual({ problem: 'invalid' });
    expect(checkRunIds([])).toEqual({ problem: 'empty' });
    const many = Array.from(
      { length: MAX_COMPARED_RUNS + 1 },
      (_, i) => `r${i}`
    );
    expect(checkRunIds(many)).toEqual({ problem: 'too_many' });
    expect(checkRunIds(many.slice(1))).toEqual({ runIds: many.slice(1) });
  });
});

describe('comparison data', () => {
  it('lists the union of the metrics, loss first', () => {
    const runs = [
      run('a', { series: [series('acc', []), series('val_loss', [])] }),
      run('b', { series: [series('loss', []), series('acc', [])] }),
      run('c', { metrics: ['top5', 'acc'] })
    ];
    expect(metricUnion(runs)).toEqual(['loss', 'val_loss', 'acc', 'top5']);
  });

  it('offers tags and hyperparameters as legends, labels each run', () => {
    const runs = [
      run('a', {
        summary: summary({
          run_id: 'a',
          name: 'mnist',
          tags: { team: 'x' },
          hparams: { lr: 0.01 }
        })
      }),
      run('b', {
        summary: summary({ run_id: 'b', name: 'mnist', hparams: { lr: 0.1 } })
      })
    ];
    expect(legendKeys(runs)).toEqual(['name', 'tag:team', 'hparam:lr']);
    expect([...runLabels(runs, 'hparam:lr').values()]).toEqual([
      'lr=0.01',
      'lr=0.1'
    ]);
    // Same names: the id tells them apart.
    expect([...runLabels(runs, 'name').values()]).toEqual([
      'mnist (a)',
      'mnist (b)'
    ]);
    expect([...runLabels(runs, 'tag:team').values()]).toEqual([
      'team=x',
      'team=—'
    ]);
  });

  it('draws x from each run’s start on the relative axis, smooths, keeps NaN', () => {
    const started = Date.parse('2026-01-31T10:00:00.000Z');
    const a = run('a', {
      series: [
        series('loss', [
          { x: started + 1000, y: 4, time: '2026-01-31T10:00:01.000Z' },
          {
            x: started + 2000,
            y: null,
            nonfinite: 'NaN',
            time: '2026-01-31T10:00:02.000Z'
          },
          { x: started + 3000, y: 2, time: '2026-01-31T10:00:03.000Z' }
        ])
      ]
    });
    const labels = new Map([['a', 'A']]);
    const rows = compareRows([a], 'loss', 'relative', 0.5, labels);
    expect(rows.map(row => row.x)).toEqual([1, 2, 3]);
    expect(rows.map(row => row.raw)).toEqual([4, null, 2]);
    expect(rows[1].nonfinite).toBe('NaN');
    expect(rows[0].y).toBe(4);
    // Debiased EMA of 4 then 2 at weight 0.5; the NaN leaves it untouched.
    expect(rows[1].y).toBeNull();
    expect(rows[2].y).toBeCloseTo((0.5 * 0.5 * 4 + 0.5 * 2) / 0.75, 10);
    expect(rows.every(row => row.series === 'A' && row.runId === 'a')).toBe(
      true
    );
    const wall = compareRows([a], 'loss', 'wall', 0, labels);
    expect(wall[0].x).toBe(started + 1000);
  });

  it('takes final and best from the summary, else the series', () => {
    const a = run('a', {
      summary: summary({
        run_id: 'a',
        last_metrics: { loss: 0.3, acc: 'NaN' },
        min_metrics: { loss: 0.1 },
        max_metrics: { acc: 0.9 }
      }),
      series: [series('loss', points([1, 2])), series('acc', points([1]))]
    });
    const b = run('b', {
      series: [
        series('loss', [
          { x: 1, y: 0.5, time: '' },
          { x: 2, y: 0.2, time: '' },
          { x: 3, y: 0.4, time: '' }
        ]),
        series('acc', [
          { x: 1, y: 0.7, time: '' },
          { x: 2, y: 0.6, time: '' }
        ])
      ]
    });
    const table = outcomeTable([a, b], ['loss', 'acc']);
    expect(table[0].lowerIsBetter).toBe(true);
    expect(table[0].runs.get('a')).toEqual({ final: 0.3, best: 0.1 });
    expect(table[0].runs.get('b')).toEqual({ final: 0.4, best: 0.2 });
    expect(table[1].lowerIsBetter).toBe(false);
    expect(table[1].runs.get('a')).toEqual({ final: 'NaN', best: 0.9 });
    expect(table[1].runs.get('b')).toEqual({ final: 0.6, best: 0.7 });
  });

  it('finds the best value by the same rule as the History view', () => {
    const a = run('a', {
      series: ['glossary_size', 'top5_error'].map(name =>
        series(name, [
          { x: 1, y: 2, time: '' },
          { x: 2, y: 5, time: '' }
        ])
      )
    });
    const table = outcomeTable([a], ['glossary_size', 'top5_error']);
    // A word that merely contains "loss" is no loss.
    expect(table.map(row => row.lowerIsBetter)).toEqual([false, true]);
    expect(table[0].runs.get('a')).toEqual({ final: 5, best: 5 });
    expect(table[1].runs.get('a')).toEqual({ final: 5, best: 2 });
  });
});

/** A client answering each run's series a millisecond later (compare() reads them). */
class GatedClient extends FakeClient {
  inFlight = 0;
  mostInFlight = 0;
  asked: { runId: string; query: ISeriesQuery }[] = [];
  failures = new Map<string, Error>();

  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse> {
    this.asked.push({ runId, query });
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    return new Promise<void>(resolve => setTimeout(resolve, 1)).then(() => {
      this.inFlight--;
      const failure = this.failures.get(runId);
      if (failure) {
        throw failure;
      }
      return {
        run: summary({ run_id: runId, name: `run ${runId}` }),
        series: ranked(
          [
            series('loss', points([1, 2]), { source: 'pattern' }),
            series('loss', points([1, 2, 3])),
            series(`only_${runId}`, points([1]))
          ],
          query.axis
        )
      };
    });
  }
}

/** A client answering compare() as given, or failing. */
class ComparingClient extends FakeClient {
  answer: ICompareResponse | Error = { metric: null, runs: [] };

  compare(query: ICompareQuery): Promise<ICompareResponse> {
    this.compareQueries.push(query);
    return this.answer instanceof Error
      ? Promise.reject(this.answer)
      : Promise.resolve(this.answer);
  }
}

describe('CompareModel', () => {
  it('reads the runs and the drawn metric in one request; a run the service lacks keeps a message', async () => {
    const client = new ComparingClient();
    client.answer = {
      metric: 'loss',
      runs: [
        {
          run_id: 'a',
          run: summary({ run_id: 'a', name: 'A' }),
          metrics: ['loss', 'acc'],
          series: series('loss', points([1, 2, 3]))
        },
        { run_id: 'gone', run: null, metrics: [], series: null },
        {
          run_id: 'b',
          run: summary({ run_id: 'b', name: 'B' }),
          metrics: ['top5'],
          series: null
        }
      ]
    };
    const model = new CompareModel({ client, runIds: ['a', 'gone', 'b'] });
    let changes = 0;
    model.changed.connect(() => changes++);
    await model.load();
    expect(client.compareQueries).toEqual([
      { runIds: ['a', 'gone', 'b'], axis: 'step', maxPoints: 1000 }
    ]);
    expect(client.seriesQueries).toEqual([]);
    // A reason for the view to word, not an English fragment.
    expect(model.runs.map(r => r.error)).toEqual([
      null,
      { reason: 'not_found' },
      null
    ]);
    expect(model.metrics).toEqual(['loss', 'acc', 'top5']);
    expect(model.metric).toBe('loss');
    expect(model.current).toBe(true);
    expect(model.rows().map(row => row.runId)).toEqual(['a', 'a', 'a']);
    expect(changes).toBe(2);
    model.dispose();
  });

  it('keeps the error of a failed request for every run', async () => {
    const client = new ComparingClient();
    const failure = new Error('tflog service: store unavailable');
    client.answer = failure;
    const model = new CompareModel({ client, runIds: ['a', 'b'] });
    await model.load();
    expect(model.runs.map(r => r.error)).toEqual([
      { reason: 'failed', error: failure },
      { reason: 'failed', error: failure }
    ]);
    expect(model.rows()).toEqual([]);
    model.dispose();
  });

  it('reads again, in one request, only when the metric or the service axis changes', async () => {
    const client = new GatedClient();
    const model = new CompareModel({
      client,
      runIds: ['a', 'b'],
      view: { axis: 'wall', metric: 'only_a', smoothing: 5 }
    });
    expect(model.view.smoothing).toBe(0.99);
    await model.load();
    const asked = () =>
      client.compareQueries.map(query => [query.axis, query.metric]);
    expect(asked()).toEqual([['time', 'only_a']]);
    expect(model.metric).toBe('only_a');
    expect(model.rows()).toHaveLength(1);
    model.setView({ axis: 'relative', smoothing: 0.5 });
    expect(client.compareQueries).toHaveLength(1);
    expect(model.rows()).toHaveLength(1);
    model.setView({ axis: 'epoch' });
    // Time-axis rows are not drawn on the epoch axis while epochs are read.
    expect(model.current).toBe(false);
    expect(model.rows()).toEqual([]);
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(model.current).toBe(true);
    expect(asked()).toEqual([
      ['time', 'only_a'],
      ['epoch', 'only_a']
    ]);
    // Another metric: one request for it alone.
    model.setView({ metric: 'loss' });
    expect(model.current).toBe(false);
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(asked()).toHaveLength(3);
    expect(asked()[2]).toEqual(['epoch', 'loss']);
    expect(model.rows().map(row => row.runId)).toEqual([
      'a',
      'a',
      'a',
      'b',
      'b',
      'b'
    ]);
    // A metric no run has: the one drawn stays, nothing is read.
    model.setView({ metric: 'nothing' });
    expect(model.metric).toBe('loss');
    expect(client.compareQueries).toHaveLength(3);
    model.dispose();
  });

  it('reads again in place: what is shown stays until the answer, and after a failure with its message', async () => {
    const client = new ComparingClient();
    const answer = (values: number[], status: 'running' | 'finished') => ({
      metric: 'loss',
      runs: [
        {
          run_id: 'a',
          run: summary({ run_id: 'a', status }),
          metrics: ['loss'],
          series: series('loss', points(values))
        },
        {
          run_id: 'b',
          run: summary({ run_id: 'b', status: 'finished' }),
          metrics: ['loss'],
          series: series('loss', points([1]))
        }
      ]
    });
    client.answer = answer([1, 2], 'running');
    const model = new CompareModel({
      client,
      runIds: ['a', 'b'],
      view: { axis: 'epoch' }
    });
    // Nothing read yet: nothing to read again.
    await model.refresh();
    expect(client.compareQueries).toEqual([]);
    await model.load();
    expect(model.running).toBe(true);
    expect(model.rows()).toHaveLength(3);

    let loadingSeen = false;
    model.changed.connect(() => (loadingSeen ||= model.loading));
    client.answer = new Error('tflog service: store unavailable');
    await model.refresh();
    expect(model.refreshError?.message).toBe(
      'tflog service: store unavailable'
    );
    expect(model.runs.map(run => run.error)).toEqual([null, null]);
    expect(model.rows()).toHaveLength(3);

    client.answer = answer([1, 2, 3, 4], 'finished');
    await model.refresh();
    expect(loadingSeen).toBe(false);
    expect(model.refreshError).toBeNull();
    expect(model.running).toBe(false);
    expect(model.rows()).toHaveLength(5);
    // The same axis and metric as shown.
    expect(client.compareQueries.slice(1)).toEqual([
      { runIds: ['a', 'b'], axis: 'epoch', maxPoints: 1000, metric: 'loss' },
      { runIds: ['a', 'b'], axis: 'epoch', maxPoints: 1000, metric: 'loss' }
    ]);
    model.dispose();
  });

  it('lets a full read win over a re-read that answers later', async () => {
    const client = new ComparingClient();
    const first = {
      metric: 'loss',
      runs: [
        {
          run_id: 'a',
          run: summary({ run_id: 'a' }),
          metrics: ['loss', 'acc'],
          series: series('loss', points([1]))
        }
      ]
    };
    client.answer = first;
    const model = new CompareModel({ client, runIds: ['a'] });
    await model.load();
    let release: () => void = () => undefined;
    const late = new Promise<void>(resolve => (release = resolve));
    // The re-read is answered with the loss series, after the full read.
    const compare = client.compare.bind(client);
    client.compare = () => late.then(() => first);
    const rereading = model.refresh();
    client.compare = compare;
    client.answer = {
      ...first,
      metric: 'acc',
      runs: [{ ...first.runs[0], series: series('acc', points([5, 6])) }]
    };
    model.setView({ metric: 'acc' });
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(model.metric).toBe('acc');
    release();
    await rereading;
    expect(model.metric).toBe('acc');
    expect(model.rows().map(row => row.x)).toEqual([5, 6]);
    model.dispose();
  });

  it('reads every series of every run a few at a time for an export', async () => {
    const client = new GatedClient();
    client.failures.set('r3', new Error('tflog service: run r3 not found'));
    const ids = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const model = new CompareModel({ client, runIds: ids, concurrency: 3 });
    const runs = await model.readAllSeries();
    expect(client.asked.map(ask => ask.runId).sort()).toEqual(ids);
    expect(client.mostInFlight).toBe(3);
    expect(runs.map(r => r.runId)).toEqual(ids);
    expect(runs[3].error).toEqual({
      reason: 'failed',
      error: new Error('tflog service: run r3 not found')
    });
    // The best series of each metric: the callback's loss, three points.
    expect(runs[0].series.map(line => [line.name, line.points.length])).toEqual(
      [
        ['loss', 3],
        ['only_r0', 1]
      ]
    );
    model.dispose();
  });
});
