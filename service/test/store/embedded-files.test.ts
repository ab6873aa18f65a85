/**
 * The embedded store's database file: a damaged or newer file set aside,
 * a full database, a read-only reader beside the writer, and the migration
 * of a store written by the NDJSON embedded store.
 */
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';
import { DatabaseSync } from 'node:sqlite';

import { DATABASE_FILE, markDamaged } from '../../src/store/embedded-db';
import { EmbeddedStore } from '../../src/store/embedded';
import { MIGRATED_DIR } from '../../src/store/embedded-migration';
import { StoreUnavailableError, type IWriteBatch } from '../../src/store/store';
import type {
  IMetricPoint,
  IRunSummary,
  ITflogDocument
} from '../../src/types';
import { runSummary } from '../api/helpers';
import { memoryLogger } from '../ship/fakes';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'ndjson-store');

function logBatch(run: string, from: number, count: number): IWriteBatch {
  const documents: ITflogDocument[] = [];
  for (let seq = from; seq < from + count; seq += 1) {
    documents.push({
      _id: `${run}:${seq}`,
      '@timestamp': new Date(Date.UTC(2026, 10, 30, 12) + seq).toISOString(),
      message: `line ${seq} ${'x'.repeat(200)}`,
      log: { level: 'info' },
      event: { dataset: 'tflog.log', sequence: seq, kind: 'event' },
      user: { name: 'alice' },
      host: { name: 'host' },
      process: { pid: 1 },
      service: { name: 'tflog' },
      ecs: { version: '8.11.0' },
      labels: {},
      tflog: {
        run_id: run,
        run_name: null,
        notebook: null,
        kernel_id: null,
        source: 'tflog',
        kind: 'log'
      }
    });
  }
  return { documents, points: [], runs: [] };
}

