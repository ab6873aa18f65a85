import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import type { IRecordParser } from '../../src/ship/parser-port';
import { Pipeline } from '../../src/ship/pipeline';
import { RecentData } from '../../src/ship/recent';
import { StatusTracker } from '../../src/ship/status';
import {
  StoreUnavailableError,
  type IWriteBatch,
  type IWriteResult
} from '../../src/store/store';
import type { SpoolRecord } from '../../src/types';
import type { IRunUpdate } from '../../src/wire';
import {
  endRecord,
  fakeParser,
  FakeStore,
  logRecord,
  memoryLogger,
  metricsRecord,
  ndjson,
  startRecord,
  T0,
  type IFakeParserState
} from './fakes';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('Pipeline', () => {
  let root: string;
  let spoolDir: string;
  let stateDir: string;
  const running: Pipeline<IFakeParserState>[] = [];

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-pipeline-'));
    spoolDir = path.join(root, 'spool');
    stateDir = path.join(root, 'state');
    await fsp.mkdir(spoolDir);
  });
  afterEach(async () => {
    for (const pipeline of running.splice(0)) {
      await pipeline.stop(100);
    }
    await fsp.rm(root, { recursive: true, force: true });
  });

  function pipelineFor(
    store: FakeStore,
    extra: {
      now?: () => number;
      spoolKeepDays?: number;
      maxDocs?: number;
      maxBytes?: number;
      maxWaitMs?: number;
      parser?: IRecordParser<IFakeParserState>;
      onSealed?: (updates: IRunUpdate[], sealed: IWriteBatch) => void;
      onStored?: (updates: IRunUpdate[], stored: IWriteBatch) => void;
      serverRoot?: string;
      isWatched?: (runId: string) => boolean;
    } = {}
  ) {
    const status = new StatusTracker({ spoolDir, stateDir });
    const updates: IRunUpdate[] = [];
    const { logger, lines } = memoryLogger();
    const pipeline = new Pipeline<IFakeParserState>({
      spoolDir,
      stateDir,
      store,
      parser: extra.parser ?? fakeParser,
      limits: {
        maxDocs: extra.maxDocs ?? 1000,
        maxBytes: extra.maxBytes ?? 5 << 20,
        maxWaitMs: extra.maxWaitMs ?? 20
      },
      pollIntervalMs: 20,
      maxLineBytes: 8 << 20,
      spoolKeepDays: extra.spoolKeepDays ?? 7,
      logger,
      status,
      backoff: { initialMs: 5, maxMs: 20 },
      now: extra.now,
      serverRoot: extra.serverRoot,
      isWatched: extra.isWatched,
      onSealed: (batch, sealed) => {
        updates.push(...batch);
        extra.onSealed?.(batch, sealed);
      },
      onStored: extra.onStored
    });
    running.push(pipeline);
    return { pipeline, status, updates, lines };
  }

  async function spool(records: SpoolRecord[], run = 'run-1'): Promise<void> {
    await fsp.appendFile(path.join(spoolDir, `${run}.ndjson`), ndjson(records));
  }

  async function registryFile(): Promise<{
    files: Record<
      string,
      {
        offset: number;
        line: number;
        endedAt: string | null;
        state: { lastSeq: number; parser: IFakeParserState };
      }
    >;
  }> {
    return JSON.parse(
      await fsp.readFile(path.join(stateDir, 'registry.json'), 'utf8')
    );
  }

  /** A store that takes the first `calls` writes, then is down until `up()`. */
  function storeDownAfter(calls: number): FakeStore & { up(): void } {
    const store = new FakeStore();
    const write = store.write.bind(store);
    let left = calls;
    let down = true;
    store.write = async (batch: IWriteBatch): Promise<IWriteResult> => {
      if (left <= 0 && down) {
        store.calls.push(batch);
        throw new StoreUnavailableError('connection refused (fake)', 503);
      }
      left -= 1;
      return write(batch);
    };
    return Object.assign(store, { up: () => (down = false) });
  }

  function itemsPerCall(store: FakeStore): number[] {
    return store.calls.map(call => call.documents.length + call.points.length);
  }

  function manyMetrics(count: number): Record<string, number> {
    const values: Record<string, number> = {};
    for (let index = 0; index < count; index += 1) {
      values[`m${index}`] = index;
    }
    return values;
  }

  function storedSeqs(store: FakeStore): number[] {
    return [...store.documents.values()]
      .map(document => document.event.sequence)
      .sort((a, b) => a - b);
  }

  it('ships a spool file and records how far it got', async () => {
    const store = new FakeStore();
    await spool([
      startRecord(),
      logRecord(1, 'hello'),
      metricsRecord(2, 0, { loss: 0.5 })
    ]);
    const { pipeline, status, updates } = pipelineFor(store);
    await pipeline.start();
    await pipeline.flush(5000);

    expect(storedSeqs(store)).toEqual([0, 1, 2]);
    expect(store.points.get('run-1:2:loss')?.value).toBe(0.5);
    expect(store.runs.get('run-1')).toMatchObject({
      version: 2,
      summary: { last_metrics: { loss: 0.5 } }
    });
    const size = (await fsp.stat(path.join(spoolDir, 'run-1.ndjson'))).size;
    const registry = await registryFile();
    expect(registry.files['run-1.ndjson']).toMatchObject({
      offset: size,
      line: 3,
      state: { lastSeq: 2, parser: { records: 3 } }
    });
    expect(status.counters).toMatchObject({
      recordsRead: 3,
      documentsStored: 5
    });
    expect(status.backlog).toEqual({ bytes: 0, files: 0 });
    expect(updates[updates.length - 1]).toMatchObject({
      run_id: 'run-1',
      status: 'running',
      last_seq: 2
    });
  });

  it("tells live clients a run's status with each batch as it is sealed: its end at once", async () => {
    const store = new FakeStore();
    await spool([startRecord(), logRecord(1, 'a')]);
    const { pipeline, updates } = pipelineFor(store);
    await pipeline.start();
    await pipeline.flush(5000);
    expect(updates[updates.length - 1]).toMatchObject({
      run_id: 'run-1',
      status: 'running',
      last_seq: 1
    });
    await spool([endRecord(2)]);
    await pipeline.flush(5000);
    expect(updates[updates.length - 1]).toEqual({
      run_id: 'run-1',
      updated: store.runs.get('run-1')?.summary.updated,
      status: 'finished',
      last_seq: 2
    });
    await pipeline.stop(100);
  });

  it('ships what it read at once while the store is idle, not after maxWaitMs', async () => {
    const store = new FakeStore();
    let storedSeq = (): void => undefined;
    const stored = new Promise<void>(resolve => (storedSeq = resolve));
    const { pipeline } = pipelineFor(store, {
      // Far beyond the test's timeout: only an idle store may seal the batch.
      maxWaitMs: 10 * 60 * 1000,
      onStored: (_, stored) => {
        if (stored.runVersions?.['run-1'] === 1) {
          storedSeq();
        }
      }
    });
    await pipeline.start();
    await spool([startRecord(), metricsRecord(1, 0, { loss: 0.5 })]);
    await stored;
    expect(store.points.get('run-1:1:loss')?.value).toBe(0.5);
  });

  /**
   * A store whose first `count` writes wait for `release()`; `started(n)`
   * resolves once n writes began. `calls` lists writes as they end.
   */
  function storeHoldingWrites(count: number): FakeStore & {
    release(): void;
    started(writes: number): Promise<void>;
    begun(): number;
  } {
    const store = new FakeStore();
    const write = store.write.bind(store);
    let release = (): void => undefined;
    const held = new Promise<void>(resolve => (release = resolve));
    let begun = 0;
    const waiters: { writes: number; wake: () => void }[] = [];
    store.write = async (batch: IWriteBatch): Promise<IWriteResult> => {
      begun += 1;
      for (const waiter of waiters.filter(item => item.writes <= begun)) {
        waiter.wake();
      }
      if (begun <= count) {
        await held;
      }
      return write(batch);
    };
    const started = (writes: number): Promise<void> =>
      new Promise(resolve => {
        if (begun >= writes) {
          resolve();
        } else {
          waiters.push({ writes, wake: resolve });
        }
      });
    return Object.assign(store, {
      release: () => release(),
      started,
      begun: () => begun
    });
  }

  it('stores two batches at once, and batches what arrives while both writes are out', async () => {
    const store = storeHoldingWrites(2);
    let storedAll = (): void => undefined;
    const stored = new Promise<void>(resolve => (storedAll = resolve));
    const { pipeline } = pipelineFor(store, {
      maxWaitMs: 10 * 60 * 1000,
      onStored: (_, stored) => {
        if (stored.runVersions?.['run-1'] === 3) {
          storedAll();
        }
      }
    });
    await pipeline.start();
    await spool([startRecord()]);
    await store.started(1);
    await spool([logRecord(1, 'a')]);
    // The second write goes out while the first is held.
    await store.started(2);
    await spool([logRecord(2, 'b')]);
    await spool([logRecord(3, 'c')]);
    // Give the tailer a poll to read them while both writes are held.
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(store.begun()).toBe(2);
    store.release();
    await stored;
    expect(storedSeqs(store)).toEqual([0, 1, 2, 3]);
    expect(itemsPerCall(store)).toEqual([1, 1, 2]);
  });

  it("stores a watched run's line while both write slots are held by other runs", async () => {
    const store = storeHoldingWrites(2);
    await spool([startRecord('busy')], 'busy');
    const { pipeline } = pipelineFor(store, {
      maxWaitMs: 10 * 60 * 1000,
      isWatched: runId => runId === 'watched'
    });
    await pipeline.start();
    await store.started(1);
    await spool([logRecord(1, 'busy line')], 'busy');
    await store.started(2);
    // Both slots are held: the watched line's write goes out beside them.
    await spool(
      [startRecord('watched'), logRecord(1000, 'watched line')],
      'watched'
    );
    await store.started(3);
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(store.begun()).toBe(3);
    const watchedStored = [...store.documents.values()].some(
      document => document.message === 'watched line'
    );
    expect(watchedStored).toBe(true);
    // A line of another run still waits for a slot.
    await spool([logRecord(2, 'busy later')], 'busy');
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(store.begun()).toBe(3);
    store.release();
    await pipeline.flush(5000);
    expect(store.begun()).toBe(4);
  });

  it("serves a run's points as each batch is sealed, in order, whichever batch the store takes first", async () => {
    const store = new FakeStore();
    const write = store.write.bind(store);
    const gates: (() => void)[] = [];
    store.write = async (batch: IWriteBatch): Promise<IWriteResult> => {
      await new Promise<void>(resolve => gates.push(resolve));
      return write(batch);
    };
    const writesOut = async (count: number): Promise<void> => {
      while (gates.length < count) {
        await new Promise(resolve => setTimeout(resolve, 5));
      }
    };
    const recent = new RecentData();
    const stored: IWriteBatch[] = [];
    const storedUpdates: IRunUpdate[] = [];
    const { pipeline, updates } = pipelineFor(store, {
      onSealed: (_, sealed) => recent.sealed(sealed),
      onStored: (batchUpdates, batch) => {
        stored.push(batch);
        storedUpdates.push(...batchUpdates);
        recent.stored(batch);
      }
    });
    await pipeline.start();
    const epochs = (): number[] =>
      recent.points('run-1').map(point => point.epoch as number);
    await spool([startRecord(), metricsRecord(1, 0, { loss: 0.5 })]);
    await writesOut(1);
    // Sealed and not stored: the point and the run's news are out already.
    expect(epochs()).toEqual([0]);
    expect(updates[updates.length - 1]).toMatchObject({ last_seq: 1 });
    expect(recent.summary('run-1')?.last_metrics).toEqual({ loss: 0.5 });
    await spool([metricsRecord(2, 1, { loss: 0.4 })]);
    await writesOut(2);
    expect(epochs()).toEqual([0, 1]);
    expect(updates[updates.length - 1]).toMatchObject({ last_seq: 2 });
    // The later batch is stored first: a reader still has every point.
    gates[1]();
    while (stored.length < 1) {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
    expect(stored[0].runVersions).toEqual({ 'run-1': 2 });
    expect(epochs()).toEqual([0, 1]);
    gates[0]();
    await pipeline.flush(5000);
    expect(stored).toHaveLength(2);
    // What a store without the cache tells live clients once stored.
    expect(storedUpdates.map(update => update.last_seq)).toEqual([2, 1]);
    expect(epochs()).toEqual([0, 1]);
    expect(store.points.size).toBe(2);
  });

  it("stores a watched run's batch without waiting for an older batch of the run still out", async () => {
    const store = storeHoldingWrites(2);
    let watching = false;
    await spool([startRecord('busy')], 'busy');
    const { pipeline } = pipelineFor(store, {
      maxWaitMs: 10 * 60 * 1000,
      isWatched: runId => watching && runId === 'live'
    });
    await pipeline.start();
    await store.started(1);
    await spool([startRecord('live'), logRecord(1, 'live 1')], 'live');
    await store.started(2);
    // A chart opens on the run: its next line goes in a watched batch, in
    // the third slot, while the batch with its first lines is still held.
    watching = true;
    await spool([logRecord(2, 'live 2')], 'live');
    const thirdWrite = await Promise.race([
      store.started(3).then(() => true),
      new Promise<boolean>(resolve => setTimeout(() => resolve(false), 2000))
    ]);
    store.release();
    await pipeline.flush(5000);
    expect(thirdWrite).toBe(true);
    const callOf = (message: string): number =>
      store.calls.findIndex(call =>
        call.documents.some(document => document.message === message)
      );
    expect(callOf('live 1')).toBeGreaterThanOrEqual(0);
    expect(callOf('live 2')).toBeLessThan(callOf('live 1'));
  });

  /**
   * A pipeline of one-document batches whose store holds every write, with
   * the run `busy` filling both write slots and the queue behind them;
   * `watchedRun` is watched.
   */
  async function queueFull(watchedRun: string): Promise<{
    pipeline: Pipeline<IFakeParserState>;
    store: ReturnType<typeof storeHoldingWrites>;
    updates: IRunUpdate[];
  }> {
    const store = storeHoldingWrites(100);
    const { pipeline, updates } = pipelineFor(store, {
      maxDocs: 1,
      maxWaitMs: 10 * 60 * 1000,
      isWatched: runId => runId === watchedRun
    });
    await pipeline.start();
    await spool([startRecord('busy')], 'busy');
    await store.started(1);
    await spool(
      [1, 2, 3, 4, 5, 6].map(seq => logRecord(seq, `busy ${seq}`)),
      'busy'
    );
    await store.started(2);
    return { pipeline, store, updates };
  }

  it("seals a watched run's new lines while its earlier batches wait for a slow store", async () => {
    const { pipeline, store, updates } = await queueFull('live');
    const liveSeqs = (): number[] =>
      updates
        .filter(update => update.run_id === 'live')
        .map(update => update.last_seq);
    try {
      // Every write is held: the queue is full, and so is the watched slot.
      await spool([startRecord('live')], 'live');
      for (let seq = 1001; seq <= 1003; seq += 1) {
        await new Promise(resolve => setTimeout(resolve, 100));
        await spool([logRecord(seq, `live ${seq}`)], 'live');
      }
      const deadline = Date.now() + 2000;
      while (!liveSeqs().includes(1003) && Date.now() < deadline) {
        await new Promise(resolve => setTimeout(resolve, 20));
      }
      expect(liveSeqs()).toEqual([0, 1001, 1002, 1003]);
      expect(store.begun()).toBe(3);
    } finally {
      store.release();
    }
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([
      0, 0, 1, 2, 3, 4, 5, 6, 1001, 1002, 1003
    ]);
  });

  it("sends a watched run's batches waiting for a slow store in one write, handing each on", async () => {
    const store = storeHoldingWrites(3);
    const stored: IWriteBatch[] = [];
    const { pipeline, updates } = pipelineFor(store, {
      isWatched: runId => runId === 'live',
      onStored: (_, batch) => stored.push(batch)
    });
    await pipeline.start();
    const sealedSeqs = async (count: number): Promise<void> => {
      while (updates.length < count) {
        await new Promise(resolve => setTimeout(resolve, 5));
      }
    };
    await spool([startRecord('live')], 'live');
    for (let seq = 1; seq <= 5; seq += 1) {
      await sealedSeqs(seq);
      await spool([logRecord(seq, `live ${seq}`)], 'live');
    }
    await sealedSeqs(6);
    // Three writes held (every slot); lines 3 to 5 sealed one by one behind them.
    expect(store.begun()).toBe(3);
    expect(updates.map(update => update.last_seq)).toEqual([0, 1, 2, 3, 4, 5]);
    store.release();
    await pipeline.flush(5000);
    const messages = store.calls.map(call =>
      call.documents.map(document => document.message)
    );
    expect(messages).toContainEqual(['live 3', 'live 4', 'live 5']);
    expect(store.calls).toHaveLength(4);
    // The newest summary only, with its version.
    const merged = store.calls.find(call => call.documents.length === 3);
    expect(merged?.runs).toHaveLength(1);
    expect(merged?.runVersions).toEqual({ live: 5 });
    expect(stored).toHaveLength(6);
    const size = (await fsp.stat(path.join(spoolDir, 'live.ndjson'))).size;
    expect((await registryFile()).files['live.ndjson'].offset).toBe(size);
  });

  it("looks only at watched runs' files while every batch slot is taken", async () => {
    const { pipeline, store } = await queueFull('watched');
    // Two batches out, two waiting: no room for the busy run's lines.
    await new Promise(resolve => setTimeout(resolve, 100));
    // The module itself: the namespace imported here is a copy of getters.
    const stat = jest.spyOn(
      jest.requireActual<typeof fsp>('fs/promises'),
      'stat'
    );
    try {
      for (let seq = 7; seq < 12; seq += 1) {
        await spool([logRecord(seq, `busy ${seq}`)], 'busy');
        await new Promise(resolve => setTimeout(resolve, 30));
      }
      expect(stat).not.toHaveBeenCalled();
      await spool(
        [startRecord('watched'), logRecord(1000, 'watched line')],
        'watched'
      );
      await store.started(3);
      const statted = stat.mock.calls.map(call =>
        path.basename(String(call[0]))
      );
      expect(new Set(statted)).toEqual(new Set(['watched.ndjson']));
    } finally {
      stat.mockRestore();
      store.release();
    }
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([
      0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1000
    ]);
  });

  it('moves the registry past a batch only once every batch sealed before it is stored', async () => {
    const store = new FakeStore();
    const write = store.write.bind(store);
    let release = (): void => undefined;
    const held = new Promise<void>(resolve => (release = resolve));
    let secondStored = (): void => undefined;
    const second = new Promise<void>(resolve => (secondStored = resolve));
    store.write = async (batch: IWriteBatch): Promise<IWriteResult> => {
      if (store.calls.length === 0) {
        store.calls.push(batch);
        await held;
        store.calls.shift();
        return write(batch);
      }
      const result = await write(batch);
      secondStored();
      return result;
    };
    const registryAtNotice: (number | null)[] = [];
    const { pipeline } = pipelineFor(store, {
      maxWaitMs: 10 * 60 * 1000,
      onStored: () => {
        const file = path.join(stateDir, 'registry.json');
        registryAtNotice.push(
          fs.existsSync(file)
            ? (JSON.parse(fs.readFileSync(file, 'utf8')).files['run-1.ndjson']
                ?.offset ?? null)
            : null
        );
      }
    });
    await pipeline.start();
    await spool([startRecord()]);
    await new Promise(resolve => setTimeout(resolve, 50));
    await spool([logRecord(1, 'a')]);
    await second;
    await new Promise(resolve => setTimeout(resolve, 50));
    // The later batch is stored and handed on, but the registry waits
    // for the earlier one.
    expect(storedSeqs(store)).toEqual([1]);
    expect(registryAtNotice).toEqual([null]);
    expect(fs.existsSync(path.join(stateDir, 'registry.json'))).toBe(false);
    release();
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 1]);
    const size = (await fsp.stat(path.join(spoolDir, 'run-1.ndjson'))).size;
    expect((await registryFile()).files['run-1.ndjson']).toMatchObject({
      offset: size,
      line: 2,
      state: { lastSeq: 1 }
    });
  });

  it("stores a watched run's new line ahead of other runs' backlog, and the backlog still goes on", async () => {
    const store = new FakeStore();
    const write = store.write.bind(store);
    store.write = async (batch: IWriteBatch): Promise<IWriteResult> => {
      await new Promise(resolve => setTimeout(resolve, 10));
      return write(batch);
    };
    const backlog = [startRecord('busy')];
    for (let seq = 1; seq <= 300; seq += 1) {
      backlog.push(logRecord(seq, `line ${seq}`));
    }
    await spool(backlog, 'busy');
    const { pipeline } = pipelineFor(store, {
      maxDocs: 10,
      isWatched: runId => runId === 'watched'
    });
    await pipeline.start();
    while (store.calls.length < 2) {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
    // The fake parser names the run of log records run-1: seqs apart.
    await spool(
      [startRecord('watched'), logRecord(1000, 'watched line')],
      'watched'
    );
    await pipeline.flush(20000);
    const runsOf = (batch: IWriteBatch): string[] => [
      ...new Set(
        batch.documents.map(document =>
          document._id.startsWith('watched:') ||
          document.message === 'watched line'
            ? 'watched'
            : 'busy'
        )
      )
    ];
    const watchedCall = store.calls.findIndex(batch =>
      runsOf(batch).includes('watched')
    );
    const busyCalls = store.calls.filter(batch =>
      runsOf(batch).includes('busy')
    ).length;
    // 31 batches of the busy run were sealed before the watched line was
    // written; it went out within the next few writes, in a batch of its own.
    expect(busyCalls).toBe(31);
    expect(runsOf(store.calls[watchedCall])).toEqual(['watched']);
    expect(watchedCall).toBeLessThan(10);
    expect(store.documents.size).toBe(303);
  });

  it("writes a backlogged run's summary once a second, and with the batch that reaches the end of its file", async () => {
    const store = new FakeStore();
    const backlog = [startRecord()];
    for (let seq = 1; seq <= 100; seq += 1) {
      backlog.push(logRecord(seq, `line ${seq}`));
    }
    await spool(backlog);
    // A clock that stands still: the interval never passes.
    const now = Date.parse('2026-01-31T10:00:00Z');
    const { pipeline, updates } = pipelineFor(store, {
      maxDocs: 10,
      now: () => now
    });
    await pipeline.start();
    await pipeline.flush(5000);
    const withSummary = (): number[] =>
      store.calls
        .map((call, index) => (call.runs.length > 0 ? index : -1))
        .filter(index => index >= 0);
    // 11 batches: the first and the last carry the summary.
    expect(store.calls).toHaveLength(11);
    expect(withSummary()).toEqual([0, 10]);
    expect(store.runs.get('run-1')?.version).toBe(100);
    expect(updates.map(update => update.last_seq)).toEqual([9, 100]);

    // The next line's batch reads the file to its end: it carries it again.
    await spool([logRecord(101, 'later')]);
    await pipeline.flush(5000);
    expect(withSummary()).toEqual([0, 10, 11]);
    expect(store.runs.get('run-1')?.version).toBe(101);
  });

  it('writes the run summary of lines read up to a torn last line (a writer killed mid-line)', async () => {
    const store = new FakeStore();
    await spool([startRecord(), logRecord(1, 'one'), logRecord(2, 'two')]);
    // A clock that stands still: the once-a-second summary never comes due.
    const now = Date.parse('2026-01-31T10:00:00Z');
    const { pipeline } = pipelineFor(store, { now: () => now });
    await pipeline.start();
    await pipeline.flush(5000);
    expect(store.runs.get('run-1')?.version).toBe(2);

    const torn = JSON.stringify(logRecord(5, 'five')).slice(0, 10);
    await fsp.appendFile(
      path.join(spoolDir, 'run-1.ndjson'),
      ndjson([logRecord(3, 'three'), logRecord(4, 'four')]) + torn
    );
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 1, 2, 3, 4]);
    expect(store.runs.get('run-1')).toMatchObject({
      version: 4,
      summary: { counts: { events: 5 } }
    });
    await pipeline.stop(1000);
    expect((await registryFile()).files['run-1.ndjson'].state.lastSeq).toBe(4);
  });

  it('sends a held-back run summary alone when the read after its batch finds no further line', async () => {
    const store = new FakeStore();
    await spool([startRecord()]);
    const now = Date.parse('2026-01-31T10:00:00Z');
    // One batch for the four lines below: sealed as the last one is added.
    const { pipeline } = pipelineFor(store, { now: () => now, maxDocs: 4 });
    await pipeline.start();
    await pipeline.flush(5000);
    expect(store.runs.get('run-1')?.version).toBe(0);

    // Four lines of exactly one read's budget (256 KiB), then a torn line:
    // the read stops for its budget, not knowing that nothing follows.
    const budget = 256 * 1024;
    const lines = [1, 2, 3].map(seq =>
      ndjson([logRecord(seq, 'x'.repeat(60 * 1024))])
    );
    const used = lines.reduce((sum, line) => sum + line.length, 0);
    const bare = ndjson([logRecord(4, '')]).length;
    lines.push(ndjson([logRecord(4, 'y'.repeat(budget - used - bare))]));
    const torn = JSON.stringify(logRecord(5, 'five')).slice(0, 10);
    expect(lines.join('').length).toBe(budget);
    await fsp.appendFile(
      path.join(spoolDir, 'run-1.ndjson'),
      lines.join('') + torn
    );
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 1, 2, 3, 4]);
    expect(store.runs.get('run-1')?.version).toBe(4);
    const last = store.calls[store.calls.length - 1];
    expect(last.documents).toEqual([]);
    expect(last.runs.map(summary => summary.run_id)).toEqual(['run-1']);
  });

  it("reads another run's new line while a watched run's backlog is still being read", async () => {
    const store = new FakeStore();
    const write = store.write.bind(store);
    store.write = async (batch: IWriteBatch): Promise<IWriteResult> => {
      await new Promise(resolve => setTimeout(resolve, 5));
      return write(batch);
    };
    // About 1 MB: several reads of 256 KiB.
    const flood = [startRecord('watched')];
    for (let seq = 1; seq <= 4000; seq += 1) {
      flood.push(logRecord(seq, `${'x'.repeat(200)} ${seq}`));
    }
    await spool(flood, 'watched');
    const { pipeline } = pipelineFor(store, {
      maxDocs: 100,
      isWatched: runId => runId === 'watched'
    });
    await pipeline.start();
    while (store.calls.length < 2) {
      await new Promise(resolve => setTimeout(resolve, 5));
    }
    // The fake parser names the run of log records run-1: seqs apart.
    await spool([startRecord('other'), logRecord(9000, 'other line')], 'other');
    await pipeline.flush(30000);
    const otherCall = store.calls.findIndex(batch =>
      batch.documents.some(document => document.message === 'other line')
    );
    const floodCalls = store.calls
      .map((batch, index) =>
        batch.documents.some(document => document.message.startsWith('xxx'))
          ? index
          : -1
      )
      .filter(index => index >= 0);
    const lastFloodCall = floodCalls[floodCalls.length - 1];
    expect(otherCall).toBeGreaterThan(-1);
    // Not after the watched run's whole backlog: before its last read's batches.
    expect(otherCall).toBeLessThan(lastFloodCall - 10);
    expect(store.documents.size).toBe(4003);
  });

  it('hands a stored batch on before it saves the registry', async () => {
    const store = new FakeStore();
    const registryOffsets: (number | null)[] = [];
    const { pipeline } = pipelineFor(store, {
      onStored: () => {
        const file = path.join(stateDir, 'registry.json');
        registryOffsets.push(
          fs.existsSync(file)
            ? (JSON.parse(fs.readFileSync(file, 'utf8')).files['run-1.ndjson']
                ?.offset ?? null)
            : null
        );
      }
    });
    await pipeline.start();
    await spool([startRecord()]);
    await pipeline.flush(5000);
    // The store has the batch; the registry is saved after it is handed on.
    expect(registryOffsets).toEqual([null]);
    const size = (await fsp.stat(path.join(spoolDir, 'run-1.ndjson'))).size;
    expect((await registryFile()).files['run-1.ndjson'].offset).toBe(size);
  });

  it('ships the other runs while one spool file cannot be read, and that one once it can', async () => {
    const store = new FakeStore();
    await spool([startRecord('run-a')], 'run-a');
    await spool([startRecord('run-b')], 'run-b');
    await spool([startRecord('run-c')], 'run-c');
    // The module itself: the namespace imported here is a copy of getters.
    const actual = jest.requireActual<typeof fsp>('fs/promises');
    const realOpen = actual.open.bind(actual);
    const open = jest
      .spyOn(actual, 'open')
      .mockImplementation((file, ...rest) =>
        String(file).endsWith('run-b.ndjson')
          ? Promise.reject(
              Object.assign(new Error('EIO: i/o error, open'), { code: 'EIO' })
            )
          : realOpen(file, ...rest)
      );
    const { pipeline, status, lines } = pipelineFor(store);
    try {
      await pipeline.start();
      await pipeline.flush(5000);
      // Polls go on: it is retried, and logged once.
      await new Promise(resolve => setTimeout(resolve, 100));
      expect(
        open.mock.calls.filter(call => /run-b/.test(String(call[0]))).length
      ).toBeGreaterThan(2);
    } finally {
      open.mockRestore();
    }
    expect([...store.documents.keys()].sort()).toEqual(['run-a:0', 'run-c:0']);
    expect(status.snapshot().lastError?.message).toMatch(
      /cannot read .*run-b\.ndjson: .*EIO/
    );
    expect(lines.filter(line => /run-b\.ndjson.*EIO/.test(line))).toHaveLength(
      1
    );
    await pipeline.flush(5000);
    expect(store.documents.has('run-b:0')).toBe(true);
    expect(
      lines.some(line => /run-b\.ndjson can be read again/.test(line))
    ).toBe(true);
  });

  it('picks up files that appear and lines appended later', async () => {
    const store = new FakeStore();
    const { pipeline } = pipelineFor(store);
    await pipeline.start();
    await spool([startRecord()]);
    await pipeline.flush(5000);
    await spool([logRecord(1, 'later')]);
    await spool([startRecord('run-2')], 'run-2');
    await pipeline.flush(5000);
    expect([...store.documents.keys()].sort()).toEqual([
      'run-1:0',
      'run-1:1',
      'run-2:0'
    ]);
  });

  it('resumes after a crash: nothing lost, nothing stored twice', async () => {
    const store = new FakeStore();
    await spool([startRecord(), logRecord(1, 'a'), logRecord(2, 'b')]);
    const first = pipelineFor(store);
    await first.pipeline.start();
    await first.pipeline.flush(5000);
    const registryAfterFirst = await fsp.readFile(
      path.join(stateDir, 'registry.json')
    );

    await spool([logRecord(3, 'c'), metricsRecord(4, 0, { loss: 1 })]);
    await first.pipeline.flush(5000);
    await first.pipeline.stop(100);
    // The crash: the store took records 3 and 4, the registry write did not happen.
    await fsp.writeFile(
      path.join(stateDir, 'registry.json'),
      registryAfterFirst
    );
    await spool([logRecord(5, 'd'), endRecord(6)]);

    const second = pipelineFor(store);
    await second.pipeline.start();
    await second.pipeline.flush(5000);

    expect(storedSeqs(store)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(second.status.counters.duplicates).toBeGreaterThanOrEqual(2);
    expect(store.runs.get('run-1')).toMatchObject({
      version: 6,
      summary: { status: 'finished' }
    });
    const registry = await registryFile();
    // The parser state continued from the registry, not from scratch.
    expect(registry.files['run-1.ndjson'].state.parser.records).toBe(7);
  });

  it('saves no registry once it stands down for another shipper, even for a batch stored after', async () => {
    const store = storeHoldingWrites(1);
    const { pipeline } = pipelineFor(store);
    await pipeline.start();
    await spool([startRecord()]);
    await store.started(1);
    // The new shipper's registry, written while this batch is still out.
    const theirs = JSON.stringify({ version: 1, files: {} });
    await fsp.writeFile(path.join(stateDir, 'registry.json'), theirs);
    const stopped = pipeline.standDown(5000);
    store.release();
    await stopped;
    expect(store.documents.has('run-1:0')).toBe(true);
    expect(
      await fsp.readFile(path.join(stateDir, 'registry.json'), 'utf8')
    ).toBe(theirs);
  });

  it('reads the spool again when the store is a fresh one (a new store id)', async () => {
    const lost = Object.assign(new FakeStore(), { storeId: () => 'db-1' });
    await spool([startRecord(), logRecord(1, 'a'), endRecord(2)]);
    const first = pipelineFor(lost);
    await first.pipeline.start();
    await first.pipeline.flush(5000);
    await first.pipeline.stop(100);
    expect(
      JSON.parse(
        await fsp.readFile(path.join(stateDir, 'registry.json'), 'utf8')
      ).store
    ).toBe('db-1');

    // The same database again: nothing is read twice.
    const same = Object.assign(new FakeStore(), { storeId: () => 'db-1' });
    const second = pipelineFor(same);
    await second.pipeline.start();
    await spool([logRecord(3, 'late')]);
    await second.pipeline.flush(5000);
    await second.pipeline.stop(100);
    expect(storedSeqs(same)).toEqual([3]);

    // A fresh database (the old one set aside): everything is read again.
    const fresh = Object.assign(new FakeStore(), { storeId: () => 'db-2' });
    const third = pipelineFor(fresh);
    await third.pipeline.start();
    await third.pipeline.flush(5000);
    expect(storedSeqs(fresh)).toEqual([0, 1, 2, 3]);
    expect(third.lines.join('\n')).toMatch(
      /not the one .*registry\.json was written for .*reading the spool again/
    );
    expect(fresh.runs.get('run-1')?.summary.status).toBe('finished');
  });

  it('reads a spool file rewritten in place while it was stopped from the start', async () => {
    const store = new FakeStore();
    const file = path.join(spoolDir, 'run-1.ndjson');
    await spool([startRecord(), logRecord(1, 'a'), logRecord(2, 'b')]);
    const first = pipelineFor(store);
    await first.pipeline.start();
    await first.pipeline.flush(5000);
    await first.pipeline.stop(100);
    const savedOffset = (await registryFile()).files['run-1.ndjson'].offset;

    // Truncated and written again, longer, same inode: the saved offset now
    // falls inside a line of the new content.
    const handle = await fsp.open(file, 'r+');
    try {
      await handle.truncate(0);
      await handle.write(
        ndjson([
          startRecord(),
          logRecord(1, 'a'),
          logRecord(2, 'b'.repeat(200)),
          logRecord(3, 'c'),
          endRecord(4)
        ]),
        0
      );
    } finally {
      await handle.close();
    }
    expect((await fsp.stat(file)).size).toBeGreaterThan(savedOffset);

    const second = pipelineFor(store);
    await second.pipeline.start();
    await second.pipeline.flush(5000);
    expect(second.status.counters.invalidLines).toBe(0);
    expect(second.lines.join('\n')).toMatch(/reading it again from the start/);
    expect(storedSeqs(store)).toEqual([0, 1, 2, 3, 4]);
    expect(store.runs.get('run-1')).toMatchObject({
      summary: { status: 'finished' }
    });
    expect((await registryFile()).files['run-1.ndjson']).toMatchObject({
      offset: (await fsp.stat(file)).size,
      line: 5
    });
  });

  it('keeps everything in the spool while the store is down, and ships it later', async () => {
    const down = new FakeStore();
    down.failNext = Number.MAX_SAFE_INTEGER;
    await spool([startRecord(), logRecord(1, 'a')]);
    const first = pipelineFor(down);
    await first.pipeline.start();
    await expect(first.pipeline.flush(300)).rejects.toThrow(
      /not stored within/
    );
    expect(first.status.state).toBe('starting');
    expect(first.status.backlog.files).toBe(1);
    await first.pipeline.stop(50);

    const up = new FakeStore();
    const second = pipelineFor(up);
    await second.pipeline.start();
    await second.pipeline.flush(5000);
    expect(storedSeqs(up)).toEqual([0, 1]);
  });

  it('tells whether a run has spooled records it has not read yet', async () => {
    const store = storeDownAfter(0);
    const records: SpoolRecord[] = [startRecord()];
    for (let seq = 1; seq <= 50; seq += 1) {
      records.push(logRecord(seq, `line ${seq} `.padEnd(10_000, '.')));
    }
    await spool(records);
    // 500 KB, read 256 KB a turn; one record a batch, at most four sealed:
    // while the store is down, reading stops with the rest unread.
    const { pipeline } = pipelineFor(store, { maxDocs: 1 });
    expect(pipeline.hasUnread('run-1')).toBe(false);
    await pipeline.start();
    await expect(pipeline.flush(300)).rejects.toThrow(/not stored within/);
    expect(pipeline.hasUnread('run-1')).toBe(true);
    expect(pipeline.hasUnread('run-2')).toBe(false);
    store.up();
    // A flush stores what was read; the rest is read as room frees up.
    const deadline = Date.now() + 10_000;
    while (storedSeqs(store).length < 51 && Date.now() < deadline) {
      await pipeline.flush(10_000);
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    expect(storedSeqs(store)).toHaveLength(51);
    expect(pipeline.hasUnread('run-1')).toBe(false);
  });

  it('skips an invalid line with file:line in the log and ships the rest', async () => {
    const store = new FakeStore();
    await fsp.writeFile(
      path.join(spoolDir, 'run-1.ndjson'),
      ndjson([startRecord()]) +
        'not json at all\n' +
        ndjson([logRecord(2, 'after')])
    );
    const { pipeline, status, lines } = pipelineFor(store);
    await pipeline.start();
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 2]);
    expect(status.counters.invalidLines).toBe(1);
    expect(lines.join('\n')).toMatch(
      /ERROR .*run-1\.ndjson:2: skipped: not valid JSON/
    );
    const size = (await fsp.stat(path.join(spoolDir, 'run-1.ndjson'))).size;
    expect((await registryFile()).files['run-1.ndjson'].offset).toBe(size);
  });

  it('splits a large backlog into batches of at most maxDocs', async () => {
    const store = new FakeStore();
    const records: SpoolRecord[] = [startRecord()];
    for (let seq = 1; seq < 250; seq += 1) {
      records.push(logRecord(seq, `line ${seq}`));
    }
    await spool(records);
    const { pipeline } = pipelineFor(store, { maxDocs: 100 });
    await pipeline.start();
    await pipeline.flush(5000);
    expect(store.documents.size).toBe(250);
    expect(
      Math.max(...store.calls.map(call => call.documents.length))
    ).toBeLessThanOrEqual(100);
  });

  it('splits the items of one record over several batches, none over maxDocs', async () => {
    const store = new FakeStore();
    await spool([
      startRecord(),
      metricsRecord(1, 0, manyMetrics(250)),
      logRecord(2, 'after')
    ]);
    const { pipeline, updates } = pipelineFor(store, { maxDocs: 100 });
    await pipeline.start();
    await pipeline.flush(5000);

    expect(storedSeqs(store)).toEqual([0, 1, 2]);
    expect(store.points.size).toBe(250);
    expect(itemsPerCall(store).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...itemsPerCall(store))).toBeLessThanOrEqual(100);
    expect(store.runs.get('run-1')).toMatchObject({
      version: 2,
      summary: { counts: { events: 3 }, last_metrics: { m0: 0, m249: 249 } }
    });
    const size = (await fsp.stat(path.join(spoolDir, 'run-1.ndjson'))).size;
    expect((await registryFile()).files['run-1.ndjson']).toMatchObject({
      offset: size,
      line: 3,
      state: { lastSeq: 2, parser: { records: 3 } }
    });
    expect(updates[updates.length - 1]).toMatchObject({ last_seq: 2 });
  });

  it('splits one record by bytes too, measuring its items', async () => {
    const store = new FakeStore();
    await spool([startRecord(), metricsRecord(1, 0, manyMetrics(250))]);
    const { pipeline } = pipelineFor(store, { maxBytes: 20000 });
    await pipeline.start();
    await pipeline.flush(5000);

    expect(store.points.size).toBe(250);
    const bytes = store.calls.map(
      call =>
        JSON.stringify(call.documents).length +
        JSON.stringify(call.points).length
    );
    expect(bytes.length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...bytes)).toBeLessThanOrEqual(20000);
  });

  it('moves the registry past a split record only once all its parts are stored', async () => {
    const store = storeDownAfter(2);
    await spool([startRecord(), logRecord(1, 'a')]);
    const first = pipelineFor(store, { maxDocs: 100 });
    await first.pipeline.start();
    await first.pipeline.flush(5000);
    // Its first part is stored, then the store goes down.
    await spool([metricsRecord(2, 0, manyMetrics(250))]);
    await expect(first.pipeline.flush(300)).rejects.toThrow(
      /not stored within/
    );
    await first.pipeline.stop(50);
    expect(store.points.size).toBeGreaterThan(0);
    expect(store.points.size).toBeLessThan(250);
    expect((await registryFile()).files['run-1.ndjson']).toMatchObject({
      line: 2,
      state: { lastSeq: 1, parser: { records: 2 } }
    });

    store.up();
    const second = pipelineFor(store, { maxDocs: 100 });
    await second.pipeline.start();
    await second.pipeline.flush(5000);
    expect(store.points.size).toBe(250);
    expect(second.status.counters.duplicates).toBeGreaterThan(0);
    expect(store.runs.get('run-1')).toMatchObject({
      version: 2,
      summary: { counts: { events: 3 } }
    });
    expect((await registryFile()).files['run-1.ndjson']).toMatchObject({
      line: 3,
      state: { lastSeq: 2, parser: { records: 3 } }
    });
  });

  it('saves with a batch the run state of its last record, not of a record that did not fit it', async () => {
    const store = storeDownAfter(2);
    await spool([startRecord(), logRecord(1, 'a')]);
    const first = pipelineFor(store, { maxDocs: 2 });
    await first.pipeline.start();
    await first.pipeline.flush(5000);
    // Record 3 (a document and a point) does not fit next to record 2: the
    // open batch is sealed without it, after it was parsed.
    await spool([logRecord(2, 'b'), metricsRecord(3, 0, { loss: 1 })]);
    await expect(first.pipeline.flush(300)).rejects.toThrow(
      /not stored within/
    );
    await first.pipeline.stop(50);
    const entry = (await registryFile()).files['run-1.ndjson'];
    expect(entry.state.parser.records).toBe(entry.line);
    expect(entry.state.lastSeq).toBe(entry.line - 1);

    store.up();
    await spool([logRecord(4, 'c')]);
    const second = pipelineFor(store, { maxDocs: 2 });
    await second.pipeline.start();
    await second.pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 1, 2, 3, 4]);
    // Record 3 is folded into the summary once, not again on the replay.
    expect(store.runs.get('run-1')).toMatchObject({
      version: 4,
      summary: { counts: { events: 5 } }
    });
  });

  it("files a run under its notebook's path relative to the server root", async () => {
    const seen: SpoolRecord[] = [];
    const recording: IRecordParser<IFakeParserState> = {
      newRunState: fakeParser.newRunState,
      parseRecord: (record, state) => {
        seen.push(record);
        return fakeParser.parseRecord(record, state);
      }
    };
    const started = startRecord();
    if (started.t !== 'start') {
      throw new Error('startRecord() is not a start record');
    }
    started.ctx.notebook = '/home/alice/work/train.ipynb';
    const store = new FakeStore();
    await spool([
      started,
      { t: 'context', seq: 1, ts: started.ts + 1, notebook: '/srv/t.ipynb' },
      {
        t: 'context',
        seq: 2,
        ts: started.ts + 2,
        notebook: '/home/alice/renamed.ipynb'
      }
    ]);
    const { pipeline } = pipelineFor(store, {
      parser: recording,
      serverRoot: '/home/alice'
    });
    await pipeline.start();
    await pipeline.flush(5000);
    expect(
      seen.map(record =>
        record.t === 'start'
          ? record.ctx.notebook
          : (record as { notebook?: string }).notebook
      )
    ).toEqual(['work/train.ipynb', '/srv/t.ipynb', 'renamed.ipynb']);
    expect(store.runs.get('run-1')?.summary.notebook).toBe('renamed.ipynb');
  });

  it('counts and logs with file:line what a per-record cap kept out of points', async () => {
    const capping: IRecordParser<IFakeParserState> = {
      newRunState: fakeParser.newRunState,
      parseRecord: (record, state) => {
        const parsed = fakeParser.parseRecord(record, state);
        return record.seq === 1
          ? { ...parsed, capped: ['3 value(s) over the cap, kept in run-1:1'] }
          : parsed;
      }
    };
    const store = new FakeStore();
    await spool([startRecord(), logRecord(1, 'a'), logRecord(2, 'b')]);
    const { pipeline, status, lines } = pipelineFor(store, {
      parser: capping
    });
    await pipeline.start();
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 1, 2]);
    expect(status.counters.cappedRecords).toBe(1);
    expect(lines.join('\n')).toMatch(
      /WARN .*run-1\.ndjson:2: 3 value\(s\) over the cap, kept in run-1:1/
    );
  });

  /**
   * The fake parser, with stream lines as the real one gives them: a
   * `tflog.stream` event with a point, in place when its text ends with '\r'
   * (the real parser's side is tested in parse/parser.test.ts).
   */
  const progressParser: IRecordParser<IFakeParserState> = {
    newRunState: fakeParser.newRunState,
    parseRecord: (record, state) => {
      const parsed = fakeParser.parseRecord(record, state);
      if (record.t !== 'stream') {
        return parsed;
      }
      const [document] = parsed.documents;
      document.event.dataset = 'tflog.stream';
      document.tflog.source = record.stream;
      parsed.points.push({
        _id: `${document._id}:loss`,
        '@timestamp': document['@timestamp'],
        run_id: document.tflog.run_id,
        notebook: null,
        user: 'alice',
        name: 'loss',
        value: record.seq,
        step: record.seq,
        scope: 'batch',
        source: 'text'
      });
      return record.text.endsWith('\r')
        ? { ...parsed, inPlace: [document] }
        : parsed;
    }
  };

  function streamRecord(
    seq: number,
    text: string,
    stream: 'stdout' | 'stderr' = 'stdout'
  ): SpoolRecord {
    return { t: 'stream', seq, ts: T0 + seq, stream, text };
  }

  it('stores a progress state that a later line of its stream overwrites in the batch as its points only', async () => {
    const store = new FakeStore();
    await spool([
      startRecord(),
      streamRecord(1, '1/4 bar\r'),
      streamRecord(2, 'a warning\n', 'stderr'),
      logRecord(3, 'logged'),
      streamRecord(4, '2/4 bar\r'),
      streamRecord(5, '4/4 bar done\n'),
      streamRecord(6, '1/4 bar\r'),
      streamRecord(7, 'on the other stream\n', 'stderr')
    ]);
    const { pipeline, status } = pipelineFor(store, { parser: progressParser });
    await pipeline.start();
    await pipeline.flush(5000);
    // 1 and 4 were overwritten by the next stdout line; 6 is the last state.
    expect(storedSeqs(store)).toEqual([0, 2, 3, 5, 6, 7]);
    expect([...store.points.values()].map(point => point.step).sort()).toEqual([
      1, 2, 4, 5, 6, 7
    ]);
    expect(status.counters.overwrittenStates).toBe(2);
  });

  it("keeps a batch's last progress state as an event even when the next batch overwrites it", async () => {
    const store = new FakeStore();
    await spool([startRecord(), streamRecord(1, '1/3 bar\r')]);
    const { pipeline, status } = pipelineFor(store, { parser: progressParser });
    await pipeline.start();
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 1]);
    await spool([streamRecord(2, '2/3 bar\r'), streamRecord(3, '3/3 bar\n')]);
    await pipeline.flush(5000);
    expect(storedSeqs(store)).toEqual([0, 1, 3]);
    expect(store.points.size).toBe(3);
    expect(status.counters.overwrittenStates).toBe(1);
  });

  it("never changes a stored batch's run summary with the lines after it (summaries fold in place)", async () => {
    const store = new FakeStore();
    const written: { batch: IWriteBatch; json: string }[] = [];
    await spool([startRecord(), logRecord(1, 'first')]);
    const { pipeline } = pipelineFor(store, {
      onSealed: (_updates, batch) =>
        written.push({ batch, json: JSON.stringify(batch.runs) })
    });
    await pipeline.start();
    await pipeline.flush(5000);
    await spool([
      logRecord(2, 'careful', 'WARNING'),
      metricsRecord(3, 0, { loss: 0.5 })
    ]);
    await pipeline.flush(5000);
    const withRuns = written.filter(({ batch }) => batch.runs.length > 0);
    expect(withRuns.length).toBeGreaterThanOrEqual(2);
    expect(withRuns[0].batch.runs[0].counts.warnings).toBe(0);
    for (const { batch, json } of withRuns) {
      expect(JSON.stringify(batch.runs)).toBe(json);
    }
    expect(withRuns[withRuns.length - 1].batch.runs[0].counts.warnings).toBe(1);
  });

  it('deletes an ended, fully stored spool file after the grace period only', async () => {
    const store = new FakeStore();
    let now = Date.parse('2026-01-01T00:00:00Z');
    await spool([startRecord(), endRecord(1)]);
    await spool([startRecord('run-2')], 'run-2');
    const first = pipelineFor(store, { now: () => now, spoolKeepDays: 7 });
    await first.pipeline.start();
    await first.pipeline.flush(5000);
    await first.pipeline.stop(100);
    expect((await registryFile()).files['run-1.ndjson'].endedAt).toBe(
      '2026-01-01T00:00:00.000Z'
    );

    now += 6 * DAY_MS;
    const second = pipelineFor(store, { now: () => now, spoolKeepDays: 7 });
    await second.pipeline.start();
    await second.pipeline.stop(100);
    expect((await fsp.readdir(spoolDir)).sort()).toEqual([
      'run-1.ndjson',
      'run-2.ndjson'
    ]);

    now += 2 * DAY_MS;
    const third = pipelineFor(store, { now: () => now, spoolKeepDays: 7 });
    await third.pipeline.start();
    expect(await fsp.readdir(spoolDir)).toEqual(['run-2.ndjson']);
    expect(third.status.counters.spoolFilesDeleted).toBe(1);
    expect((await registryFile()).files['run-1.ndjson']).toBeUndefined();
  });
});
