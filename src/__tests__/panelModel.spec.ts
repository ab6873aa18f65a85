import {
  CATCH_UP_MS,
  PanelModel,
  RUNS_REFRESH_MIN_MS,
  RUNS_WHILE_RUNNING_MS
} from '../model/panelModel';
import { DEFAULT_SETTINGS } from '../settings';
import {
  FakeClient,
  FakeEventSource,
  points,
  series,
  serviceStatus,
  summary
} from './fakes';

/** Let pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) {
    await Promise.resolve();
  }
}

/** Shown on train.ipynb, its event stream open. */
async function showLive(model: PanelModel): Promise<void> {
  model.setNotebookPath('train.ipynb');
  model.setActive(true);
  await settle();
  FakeEventSource.created[0].send({ type: 'ready', api_version: 1 });
  await settle();
}

function panel(client: FakeClient) {
  FakeEventSource.created = [];
  return new PanelModel({
    client,
    settings: { ...DEFAULT_SETTINGS },
    createEventSource: url => new FakeEventSource(url),
    statusPollMs: 5000
  });
}

describe('PanelModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shows the newest run of the current notebook and follows new ones', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2]))];
    const older = summary({ run_id: 'old', status: 'finished' });
    client.runsByNotebook.set('train.ipynb', [older]);
    client.runsByNotebook.set(undefined, [older]);
    const model = panel(client);
    model.setNotebookPath('train.ipynb');
    model.setActive(true);
    await settle();
    expect(model.runModel?.runId).toBe('old');
    expect(client.runQueries).toContainEqual({
      notebook: 'train.ipynb',
      size: 20
    });

    const newer = summary({ run_id: 'new' });
    client.runsByNotebook.set('train.ipynb', [newer, older]);
    FakeEventSource.created[0].send({
      type: 'run',
      run_id: 'new',
      updated: 'x',
      last_seq: 1
    });
    await settle();
    expect(model.runModel?.runId).toBe('new');
    model.dispose();
  });

  it('shows a new run of the notebook on its first event, before the run lists have it', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1]))];
    const older = summary({ run_id: 'old', status: 'finished' });
    client.runsByNotebook.set('train.ipynb', [older]);
    client.runsByNotebook.set(undefined, [older]);
    const newer = summary({
      run_id: 'new',
      started: '2026-01-31T11:00:00.000Z'
    });
    client.runsById.set('new', newer);
    const model = panel(client);
    model.setNotebookPath('train.ipynb');
    model.setActive(true);
    await settle();
    expect(model.runModel?.runId).toBe('old');

    // The store does not list the new run yet (Elasticsearch refreshes later).
    const source = FakeEventSource.created[0];
    source.send({
      type: 'run',
      run_id: 'new',
      updated: 'x',
      status: 'running',
      last_seq: 1
    });
    await settle();
    expect(model.runModel?.runId).toBe('new');
    expect(model.notebookRuns.map(run => run.run_id)).toEqual(['new', 'old']);
    expect(model.allRuns.map(run => run.run_id)).toEqual(['new', 'old']);

    // A list read before the store has it does not switch back.
    await model.refreshRuns();
    expect(model.runModel?.runId).toBe('new');
    expect(model.notebookRuns.map(run => run.run_id)).toEqual(['new', 'old']);

    // Further events of the run ask for it no more.
    source.send({
      type: 'run',
      run_id: 'new',
      updated: 'y',
      status: 'running',
      last_seq: 2
    });
    await settle();
    expect(client.runRequests).toEqual(['new']);

    // Once listed, the listed summary is the one shown.
    const listed = { ...newer, status: 'finished' as const };
    client.runsByNotebook.set('train.ipynb', [listed, older]);
    client.runsByNotebook.set(undefined, [listed, older]);
    await model.refreshRuns();
    expect(model.notebookRuns[0]).toEqual(listed);
    model.dispose();
  });

  it('lists a new run of another notebook on its event without showing it', async () => {
    const client = new FakeClient();
    const mine = summary({ run_id: 'mine' });
    client.runsByNotebook.set('train.ipynb', [mine]);
    client.runsByNotebook.set(undefined, [mine]);
    client.runsById.set(
      'theirs',
      summary({
        run_id: 'theirs',
        notebook: 'other.ipynb',
        started: '2026-01-31T11:00:00.000Z'
      })
    );
    const model = panel(client);
    model.setNotebookPath('train.ipynb');
    model.setActive(true);
    await settle();
    FakeEventSource.created[0].send({
      type: 'run',
      run_id: 'theirs',
      updated: 'x',
      last_seq: 1
    });
    await settle();
    expect(model.runModel?.runId).toBe('mine');
    expect(model.notebookRuns.map(run => run.run_id)).toEqual(['mine']);
    expect(model.allRuns.map(run => run.run_id)).toEqual(['theirs', 'mine']);
    model.dispose();
  });

  it('keeps a run chosen by hand until the newest is chosen again', async () => {
    const client = new FakeClient();
    const a = summary({ run_id: 'a' });
    const b = summary({ run_id: 'b' });
    client.runsByNotebook.set('n.ipynb', [a, b]);
    const model = panel(client);
    model.setNotebookPath('n.ipynb');
    model.setActive(true);
    await settle();
    model.selectRun('b');
    expect(model.followLatest).toBe(false);
    await model.refreshRuns();
    expect(model.runModel?.runId).toBe('b');
    model.selectRun('a');
    expect(model.followLatest).toBe(true);
    model.dispose();
  });

  it('shows no run for a notebook without runs', async () => {
    const client = new FakeClient();
    client.runsByNotebook.set(undefined, [summary({ run_id: 'elsewhere' })]);
    const model = panel(client);
    model.setNotebookPath('empty.ipynb');
    model.setActive(true);
    await settle();
    expect(model.runModel).toBeNull();
    expect(model.runsLoaded).toBe(true);
    expect(model.allRuns.map(r => r.run_id)).toEqual(['elsewhere']);
    model.dispose();
  });

  it('refreshes the shown run on its events only', async () => {
    const client = new FakeClient();
    const loss = series('loss', points([1]));
    client.allSeries = [loss];
    client.runsByNotebook.set('n.ipynb', [summary({ run_id: 'run-1' })]);
    const model = panel(client);
    model.setNotebookPath('n.ipynb');
    model.setActive(true);
    await settle();
    const source = FakeEventSource.created[0];
    source.send({ type: 'ready', api_version: 1 });
    await settle();
    const before = client.seriesQueries.length;
    source.send({ type: 'run', run_id: 'other', updated: 'x', last_seq: 1 });
    await settle();
    expect(client.seriesQueries.length).toBe(before);
    loss.points.push(...points([2]));
    source.send({ type: 'run', run_id: 'run-1', updated: 'x', last_seq: 2 });
    await settle();
    expect(client.seriesQueries.length).toBe(before + 1);
    expect(client.seriesQueries[before].after).toBe(1);
    expect(model.runModel?.charts[0].rows.map(r => r.x)).toEqual([1, 2]);
    model.dispose();
  });

  it("shows a listed run's end at once, while the store still lists it as running", async () => {
    const client = new FakeClient();
    const running = summary({ run_id: 'r', status: 'running' });
    client.runsByNotebook.set('train.ipynb', [running]);
    client.runsByNotebook.set(undefined, [running]);
    const ended = summary({
      run_id: 'r',
      status: 'finished',
      ended: '2026-01-31T10:06:00.000Z',
      updated: '2026-01-31T10:06:00.000Z'
    });
    // The service's copy of what it just stored answers by id at once.
    client.runsById.set('r', ended);
    const model = panel(client);
    model.setNotebookPath('train.ipynb');
    model.setActive(true);
    await settle();
    const source = FakeEventSource.created[0];
    source.send({ type: 'ready', api_version: 1 });
    await settle();
    expect(model.notebookRuns[0].status).toBe('running');

    // A running run's own events do not read it by id.
    source.send({
      type: 'run',
      run_id: 'r',
      updated: '2026-01-31T10:05:30.000Z',
      status: 'running',
      last_seq: 8
    });
    await settle();
    expect(client.runRequests).toEqual([]);

    jest.advanceTimersByTime(RUNS_REFRESH_MIN_MS);
    source.send({
      type: 'run',
      run_id: 'r',
      updated: ended.updated,
      status: 'finished',
      last_seq: 9
    });
    await settle();
    expect(client.runRequests).toEqual(['r']);
    expect(model.notebookRuns.map(run => run.status)).toEqual(['finished']);
    expect(model.allRuns.map(run => run.status)).toEqual(['finished']);

    // A list answer older than what was read by id does not bring it back.
    jest.advanceTimersByTime(RUNS_REFRESH_MIN_MS);
    await model.refreshRuns();
    expect(model.notebookRuns.map(run => run.status)).toEqual(['finished']);

    // Once the store lists it, its answer is shown again.
    const stored = { ...ended, last_metrics: { loss: 0.1 } };
    client.runsByNotebook.set('train.ipynb', [stored]);
    client.runsByNotebook.set(undefined, [stored]);
    await model.refreshRuns();
    expect(model.notebookRuns[0]).toEqual(stored);
    expect(model.allRuns[0]).toEqual(stored);
    model.dispose();
  });

  it('reads the lists once more after it is shown: a run stored just before, with no event to come, is listed', async () => {
    const client = new FakeClient();
    const model = panel(client);
    await showLive(model);
    expect(model.notebookRuns).toEqual([]);
    // The store lists the run a moment later; its events went by before.
    const finished = summary({ run_id: 'r', status: 'finished' });
    client.runsByNotebook.set('train.ipynb', [finished]);
    client.runsByNotebook.set(undefined, [finished]);
    jest.advanceTimersByTime(CATCH_UP_MS);
    await settle();
    expect(model.notebookRuns.map(run => run.run_id)).toEqual(['r']);
    model.dispose();
  });

  it('reads the run lists again while a listed run is running, and stops when none is', async () => {
    const client = new FakeClient();
    const running = summary({ run_id: 'r', status: 'running' });
    client.runsByNotebook.set('train.ipynb', [running]);
    client.runsByNotebook.set(undefined, [running]);
    const model = panel(client);
    await showLive(model);
    // The lists' second read after the panel is shown.
    jest.advanceTimersByTime(CATCH_UP_MS);
    await settle();
    const reads = client.runQueries.length;

    // Nothing arrives (the end event was read before the store had it).
    jest.advanceTimersByTime(RUNS_WHILE_RUNNING_MS - 1);
    await settle();
    expect(client.runQueries.length).toBe(reads);
    const ended = summary({
      run_id: 'r',
      status: 'finished',
      updated: '2026-01-31T10:06:00.000Z'
    });
    client.runsByNotebook.set('train.ipynb', [ended]);
    client.runsByNotebook.set(undefined, [ended]);
    jest.advanceTimersByTime(1);
    await settle();
    expect(client.runQueries.length).toBe(reads + 2);
    expect(model.notebookRuns.map(run => run.status)).toEqual(['finished']);
    expect(model.allRuns.map(run => run.status)).toEqual(['finished']);

    // No run is running any more: the lists are not read again.
    jest.advanceTimersByTime(5 * RUNS_WHILE_RUNNING_MS);
    await settle();
    expect(client.runQueries.length).toBe(reads + 2);
    model.dispose();
  });

  it('does not read the lists more often for a running run that sends events', async () => {
    const client = new FakeClient();
    const running = summary({ run_id: 'r', status: 'running' });
    client.runsByNotebook.set(undefined, [running]);
    const model = panel(client);
    model.setActive(true);
    await settle();
    const source = FakeEventSource.created[0];
    source.send({ type: 'ready', api_version: 1 });
    await settle();
    jest.advanceTimersByTime(CATCH_UP_MS);
    await settle();
    const reads = client.runQueries.length;
    // One event a second for the whole interval: one read each (throttled),
    // and no extra read for the running run on top.
    const events = RUNS_WHILE_RUNNING_MS / RUNS_REFRESH_MIN_MS;
    for (let i = 0; i < events; i++) {
      source.send({
        type: 'run',
        run_id: 'r',
        updated: running.updated,
        status: 'running',
        last_seq: i
      });
      await settle();
      jest.advanceTimersByTime(RUNS_REFRESH_MIN_MS);
      await settle();
    }
    expect(client.runQueries.length).toBe(reads + events);
    expect(client.runRequests).toEqual([]);
    model.dispose();
  });

  it('reports a status that cannot be read, and recovers', async () => {
    const client = new FakeClient();
    client.statusAnswer = new Error(
      'The tflog service is unreachable (HTTP 502)'
    );
    const model = panel(client);
    model.setActive(true);
    await settle();
    expect(model.statusError?.message).toMatch(/unreachable/);
    client.statusAnswer = serviceStatus();
    jest.advanceTimersByTime(5000);
    await settle();
    expect(model.statusError).toBeNull();
    expect(model.status?.storeInUse?.kind).toBe('embedded');
    model.dispose();
  });

  it('applies new settings to the shown run', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2]))];
    client.runsByNotebook.set('n.ipynb', [summary()]);
    const model = panel(client);
    model.setNotebookPath('n.ipynb');
    model.setActive(true);
    await settle();
    model.updateSettings({
      ...DEFAULT_SETTINGS,
      xAxis: 'epoch',
      maxPoints: 200
    });
    await settle();
    expect(model.runModel?.view.axis).toBe('epoch');
    expect(client.seriesQueries[client.seriesQueries.length - 1]).toEqual({
      axis: 'epoch',
      maxPoints: 200
    });
    model.dispose();
  });

  it('does not follow updates while inactive', async () => {
    const client = new FakeClient();
    const model = panel(client);
    model.setActive(true);
    await settle();
    model.setActive(false);
    const queries = client.runQueries.length;
    jest.advanceTimersByTime(20000);
    await settle();
    expect(client.runQueries.length).toBe(queries);
    expect(FakeEventSource.created[0].closed).toBe(true);
    model.dispose();
  });
});
