import { createParser, createRunState } from '../../src/parse';
import { foldSummary, type IFoldedSummary } from '../../src/ship/summary';
import type {
  IMetricPoint,
  IParsedRecord,
  IRunSummary,
  SpoolRecord
} from '../../src/types';
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

  it('folds in place, and a clone of the summary folds on to the same', () => {
    const records = [
      startRecord(),
      { t: 'hparams', seq: 1, ts: 1764361021.47, values: { lr: 0.01 } },
      metricsRecord(2, 0, { loss: 0.5, accuracy: 0.7 }),
      logRecord(3, 'careful', 'WARNING'),
      { t: 'hparams', seq: 4, ts: 1764361023.47, values: { lr: 0.02 } },
      metricsRecord(5, 1, { loss: 0.25, accuracy: 'NaN' }),
      endRecord(6)
    ] as SpoolRecord[];
    const state = fakeParser.newRunState('run-1');
    let summary: IRunSummary | null = null;
    for (const record of records) {
      const parsed = fakeParser.parseRecord(record, state);
      // What the pipeline saves with a batch, and carries on from after a restart.
      const saved = structuredClone(summary);
      const next = foldSummary(summary, 'run-1', record, parsed);
      expect(foldSummary(saved, 'run-1', record, parsed)).toEqual(next);
      summary = next;
    }
    expect(summary).toMatchObject({
      hparams: { lr: 0.02 },
      last_metrics: { loss: 0.25, accuracy: 'NaN' },
      min_metrics: { loss: 0.25 },
      counts: { warnings: 1 }
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
});

/** Folds records through the real parser, as the pipeline does. */
function foldParsed(records: SpoolRecord[]): IRunSummary | null {
  const parser = createParser();
  const state = createRunState('run-1');
  let summary: IRunSummary | null = null;
  for (const record of records) {
    summary = foldSummary(
      summary,
      'run-1',
      record,
      parser.parseRecord(record, state)
    );
  }
  return summary;
}

function stream(seq: number, text: string, partial = false): SpoolRecord {
  const record = { t: 'stream', seq, ts: 1764361020 + seq, stream: 'stdout' };
  return {
    ...record,
    text,
    ...(partial ? { partial: true } : {})
  } as SpoolRecord;
}

function exact(
  seq: number,
  scope: 'epoch' | 'batch',
  position: { epoch?: number; step?: number },
  values: Record<string, number>
): SpoolRecord {
  return {
    t: 'metrics',
    seq,
    ts: 1764361020 + seq,
    scope,
    ...position,
    values
  } as SpoolRecord;
}

/** Points as the parser makes them, for positions given directly. */
function points(
  source: string,
  scope: IMetricPoint['scope'],
  position: { epoch?: number; step?: number },
  values: Record<string, number>
): IParsedRecord {
  return {
    documents: [],
    points: Object.entries(values).map(([name, value]) => ({
      _id: `run-1:${source}:${name}`,
      '@timestamp': '2025-11-28T20:17:00.000Z',
      run_id: 'run-1',
      notebook: null,
      user: 'alice',
      name,
      value,
      scope,
      source,
      ...position
    }))
  };
}

const EPOCH_HEADER = 'Epoch 1/2\n';
const PROGRESS =
  '\r4/4 [==============================] - 1s 10ms/step - loss: 0.6975 - val_loss: 0.5123\n';
const CALLBACK = { loss: 0.6974999904632568, val_loss: 0.5123456789 };

describe('foldSummary: exact values win over parsed ones', () => {
  it('keeps the callback value when the rounded progress bar comes after it', () => {
    const summary = foldParsed([
      startRecord(),
      stream(1, EPOCH_HEADER),
      stream(2, '\r2/4 [=====>........] - ETA: 0s - loss: 0.7012', true),
      exact(3, 'epoch', { epoch: 0, step: 4 }, CALLBACK),
      stream(4, PROGRESS)
    ]);
    expect(summary?.last_metrics).toEqual(CALLBACK);
    expect(summary?.last_epoch).toBe(1);
  });

  it('keeps it when the progress bar comes first, too', () => {
    const summary = foldParsed([
      startRecord(),
      stream(1, EPOCH_HEADER),
      stream(2, PROGRESS),
      exact(3, 'epoch', { epoch: 0, step: 4 }, CALLBACK)
    ]);
    expect(summary?.last_metrics).toEqual(CALLBACK);
  });

  it('lets a parsed value of a later epoch or step replace an exact one', () => {
    const summary = foldParsed([
      startRecord(),
      stream(1, EPOCH_HEADER),
      exact(2, 'epoch', { epoch: 0, step: 4 }, CALLBACK),
      stream(3, PROGRESS),
      stream(4, 'Epoch 2/2\n'),
      stream(5, '\r1/4 [====>..........] - ETA: 0s - loss: 0.6012', true)
    ]);
    expect(summary?.last_metrics).toEqual({ ...CALLBACK, loss: 0.6012 });
  });

  it('keeps an exact step value (tflog.log, tf.summary) over text parsed for that step', () => {
    let summary: IRunSummary | null = fold([startRecord()]);
    const steps: [IParsedRecord, number][] = [
      [points('callback', 'batch', { step: 10 }, { loss: 0.123456 }), 0.123456],
      [points('step-loss', 'log', { step: 10 }, { loss: 0.1235 }), 0.123456],
      [points('step-loss', 'log', { step: 11 }, { loss: 0.1111 }), 0.1111],
      [points('step-loss', 'log', { step: 12 }, { loss: 0.1001 }), 0.1001],
      [points('callback', 'batch', { step: 12 }, { loss: 0.100123 }), 0.100123]
    ];
    for (const [parsed, expected] of steps) {
      summary = foldSummary(summary, 'run-1', logRecord(1, 'x'), parsed);
      expect(summary.last_metrics.loss).toBe(expected);
    }
    expect(summary?.last_step).toBe(12);
  });

  it('tells epochs apart for step values that carry both', () => {
    let summary: IRunSummary | null = fold([startRecord()]);
    summary = foldSummary(
      summary,
      'run-1',
      logRecord(1, 'x'),
      points('callback', 'batch', { epoch: 1, step: 3 }, { loss: 0.5 })
    );
    summary = foldSummary(
      summary,
      'run-1',
      logRecord(2, 'x'),
      points('keras2-progbar', 'batch', { epoch: 2, step: 3 }, { loss: 0.4 })
    );
    expect(summary.last_metrics.loss).toBe(0.4);
  });

  it('folds on from a summary stored before origins were kept, and through JSON', () => {
    const stored = fold([startRecord(), metricsRecord(1, 0, { loss: 0.5 })]);
    const old = { ...stored } as IFoldedSummary;
    delete old.last_metrics_at;
    const parsed = points(
      'keras2-progbar',
      'epoch',
      { epoch: 1 },
      { loss: 0.4 }
    );
    expect(
      foldSummary(old, 'run-1', logRecord(2, 'x'), parsed).last_metrics.loss
    ).toBe(0.4);
    const exactFirst = foldSummary(
      JSON.parse(JSON.stringify(old)) as IRunSummary,
      'run-1',
      logRecord(2, 'x'),
      points('callback', 'epoch', { epoch: 1 }, { loss: 0.41234 })
    );
    const replayed = JSON.parse(JSON.stringify(exactFirst)) as IRunSummary;
    expect(
      foldSummary(replayed, 'run-1', logRecord(3, 'x'), parsed).last_metrics
        .loss
    ).toBe(0.41234);
  });
});

describe('foldSummary: lowest and highest values', () => {
  /** A point of `loss` with the scope and value given. */
  function loss(
    scope: IMetricPoint['scope'],
    value: number | 'NaN',
    epoch?: number
  ): IParsedRecord {
    const point: IMetricPoint = {
      _id: `run-1:${scope}:${String(value)}`,
      '@timestamp': '2025-11-28T20:17:00.000Z',
      run_id: 'run-1',
      notebook: null,
      user: 'alice',
      name: 'loss',
      scope,
      source: 'callback',
      ...(value === 'NaN' ? { nonfinite: 'NaN' } : { value }),
      ...(epoch === undefined ? {} : { epoch })
    };
    return { documents: [], points: [point] };
  }

  function foldPoints(
    list: IParsedRecord[],
    from: IRunSummary | null = fold([startRecord()])
  ): IRunSummary {
    let summary = from;
    list.forEach((parsed, index) => {
      summary = foldSummary(
        summary,
        'run-1',
        logRecord(index + 1, 'x'),
        parsed
      );
    });
    return summary as unknown as IRunSummary;
  }

  it('keeps every finite value of a metric without epoch-end values', () => {
    const summary = foldPoints([
      loss('batch', 0.9),
      loss('batch', 'NaN'),
      loss('batch', 0.3),
      loss('log', 1.5)
    ]);
    expect(summary.min_metrics).toEqual({ loss: 0.3 });
    expect(summary.max_metrics).toEqual({ loss: 1.5 });
  });

  it('keeps only epoch-end values once the metric has one', () => {
    const summary = foldPoints([
      loss('batch', 0.05),
      loss('batch', 9),
      loss('epoch', 0.7, 0),
      loss('batch', 0.01),
      loss('epoch', 0.4, 1),
      loss('epoch', 'NaN', 2)
    ]);
    expect(summary.min_metrics).toEqual({ loss: 0.4 });
    expect(summary.max_metrics).toEqual({ loss: 0.7 });
    // Folding on from the stored (JSON) summary keeps the same rule.
    const stored = JSON.parse(JSON.stringify(summary)) as IRunSummary;
    const later = foldPoints([loss('batch', 0.001)], stored);
    expect(later.min_metrics).toEqual({ loss: 0.4 });
  });

  it('has no entry for a metric that never had a finite value, nor for system metrics', () => {
    const system = loss('system', 55);
    system.points[0].name = 'gpu_util';
    const summary = foldPoints([loss('batch', 'NaN'), system]);
    expect(summary.min_metrics).toEqual({});
    expect(summary.max_metrics).toEqual({});
  });

  it('leaves them out of a summary stored before they were kept', () => {
    const old = fold([startRecord()]) as IRunSummary;
    delete old.min_metrics;
    delete old.max_metrics;
    const summary = foldPoints([loss('batch', 0.5)], old);
    expect(summary.min_metrics).toBeUndefined();
    expect(summary.max_metrics).toBeUndefined();
  });
});
