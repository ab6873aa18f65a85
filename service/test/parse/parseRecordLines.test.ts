/**
 * `parseRecordLines` (what `tflog parse` prints by default, without building
 * documents) must give exactly `parsedLine` of every document `parseRecord`
 * gives, record after record, with the same state changes.
 */
import * as fs from 'fs';
import { createParser, createRunState } from '../../src/parse';
import { parsedLine } from '../../src/parse/parsedLine';
import { SpoolRecord } from '../../src/types';
import {
  fixtureFiles,
  rawRecords,
  readSpool,
  START_TS,
  startRecord,
  streamRecord
} from './helpers';

/** The lines of both paths for the same records, each path with its own parser and state. */
function bothPaths(records: SpoolRecord[]): {
  fromDocuments: string[];
  lean: string[];
} {
  const documentParser = createParser({ points: false });
  const leanParser = createParser({ points: false });
  const documentState = createRunState('run-1');
  const leanState = createRunState('run-1');
  const fromDocuments: string[] = [];
  const lean: string[] = [];
  for (const record of records) {
    for (const document of documentParser.parseRecord(record, documentState)
      .documents) {
      fromDocuments.push(parsedLine(document));
    }
    leanParser.parseRecordLines(record, leanState, lean);
    expect(leanState).toEqual(documentState);
  }
  expect(leanParser.stats).toEqual(documentParser.stats);
  return { fromDocuments, lean };
}

function expectSameLines(records: SpoolRecord[]): string[] {
  const { fromDocuments, lean } = bothPaths(records);
  expect(lean).toEqual(fromDocuments);
  return lean;
}

describe('parseRecordLines: the lines tflog parse prints, without documents', () => {
  it.each(fixtureFiles('.txt'))(
    'equals parsedLine of every document of %s',
    file => {
      const stream = file.endsWith('.stderr.txt') ? 'stderr' : 'stdout';
      expectSameLines(rawRecords(fs.readFileSync(file, 'utf8'), stream));
    }
  );

  it.each(fixtureFiles('.ndjson'))(
    'equals parsedLine of every document of %s',
    file => {
      expectSameLines(readSpool(file));
    }
  );

  it('equals parsedLine for every kind of record and odd line', () => {
    const bar = '8/8 [==========] - 0s 5ms/step - loss: 0.7342';
    const lines = expectSameLines([
      startRecord(),
      { t: 'hparams', seq: 1, ts: START_TS + 1, values: { lr: 0.1 } },
      streamRecord(2, 'Epoch 1/2\n'),
      streamRecord(3, '\r 1/8 [==>......] - ETA: 1s - loss: 0.7500'),
      streamRecord(4, `\r${bar} - val_loss: nan\n`),
      // Printed times: the line's own, and one equal to the record's.
      streamRecord(5, '2026-11-30 09:15:02,417 - trainer - WARNING - "io"\n'),
      {
        t: 'stream',
        seq: 6,
        ts: 1733000000.123456,
        stream: 'stderr',
        text: 'I0000 00:00:1733000000.123456   1234 stub.cc:31] same\n'
      },
      // Names a JavaScript object puts first (array indices), and __proto__.
      streamRecord(7, "{'b': 1, '2': 2, '__proto__': 3, '1': -0.0}\n"),
      streamRecord(8, 'loss: inf acc: -Infinity 10: 5\n'),
      streamRecord(9, 'tab\there \u2028 and \\ "quotes" \u0001\n'),
      // A partial line, continued unchanged, then completed as an epoch.
      streamRecord(10, 'Epoch 2/2\n'),
      streamRecord(11, `\r${bar}`, 'stdout', { partial: true }),
      streamRecord(12, '\n'),
      streamRecord(13, 'Epoch 1/'),
      streamRecord(14, '3\n'),
      // A traceback and a Python warning, on stderr.
      streamRecord(
        15,
        'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad\n',
        'stderr'
      ),
      streamRecord(16, '/x.py:3: UserWarning: careful\n  warn()\n', 'stderr'),
      // A logging record and its echo on stderr, which is dropped.
      {
        t: 'log',
        seq: 17,
        ts: START_TS + 17,
        level: 'WARNING',
        logger: 'train',
        msg: 'slow step',
        exc: 'Traceback (most recent call last):\nKeyError: x'
      },
      streamRecord(18, 'WARNING:train:slow step\n', 'stderr'),
      // Over-long lines: a split record's pieces, a huge message, many lines.
      streamRecord(19, `${'y'.repeat(40_000)} loss: 1\n`),
      streamRecord(20, 'x'.repeat(70_000), 'stdout', { split: true }),
      streamRecord(21, `${'z'.repeat(40_000)}\n${'a: 1\n'.repeat(1005)}`),
      // No seq, no ts, a non-string text, an unknown record type.
      {
        t: 'stream',
        stream: 'stdout',
        text: 'no seq: 1\n'
      } as unknown as SpoolRecord,
      {
        t: 'stream',
        seq: 23,
        stream: 'stdout',
        text: 42
      } as unknown as SpoolRecord,
      { t: 'mystery', seq: 24, ts: START_TS + 24 } as unknown as SpoolRecord,
      {
        t: 'metrics',
        seq: 25,
        ts: START_TS + 25,
        scope: 'epoch',
        epoch: 0,
        values: { loss: 0.5, val_loss: 'Infinity' }
      },
      streamRecord(26, 'unterminated'),
      { t: 'end', seq: 27, ts: START_TS + 27, status: 'finished' }
    ]);
    expect(lines.length).toBeGreaterThan(1000);
    expect(lines.some(line => line.includes('"time":'))).toBe(true);
  });

  it('gives the failure line and nothing else of a record it fails on', () => {
    // Read once to cut the record into lines, then again past its 1000th
    // line: the second read of each path fails, after 1000 lines were read.
    let reads = 0;
    const failing = {
      t: 'stream',
      seq: 2,
      ts: START_TS + 2,
      text: 'a: 1\n'.repeat(1001),
      get stream(): string {
        reads += 1;
        if (reads % 2 === 0) {
          throw new Error('unreadable stream name');
        }
        return 'stdout';
      }
    } as unknown as SpoolRecord;
    const { fromDocuments, lean } = bothPaths([
      startRecord(),
      streamRecord(1, 'fine: 1\n'),
      failing
    ]);
    expect(reads).toBe(4);
    // The stack traces differ by the caller's frames.
    const withoutStack = (line: string): string =>
      line.replace(/"stack_trace":"[^"]*"/, '"stack_trace":""');
    expect(lean.map(withoutStack)).toEqual(fromDocuments.map(withoutStack));
    expect(lean).toHaveLength(3);
    expect(lean[2]).toContain('unreadable stream name');
  });
});
