import { createParser, createRunState } from '../../src/parse';
import { ITflogDocument } from '../../src/types';
import {
  parseAll,
  parseLineText,
  rawRecords,
  START_TS,
  startRecord,
  streamRecord
} from './helpers';

function metricsOf(document: ITflogDocument) {
  return {
    metrics: document.tflog.metrics ?? {},
    nonfinite: document.tflog.nonfinite ?? {}
  };
}

describe('log prefixes', () => {
  it("reads the article's ISO time and [LEVEL]", () => {
    const document = parseLineText(
      '2025-04-05T10:23:45.123 [INFO] Epoch 7, Loss: 0.8765'
    );
    expect(document.log.level).toBe('info');
    expect(document.message).toBe('Epoch 7, Loss: 0.8765');
    expect(document.tflog.kind).toBe('epoch');
    expect(document.tflog.epoch).toBe(7);
    expect(document.tflog.metrics).toEqual({ loss: 0.8765 });
    expect(document.tflog.pattern).toBe('epoch-metrics');
  });

  it("reads logging's default asctime (space and comma) in the kernel's zone, inferred from ts", () => {
    // The kernel's clock is UTC+02:00: it printed 20:16:59,470 at 18:16:59.6 UTC.
    const ts = Date.UTC(2026, 10, 28, 18, 16, 59, 600) / 1000;
    const state = createRunState('r');
    const parsed = createParser().parseRecord(
      {
        t: 'stream',
        seq: 3,
        ts,
        stream: 'stderr',
        text: '2026-11-28 20:16:59,470 [WARNING] disk almost full\n'
      },
      state
    );
    const [document] = parsed.documents;
    expect(document['@timestamp']).toBe('2026-11-28T18:16:59.470Z');
    expect(document.log.level).toBe('warning');
    expect(document.tflog.kind).toBe('warning');
  });

  it("uses the start record's utc_offset when there is one", () => {
    const records = [
      startRecord({
        ctx: {
          notebook: null,
          kernel_id: null,
          user: 'u',
          host: 'h',
          pid: 1,
          utc_offset: -5 * 3600
        }
      }),
      // ts far from the printed time: only the declared offset can place it.
      {
        ...streamRecord(1, '2026-11-28 08:00:00,000 [INFO] replayed\n'),
        ts: START_TS
      }
    ];
    const { documents } = parseAll(records);
    expect(documents[1]['@timestamp']).toBe('2026-11-28T13:00:00.000Z');
  });

  it('honours a zone printed in the line', () => {
    const document = parseLineText('2026-11-28T20:16:59.470+01:00 [ERROR] bad');
    expect(document['@timestamp']).toBe('2026-11-28T19:16:59.470Z');
    expect(document.tflog.kind).toBe('error');
  });

  it('reads `asctime - name - LEVEL - message`', () => {
    const document = parseLineText(
      '2026-11-28 20:16:59,470 - trainer - INFO - step 5 loss=0.3'
    );
    expect(document.log).toEqual({ level: 'info', logger: 'trainer' });
    expect(document.tflog.step).toBe(5);
    expect(document.tflog.metrics).toEqual({ loss: 0.3 });
  });

  it("reads logging's default format `LEVEL:logger:message`", () => {
    const document = parseLineText(
      'WARNING:tensorflow:5 out of the last 5 calls triggered retracing',
      'stderr'
    );
    expect(document.log).toEqual({ level: 'warning', logger: 'tensorflow' });
    expect(document.message).toBe(
      '5 out of the last 5 calls triggered retracing'
    );
  });

  it.each([
    ['I', 'info', 'log'],
    ['W', 'warning', 'warning'],
    ['E', 'error', 'error'],
    ['F', 'critical', 'error']
  ])(
    'takes the level of a TF 2.9 C++ line from its letter %s',
    (letter, level, kind) => {
      const document = parseLineText(
        `2026-11-28 20:16:59.470123: ${letter} tensorflow/core/common_runtime/bfc_allocator.cc:290] Allocator ran out of memory`,
        'stderr'
      );
      expect(document.log).toEqual({
        level,
        logger: 'tensorflow/core/common_runtime/bfc_allocator.cc:290'
      });
      expect(document.tflog.kind).toBe(kind);
      expect(document.message).toBe('Allocator ran out of memory');
      expect(document.tflog.pattern).toBe('tensorflow-cpp');
    }
  );

  it("reads absl's early-start line with epoch seconds", () => {
    const document = parseLineText(
      'E0000 00:00:1795898566.635671    7157 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error',
      'stderr'
    );
    expect(document.log).toEqual({
      level: 'error',
      logger: 'cuda_platform.cc:52'
    });
    expect(document['@timestamp']).toBe(new Date(1795898566636).toISOString());
    expect(document.message).toBe(
      'failed call to cuInit: INTERNAL: CUDA error'
    );
  });
});

