import { levelsFrom, LogsModel, nearestLine } from '../model/logs';
import type {
  ILogPage,
  ILogQuery,
  ILogSearchQuery,
  ITflogDocument
} from '../tokens';
import { FakeClient } from './fakes';
import { logLine } from './logFixtures';

/** A client that pages through `logLines` with numeric cursors, like the service. */
class PagingClient extends FakeClient {
  failure: Error | null = null;
  /** Milliseconds each next answer waits, in turn (later answers may come first). */
  delays: number[] = [];

  logs(runId: string, query: ILogQuery = {}): Promise<ILogPage> {
    this.logQueries.push({ runId, query });
    const lines = this.logLines.filter(line => line.tflog.run_id === runId);
    return this._page(lines, query);
  }

  searchLogs(query: ILogSearchQuery = {}): Promise<ILogPage> {
    this.logQueries.push({ runId: null, query });
    return this._page(this.logLines, query);
  }

  private _page(
    lines: ITflogDocument[],
    query: ILogQuery | ILogSearchQuery
  ): Promise<ILogPage> {
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    const delay = this.delays.shift() ?? 0;
    const text = query.text;
    const matching =
      text === undefined
        ? lines
        : lines.filter(line => line.message.includes(text));
    let start = query.after === undefined ? 0 : Number(query.after);
    const size = query.size ?? 100;
    const at = 'at' in query ? query.at : undefined;
    if (at !== undefined) {
      const index = matching.findIndex(
        line => Date.parse(line['@timestamp']) >= Date.parse(at)
      );
      start = Math.max(0, index - Math.floor(size / 2));
    }
    const page = matching.slice(start, start + size);
    const end = start + page.length;
    const answer: ILogPage = {
      lines: page,
      total: matching.length,
      ...(end < matching.length ? { next: String(end) } : {})
    };
    return new Promise(resolve => setTimeout(() => resolve(answer), delay));
  }
}

function client(count = 10): PagingClient {
  const fake = new PagingClient();
  for (let sequence = 1; sequence <= count; sequence++) {
    fake.logLines.push(logLine(sequence));
  }
  fake.logLines.push(logLine(1, { runId: 'run-2', message: 'other run' }));
  return fake;
}

const ids = (model: LogsModel) => model.lines.map(line => line._id);

describe('levelsFrom', () => {
  it('lists the levels from the minimum up, none for all', () => {
    expect(levelsFrom('warning')).toEqual(['warning', 'error', 'critical']);
    expect(levelsFrom('')).toEqual([]);
    expect(levelsFrom('debug')).toEqual([]);
  });
});

describe('nearestLine', () => {
  it('finds the line logged nearest to a time', () => {
    const lines = [logLine(1), logLine(5), logLine(9)];
    expect(nearestLine(lines, new Date(6000).toISOString())?._id).toBe(
      'run-1:5'
    );
    expect(nearestLine(lines, 'not a time')).toBeNull();
    expect(nearestLine([], new Date(0).toISOString())).toBeNull();
  });
});

describe('LogsModel', () => {
  it('reads a run’s lines a page at a time with the service’s cursors', async () => {
    const fake = client(10);
    const model = new LogsModel({
      client: fake,
      args: { runId: 'run-1' },
      pageSize: 4
    });
    await model.load();
    expect(ids(model)).toEqual(['run-1:1', 'run-1:2', 'run-1:3', 'run-1:4']);
    expect(model.total).toBe(10);
    expect(model.hasPrevious).toBe(false);
    expect(model.hasNext).toBe(true);
    await model.next();
    await model.next();
    expect(ids(model)).toEqual(['run-1:9', 'run-1:10']);
    expect(model.pageIndex).toBe(2);
    expect(model.hasNext).toBe(false);
    await model.previous();
    expect(ids(model)).toEqual(['run-1:5', 'run-1:6', 'run-1:7', 'run-1:8']);
    expect(fake.logQueries.map(q => q.query.after)).toEqual([
      undefined,
      '4',
      '8',
      '4'
    ]);
  });

  it('opens around a time with the nearest line highlighted; later pages follow the cursor', async () => {
    const fake = client(10);
    const at = new Date(6400).toISOString();
    const model = new LogsModel({
      client: fake,
      args: { runId: 'run-1', at },
      pageSize: 4
    });
    await model.load();
    expect(fake.logQueries[0].query).toMatchObject({ at, size: 4 });
    expect(ids(model)).toEqual(['run-1:5', 'run-1:6', 'run-1:7', 'run-1:8']);
    expect(model.highlighted).toBe('run-1:6');
    await model.next();
    expect(fake.logQueries[1].query).toMatchObject({ after: '8' });
    expect((fake.logQueries[1].query as ILogQuery).at).toBeUndefined();
    expect(model.highlighted).toBeNull();
  });

  it('highlights the line asked for when it is shown', async () => {
    const model = new LogsModel({
      client: client(10),
      args: {
        runId: 'run-1',
        at: new Date(6000).toISOString(),
        lineId: 'run-1:7'
      },
      pageSize: 4
    });
    await model.load();
    expect(model.highlighted).toBe('run-1:7');
  });

  it('filters by level and searches the text from the start', async () => {
    const fake = client(10);
    const model = new LogsModel({
      client: fake,
      args: { runId: 'run-1', at: new Date(6000).toISOString() },
      pageSize: 4
    });
    await model.load();
    await model.setLevels(['warning', 'error', 'critical']);
    expect(fake.logQueries[1].query).toMatchObject({
      levels: ['warning', 'error', 'critical']
    });
    await model.setText(' line 7 ');
    expect(fake.logQueries[2].query).toMatchObject({ text: 'line 7' });
    expect((fake.logQueries[2].query as ILogQuery).at).toBeUndefined();
    expect(ids(model)).toEqual(['run-1:7']);
    expect(model.highlighted).toBeNull();
  });

  it('searches all the user’s runs when no run is given, or when asked', async () => {
    const fake = client(3);
    const model = new LogsModel({ client: fake, args: { text: 'other' } });
    await model.load();
    expect(fake.logQueries[0]).toEqual({
      runId: null,
      query: { text: 'other', size: 100, levels: undefined, after: undefined }
    });
    expect(ids(model)).toEqual(['run-2:1']);

    const single = new LogsModel({ client: fake, args: { runId: 'run-1' } });
    await single.setAllRuns(true);
    expect(fake.logQueries[fake.logQueries.length - 1].runId).toBeNull();
    await single.setAllRuns(false);
    expect(fake.logQueries[fake.logQueries.length - 1].runId).toBe('run-1');
  });

  it('keeps the lines shown when a read fails, and says why', async () => {
    const fake = client(3);
    const model = new LogsModel({ client: fake, args: { runId: 'run-1' } });
    await model.load();
    fake.failure = new Error('tflog service: down');
    await model.setText('line');
    expect(model.error?.message).toBe('tflog service: down');
    expect(model.loading).toBe(false);
    expect(ids(model)).toEqual(['run-1:1', 'run-1:2', 'run-1:3']);
  });

  it('drops an answer that a newer request overtook', async () => {
    const fake = client(3);
    const model = new LogsModel({ client: fake, args: { runId: 'run-1' } });
    fake.delays = [50, 0];
    const first = model.setText('line 1');
    const second = model.setText('line 2');
    await Promise.all([first, second]);
    expect(ids(model)).toEqual(['run-1:2']);
  });
});
