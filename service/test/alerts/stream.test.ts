import * as path from 'path';
import { AlertDetector } from '../../src/alerts/detect';
import { DEFAULT_THRESHOLDS } from '../../src/alerts/rules';
import { AlertStream, LIVE_WINDOW_MS } from '../../src/alerts/stream';
import { createParser, createRunState } from '../../src/parse';
import type { EmbeddedStore } from '../../src/store/embedded';
import type { IParsedRecord, SpoolRecord } from '../../src/types';
import type { IAlert } from '../../src/wire';
import { readSpool, REPO_ROOT } from '../parse/helpers';
import { ITemporaryStore, temporaryEmbeddedStore } from '../store/temporary';

const RUN = '20261128T210922Z-d47dad58';
const NAN_RUN = path.join(
  REPO_ROOT,
  'tests/fixtures/kernel-output/keras3-nan-verbose1.spool.ndjson'
);

/** The NaN run through parser and alert stream, at a clock `nowMs`. */
function runThrough(records: SpoolRecord[], nowMs: number) {
  const announced: IAlert[] = [];
  const stream = new AlertStream(new AlertDetector(DEFAULT_THRESHOLDS), {
    onAlert: alert => announced.push(alert),
    now: () => nowMs
  });
  const parser = createParser();
  const state = createRunState(RUN);
  const parsed: IParsedRecord[] = records.map(record =>
    stream.amend(record, state, parser.parseRecord(record, state))
  );
  return { announced, parsed };
}

describe('AlertStream', () => {
  const records = readSpool(NAN_RUN);
  const lastTs = Math.max(
    ...records.map(record => (typeof record.ts === 'number' ? record.ts : 0))
  );

  it('adds one alert document, after its record, and announces a live alert', () => {
    const { announced, parsed } = runThrough(records, lastTs * 1000 + 1000);
    const alertDocs = parsed.flatMap(result =>
      result.documents.filter(document => document.tflog.kind === 'alert')
    );
    expect(alertDocs).toHaveLength(1);
    expect(announced).toHaveLength(1);
    const [document] = alertDocs;
    expect(document._id).toBe(announced[0].alert_id);
    expect(document.tflog).toMatchObject({
      run_id: RUN,
      run_name: 'keras3-nan-verbose1',
      notebook: 'fixtures/training.ipynb',
      kernel_id: null,
      alert: { rule: 'nonfinite', metric: announced[0].metric }
    });
    expect(document.log.level).toBe('error');
    expect(document.event.dataset).toBe('tflog.alert');
    expect(document.tflog.part).toBeGreaterThanOrEqual(1_000_000);
    expect(document.message).toBe(announced[0].message);
  });

  it('stores but does not announce alerts of records replayed long after', () => {
    const { announced, parsed } = runThrough(
      records,
      lastTs * 1000 + LIVE_WINDOW_MS + 60_000
    );
    expect(announced).toEqual([]);
    expect(
      parsed.flatMap(result =>
        result.documents.filter(document => document.tflog.kind === 'alert')
      )
    ).toHaveLength(1);
  });

  it('leaves records without alerts as they were', () => {
    const { parsed } = runThrough(records.slice(0, 5), lastTs * 1000);
    const plain = createParser();
    const state = createRunState(RUN);
    expect(parsed).toEqual(
      records.slice(0, 5).map(record => plain.parseRecord(record, state))
    );
  });
});

describe('alert documents in the embedded store', () => {
  let temporary: ITemporaryStore;
  let store: EmbeddedStore;

  beforeEach(async () => {
    temporary = await temporaryEmbeddedStore('alerts');
    store = temporary.store;
  });

  afterEach(() => temporary.dispose());

  it('are stored once, found by kind, and listed right after their record', async () => {
    const { parsed } = runThrough(readSpool(NAN_RUN), 0);
    const documents = parsed.flatMap(result => result.documents);
    const points = parsed.flatMap(result => result.points);
    // Twice: a replay stores nothing new.
    for (let i = 0; i < 2; i += 1) {
      await store.write({ documents, points, runs: [], runVersions: {} });
    }
    const alerts = await store.logs({
      runId: RUN,
      kinds: ['alert'],
      size: 10,
      order: 'asc'
    });
    expect(alerts.total).toBe(1);
    expect(alerts.lines[0].tflog.alert?.rule).toBe('nonfinite');

    const all = await store.logs({ runId: RUN, size: 1000, order: 'asc' });
    const ids = all.lines.map(line => line._id);
    const at = ids.indexOf(alerts.lines[0]._id);
    const seq = alerts.lines[0].event.sequence;
    // Every event of its record comes before it, every later one after.
    expect(
      all.lines.slice(0, at).every(line => line.event.sequence <= seq)
    ).toBe(true);
    expect(
      all.lines.slice(at + 1).every(line => line.event.sequence > seq)
    ).toBe(true);
    expect(all.lines[at - 1].event.sequence).toBe(seq);
  });
});