describe('Keras progress output', () => {
  const keras3Final =
    '26/26 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - accuracy: 0.7711 - loss: 0.5309 - val_accuracy: 0.7512 - val_loss: 0.5352';

  it('takes the epoch from the header and every value of a Keras 3 verbose=1 final line', () => {
    const { documents, points } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 3/10\n'),
      streamRecord(
        2,
        '\x1b[1m26/26\x1b[0m \x1b[32m━━━━━━━━━━━━━━━━━━━━\x1b[0m\x1b[37m\x1b[0m \x1b[1m0s\x1b[0m 5ms/step - accuracy: 0.7711 - loss: 0.5309 - val_accuracy: 0.7512 - val_loss: 0.5352\n'
      )
    ]);
    const header = documents[1];
    expect(header.tflog).toMatchObject({
      kind: 'progress',
      epoch: 3,
      epochs_total: 10,
      pattern: 'keras-epoch-header'
    });
    const final = documents[2];
    expect(final.message).toBe(keras3Final);
    expect(final.tflog).toMatchObject({
      kind: 'epoch',
      pattern: 'keras3-progbar',
      epoch: 3,
      epochs_total: 10,
      step: 78,
      steps_total: 260,
      metrics: {
        accuracy: 0.7711,
        loss: 0.5309,
        val_accuracy: 0.7512,
        val_loss: 0.5352
      }
    });
    expect(
      points.map(point => [
        point._id,
        point.name,
        point.value,
        point.scope,
        point.epoch
      ])
    ).toEqual([
      ['run-1:2:accuracy', 'accuracy', 0.7711, 'epoch', 3],
      ['run-1:2:loss', 'loss', 0.5309, 'epoch', 3],
      ['run-1:2:val_accuracy', 'val_accuracy', 0.7512, 'epoch', 3],
      ['run-1:2:val_loss', 'val_loss', 0.5352, 'epoch', 3]
    ]);
    expect(points.every(point => point.source === 'keras3-progbar')).toBe(true);
  });

  it('reads a Keras 3 verbose=2 line', () => {
    const document = parseLineText(
      '32/32 - 0s - 5ms/step - accuracy: 0.8169 - loss: 0.4811'
    );
    expect(document.tflog).toMatchObject({
      kind: 'metrics',
      pattern: 'keras-verbose2',
      metrics: { accuracy: 0.8169, loss: 0.4811 }
    });
  });

  it('reads Keras 2 verbose=1 and verbose=2 lines', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 1/2\n'),
      streamRecord(
        2,
        '26/26 [==============================] - 1s 13ms/step - loss: 0.7865 - accuracy: 0.5165 - val_loss: 0.6 - val_accuracy: 0.61\n'
      ),
      streamRecord(3, 'Epoch 2/2\n'),
      streamRecord(
        4,
        '32/32 - 0s - loss: 0.4811 - accuracy: 0.8169 - 136ms/epoch - 4ms/step\n'
      )
    ]);
    expect(documents[2].tflog).toMatchObject({
      kind: 'epoch',
      epoch: 1,
      pattern: 'keras2-progbar',
      metrics: {
        loss: 0.7865,
        accuracy: 0.5165,
        val_loss: 0.6,
        val_accuracy: 0.61
      }
    });
    expect(documents[4].tflog).toMatchObject({
      kind: 'epoch',
      epoch: 2,
      pattern: 'keras-verbose2',
      metrics: { loss: 0.4811, accuracy: 0.8169 }
    });
  });

  it('treats ETA lines and \\r-ended updates as batch progress', () => {
    const { documents, points } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 2/5\n'),
      streamRecord(2, '12/26 [=====>....] - ETA: 0s - loss: 0.69\r'),
      streamRecord(3, '26/26 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - loss: 0.5\r')
    ]);
    expect(documents[2].tflog).toMatchObject({
      kind: 'progress',
      epoch: 2,
      step: 38,
      metrics: { loss: 0.69 }
    });
    expect(documents[3].tflog).toMatchObject({
      kind: 'progress',
      epoch: 2,
      step: 52
    });
    expect(points.map(point => point.scope)).toEqual(['batch', 'batch']);
  });

  it('closes the epoch with its final line so evaluate() is not an epoch', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 1/1\n'),
      streamRecord(2, '8/8 - 0s - loss: 0.5\n'),
      streamRecord(3, '4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 1ms/step - loss: 0.45\n')
    ]);
    expect(documents[3].tflog.kind).toBe('metrics');
    expect(documents[3].tflog.epoch).toBeUndefined();
  });

  it('spells out a NaN loss and makes the event a nan event', () => {
    const document = parseLineText(
      '32/32 ━━━━━━━━━━━━━━━━━━━━ 1s 3ms/step - accuracy: 0.5000 - loss: nan'
    );
    expect(metricsOf(document)).toEqual({
      metrics: { accuracy: 0.5 },
      nonfinite: { loss: 'NaN' }
    });
    expect(document.tflog.kind).toBe('nan');
    expect(document.log.level).toBe('warning');
  });

  it('reads progress without a known total', () => {
    const document = parseLineText('     12/Unknown 2s 5ms/step - loss: 0.5');
    expect(document.tflog).toMatchObject({
      kind: 'progress',
      metrics: { loss: 0.5 }
    });
  });
});

