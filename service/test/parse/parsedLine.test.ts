import { parsedFields, parsedLine } from '../../src/parse/parsedLine';
import { ITflogDocument } from '../../src/types';
import { parseAll, START_TS, startRecord, streamRecord } from './helpers';

/** Every document of a run that has each kind of record and line. */
function documentsOfAMixedRun(): ITflogDocument[] {
  return parseAll([
    startRecord(),
    {
      t: 'hparams',
      seq: 1,
      ts: START_TS + 1,
      values: { batch_size: 32, optimizer: 'Adam', dropout: null }
    },
    streamRecord(2, 'Epoch 1/2\n'),
    streamRecord(3, '\r 1/8 [==>......] - ETA: 1s - loss: 0.7500'),
    streamRecord(
      4,
      '\r8/8 [==========] - 0s 5ms/step - loss: 0.7342 - val_loss: nan\n'
    ),
    streamRecord(
      5,
      '2026-11-30 09:15:02,417 - trainer - WARNING - slow "io"\n'
    ),
    streamRecord(6, 'I0000 00:00:1733000000.123456   1234 stub.cc:31] hi\n'),
    streamRecord(7, "{'loss': 1e-7, 'lr': -0.0, 'epoch': 1.5}\n"),
    streamRecord(8, 'tab\there \u2028 and \\ "quotes" \u0001\n'),
    {
      t: 'log',
      seq: 9,
      ts: START_TS + 9,
      level: 'ERROR',
      logger: 'train',
      msg: 'failed',
      exc: 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad'
    },
    {
      t: 'metrics',
      seq: 10,
      ts: START_TS + 10,
      scope: 'epoch',
      epoch: 0,
      step: 8,
      values: { loss: 0.5, val_loss: 'Infinity' }
    },
    streamRecord(11, 'unterminated'),
    { t: 'end', seq: 12, ts: START_TS + 12, status: 'finished' }
  ]).documents;
}

describe('parsedLine: what tflog parse prints of a document', () => {
  const documents = documentsOfAMixedRun();

  it('is the JSON of parsedFields, in a fixed order with the message last', () => {
    const order = [
      'time',
      'level',
      'kind',
      'logger',
      'pattern',
      'epoch',
      'epochs_total',
      'step',
      'steps_total',
      'metrics',
      'nonfinite',
      'hparams',
      'status',
      'partial',
      'error',
      'message'
    ];
    expect(documents.length).toBeGreaterThan(10);
    for (const document of documents) {
      const line = parsedLine(document);
      expect(line).not.toContain('\n');
      const fields = JSON.parse(line);
      expect(line).toBe(JSON.stringify(parsedFields(document)));
      const keys = Object.keys(fields);
      expect(keys).toEqual(order.filter(key => keys.includes(key)));
      expect(keys[keys.length - 1]).toBe('message');
      expect(Object.values(fields)).not.toContain(undefined);
    }
  });

  it('keeps what was read from the line and leaves out the store bookkeeping', () => {
    const epoch = documents.find(
      document => document.tflog.kind === 'nan'
    ) as ITflogDocument;
    expect(JSON.parse(parsedLine(epoch))).toEqual({
      level: 'warning',
      kind: 'nan',
      pattern: 'keras2-progbar',
      epoch: 1,
      epochs_total: 2,
      step: 8,
      steps_total: epoch.tflog.steps_total,
      metrics: { loss: 0.7342 },
      nonfinite: { val_loss: 'NaN' },
      message: '8/8 [==========] - 0s 5ms/step - loss: 0.7342 - val_loss: nan'
    });
    const warning = documents.find(document =>
      document.message.includes('slow')
    ) as ITflogDocument;
    expect(JSON.parse(parsedLine(warning))).toEqual({
      time: warning['@timestamp'],
      level: 'warning',
      logger: 'trainer',
      kind: 'warning',
      pattern: expect.any(String),
      message: warning.message
    });
    expect(warning['@timestamp']).toMatch(/^2026-11-30T\d\d:15:02\.417Z$/);
  });

  it('carries the time only when one was read from the line', () => {
    const withTime = documents.filter(
      document => JSON.parse(parsedLine(document)).time !== undefined
    );
    expect(withTime.map(document => document.message)).toEqual([
      expect.stringContaining('slow'),
      'hi'
    ]);
  });

  it('writes numbers, names and messages as JSON.stringify does', () => {
    const pairs = documents.find(document =>
      document.message.startsWith("{'loss'")
    ) as ITflogDocument;
    const line = parsedLine(pairs);
    expect(line).toContain('"metrics":{"loss":1e-7,"lr":0,"epoch":1.5}');
    const escapes = documents.find(document =>
      document.message.startsWith('tab')
    ) as ITflogDocument;
    expect(parsedLine(escapes)).toContain(
      `"message":${JSON.stringify(escapes.message)}}`
    );
  });

  it('keeps the error, the run status, hparams and partial lines', () => {
    const kinds = documents.map(document => JSON.parse(parsedLine(document)));
    expect(kinds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'error',
          logger: 'train',
          error: expect.objectContaining({ type: 'ValueError' })
        }),
        expect.objectContaining({
          hparams: { batch_size: 32, optimizer: 'Adam', dropout: null }
        }),
        expect.objectContaining({ status: 'finished' }),
        expect.objectContaining({ message: 'unterminated', partial: true })
      ])
    );
    for (const fields of kinds) {
      for (const bookkeeping of ['_id', 'run_id', 'user', 'event', 'raw']) {
        expect(fields).not.toHaveProperty(bookkeeping);
      }
    }
  });
});
