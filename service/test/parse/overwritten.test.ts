import { createParser, createRunState } from '../../src/parse';
import { OverwrittenStates } from '../../src/parse/overwritten';
import type { IParsedRecord } from '../../src/types';
import { streamRecord } from './helpers';

const BAR = (step: number): string =>
  `${step}/9 [===>......] - ETA: 1s - loss: 0.${9 - step}000\r`;

describe('OverwrittenStates', () => {
  const parser = createParser();

  function parsedRun(runId: string, texts: [string, 'stdout' | 'stderr'][]) {
    const state = createRunState(runId);
    return texts.map(([text, stream], index) =>
      parser.parseRecord(streamRecord(index + 1, text, stream), state)
    );
  }

  function kept(records: IParsedRecord[]): string[] {
    const overwritten = new OverwrittenStates();
    for (const record of records) {
      overwritten.see(record.documents, record.inPlace);
    }
    return records
      .flatMap(record => record.documents)
      .filter(document => !overwritten.has(document))
      .map(document => `${document.tflog.run_id} ${document.message}`);
  }

  it('folds a state only into a later line of its own run and stream', () => {
    const a = parsedRun('a', [
      [BAR(1), 'stdout'],
      [BAR(2), 'stdout'],
      ['a note\n', 'stderr']
    ]);
    const b = parsedRun('b', [
      [BAR(1), 'stdout'],
      ['done\n', 'stdout']
    ]);
    // Interleaved as two runs' lines meet in one batch.
    expect(kept([a[0], b[0], a[1], a[2], b[1]])).toEqual([
      'a 2/9 [===>......] - ETA: 1s - loss: 0.7000',
      'a a note',
      'b done'
    ]);
  });

  it('keeps every document of records without in-place states', () => {
    const records = parsedRun('a', [
      ['Epoch 1/2\n', 'stdout'],
      ['plain\n', 'stdout']
    ]);
    expect(records.every(record => record.inPlace === undefined)).toBe(true);
    expect(kept(records)).toEqual(['a Epoch 1/2', 'a plain']);
  });
});