describe('the embedded store database file', () => {
  let dir: string;
  const stores: EmbeddedStore[] = [];
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-embedded-file-'));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) {
      await store.close();
    }
    await fsp.rm(dir, { recursive: true, force: true });
  });

  function store(
    options: Partial<ConstructorParameters<typeof EmbeddedStore>[0]> = {}
  ): EmbeddedStore {
    const made = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger,
      ...options
    });
    stores.push(made);
    return made;
  }

  async function logTotal(opened: EmbeddedStore, run: string): Promise<number> {
    return (await opened.logs({ runId: run, size: 1, order: 'asc' })).total;
  }

  it('sets a damaged file aside, says so, and starts afresh under a new id', async () => {
    const first = store();
    await first.init();
    await first.write(logBatch('run-1', 0, 10));
    const firstId = first.storeId();
    await first.close();
    // Garbage over the header: SQLite no longer recognises the file.
    const file = path.join(dir, DATABASE_FILE);
    const handle = await fsp.open(file, 'r+');
    await handle.write(Buffer.alloc(100, 0x41), 0, 100, 0);
    await handle.close();

    const { logger, lines } = memoryLogger();
    const second = store({ logger });
    await second.init();
    const status = await second.status();
    expect(status.healthy).toBe(true);
    expect(status.degraded.join('\n')).toMatch(
      /tflog\.sqlite is damaged .*moved to .*tflog\.sqlite\.damaged-.*spool is read again/
    );
    expect(lines.join('\n')).toMatch(/ERROR .*tflog\.sqlite is damaged/);
    expect(second.storeId()).not.toBe(firstId);
    expect(await logTotal(second, 'run-1')).toBe(0);
    const aside = (await fsp.readdir(dir)).filter(name =>
      name.startsWith(`${DATABASE_FILE}.damaged-`)
    );
    expect(aside.length).toBeGreaterThan(0);
    expect(await second.write(logBatch('run-1', 0, 10))).toMatchObject({
      created: 10
    });
  });

  it('sets aside a file marked damaged while in use', async () => {
    const first = store();
    await first.init();
    await first.write(logBatch('run-1', 0, 3));
    await first.close();
    markDamaged(dir, 'database disk image is malformed');
    const second = store();
    await second.init();
    expect((await second.status()).degraded.join('\n')).toMatch(
      /found damaged while in use \(database disk image is malformed\)/
    );
    expect(await logTotal(second, 'run-1')).toBe(0);
  });

  it('answers a query that meets a damaged page with 503 and marks the file for setting aside', async () => {
    const first = store();
    await first.init();
    await first.write(logBatch('run-1', 0, 3000));
    await first.close();
    const file = path.join(dir, DATABASE_FILE);
    const size = (await fsp.stat(file)).size;
    const handle = await fsp.open(file, 'r+');
    // Garbage over the second half: the header still reads, the pages do not.
    await handle.write(Buffer.alloc(size / 2, 0x5a), 0, size / 2, size / 2);
    await handle.close();

    const second = store();
    await second.init();
    await expect(
      second.logs({ runId: 'run-1', size: 10, order: 'desc' })
    ).rejects.toThrow(/reading .*tflog\.sqlite: the database file is damaged/);
    await expect(
      fsp.readFile(path.join(dir, `${DATABASE_FILE}.damaged`), 'utf8')
    ).resolves.toMatch(/malformed|corrupt|damaged/i);
  });

  it('never opens a database of a newer schema: it is kept aside', async () => {
    const first = store();
    await first.init();
    await first.write(logBatch('run-1', 0, 3));
    await first.close();
    const raw = new DatabaseSync(path.join(dir, DATABASE_FILE));
    raw.exec('PRAGMA user_version = 99');
    raw.close();

    const second = store();
    await second.init();
    expect((await second.status()).degraded.join('\n')).toMatch(
      /written by a newer tflog \(schema 99; this one reads up to 1\).*moved to .*tflog\.sqlite\.newer-/
    );
    const aside = (await fsp.readdir(dir)).find(name =>
      /^tflog\.sqlite\.newer-[^-]/.test(name.replace(/-(wal|shm)$/, ''))
    );
    const kept = new DatabaseSync(path.join(dir, aside as string));
    expect(kept.prepare('PRAGMA user_version').get()).toEqual({
      user_version: 99
    });
    kept.close();
  });

  it('refuses a write that does not fit, stores none of it, and takes it once there is room', async () => {
    const small = store({ maxSizeMb: 1 });
    await small.init();
    let failure: unknown;
    try {
      await small.write(logBatch('run-1', 0, 10000));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(String(failure)).toMatch(
      /writing to .*tflog\.sqlite: the disk \(or the database size limit\) is full/
    );
    expect((await small.status()).error).toMatch(/is full/);
    expect(await logTotal(small, 'run-1')).toBe(0);
    await small.close();

    const roomy = store();
    await roomy.init();
    expect(await roomy.write(logBatch('run-1', 0, 10000))).toMatchObject({
      created: 10000,
      duplicates: 0
    });
    expect((await roomy.status()).healthy).toBe(true);
  });

  it('sorts and filters by values kept equal to each summary, also for runs stored before they were kept', async () => {
    const run = (runId: string, best: number, optimizer: string) =>
      runSummary(runId, {
        hparams: { optimizer, layers: 4 },
        min_metrics: { val_loss: best }
      });
    const write = (
      opened: EmbeddedStore,
      runs: IRunSummary[],
      version: number
    ) =>
      opened.write({
        documents: [],
        points: [],
        runs,
        runVersions: Object.fromEntries(runs.map(one => [one.run_id, version]))
      });
    const sorted = async (opened: EmbeddedStore, optimizer?: string) =>
      (
        await opened.searchRuns({
          size: 10,
          sort: { key: { by: 'min', metric: 'val_loss' }, order: 'asc' },
          ...(optimizer ? { hparams: { optimizer } } : {})
        })
      ).runs.map(one => one.run_id);
    const writer = store();
    await writer.init();
    await write(
      writer,
      [run('a', 0.3, 'adam'), run('b', 0.1, 'sgd'), run('c', 0.2, 'adam')],
      1
    );
    expect(await sorted(writer)).toEqual(['b', 'c', 'a']);
    // A newer summary replaces the run's values.
    await write(writer, [run('a', 0.05, 'sgd')], 2);
    expect(await sorted(writer)).toEqual(['a', 'b', 'c']);
    expect(await sorted(writer, 'adam')).toEqual(['c']);
    await writer.close();
    stores.splice(0);

    // A database from before the values were kept: a reader waits for the
    // writer, which fills them from the summaries.
    const raw = new DatabaseSync(path.join(dir, DATABASE_FILE));
    raw.exec(
      'DROP TRIGGER run_values_on_insert; DROP TRIGGER run_values_on_update; DROP TRIGGER run_values_on_delete; DROP TABLE run_values'
    );
    raw.close();
    await expect(store({ readOnly: true }).init()).rejects.toThrow(
      /has no run_values table yet/
    );
    const reopened = store();
    await reopened.init();
    expect(await sorted(reopened)).toEqual(['a', 'b', 'c']);
    expect(await sorted(reopened, 'sgd')).toEqual(['a', 'b']);
  });

  it('lets a read-only reader see what the writer commits, and nothing else', async () => {
    const missing = store({ readOnly: true });
    await expect(missing.init()).rejects.toThrow(
      /tflog\.sqlite does not exist yet: the shipping service creates it/
    );
    const writer = store();
    await writer.init();
    const reader = store({ readOnly: true });
    await reader.init();
    await writer.write(logBatch('run-1', 0, 5));
    expect(await logTotal(reader, 'run-1')).toBe(5);
    await writer.write(logBatch('run-1', 5, 5));
    expect(await logTotal(reader, 'run-1')).toBe(10);
    await expect(reader.write(logBatch('run-1', 10, 1))).rejects.toThrow(
      /only reads the embedded store/
    );
    expect((await reader.status()).degraded).toEqual([
      'read-only: another service of this user ships into this store'
    ]);
  });

  it('moves a store written by the NDJSON embedded store into the database, nothing lost', async () => {
    for (const name of await fsp.readdir(FIXTURE)) {
      if (name.endsWith('.ndjson')) {
        await fsp.copyFile(path.join(FIXTURE, name), path.join(dir, name));
      }
    }
    // A crash of the old store: a damaged line and a write never acknowledged.
    await fsp.appendFile(
      path.join(dir, 'events-2026.11.30.ndjson'),
      'not json\n{"_id":"run-a:99","message":"ha'
    );
    const expected = await fixtureContents();

    const { logger, lines } = memoryLogger();
    const migrated = store({ logger });
    await migrated.init();
    expect(lines.join('\n')).toMatch(
      /NDJSON store migrated: .*1 damaged lines skipped/
    );
    for (const run of ['run-a', 'run-b']) {
      expect(await migrated.getRun(run)).toEqual(expected.runs.get(run));
      const logs = await migrated.logs({ runId: run, size: 100, order: 'asc' });
      expect(logs.lines).toEqual(expected.events.get(run));
      const series = await migrated.series({
        runId: run,
        axis: 'time',
        maxPoints: 100
      });
      expect(series.flatMap(curve => curve.points).length).toBe(
        expected.points.get(run)?.length
      );
    }
    expect((await migrated.getRun('run-b'))?.status).toBe('failed');
    expect(await fsp.readdir(path.join(dir, MIGRATED_DIR))).toEqual(
      expect.arrayContaining(['runs.ndjson', 'events-2026.11.29.ndjson'])
    );
    expect(
      (await fsp.readdir(dir)).filter(name => name.endsWith('.ndjson'))
    ).toEqual([]);
    await migrated.close();

    // Cut short before the files were moved: done again, nothing doubled.
    for (const name of await fsp.readdir(path.join(dir, MIGRATED_DIR))) {
      await fsp.copyFile(
        path.join(dir, MIGRATED_DIR, name),
        path.join(dir, name)
      );
    }
    const again = store();
    await again.init();
    expect(
      (await again.logs({ runId: 'run-a', size: 100, order: 'asc' })).total
    ).toBe(expected.events.get('run-a')?.length);
    expect(await again.getRun('run-a')).toEqual(expected.runs.get('run-a'));
  });

  /** What the fixture holds, read independently of the store: the newest summary per run, events and points per run. */
  async function fixtureContents(): Promise<{
    runs: Map<string, unknown>;
    events: Map<string, ITflogDocument[]>;
    points: Map<string, IMetricPoint[]>;
  }> {
    const runs = new Map<string, { v: number; summary: unknown }>();
    const events = new Map<string, ITflogDocument[]>();
    const points = new Map<string, IMetricPoint[]>();
    for (const name of (await fsp.readdir(FIXTURE)).sort()) {
      if (!name.endsWith('.ndjson')) {
        continue;
      }
      const text = await fsp.readFile(path.join(FIXTURE, name), 'utf8');
      for (const line of text.split('\n').filter(Boolean)) {
        const value = JSON.parse(line);
        if (name === 'runs.ndjson') {
          const known = runs.get(value.summary.run_id);
          if (!known || known.v < value.v) {
            runs.set(value.summary.run_id, value);
          }
        } else if (name.startsWith('events-')) {
          const list = events.get(value.tflog.run_id) ?? [];
          list.push(value);
          events.set(value.tflog.run_id, list);
        } else {
          const list = points.get(value.run_id) ?? [];
          list.push(value);
          points.set(value.run_id, list);
        }
      }
    }
    for (const list of events.values()) {
      list.sort((a, b) => a.event.sequence - b.event.sequence);
    }
    return {
      runs: new Map([...runs].map(([run, line]) => [run, line.summary])),
      events,
      points
    };
  }
});
