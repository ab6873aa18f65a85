import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { EmbeddedStore } from '../../src/store/embedded';
import type { IWriteBatch } from '../../src/store/store';
import { foldSummary } from '../../src/ship/summary';
import {
  axisValue,
  downsample,
  toSeriesPoint
} from '../../src/store/series-common';
import type { IMetricPoint, IRunSummary, SpoolRecord } from '../../src/types';
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
      (await store.searchRuns({ notebooks: ['other.ipynb'], size: 10 })).total
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

  it('finds everything again after a restart', async () => {
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
    expect(second.storeId()).toBe(first.storeId());
    await second.close();
  });

  it('deletes events and points older than the retention period, keeping runs', async () => {
    const first = await open();
    await first.write(runBatch(RECORDS, 5));
    await first.close();
    const eventDay = Date.parse('2025-11-28T12:00:00Z');

    const kept = await open(10, () => eventDay + 9 * 86400000);
    await kept.applyRetention();
    expect(
      (await kept.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(6);
    await kept.close();

    const expired = await open(10, () => eventDay + 12 * 86400000);
    await expired.applyRetention();
    expect(
      (await expired.logs({ runId: 'run-1', size: 100, order: 'asc' })).total
    ).toBe(0);
    expect(
      await expired.series({ runId: 'run-1', axis: 'epoch', maxPoints: 100 })
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

describe('EmbeddedStore long curves', () => {
  // 30,000 points written and thinned several ways: seconds on a busy machine.
  jest.setTimeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-embedded-long-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  const DAY = 86_400_000;
  const START = Date.parse('2026-11-20T00:00:00Z');

  /** A batch-scope loss curve: 30,000 steps over ten days, spikes and NaNs. */
  function curve(): IMetricPoint[] {
    const points: IMetricPoint[] = [];
    for (let step = 0; step < 30_000; step += 1) {
      const point: IMetricPoint = {
        _id: `run-1:${step + 1}:loss`,
        '@timestamp': new Date(START + step * 28_800).toISOString(),
        run_id: 'run-1',
        notebook: 'train.ipynb',
        user: 'alice',
        name: 'loss',
        step,
        epoch: Math.floor(step / 1000),
        scope: 'batch',
        source: 'keras'
      };
      if (step % 4999 === 17) {
        point.nonfinite = 'NaN';
      } else {
        point.value =
          step === 12_345
            ? 1e6 // `|| 0`: JSON (both stores' storage) has no negative zero.
            : Math.round(Math.cos(step) * 8) / 8 || 0;
      }
      points.push(point);
    }
    return points;
  }

  function expected(
    points: IMetricPoint[],
    axis: 'step' | 'epoch' | 'time',
    maxPoints: number
  ): ReturnType<typeof downsample> {
    const plain = points
      .map(point => {
        const x = axisValue(point, axis) as number;
        return {
          point: toSeriesPoint(point, x),
          t: Date.parse(point['@timestamp'])
        };
      })
      .sort((a, b) => a.point.x - b.point.x || a.t - b.t)
      .map(entry => entry.point);
    return downsample(plain, maxPoints, axis);
  }

  it('thins a long curve from its bucket summaries exactly as from every point', async () => {
    const store = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger
    });
    await store.init();
    const points = curve();
    // Out of order and with a replay, as after a restart.
    for (const start of [20_000, 0, 10_000, 5_000]) {
      await store.write({
        documents: [],
        points: points.slice(start, start + 10_000),
        runs: []
      });
    }
    for (const axis of ['step', 'epoch', 'time'] as const) {
      const [series] = await store.series({
        runId: 'run-1',
        axis,
        maxPoints: 500
      });
      const wanted = expected(points, axis, 500);
      expect(series.downsampled).toBe(true);
      expect(series.points).toEqual(wanted.points);
    }
    const [late] = await store.series({
      runId: 'run-1',
      axis: 'step',
      maxPoints: 500,
      after: 29_990
    });
    expect(late.points.map(point => point.x)).toEqual([
      29_991, 29_992, 29_993, 29_994, 29_995, 29_996, 29_997, 29_998, 29_999
    ]);
    await store.close();
  });

  it('trims a curve that spans the retention cutoff and thins what is left exactly', async () => {
    const writer = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger
    });
    await writer.init();
    const points = curve();
    await writer.write({ documents: [], points, runs: [] });
    await writer.close();

    // Ten days of points; a cutoff five days in keeps the later half.
    const store = new EmbeddedStore({
      dir,
      retentionDays: 3,
      logger: memoryLogger().logger,
      now: () => START + 8 * DAY + 1
    });
    await store.init();
    await store.applyRetention();
    const cutoff = START + 5 * DAY;
    const left = points.filter(
      point => Date.parse(point['@timestamp']) >= cutoff
    );
    expect(left.length).toBeGreaterThan(10_000);
    expect(left.length).toBeLessThan(points.length);
    for (const axis of ['step', 'time'] as const) {
      const [series] = await store.series({
        runId: 'run-1',
        axis,
        maxPoints: 300
      });
      expect(series.points).toEqual(expected(left, axis, 300).points);
    }
    await store.close();
  });
});