describe('training lines', () => {
  it('reads `step N key=value` lines', () => {
    const document = parseLineText('step 100 loss=0.41 lr=1e-4');
    expect(document.tflog).toMatchObject({
      kind: 'step',
      step: 100,
      pattern: 'step-metrics',
      metrics: { loss: 0.41, lr: 0.0001 }
    });
  });

  it.each([
    ['loss: 0.3 acc: 0.9', { loss: 0.3, acc: 0.9 }],
    ['loss=0.3, acc=0.9', { loss: 0.3, acc: 0.9 }],
    ['val_loss: 0.5 - val_acc: 0.7', { val_loss: 0.5, val_acc: 0.7 }],
    ['Loss=3.2e+01; Acc=95.5%', { loss: 32, acc: 95.5 }]
  ])('reads the key/value list %j', (line, metrics) => {
    const document = parseLineText(line);
    expect(document.tflog.metrics).toEqual(metrics);
    expect(document.tflog.kind).toBe('metrics');
    expect(document.tflog.pattern).toBe('key-value');
  });

  it('keeps metric names that clash with object properties', () => {
    const document = parseLineText('__proto__: 1 constructor: 2 toString=3');
    expect(Object.entries(document.tflog.metrics ?? {})).toEqual([
      ['__proto__', 1],
      ['constructor', 2],
      ['tostring', 3]
    ]);
    expect(JSON.parse(JSON.stringify(document)).tflog.metrics.__proto__).toBe(
      1
    );
  });

  it.each([
    'Total params: 161 (644.00 B)',
    'ETA: 3s',
    'Note: 5 items left',
    'See https://x.org/a:1'
  ])('finds no metrics in the prose %j', line => {
    const document = parseLineText(line);
    expect(document.tflog.metrics).toBeUndefined();
    expect(document.tflog.kind).toBe('log');
  });

  it('reads `Loss became NaN at step N` as a nan event', () => {
    const document = parseLineText('Loss became NaN at step 3420');
    expect(document.tflog).toMatchObject({
      kind: 'nan',
      step: 3420,
      nonfinite: { loss: 'NaN' },
      pattern: 'nan-detected'
    });
    expect(document.tflog.metrics).toBeUndefined();
    expect(document.log.level).toBe('warning');
  });

  it('gives a NaN line the level it says', () => {
    const document = parseLineText(
      '2025-04-05T10:25:01.789 [ERROR] Loss became NaN at step 3420'
    );
    expect(document.log.level).toBe('error');
    expect(document.tflog.kind).toBe('nan');
  });

  it("reads Keras TerminateOnNaN's line", () => {
    const document = parseLineText(
      'Batch 12: Invalid loss, terminating training'
    );
    expect(document.tflog).toMatchObject({
      kind: 'nan',
      step: 12,
      pattern: 'keras-terminate-on-nan'
    });
  });

  it('reads `Gradient norm exceeded threshold` as a warning with grad_norm', () => {
    const document = parseLineText(
      '2025-04-05T10:24:10.456 [WARNING] Gradient norm exceeded threshold: 15.3'
    );
    expect(document.tflog).toMatchObject({
      kind: 'warning',
      metrics: { grad_norm: 15.3 },
      pattern: 'gradient-norm'
    });
    expect(document.log.level).toBe('warning');
  });

  it('takes the norm, not the step, from `exceeded threshold at step N: value`', () => {
    const document = parseLineText(
      'Gradient norm exceeded threshold at step 7: 15.3'
    );
    expect(document.tflog).toMatchObject({
      kind: 'warning',
      metrics: { grad_norm: 15.3 },
      step: 7
    });
  });

  it('reads a plain gradient norm as a metric', () => {
    const document = parseLineText('grad_norm: 1.25');
    expect(document.tflog).toMatchObject({
      kind: 'metrics',
      metrics: { grad_norm: 1.25 }
    });
  });

  it.each([
    ['loss: nan', { loss: 'NaN' }],
    ['loss: NaN', { loss: 'NaN' }],
    ['loss: inf', { loss: 'Infinity' }],
    ['loss: -inf', { loss: '-Infinity' }],
    ['loss: Infinity', { loss: 'Infinity' }]
  ])('keeps %j out of metrics', (line, nonfinite) => {
    const document = parseLineText(line);
    expect(document.tflog.nonfinite).toEqual(nonfinite);
    expect(document.tflog.metrics).toBeUndefined();
    expect(document.tflog.kind).toBe('nan');
  });
});

