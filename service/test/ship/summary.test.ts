import { foldSummary } from '../../src/ship/summary';
import type { IParsedRecord, SpoolRecord } from '../../src/types';
import {
  endRecord,
  fakeParser,
  logRecord,
  metricsRecord,
  startRecord
} from './fakes';

function fold(records: SpoolRecord[]) {
  const state = fakeParser.newRunState('run-1');
  let summary = null;
  for (const record of records) {
    const parsed: IParsedRecord = fakeParser.parseRecord(record, state);
    summary = foldSummary(summary, 'run-1', record, parsed);
  }
  return summary;
}

describe('foldSummary', () => {
  it('builds the run summary from its records', () => {
    const summary = fold([
      startRecord(),
      logRecord(1, 'careful', 'WARNING'),
      logRecord(2, 'broken', 'ERROR'),
      { t: 'hparams', seq: 3, ts: 1764361022.47, values: { lr: 0.01 } },
      metricsRecord(4, 0, { loss: 0.5 }),
      metricsRecord(5, 1, { loss: 'NaN' }),
      { t: 'context', seq: 6, ts: 1764361025.47, notebook: 'renamed.ipynb' },
      { t: 'loss', seq: 7, ts: 1764361026.47, dropped: 3, reason: 'disk full' },
      endRecord(8)
    ]);
    expect(summary).toMatchObject({
      run_id: 'run-1',
      name: 'demo',
      status: 'finished',
      notebook: 'renamed.ipynb',
      user: 'alice',
      tags: { team: 'vision' },
      hparams: { lr: 0.01 },
      started: '2025-11-28T20:16:59.470Z',
      ended: '2025-11-28T20:17:07.470Z',
      updated: '2025-11-28T20:17:07.470Z',
      last_metrics: { loss: 'NaN' },
      last_epoch: 1,
      counts: { events: 9, errors: 1, warnings: 1, nan: 0 },
      dropped: 3
    });
  });

  it('is deterministic: the same records give the same summary', () => {
    const records = [
      startRecord(),
      metricsRecord(1, 0, { loss: 0.5 }),
      endRecord(2)
    ];
    expect(fold(records)).toEqual(fold(records));
  });

  it('dates a record without ts from its events, else from the run so far', () => {
    const start = fold([startRecord()]);
    const undated = {
      t: 'stream',
      seq: 1,
      stream: 'stdout',
      text: 'x\n'
    } as unknown as SpoolRecord;
    const fromRun = foldSummary(start, 'run-1', undated, {
      documents: [],
      points: []
    });
    expect(fromRun.updated).toBe(start?.updated);
    const document = fakeParser.parseRecord(
      logRecord(2, 'later'),
      fakeParser.newRunState('run-1')
    ).documents[0];
    const fromEvent = foldSummary(start, 'run-1', undated, {
      documents: [document],
      points: []
    });
    expect(fromEvent.updated).toBe(document['@timestamp']);
  });

  it('does not change the previous summary', () => {
    const first = fold([startRecord()]);
    const before = JSON.stringify(first);
    foldSummary(first, 'run-1', metricsRecord(1, 0, { loss: 1 }), {
      documents: [],
      points: []
    });
    expect(JSON.stringify(first)).toBe(before);
  });
});
