import { IChartsChange, RunModel } from '../model/runModel';
import { FakeClient, points, series, summary } from './fakes';

function model(client: FakeClient, view: Partial<RunModel['view']> = {}) {
  const run = new RunModel({
    client,
    runId: 'run-1',
    view: { axis: 'step', smoothing: 0, maxPoints: 1000, metrics: [], ...view }
  });
  const changes: IChartsChange[] = [];
  run.chartsChanged.connect((_, change) => changes.push(change));
  return { run, changes };
}

describe('RunModel', () => {
  it('loads every series and groups train and validation per chart', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series('loss', points([1, 2, 3])),
      series('val_loss', points([3]), { scope: 'epoch' }),
      series('accuracy', points([1, 2, 3]))
    ];
    const { run, changes } = model(client);
    await run.load();
    expect(changes).toEqual([{ reset: true, inserted: new Map() }]);
    const charts = run.charts;
    expect(charts.map(c => c.metric)).toEqual(['loss', 'accuracy']);
    expect(charts[0].roles).toEqual(['train', 'validation']);
    expect(charts[0].rows).toHaveLength(4);
    expect(client.seriesQueries[0]).toEqual({ axis: 'step', maxPoints: 1000 });
  });

  it('fetches only what comes after the slowest series and never duplicates', async () => {
    const client = new FakeClient();
    const loss = series('loss', points([1, 2, 3, 4]));
    const accuracy = series('accuracy', points([1, 2]));
    client.allSeries = [loss, accuracy];
    const { run, changes } = model(client);
    await run.load();

    loss.points.push(...points([5, 6]));
    accuracy.points.push(...points([3, 4, 5, 6]));
    await run.refresh();

    expect(client.seriesQueries[1].after).toBe(2);
    const inserted = changes[1];
    expect(inserted.reset).toBe(false);
    expect(inserted.inserted.get('loss')?.map(r => r.x)).toEqual([5, 6]);
    expect(inserted.inserted.get('accuracy')?.map(r => r.x)).toEqual([
      3, 4, 5, 6
    ]);
    const xs = run.charts[0].rows.map(r => r.x);
    expect(xs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps non-finite values as rows', async () => {
    const client = new FakeClient();
    const loss = series('loss', points([1]));
    client.allSeries = [loss];
    const { run, changes } = model(client);
    await run.load();
    loss.points.push({ x: 2, y: null, nonfinite: 'NaN', time: '' });
    await run.refresh();
    expect(changes[1].inserted.get('loss')).toEqual([
      {
        series: 'loss',
        role: 'train',
        x: 2,
        y: null,
        raw: null,
        nonfinite: 'NaN'
      }
    ]);
  });

  it('reloads when a new metric appears', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2]))];
    const { run, changes } = model(client);
    await run.load();
    client.allSeries.push(
      series('val_loss', points([2, 3]), { scope: 'epoch' })
    );
    await run.refresh();
    // The incremental answer named a new metric: everything was read again.
    expect(client.seriesQueries.map(q => q.after)).toEqual([
      undefined,
      2,
      undefined
    ]);
    expect(changes[changes.length - 1].reset).toBe(true);
    expect(run.charts[0].rows.map(r => r.series)).toEqual([
      'loss',
      'loss',
      'val_loss',
      'val_loss'
    ]);
  });

  it('switches to exact values when they appear after parsed ones', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series('loss', points([1, 2]), { source: 'keras3_progress' })
    ];
    const { run } = model(client);
    await run.load();
    client.allSeries.push(
      series(
        'loss',
        points([1, 2, 3], () => 0.5)
      )
    );
    await run.refresh();
    expect(run.charts[0].rows.map(r => r.raw)).toEqual([0.5, 0.5, 0.5]);
  });

  it('asks the service to thin again once a curve outgrows twice the budget', async () => {
    const client = new FakeClient();
    const loss = series('loss', points([1, 2]));
    client.allSeries = [loss];
    const { run, changes } = model(client, { maxPoints: 2 });
    await run.load();
    loss.points.push(...points([3, 4, 5]));
    await run.refresh();
    expect(changes[changes.length - 1].reset).toBe(true);
    expect(
      client.seriesQueries[client.seriesQueries.length - 1].after
    ).toBeUndefined();
  });

  it('sends an ISO time as `after` on the time axis', async () => {
    const client = new FakeClient();
    const loss = series('loss', points([1000, 2000]));
    client.allSeries = [loss];
    const { run } = model(client, { axis: 'time' });
    await run.load();
    await run.refresh();
    expect(client.seriesQueries[1].after).toBe(new Date(2000).toISOString());
  });

  it('re-smooths locally, keeping the raw values', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series(
        'loss',
        points([0, 1], x => [2, 4][x])
      )
    ];
    const { run, changes } = model(client);
    await run.load();
    run.setView({ smoothing: 0.5 });
    expect(client.seriesQueries).toHaveLength(1);
    expect(changes[changes.length - 1].reset).toBe(true);
    const rows = run.charts[0].rows;
    expect(rows.map(r => r.raw)).toEqual([2, 4]);
    expect(rows[1].y).toBeCloseTo(10 / 3);
  });

  it('reloads on another axis and drops answers for the old one', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2]))];
    const { run } = model(client);
    const first = run.load();
    run.setView({ axis: 'epoch' });
    await first;
    await run.refresh();
    expect(client.seriesQueries[0].axis).toBe('step');
    expect(client.seriesQueries[1]).toEqual({ axis: 'epoch', maxPoints: 1000 });
    expect(client.seriesQueries.slice(1).every(q => q.axis === 'epoch')).toBe(
      true
    );
    expect(run.view.axis).toBe('epoch');
    expect(run.charts[0].rows).toHaveLength(2);
  });

  it('keeps the error of a failed request until one succeeds', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1]))];
    client.seriesFailure = new Error('store down');
    const { run } = model(client);
    await run.load();
    expect(run.error?.message).toBe('store down');
    client.seriesFailure = null;
    await run.refresh();
    expect(run.error).toBeNull();
    expect(run.charts).toHaveLength(1);
  });

  it('on the automatic axis, shows a Keras fit by its epoch-end values', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series('loss', points([1, 2, 3, 4])),
      series('loss', points([1, 2]), { scope: 'epoch' })
    ];
    const { run } = model(client, { axis: 'auto' });
    await run.load();
    expect(client.seriesQueries.map(q => q.axis)).toEqual(['step', 'epoch']);
    expect(run.axis).toBe('epoch');
    expect(run.hasEpochEnds).toBe(true);
    expect(run.charts[0].rows.map(r => r.x)).toEqual([1, 2]);
  });

  it('on the automatic axis, keeps steps for a loop without epochs', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2, 3]))];
    const { run } = model(client, { axis: 'auto' });
    await run.load();
    expect(client.seriesQueries.map(q => q.axis)).toEqual(['step']);
    expect(run.axis).toBe('step');
    expect(run.hasEpochEnds).toBe(false);
  });

  it('on the automatic axis, moves to epochs when the first epoch ends', async () => {
    const client = new FakeClient();
    const batches = series('loss', points([1, 2]));
    client.allSeries = [batches];
    const { run } = model(client, { axis: 'auto' });
    await run.load();
    expect(run.axis).toBe('step');
    batches.points.push(...points([3]));
    // Its epoch-end value, at the step the epoch ended.
    client.allSeries.push(series('loss', points([3]), { scope: 'epoch' }));
    await run.refresh();
    expect(run.axis).toBe('epoch');
    expect(client.seriesQueries.at(-1)).toEqual({
      axis: 'epoch',
      maxPoints: 1000
    });
  });

  it('on the automatic axis, shows values logged by epoch only once the run has reached an epoch', async () => {
    // As the service answers: points with an epoch and no step are on the
    // epoch axis only. The run was listed before its first epoch.
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2, 3]), { scope: 'epoch' })];
    client.run_ = summary({ status: 'finished', last_epoch: 3 });
    const answer = client.series.bind(client);
    client.series = (runId, query) =>
      query.axis === 'step'
        ? answer(runId, query).then(found => ({ ...found, series: [] }))
        : answer(runId, query);
    const run = new RunModel({
      client,
      runId: 'run-1',
      view: { axis: 'auto', smoothing: 0, maxPoints: 1000, metrics: [] },
      summary: summary({ status: 'running', last_epoch: null })
    });
    const loadingWhenDrawn: boolean[] = [];
    run.chartsChanged.connect(() => loadingWhenDrawn.push(run.loading));
    await run.load();
    expect(client.seriesQueries.map(q => q.axis)).toEqual(['step', 'epoch']);
    expect(run.axis).toBe('epoch');
    expect(run.charts[0].rows.map(r => r.x)).toEqual([1, 2, 3]);
    // The views hear of the charts as loaded (else "Loading…" stays).
    expect(loadingWhenDrawn).toEqual([false]);
  });

  it('on the automatic axis, keeps steps while nothing is logged and no epoch is reached', async () => {
    const client = new FakeClient();
    client.run_ = summary({ status: 'running', last_epoch: null });
    const run = new RunModel({
      client,
      runId: 'run-1',
      view: { axis: 'auto', smoothing: 0, maxPoints: 1000, metrics: [] }
    });
    await run.load();
    expect(client.seriesQueries.map(q => q.axis)).toEqual(['step']);
    expect(run.axis).toBe('step');
    expect(run.loading).toBe(false);
  });

  it('keeps a chosen step axis for a Keras fit and says it has epoch ends', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series('loss', points([1, 2, 3, 4])),
      series('loss', points([1, 2]), { scope: 'epoch' })
    ];
    const { run } = model(client, { axis: 'step' });
    await run.load();
    expect(run.axis).toBe('step');
    expect(run.hasEpochEnds).toBe(true);
    expect(client.seriesQueries).toHaveLength(1);
  });
});