describe('Python warnings and tracebacks on stderr', () => {
  it('makes a warning and its source line warning events', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(
        1,
        '/tmp/ipykernel_1/2.py:3: UserWarning: learning rate schedule ended early\n',
        'stderr'
      ),
      streamRecord(
        2,
        "  warnings.warn('learning rate schedule ended early')\n",
        'stderr'
      ),
      streamRecord(3, '  indented but unrelated\n', 'stderr')
    ]);
    expect(
      documents
        .slice(1)
        .map(document => [document.tflog.kind, document.log.level])
    ).toEqual([
      ['warning', 'warning'],
      ['warning', 'warning'],
      ['log', 'info']
    ]);
    expect(documents[1].log.logger).toBe('py.warnings');
  });

  it('makes every traceback line an error and puts type, message and stack on the last', () => {
    const lines = [
      'Traceback (most recent call last):',
      '  File "/tmp/x.py", line 15, in <module>',
      '    explode()',
      '  File "/tmp/x.py", line 13, in explode',
      "    raise ValueError('boom')",
      'ValueError: boom'
    ];
    const { documents } = parseAll([
      startRecord(),
      ...lines.map((line, index) =>
        streamRecord(index + 1, `${line}\n`, 'stderr')
      ),
      streamRecord(lines.length + 1, 'after the traceback\n', 'stderr')
    ]);
    const traceback = documents.slice(1, lines.length + 1);
    expect(
      traceback.every(
        document =>
          document.tflog.kind === 'error' && document.log.level === 'error'
      )
    ).toBe(true);
    expect(traceback[traceback.length - 1].error).toEqual({
      type: 'ValueError',
      message: 'boom',
      stack_trace: lines.join('\n')
    });
    expect(documents[documents.length - 1].tflog.kind).toBe('log');
  });

  it('handles chained tracebacks and exceptions without a message', () => {
    const lines = [
      'Traceback (most recent call last):',
      '  File "a.py", line 1, in <module>',
      'KeyError: 1',
      '',
      'During handling of the above exception, another exception occurred:',
      '',
      'Traceback (most recent call last):',
      '  File "a.py", line 3, in <module>',
      'KeyboardInterrupt'
    ];
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, lines.map(line => `${line}\n`).join(''), 'stderr')
    ]);
    const errors = documents.filter(document => document.error);
    expect(
      errors.map(document => [document.error?.type, document.error?.message])
    ).toEqual([
      ['KeyError', '1'],
      ['KeyboardInterrupt', '']
    ]);
    expect(
      documents.slice(1).every(document => document.tflog.kind === 'error')
    ).toBe(true);
  });
});

