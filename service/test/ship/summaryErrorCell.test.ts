import { foldSummary } from '../../src/ship/summary';
import type { IParsedRecord, IRunSummary, SpoolRecord } from '../../src/types';
import { fakeParser, startRecord } from './fakes';

function foldEnd(error: unknown): IRunSummary {
  const state = fakeParser.newRunState('run-1');
  let summary: IRunSummary | null = null;
  const end = {
    t: 'end',
    seq: 2,
    ts: 1764361030,
    status: 'failed',
    error
  } as SpoolRecord;
  for (const record of [startRecord(), end]) {
    const parsed: IParsedRecord = fakeParser.parseRecord(record, state);
    summary = foldSummary(summary, 'run-1', record, parsed);
  }
  if (summary === null) {
    throw new Error('no summary');
  }
  return summary;
}

describe('a failed run’s error in the summary', () => {
  it('names the cell it came from: its id and execution count', () => {
    const summary = foldEnd({
      type: 'ValueError',
      message: 'boom',
      stack_trace: 'Traceback…',
      cell_id: 'c0ffee-42',
      execution_count: 7
    });
    expect(summary.error).toEqual({
      type: 'ValueError',
      message: 'boom',
      stack_trace: 'Traceback…',
      cell_id: 'c0ffee-42',
      execution_count: 7
    });
  });

  it('leaves out a cell reference of the wrong type, and unknown fields', () => {
    const summary = foldEnd({
      type: 'ValueError',
      message: 'boom',
      cell_id: 42,
      execution_count: 'seven',
      secret: 'x'
    });
    expect(summary.error).toEqual({ type: 'ValueError', message: 'boom' });
  });

  it('keeps an error without a cell as it was', () => {
    expect(foldEnd({ type: 'KeyError', message: "'x'" }).error).toEqual({
      type: 'KeyError',
      message: "'x'"
    });
  });
});
