import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { EmbeddedStore } from '../../src/store/embedded';
import type { IWriteBatch } from '../../src/store/store';
import { foldSummary } from '../../src/ship/summary';
import type { IRunSummary, SpoolRecord } from '../../src/types';
import {
  endRecord,
  fakeParser,
  logRecord,
  memoryLogger,
  metricsRecord,
  startRecord
} from '../ship/fakes';

function runBatch(
  records: SpoolRecord[],
  version: number
): IWriteBatch & { summary: IRunSummary } {
  const state = fakeParser.newRunState('run-1');
  const batch: IWriteBatch = { documents: [], points: [], runs: [] };
  let summary: IRunSummary | null = null;
  for (const record of records) {
    const parsed = fakeParser.parseRecord(record, state);
    batch.documents.push(...parsed.documents);
    batch.points.push(...parsed.points);
    summary = foldSummary(summary, 'run-1', record, parsed);
  }
  const final = summary as IRunSummary;
  return {
    ...batch,
    runs: [final],
    runVersions: { 'run-1': version },
    summary: final
  };
}

const RECORDS: SpoolRecord[] = [
  startRecord(),
  logRecord(1, 'first line'),
  logRecord(2, 'loss became NaN', 'ERROR'),
  metricsRecord(3, 0, { loss: 0.9 }),
  metricsRecord(4, 1, { loss: 'NaN' }),
  endRecord(5)
];

describe('EmbeddedStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-embedded-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function open(
    retentionDays = 0,
    now?: () => number
  ): Promise<EmbeddedStore> {
    const store = new EmbeddedStore({
      dir,
      retentionDays,
      logger: memoryLogger().logger,
      now
    });
    await store.init();
    return store;
  }

  it('stores a batch and answers runs, logs and series from it', async () => {
    const store = await open();
    const batch = runBatch(RECORDS, 5);
    expect(await store.write(batch)).toEqual({
      created: 9,
      duplicates: 0,
      rejected: []
    });

    expect(await store.getRun('run-1')).toEqual(batch.summary);
    const page = await store.searchRuns({
      user: 'alice',
      status: ['finished'],
      size: 10
    });
    expect(page.runs.map(run => run.run_id)).toEqual(['run-1']);
    expect((await store.searchRuns({ text: 'TEAM=VIS', size: 10 })).total).toBe(
      1
    );
    expect(
      (await store.searchRuns({ notebook: 'other.ipynb', size: 10 })).total
    ).toBe(0);

    const errors = await store.logs({
      runId: 'run-1',
      levels: ['ERROR'],
      size: 10,
      order: 'asc'
    });
    expect(errors.lines.map(line => line.message)).toEqual(['loss became NaN']);
    const words = await store.logs({
      runId: 'run-1',
      text: 'line FIRST',
      size: 10,
      order: 'asc'
    });
    expect(words.lines.map(line => line._id)).toEqual(['run-1:1']);
    const newest = await store.logs({ runId: 'run-1', size: 2, order: 'desc' });
    expect(newest.lines.map(line => line.event.sequence)).toEqual([5, 4]);
    const older = await store.logs({
      runId: 'run-1',
      size: 10,
      order: 'desc',
      after: newest.next
    });
    expect(older.lines.map(line => line.event.sequence)).toEqual([3, 2, 1, 0]);
    expect(older.next).toBeUndefined();

    const series = await store.series({
      runId: 'run-1',
      axis: 'epoch',
      maxPoints: 100
    });
    expect(series).toEqual([
      {
        name: 'loss',
        scope: 'epoch',
        source: 'callback',
        downsampled: false,
        points: [
          { x: 0, y: 0.9, time: batch.points[0]['@timestamp'] },
          {
            x: 1,
            y: null,
            nonfinite: 'NaN',
            time: batch.points[1]['@timestamp']
          }
        ]
      }
    ]);
    await store.close();
  });

  it('recognises a replay by ids: nothing stored twice', async () => {
    const store = await open();
    const batch = runBatch(RECORDS, 5);
    await store.write(batch);
    expect(await store.write(batch)).toEqual({
      created: 0,
      duplicates: 9,
      rejected: []
    });
    expect(
      (await store.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(6);
    await store.close();
  });

  it('keeps the newest summary whatever order versions arrive in', async () => {
    const store = await open();
    const early = runBatch(RECORDS.slice(0, 2), 1);
    const late = runBatch(RECORDS, 5);
    await store.write(late);
    expect(
      await store.write({
        documents: [],
        points: [],
        runs: early.runs,
        runVersions: early.runVersions
      })
    ).toMatchObject({
      created: 0,
      duplicates: 1
    });
    expect((await store.getRun('run-1'))?.status).toBe('finished');
    await store.close();
  });

  it('finds everything again after a restart, and compacts the run file', async () => {
    const first = await open();
    await first.write(runBatch(RECORDS.slice(0, 3), 2));
    await first.write(runBatch(RECORDS, 5));
    await first.close();

    const second = await open();
    expect((await second.getRun('run-1'))?.status).toBe('finished');
    expect(
      (await second.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(6);
    expect(await second.write(runBatch(RECORDS, 5))).toMatchObject({
      created: 0,
      duplicates: 9
    });
    const runsFile = await fsp.readFile(path.join(dir, 'runs.ndjson'), 'utf8');
    expect(runsFile.trim().split('\n')).toHaveLength(1);
    await second.close();
  });

  it('cuts an interrupted last line and skips damaged ones on start', async () => {
    const first = await open();
    await first.write(runBatch(RECORDS, 5));
    await first.close();
    const [segment] = (await fsp.readdir(dir)).filter(name =>
      name.startsWith('events-')
    );
    const segmentPath = path.join(dir, segment);
    const sizeBefore = (await fsp.stat(segmentPath)).size;
    await fsp.appendFile(
      segmentPath,
      'not json\n{"_id":"run-1:99","message":"half'
    );

    const { logger, lines } = memoryLogger();
    const second = new EmbeddedStore({ dir, retentionDays: 0, logger });
    await second.init();
    expect((await fsp.stat(segmentPath)).size).toBe(
      sizeBefore + 'not json\n'.length
    );
    expect(lines.join('\n')).toMatch(/incomplete last line/);
    expect(lines.join('\n')).toMatch(/1 damaged line/);
    expect(
      (await second.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(6);
    await second.write(runBatch([logRecord(6, 'after the crash')], 6));
    await second.close();

    const third = await open();
    expect(
      (await third.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(7);
    await third.close();
  });

  it('deletes day segments older than the retention period', async () => {
    const first = await open();
    await first.write(runBatch(RECORDS, 5));
    await first.close();
    const eventDay = Date.parse('2025-11-28T12:00:00Z');

    const kept = await open(10, () => eventDay + 9 * 86400000);
    expect(
      (await kept.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(6);
    await kept.close();

    const expired = await open(10, () => eventDay + 12 * 86400000);
    expect(
      (await expired.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(0);
    expect(
      (await fsp.readdir(dir)).filter(name => name !== 'runs.ndjson')
    ).toEqual([]);
    expect(await expired.getRun('run-1')).not.toBeNull();
    await expired.close();
  });

  it('reports itself healthy once initialised', async () => {
    const store = await open();
    expect(await store.status()).toEqual({
      kind: 'embedded',
      location: dir,
      healthy: true,
      degraded: []
    });
    await store.close();
  });
});