describe('NaN reports and Keras callback messages', () => {
  it.each([
    ['InvalidArgumentError: Nan in summary histogram for: conv2d/kernel_0', {}],
    [
      'Detected NaN in loss at step 100',
      { step: 100, nonfinite: { loss: 'NaN' } }
    ],
    [
      'Loss became NaN at step 3,420',
      { step: 3420, nonfinite: { loss: 'NaN' } }
    ]
  ])('makes %j a nan event', (line, fields) => {
    const document = parseLineText(line);
    expect(document.tflog).toMatchObject({
      kind: 'nan',
      pattern: 'nan-detected',
      ...fields
    });
    expect(document.log.level).toBe('warning');
  });

  it('takes no gradient norm cut at a comma', () => {
    expect(
      parseLineText('Gradient norm 1,234.5').tflog.metrics
    ).toBeUndefined();
  });

  it.each([
    [
      'Epoch 00001: LearningRateScheduler setting learning rate to 0.0010000000474974513.',
      0.0010000000474974513
    ],
    ['Epoch 1: LearningRateScheduler setting learning rate to 0.001.', 0.001]
  ])('reads %j', (line, rate) => {
    expect(parseLineText(line).tflog).toMatchObject({
      kind: 'metrics',
      pattern: 'keras-lr-scheduler',
      epoch: 1,
      metrics: { learning_rate: rate }
    });
  });
});

describe('Keras 3 callbacks that print before the bar ends its epoch', () => {
  const bar = (k: number, time: string, values: string): string =>
    `\x1b[1m${String(k).padStart(2)}/26\x1b[0m \x1b[32m${'━'.repeat(
      Math.floor((20 * k) / 26)
    )}\x1b[0m\x1b[37m${'━'.repeat(20 - Math.floor((20 * k) / 26))}\x1b[0m \x1b[1m${time}\x1b[0m 5ms/step - ${values}`;
  const back = (text: string): string => '\b'.repeat(text.length);

  /**
   * As Keras 3 writes a fit() with ModelCheckpoint(verbose=1): each update
   * wipes the previous one with `\b` and `\r`; the checkpoint's
   * `\nEpoch N: ...` comes before the epoch's last update, the one with the
   * validation metrics, and ends the in-place bar line.
   */
  function fitOutput(epoch: number, message: string): string {
    const first = bar(13, '0s', 'loss: 0.6012');
    const last = bar(26, '0s', 'loss: 0.5309');
    return (
      `Epoch ${epoch}/2\n\r${first}${back(first)}\r${last}` +
      `\nEpoch ${epoch}: ${message}\n` +
      `${back(last)}\r${bar(26, '1s', 'loss: 0.5309 - val_loss: 0.5234')}\n`
    );
  }

  it('takes the line with validation metrics as the epoch it ends', () => {
    const { documents, points } = parseAll([
      startRecord(),
      ...rawRecords(
        fitOutput(
          1,
          'val_loss improved from inf to 0.52340, saving model to m.keras'
        ) + fitOutput(2, 'val_loss did not improve from 0.52340')
      )
    ]);
    const withValidation = documents.filter(
      document =>
        document.tflog.metrics?.val_loss === 0.5234 &&
        document.tflog.pattern === 'keras3-progbar'
    );
    expect(withValidation.map(document => document.tflog)).toEqual([
      expect.objectContaining({ kind: 'epoch', epoch: 1, step: 26 }),
      expect.objectContaining({ kind: 'epoch', epoch: 2, step: 52 })
    ]);
    expect(
      points
        .filter(point => point.name === 'val_loss' && point.scope === 'epoch')
        .map(point => point.epoch)
    ).toEqual([1, 2]);
  });

  it('leaves a later bar with validation metrics but no callback message in between alone', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 1/1\n'),
      streamRecord(2, '26/26 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - loss: 0.5\n'),
      streamRecord(3, 'Saving\n'),
      streamRecord(4, 'Epoch 1: early stopping\n'),
      streamRecord(
        5,
        '26/26 ━━━━━━━━━━━━━━━━━━━━ 0s 5ms/step - loss: 0.5 - val_loss: 0.6\n'
      )
    ]);
    expect(documents[5].tflog.kind).toBe('metrics');
    expect(documents[5].tflog.epoch).toBeUndefined();
  });
});
