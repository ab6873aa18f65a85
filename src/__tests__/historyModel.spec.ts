import { HistoryModel, MAX_COMPARED_RUNS } from '../model/historyModel';
import { HistoryQueriesModel } from '../model/historyQueries';
import { readHistoryView } from '../model/historyView';
import { TflogRequestError } from '../request';
import type { IRunPage, IRunQuery, IRunSummary } from '../tokens';
import { FakeClient, summary } from './fakes';

/** Runs served in pages of `size`, the cursor being the index of the next run. */
class PagingClient extends FakeClient {
  all: IRunSummary[] = [];
  failure: Error | null = null;
  /** Answers held back until released, to test answers arriving late. */
  held: (() => void)[] = [];
  hold = false;

  async runs(query: IRunQuery = {}): Promise<IRunPage> {
    this.runQueries.push(query);
    if (this.hold) {
      await new Promise<void>(resolve => this.held.push(resolve));
    }
    if (this.failure) {
      throw this.failure;
    }
    const start = Number(query.after ?? '0');
    const size = query.size ?? 50;
    const runs = this.all.slice(start, start + size);
    const next =
      start + size < this.all.length ? String(start + size) : undefined;
    return { runs, total: this.all.length, ...(next && { next }) };
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

function runsNamed(count: number): IRunSummary[] {
  return Array.from({ length: count }, (_, index) =>
    summary({ run_id: `run-${index}`, name: `run ${index}` })
  );
}

function model(client: FakeClient, args = {}): HistoryModel {
  return new HistoryModel({
    client,
    view: readHistoryView(args),
    defaultColumns: ['last:loss'],
    pageSize: 2
  });
}

describe('HistoryModel', () => {
  it('reads the first page with the view’s filters and sort', async () => {
    const client = new PagingClient();
    client.all = runsNamed(3);
    const history = model(client, {
      tags: { team: 'vision' },
      hparams: { lr: '0.1' },
      status: ['failed'],
      text: 'mnist',
      sort: 'best:val_loss'
    });
    await history.refresh();
    expect(client.runQueries).toEqual([
      {
        tags: { team: 'vision' },
        hparams: { lr: '0.1' },
        status: ['failed'],
        text: 'mnist',
        sort: 'min:val_loss',
        order: 'asc',
        size: 2,
        after: undefined
      }
    ]);
    expect(history.runs.map(run => run.run_id)).toEqual(['run-0', 'run-1']);
    expect(history.total).toBe(3);
    expect(history.hasNextPage).toBe(true);
    expect(history.hasPreviousPage).toBe(false);
  });

  it('pages forward with the cursor and back again', async () => {
    const client = new PagingClient();
    client.all = runsNamed(5);
    const history = model(client);
    await history.refresh();
    expect(client.runQueries[0]).toEqual({
      size: 2,
      sort: undefined,
      order: undefined,
      after: undefined
    });
    await history.nextPage();
    expect(client.runQueries[1].after).toBe('2');
    expect(history.runs.map(run => run.run_id)).toEqual(['run-2', 'run-3']);
    expect(history.pageIndex).toBe(1);
    await history.nextPage();
    expect(history.runs.map(run => run.run_id)).toEqual(['run-4']);
    expect(history.hasNextPage).toBe(false);
    await history.previousPage();
    expect(client.runQueries[3].after).toBe('2');
    expect(history.runs.map(run => run.run_id)).toEqual(['run-2', 'run-3']);
    await history.previousPage();
    expect(client.runQueries[4].after).toBeUndefined();
    expect(history.hasPreviousPage).toBe(false);
  });

  it('sorts by a column, reverses on a second click, and starts again at the first page', async () => {
    const client = new PagingClient();
    client.all = runsNamed(5);
    const history = model(client);
    await history.refresh();
    await history.nextPage();
    const views: string[] = [];
    history.viewChanged.connect((_, view) =>
      views.push(`${view.sort} ${view.order}`)
    );
    history.sortBy('best:accuracy');
    await settle();
    expect(client.runQueries[2]).toMatchObject({
      sort: 'max:accuracy',
      order: 'desc',
      after: undefined
    });
    expect(history.pageIndex).toBe(0);
    history.sortBy('best:accuracy');
    await settle();
    expect(client.runQueries[3]).toMatchObject({
      sort: 'max:accuracy',
      order: 'asc'
    });
    history.sortBy('tag:team');
    await settle();
    expect(client.runQueries).toHaveLength(4);
    expect(views).toEqual(['best:accuracy desc', 'best:accuracy asc']);
  });

  it('shows the service’s message when the runs cannot be read, and no stale rows', async () => {
    const client = new PagingClient();
    client.all = runsNamed(2);
    const history = model(client);
    await history.refresh();
    client.failure = new TflogRequestError({
      message: 'tflog service: unknown sort',
      status: 400,
      reason: 'invalid_query',
      url: 'x'
    });
    history.setFilters({ text: 'x' });
    await settle();
    expect(history.error?.message).toBe('tflog service: unknown sort');
    expect(history.runs).toEqual([]);
    expect(history.loading).toBe(false);
    client.failure = null;
    await history.reload();
    expect(history.error).toBeNull();
    expect(history.runs).toHaveLength(2);
  });

  it('drops an answer that arrives after the filters changed', async () => {
    const client = new PagingClient();
    client.all = runsNamed(2);
    client.hold = true;
    const history = model(client);
    history.setFilters({ text: 'old' });
    client.all = [summary({ run_id: 'new' })];
    history.setFilters({ text: 'new' });
    client.held[1]();
    await settle();
    client.held[0]();
    await settle();
    expect(history.runs.map(run => run.run_id)).toEqual(['new']);
  });

  it('reads the page shown again in place while a run runs; a failure keeps the rows', async () => {
    const client = new PagingClient();
    client.all = runsNamed(5).map((run, index) => ({
      ...run,
      status: index === 2 ? 'running' : 'finished'
    }));
    const history = model(client);
    await history.refresh();
    expect(history.running).toBe(false);
    await history.nextPage();
    expect(history.running).toBe(true);
    history.toggleSelected('run-3');
    let loadingSeen = false;
    history.changed.connect(() => (loadingSeen ||= history.loading));

    client.failure = new Error('tflog service: store unavailable');
    await expect(history.follow()).rejects.toThrow('store unavailable');
    expect(history.error?.message).toBe('tflog service: store unavailable');
    expect(history.runs.map(run => run.run_id)).toEqual(['run-2', 'run-3']);

    client.failure = null;
    client.all[2] = { ...client.all[2], status: 'finished' };
    await history.follow();
    expect(loadingSeen).toBe(false);
    expect(history.error).toBeNull();
    expect(history.running).toBe(false);
    expect(history.pageIndex).toBe(1);
    expect([...history.selected]).toEqual(['run-3']);
    expect(client.runQueries.map(query => query.after)).toEqual([
      undefined,
      '2',
      '2',
      '2'
    ]);

    // A full read under way wins: the re-read waits for the next tick.
    client.hold = true;
    const reading = history.refresh();
    await history.follow();
    expect(client.runQueries).toHaveLength(5);
    client.hold = false;
    client.held.forEach(release => release());
    await reading;
    expect(history.pageIndex).toBe(0);
  });

  it('selects up to 20 runs and says when more are chosen', () => {
    const history = model(new PagingClient());
    for (let index = 0; index < MAX_COMPARED_RUNS; index++) {
      expect(history.toggleSelected(`run-${index}`)).toBe(true);
    }
    expect(history.selectionFull).toBe(false);
    expect(history.toggleSelected('one-more')).toBe(false);
    expect(history.selected.size).toBe(MAX_COMPARED_RUNS);
    expect(history.selected.has('one-more')).toBe(false);
    expect(history.selectionFull).toBe(true);
    expect(history.toggleSelected('run-0')).toBe(false);
    expect(history.selectionFull).toBe(false);
    expect(history.toggleSelected('one-more')).toBe(true);
  });

  it('shows the settings’ columns until the view chooses its own', () => {
    const history = model(new PagingClient());
    expect(history.columns).toEqual(['last:loss']);
    history.setDefaultColumns(['hparam:lr']);
    expect(history.columns).toEqual(['hparam:lr']);
    history.setColumns(['tag:team', 'best:loss']);
    history.setDefaultColumns(['last:loss']);
    expect(history.columns).toEqual(['tag:team', 'best:loss']);
    expect(history.view.columns).toEqual(['tag:team', 'best:loss']);
  });
});

describe('HistoryQueriesModel', () => {
  it('asks for values past a threshold in a time range, and pages with More', async () => {
    const client = new FakeClient();
    const hit = {
      run_id: 'run-1',
      run_name: 'a',
      notebook: 'train.ipynb',
      metric: 'loss',
      scope: 'batch' as const,
      value: 2.5,
      step: 3,
      epoch: 0,
      time: '2026-01-31T10:00:00.000Z'
    };
    client.pointHits = [hit];
    client.points = async query => {
      client.crossRunQueries.push(query);
      return query.after
        ? { points: [{ ...hit, step: 4 }] }
        : { points: [hit], next: 'cursor' };
    };
    const queries = new HistoryQueriesModel({ client });
    await queries.run({
      kind: 'points',
      metric: 'loss',
      operator: 'gt',
      value: 2,
      from: '2026-01-31T09:00:00.000Z',
      to: '2026-01-31T11:00:00.000Z'
    });
    expect(client.crossRunQueries[0]).toEqual({
      metric: 'loss',
      operator: 'gt',
      value: 2,
      from: '2026-01-31T09:00:00.000Z',
      to: '2026-01-31T11:00:00.000Z',
      notebook: undefined,
      size: 100,
      after: undefined
    });
    expect(queries.hasMore).toBe(true);
    await queries.more();
    expect(client.crossRunQueries[1]).toMatchObject({ after: 'cursor' });
    const result = queries.result;
    expect(result?.kind).toBe('points');
    expect(
      result?.kind === 'points' && result.rows.map(row => row.step)
    ).toEqual([3, 4]);
    expect(queries.hasMore).toBe(false);
  });

  it('lists the runs that produced NaN and the errors per run', async () => {
    const client = new FakeClient();
    client.nonfiniteRuns = [
      {
        run_id: 'bad',
        run_name: 'bad',
        notebook: null,
        metric: 'loss',
        scope: 'batch',
        value: 'NaN',
        step: 12,
        epoch: 1,
        time: '2026-01-31T10:00:00.000Z'
      }
    ];
    client.errorCountRuns = [
      {
        run_id: 'failing',
        name: 'f',
        notebook: null,
        status: 'failed',
        started: '2026-01-31T10:00:00.000Z',
        errors: 2,
        warnings: 1
      }
    ];
    const queries = new HistoryQueriesModel({ client });
    await queries.run({ kind: 'nonfinite' });
    expect(queries.result).toEqual({
      kind: 'nonfinite',
      rows: client.nonfiniteRuns
    });
    await queries.run({ kind: 'errors', notebook: 'train.ipynb' });
    expect(client.crossRunQueries[1]).toMatchObject({
      notebook: 'train.ipynb'
    });
    expect(queries.result).toEqual({
      kind: 'errors',
      rows: client.errorCountRuns
    });
  });

  it('keeps the service’s message when a query fails', async () => {
    const client = new FakeClient();
    client.nonfinite = () =>
      Promise.reject(
        new TflogRequestError({
          message: 'tflog service: the store cannot answer this query',
          status: 501,
          reason: 'not_implemented',
          url: 'x'
        })
      );
    const queries = new HistoryQueriesModel({ client });
    await queries.run({ kind: 'nonfinite' });
    expect(queries.error?.message).toBe(
      'tflog service: the store cannot answer this query'
    );
    expect(queries.loading).toBe(false);
    expect(queries.result).toBeNull();
  });
});
