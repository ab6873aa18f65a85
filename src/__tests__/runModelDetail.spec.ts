import { IChartsChange, RunModel } from '../model/runModel';
import type { ISeriesQuery, ISeriesResponse } from '../tokens';
import { FakeClient, points, ranked, series } from './fakes';

/** Answers an x range (`from`, `to`) with its points only, as the service does. */
class RangeClient extends FakeClient {
  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse> {
    if (query.from === undefined || query.to === undefined) {
      return super.series(runId, query);
    }
    this.seriesQueries.push(query);
    const from = toNumber(query.from);
    const to = toNumber(query.to);
    return Promise.resolve({
      run: this.run_,
      series: ranked(
        this.allSeries
          .filter(s => query.names?.includes(s.name) ?? true)
          .map(s => ({
            ...s,
            points: s.points.filter(p => p.x >= from && p.x <= to)
          })),
        query.axis
      )
    });
  }
}

function toNumber(value: number | string): number {
  return typeof value === 'string' ? Date.parse(value) : value;
}

function model(client: FakeClient, view: Partial<RunModel['view']> = {}) {
  const run = new RunModel({
    client,
    runId: 'run-1',
    view: { axis: 'step', smoothing: 0, maxPoints: 4, metrics: [], ...view }
  });
  const changes: IChartsChange[] = [];
  run.chartsChanged.connect((_, change) => changes.push(change));
  return { run, changes };
}

describe('RunModel.detail', () => {
  it('reads a chart’s series for an x range only, within the point budget', async () => {
    const client = new RangeClient();
    client.allSeries = [
      series('loss', points([1, 2, 3, 4, 5, 6])),
      series('val_loss', points([2, 4, 6]), { scope: 'epoch' }),
      series('accuracy', points([1, 2, 3]))
    ];
    const { run } = model(client);
    await run.load();
    const rows = await run.detail('loss', [2, 4]);
    expect(client.seriesQueries[1]).toEqual({
      axis: 'step',
      maxPoints: 4,
      names: ['loss', 'val_loss'],
      from: 2,
      to: 4
    });
    expect(rows.map(row => `${row.series}@${row.x}`)).toEqual([
      'loss@2',
      'loss@3',
      'loss@4',
      'val_loss@2',
      'val_loss@4'
    ]);
  });

  it('asks for a range of times as ISO times on the time axis', async () => {
    const client = new RangeClient();
    client.allSeries = [series('loss', points([1000, 2000, 3000]))];
    const { run } = model(client, { axis: 'time' });
    await run.load();
    await run.detail('loss', [1500, 2500]);
    expect(client.seriesQueries[1]).toMatchObject({
      from: new Date(1500).toISOString(),
      to: new Date(2500).toISOString()
    });
  });

  it('has no rows for a chart it does not hold', async () => {
    const client = new RangeClient();
    const { run } = model(client);
    await run.load();
    expect(await run.detail('loss', [1, 2])).toEqual([]);
    expect(client.seriesQueries).toHaveLength(1);
  });
});

describe('RunModel log scale', () => {
  it('redraws the charts, without reading again, when the log scale is switched', async () => {
    const client = new RangeClient();
    client.allSeries = [series('loss', points([1, 2]))];
    const { run, changes } = model(client);
    await run.load();
    run.setView({ logScale: true });
    expect(run.view.logScale).toBe(true);
    expect(changes).toHaveLength(2);
    expect(changes[1].reset).toBe(true);
    expect(client.seriesQueries).toHaveLength(1);
  });
});
