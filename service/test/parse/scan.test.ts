/**
 * The named-number scanner, through the parser: positions, pairs,
 * separators, prefixes, objects, tqdm bars, Keras callbacks, and what must
 * stay prose.
 */
import { scanLine } from '../../src/parse/scan';
import {
  parseAll,
  parseLineText,
  START_TS,
  startRecord,
  streamRecord
} from './helpers';
import { random } from '../seeded';

describe('positions and pairs in custom training loops', () => {
  it('keeps every pair of a step line that also prints a gradient norm', () => {
    const document = parseLineText('step 12 loss=0.52 lr=3e-4 grad_norm=1.7');
    expect(document.tflog).toMatchObject({
      kind: 'step',
      pattern: 'step-metrics',
      step: 12,
      metrics: { loss: 0.52, lr: 0.0003, grad_norm: 1.7 }
    });
  });

  it.each([
    ['Epoch 2 Step 40 loss=0.31 acc=0.88', { epoch: 2, step: 40 }],
    ['epoch 2 step 40: loss 0.31, acc 0.88', { epoch: 2, step: 40 }],
    ['Epoch: 2, step: 40 | loss: 0.31 | acc: 0.88', { epoch: 2, step: 40 }],
    ['iter 40\tloss 0.31\tacc 0.88', { step: 40 }],
    ['Iteration 40; loss: 0.31; acc: 0.88', { step: 40 }],
    ['batch=40 loss=0.31 acc=0.88', { step: 40 }]
  ])('reads %j', (line, positions) => {
    const document = parseLineText(line);
    expect(document.tflog).toMatchObject({
      kind: 'step',
      ...positions,
      metrics: { loss: 0.31, acc: 0.88 }
    });
    expect(document.tflog.metrics).toEqual({ loss: 0.31, acc: 0.88 });
  });

  it('reads a bracketed epoch with its total as an epoch line', () => {
    const document = parseLineText('[Epoch 2/5] loss: 0.31 | val_loss: 0.35');
    expect(document.tflog).toMatchObject({
      kind: 'epoch',
      pattern: 'epoch-metrics',
      epoch: 2,
      epochs_total: 5,
      metrics: { loss: 0.31, val_loss: 0.35 }
    });
    expect(document.tflog.step).toBeUndefined();
  });

  it('counts a step with a total within its epoch, as Keras bars do', () => {
    const document = parseLineText(
      '2026-11-28 20:16:59,470 - train - INFO - Epoch 2/5 - Step 40/100 - loss: 0.31'
    );
    expect(document.log).toEqual({ level: 'info', logger: 'train' });
    expect(document.tflog).toMatchObject({
      kind: 'step',
      epoch: 2,
      epochs_total: 5,
      step: 140,
      steps_total: 500,
      metrics: { loss: 0.31 }
    });
  });

  it('reads the PyTorch tutorial form `Epoch [2/5], Step [40/100], Loss: 0.3100`', () => {
    const document = parseLineText('Epoch [2/5], Step [40/100], Loss: 0.3100');
    expect(document.tflog).toMatchObject({
      epoch: 2,
      step: 140,
      steps_total: 500,
      metrics: { loss: 0.31 }
    });
  });

  it('takes `step` of a TensorFlow estimator line as the position', () => {
    const document = parseLineText(
      'INFO:tensorflow:loss = 0.69, step = 1 (0.2 sec)',
      'stderr'
    );
    expect(document.log).toEqual({ level: 'info', logger: 'tensorflow' });
    expect(document.tflog).toMatchObject({ kind: 'step', step: 1 });
    expect(document.tflog.metrics).toEqual({ loss: 0.69 });
  });

  it('gives the points their step and epoch', () => {
    const { points } = parseAll([
      startRecord(),
      streamRecord(1, 'epoch 3 step 7: loss 0.25, acc 0.5\n')
    ]);
    expect(
      points.map(point => [point.name, point.value, point.step, point.epoch])
    ).toEqual([
      ['loss', 0.25, 7, 3],
      ['acc', 0.5, 7, 3]
    ]);
    expect(points.every(point => point.scope === 'batch')).toBe(true);
    expect(points.every(point => point.source === 'step-metrics')).toBe(true);
  });

  it.each([
    ['loss=nan acc=0.5', { loss: 'NaN' }],
    ['step 3 loss: NaN, acc: 0.5', { loss: 'NaN' }],
    ['loss inf', null],
    ['step 3 loss inf, acc 0.5', { loss: 'Infinity' }],
    ['step 3 loss=-inf acc=0.5', { loss: '-Infinity' }]
  ])('makes %j non-finite', (line, nonfinite) => {
    const document = parseLineText(line);
    if (nonfinite === null) {
      // `name value` binds only after a position.
      expect(document.tflog.nonfinite).toBeUndefined();
      return;
    }
    expect(document.tflog.nonfinite).toEqual(nonfinite);
    expect(document.tflog.metrics).toEqual({ acc: 0.5 });
    expect(document.tflog.kind).toBe('nan');
  });
});

describe('tqdm bars, dicts and JSON lines', () => {
  it('reads a tqdm postfix and takes the counter as the step', () => {
    const document = parseLineText(
      ' 40%|████      | 40/100 [00:02<00:03, 17.1it/s, loss=0.31, acc=0.9]'
    );
    expect(document.tflog).toMatchObject({
      kind: 'progress',
      pattern: 'tqdm',
      step: 40,
      steps_total: 100,
      metrics: { loss: 0.31, acc: 0.9 }
    });
    expect(document.tflog.metrics).toEqual({ loss: 0.31, acc: 0.9 });
  });

  it('counts a tqdm bar under an epoch within the epoch', () => {
    const { documents, points } = parseAll([
      startRecord(),
      streamRecord(
        1,
        'Epoch 2/3:  40%|████      | 40/100 [00:02<00:03, 17.1it/s, loss=0.31]\r'
      )
    ]);
    expect(documents[1].tflog).toMatchObject({
      kind: 'progress',
      epoch: 2,
      epochs_total: 3,
      step: 140,
      steps_total: 300
    });
    expect(points.map(point => [point.name, point.scope])).toEqual([
      ['loss', 'batch']
    ]);
  });

  it('reads a bar without a total', () => {
    const document = parseLineText('40it [00:02, 17.1it/s, loss=0.31]');
    expect(document.tflog).toMatchObject({ step: 40, metrics: { loss: 0.31 } });
  });

  it("reads a Python dict's numbers, not its nested values or strings", () => {
    const document = parseLineText(
      "{'loss': 0.31, 'grad_norm': 1.2, 'learning_rate': 5e-05, 'epoch': 1.5, 'name': 'x: 3', 'inner': {'a': 1}, 'nan_seen': nan}"
    );
    expect(document.tflog).toMatchObject({
      pattern: 'object-line',
      kind: 'nan',
      metrics: { loss: 0.31, grad_norm: 1.2, learning_rate: 5e-5, epoch: 1.5 },
      nonfinite: { nan_seen: 'NaN' }
    });
    // A fractional epoch is a value, not a position.
    expect(document.tflog.epoch).toBeUndefined();
    expect(Object.keys(document.tflog.metrics ?? {})).not.toContain('a');
  });

  it('reads a JSON line, integers of position names as positions', () => {
    const document = parseLineText(
      '{"step": 40, "epoch": 2, "loss": 0.31, "val": {"loss": 9}, "tags": [1, 2], "lr": 1e-4, "x": Infinity}'
    );
    expect(document.tflog).toMatchObject({
      pattern: 'object-line',
      step: 40,
      epoch: 2,
      metrics: { loss: 0.31, lr: 0.0001 },
      nonfinite: { x: 'Infinity' }
    });
    expect(document.tflog.metrics).toEqual({ loss: 0.31, lr: 0.0001 });
  });
});

describe('Keras callback messages', () => {
  it.each([
    [
      'Epoch 5: ReduceLROnPlateau reducing learning rate to 0.00010000000474974513.',
      'keras-reduce-lr',
      5,
      { learning_rate: 0.00010000000474974513 }
    ],
    [
      'Epoch 00005: ReduceLROnPlateau reducing learning rate to 1e-05.',
      'keras-reduce-lr',
      5,
      { learning_rate: 1e-5 }
    ],
    [
      'Epoch 1: val_loss improved from inf to 0.52340, saving model to /tmp/best.keras',
      'keras-checkpoint',
      1,
      { val_loss: 0.5234 }
    ],
    [
      'Epoch 2: val_loss did not improve from 0.52340',
      'keras-checkpoint',
      2,
      undefined
    ],
    ['Epoch 12: early stopping', 'keras-early-stopping', 12, undefined]
  ])('reads %j', (line, pattern, epoch, metrics) => {
    const document = parseLineText(line);
    expect(document.tflog.pattern).toBe(pattern);
    expect(document.tflog.epoch).toBe(epoch);
    expect(document.tflog.metrics).toEqual(metrics);
    expect(document.tflog.nonfinite).toBeUndefined();
  });

  it("reads EarlyStopping's restored epoch", () => {
    const document = parseLineText(
      'Restoring model weights from the end of the best epoch: 7.'
    );
    expect(document.tflog).toMatchObject({
      pattern: 'keras-early-stopping',
      metrics: { best_epoch: 7 }
    });
    expect(document.tflog.epoch).toBeUndefined();
  });
});

describe('specific patterns keep the named numbers they do not read', () => {
  it('adds pairs a Keras bar leaves out, its own values winning', () => {
    const document = parseLineText(
      '12/26 [=====>........] - ETA: 0s - loss: 0.69 - extra=3 | Loss: 5'
    );
    expect(document.tflog).toMatchObject({
      pattern: 'keras2-progbar',
      kind: 'progress'
    });
    expect(document.tflog.metrics).toEqual({ loss: 0.69, extra: 3 });
  });

  it('adds the other pairs of a NaN report', () => {
    const document = parseLineText('Loss became NaN at step 3420, lr=0.001');
    expect(document.tflog).toMatchObject({
      pattern: 'nan-detected',
      step: 3420,
      nonfinite: { loss: 'NaN' },
      metrics: { lr: 0.001 }
    });
  });
});

describe('names of several words', () => {
  it.each([
    ['Train Loss: 0.3', { train_loss: 0.3 }],
    ['Validation accuracy = 0.91', { validation_accuracy: 0.91 }],
    ['mean episode reward: 12.5', { mean_episode_reward: 12.5 }],
    [
      'Top-5 Accuracy: 0.93, Train Loss: 0.41',
      { 'top-5_accuracy': 0.93, train_loss: 0.41 }
    ],
    ['Samples per second: 1200.5', { samples_per_second: 1200.5 }],
    [
      "{'train loss': 0.31, 'Val Acc': 0.9}",
      { train_loss: 0.31, val_acc: 0.9 }
    ],
    ['{"Train Loss": 0.31, "note": "a b c"}', { train_loss: 0.31 }],
    // The two-word spellings of the gradient norm keep the pattern's name.
    ['gradient norm: 1.25', { grad_norm: 1.25 }],
    ['Grad Norm = 1.25', { grad_norm: 1.25 }]
  ])('reads %j', (line, metrics) => {
    expect(parseLineText(line).tflog.metrics).toEqual(metrics);
  });

  it('takes no long word into a name', () => {
    // A 5 MB word in front of `loss=0.25` once made a 5 MB metric name; a
    // word that long is text, as a free word before a pair always was.
    for (const length of [33, 100, 5 * 1024 * 1024]) {
      const metrics = parseLineText(`${'x'.repeat(length)} loss=0.25`).tflog
        .metrics;
      expect(metrics).toBeUndefined();
    }
    expect(parseLineText(`${'x'.repeat(32)} loss=0.25`).tflog.metrics).toEqual({
      [`${'x'.repeat(32)}_loss`]: 0.25
    });
  });

  it('binds by a space after a position, as one-word names do', () => {
    const document = parseLineText('Epoch 3 | Train Loss 0.41 | Val Acc 0.88');
    expect(document.tflog).toMatchObject({
      kind: 'epoch',
      pattern: 'epoch-metrics',
      epoch: 3
    });
    expect(document.tflog.metrics).toEqual({ train_loss: 0.41, val_acc: 0.88 });
  });

  it('ends a name before a position word with its number', () => {
    const document = parseLineText('Epoch 2 train loss 0.3 step 40 lr 0.01');
    expect(document.tflog).toMatchObject({ epoch: 2, step: 40 });
    expect(document.tflog.metrics).toEqual({ train_loss: 0.3, lr: 0.01 });
  });

  it('reads a position word without a number as a word of the name', () => {
    expect(parseLineText('Epoch loss: 0.31').tflog.metrics).toEqual({
      epoch_loss: 0.31
    });
  });

  it('reads the names of a tqdm postfix with spaces', () => {
    const document = parseLineText(
      'Epoch 2: 100%|██████████| 40/40 [00:02<00:00, 17.1it/s, train loss=0.31, val acc=0.9]'
    );
    expect(document.tflog).toMatchObject({ pattern: 'tqdm', epoch: 2 });
    expect(document.tflog.metrics).toEqual({ train_loss: 0.31, val_acc: 0.9 });
  });

  it.each([
    [
      '2026-11-28 20:16:59,470 - trainer - INFO - Epoch 3 - Train Loss: 0.41 - Val Accuracy: 0.88',
      { level: 'info', logger: 'trainer' }
    ],
    [
      '2026-11-28 20:16:59,470 [INFO] Train Loss: 0.41, Val Accuracy: 0.88',
      { level: 'info' }
    ],
    [
      'INFO:__main__:Train Loss: 0.41 | Val Accuracy: 0.88',
      { level: 'info', logger: '__main__' }
    ],
    [
      'I1128 20:16:59.470123  1234 train.py:42] Train Loss: 0.41 Val Accuracy: 0.88',
      { level: 'info', logger: 'train.py:42' }
    ]
  ])('does not take the prefix of %j into a name', (line, log) => {
    const document = parseLineText(line);
    expect(document.log).toEqual(log);
    expect(document.tflog.metrics).toEqual({
      train_loss: 0.41,
      val_accuracy: 0.88
    });
  });

  it.each([
    'INFO Train Loss: 0.41, Val Accuracy: 0.88',
    'train.py:42: Train Loss: 0.41, Val Accuracy: 0.88',
    'trainer.py:42 Train Loss: 0.41 | Val Accuracy: 0.88',
    '[rank0]: Train Loss: 0.41, Val Accuracy: 0.88',
    '[12:00:03] Train Loss: 0.41, Val Accuracy: 0.88',
    'trainer: Train Loss: 0.41, Val Accuracy: 0.88',
    'train | Train Loss: 0.41 | Val Accuracy: 0.88'
  ])(
    'takes a level, a location or a logger before the name as a boundary: %j',
    line => {
      expect(parseLineText(line).tflog.metrics).toEqual({
        train_loss: 0.41,
        val_accuracy: 0.88
      });
    }
  );

  it.each([
    // A free word earlier in the segment: prose.
    'Evaluation done, Val Accuracy: 0.91',
    // More than four words.
    'Average Total Mean Episode Reward: 12.5',
    // Small words are never part of a name.
    'Number of samples: 500',
    'Epoch 3 loss is now 0.5 lower',
    // The last word says what is counted or identified.
    'Process ID: 1234',
    'HTTP status: 200',
    'Using GPU: 0',
    'Trainable params: 161 (644.00 B)',
    'Non-trainable params: 0 (0.00 B)'
  ])('leaves %j without metrics', line => {
    const document = parseLineText(line);
    expect(document.tflog.metrics).toBeUndefined();
    expect(document.tflog.kind).toBe('log');
  });

  it('does not read a NaN report as a name of several words', () => {
    const document = parseLineText('Epoch 3 loss became nan, lr=0.01');
    expect(document.tflog).toMatchObject({
      pattern: 'nan-detected',
      epoch: 3,
      nonfinite: { loss: 'NaN' }
    });
    expect(document.tflog.metrics).toEqual({ lr: 0.01 });
  });
});

describe('what is not a named number', () => {
  it.each([
    'Loaded 60000 images in 3.2 s',
    'Using TensorFlow backend, tf 2.9.1',
    'epoch 3 with tf 2.9.1',
    'time: 12:00:03',
    'started at 2026-11-28 12:00:03',
    'pid 1234 started',
    'worker pid=1234 port=8080 run_id=77',
    'pid=1234 port=8080 run_id=77',
    'rank=0 params=161',
    'step 5 pid 1234',
    'GET /index.html HTTP/1.1 200',
    'status: 200, code=404',
    'Total params: 161 (644.00 B)',
    'Note: 5 items left',
    'Epoch 3 took 12 s',
    'elapsed: 3.2s, 5ms/step',
    'See https://x.org/a:1',
    'Saved to /tmp/run-3/ckpt-1200',
    'Epoch 3 starting',
    'Epoch 1: saving model to ckpt/cp-0001.weights.h5',
    ' Total params: 101,770 (397.54 KB)',
    'Found 60000 files belonging to 10 classes.',
    '2026-11-28 20:16:59.470123: I tensorflow/core/common_runtime/gpu/gpu_device.cc:1928] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 22000 MB memory:  -> device: 0, name: NVIDIA A10G, pci bus id: 0000:00:1e.0, compute capability: 8.6'
  ])('%j', line => {
    const document = parseLineText(line);
    expect(document.tflog.metrics).toBeUndefined();
    expect(document.tflog.nonfinite).toBeUndefined();
    expect(document.tflog.kind).toBe('log');
  });

  it('returns nothing for a line without digits or non-finite words', () => {
    expect(scanLine('just some words: here')).toBeNull();
  });
});

describe('generated lines come back whole', () => {
  const POSITION_WORDS = [
    'epoch',
    'step',
    'global_step',
    'batch',
    'iteration',
    'iter',
    'it'
  ];
  const BLOCKED = new Set([
    ...POSITION_WORDS,
    'global',
    'nan',
    'inf',
    'infinity',
    'pid',
    'ppid',
    'tid',
    'uid',
    'gid',
    'id',
    'port',
    'version',
    'ver',
    'code',
    'status',
    'status_code',
    'http',
    'errno',
    'line',
    'lineno',
    'year',
    'month',
    'day',
    'hour',
    'minute',
    'params',
    'parameters',
    'gpu',
    'device',
    'rank',
    'a',
    'an',
    'and',
    'or',
    'at',
    'in',
    'on',
    'of',
    'to',
    'by',
    'for',
    'from',
    'with',
    'after',
    'before',
    'took',
    'is',
    'was',
    'are',
    'were',
    'than',
    'every',
    'each',
    'last',
    'first',
    'next',
    'became',
    'becomes',
    'become',
    'turned',
    'went',
    'hit',
    'reached',
    'exceeded',
    'exceeds',
    'exceeding',
    'above',
    'over',
    'the',
    'this',
    'that',
    'not',
    'no',
    'be',
    'been',
    'has',
    'have',
    'had',
    'did',
    'will',
    'into',
    'as',
    'debug',
    'info',
    'warning',
    'warn',
    'error',
    'critical',
    'fatal',
    'trace',
    'notice'
  ]);
  /** `train.py:42` is a source location. */
  const SOURCE_FILE =
    /\.(py|pyx|ipynb|c|cc|cpp|cxx|cu|h|hpp|js|mjs|ts|java|scala|go|rs|rb|jl|sh)$/i;
  const PREFIXES = [
    '',
    '2026-11-28 20:16:59,470 - trainer - INFO - ',
    '2026-11-28 20:16:59,470 [INFO] ',
    'INFO:root:',
    '[rank0]: ',
    'train | '
  ];
  const SEPARATORS = [', ', ' | ', ' - ', '\t', '; ', ' ', ',', ' , '];

  function pick<T>(rnd: () => number, items: readonly T[]): T {
    return items[Math.floor(rnd() * items.length)];
  }

  function name(rnd: () => number): string {
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';
    const inner = 'abcdefghijklmnopqrstuvwxyz0123456789_./-';
    for (;;) {
      let text = pick(rnd, letters.split(''));
      const length = Math.floor(rnd() * 10);
      for (let i = 0; i < length; i++) {
        text += pick(rnd, inner.split(''));
      }
      // A name ends with a letter or digit.
      text += pick(rnd, 'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
      const lower = text.toLowerCase();
      if (
        !BLOCKED.has(lower) &&
        !lower.endsWith('_id') &&
        !lower.startsWith('grad') &&
        !SOURCE_FILE.test(lower)
      ) {
        return text;
      }
    }
  }

  /** A name of one to four words as printed, and the name it is stored as. */
  function names(rnd: () => number): [string, string] {
    const count = rnd() < 0.5 ? 1 : 2 + Math.floor(rnd() * 3);
    const words: string[] = [];
    for (let i = 0; i < count; i++) {
      words.push(name(rnd));
    }
    return [words.join(' '), words.join('_').toLowerCase()];
  }

  /** A printed value and what it must come back as. */
  function value(rnd: () => number): [string, number | string] {
    const kind = Math.floor(rnd() * 9);
    if (kind === 0) {
      return pick(rnd, [
        ['nan', 'NaN'],
        ['NaN', 'NaN'],
        ['inf', 'Infinity'],
        ['-inf', '-Infinity'],
        ['Infinity', 'Infinity']
      ] as [string, string][]);
    }
    const sign = rnd() < 0.2 ? '-' : '';
    const whole = String(Math.floor(rnd() * 100000));
    const fraction = String(Math.floor(rnd() * 100000)).padStart(5, '0');
    let text: string;
    if (kind === 1) {
      text = `${sign}${whole}`;
    } else if (kind === 2) {
      text = `${sign}${whole}.${fraction}e-${Math.floor(rnd() * 9)}`;
    } else if (kind === 3) {
      text = `${sign}.${fraction}`;
    } else if (kind === 4) {
      text = `${sign}${whole.slice(0, 1)}E+${Math.floor(rnd() * 20)}`;
    } else {
      text = `${sign}${whole}.${fraction}`;
    }
    const percent = kind === 5 && rnd() < 0.5 ? '%' : '';
    return [`${text}${percent}`, Number(text)];
  }

  interface IPositionSpec {
    text: string;
    word: string;
    value: number;
    total?: number;
  }

  function position(rnd: () => number, word: string): IPositionSpec {
    const value = 1 + Math.floor(rnd() * 500);
    const total = rnd() < 0.5 ? value + Math.floor(rnd() * 500) : undefined;
    const shown = pick(rnd, [
      word,
      word.toUpperCase(),
      word[0].toUpperCase() + word.slice(1)
    ]);
    const number = total === undefined ? `${value}` : `${value}/${total}`;
    const form = Math.floor(rnd() * 6);
    const texts = [
      `${shown} ${number}`,
      `${shown}=${number}`,
      `${shown}: ${number}`,
      `[${shown} ${number}]`,
      `${shown} [${number}]`,
      `${shown} = ${number}`
    ];
    return { text: texts[form], word, value, total };
  }

  it('extracts every pair (names of one to four words) with its exact value, and the positions', () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const rnd = random(seed);
      const parts: string[] = [];
      const positions: IPositionSpec[] = [];
      if (rnd() < 0.6) {
        positions.push(position(rnd, 'epoch'));
      }
      if (rnd() < 0.6) {
        positions.push(
          position(
            rnd,
            pick(rnd, [
              'step',
              'batch',
              'iteration',
              'iter',
              'it',
              'global_step'
            ])
          )
        );
      }
      for (const spec of positions) {
        parts.push(spec.text);
      }
      const expected: Record<string, number> = {};
      const expectedNonFinite: Record<string, string> = {};
      const count = 1 + Math.floor(rnd() * 6);
      const seen = new Set<string>();
      for (let i = 0; i < count; i++) {
        const [pairName, storedName] = names(rnd);
        if (seen.has(storedName)) {
          continue;
        }
        seen.add(storedName);
        const [printed, parsed] = value(rnd);
        const bindings =
          positions.length > 0
            ? ['=', ': ', ' = ', ':', ' ']
            : ['=', ': ', ' = ', ':'];
        const binding = pick(rnd, bindings);
        const quote =
          binding !== ' ' && rnd() < 0.15 ? pick(rnd, ['"', "'"]) : '';
        parts.push(`${quote}${pairName}${quote}${binding}${printed}`);
        if (typeof parsed === 'number') {
          expected[storedName] = parsed;
        } else {
          expectedNonFinite[storedName] = parsed;
        }
      }
      let line = pick(rnd, PREFIXES) + parts[0];
      for (const part of parts.slice(1)) {
        line += pick(rnd, SEPARATORS) + part;
      }
      const document = parseLineText(line);
      const context = `seed ${seed}: ${JSON.stringify(line)}`;
      expect([context, document.tflog.metrics ?? {}]).toEqual([
        context,
        expected
      ]);
      expect([context, document.tflog.nonfinite ?? {}]).toEqual([
        context,
        expectedNonFinite
      ]);
      const epoch = positions.find(spec => spec.word === 'epoch');
      const step = positions.find(spec => spec.word !== 'epoch');
      expect([context, document.tflog.epoch]).toEqual([context, epoch?.value]);
      expect([context, document.tflog.epochs_total]).toEqual([
        context,
        epoch?.total
      ]);
      let expectedStep = step?.value;
      if (
        step &&
        epoch &&
        step.total !== undefined &&
        step.word !== 'global_step'
      ) {
        expectedStep = (epoch.value - 1) * step.total + step.value;
      }
      expect([context, document.tflog.step]).toEqual([context, expectedStep]);
    }
  });
});

describe('epochs counted from 0', () => {
  it.each([
    [
      'Epoch 0:  45%|████▌| 45/100 [00:05<00:06, 8.2it/s, loss=0.25]',
      { epoch: 0, step: 45 }
    ],
    [
      'Epoch [0/10], Step [100/600], Loss: 0.2345',
      { epoch: 0, step: 100, steps_total: 6000 }
    ],
    [
      'Epoch 0/10 Step 100/1875: loss=0.25',
      { epoch: 0, step: 100, steps_total: 18750 }
    ]
  ])('never gives %j a negative step', (line, positions) => {
    expect(parseLineText(line).tflog).toMatchObject(positions);
  });

  it("counts the run's later epochs from 0 too, so no two share a step", () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch [0/2], Step [600/600], Loss: 0.3\n'),
      streamRecord(2, 'Epoch [1/2], Step [100/600], Loss: 0.2\n'),
      // A logging record of the same run counts the same way.
      {
        t: 'log',
        seq: 3,
        ts: START_TS + 3,
        level: 'INFO',
        logger: 'train',
        msg: 'Epoch [1/2], Step [200/600], Loss: 0.1'
      }
    ]);
    expect(documents.slice(1).map(document => document.tflog.step)).toEqual([
      600, 700, 800
    ]);
  });

  it('counts a run that prints no epoch 0 from 1, as Keras does', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch [1/2], Step [100/600], Loss: 0.2\n')
    ]);
    expect(documents[1].tflog.step).toBe(100);
  });

  it('counts the Keras progress bars under an `Epoch 0/n` header from 0', () => {
    const { documents } = parseAll([
      startRecord(),
      streamRecord(1, 'Epoch 0/2\n'),
      streamRecord(
        2,
        '10/10 [==============================] - 0s - loss: 0.5\n'
      )
    ]);
    expect(documents[2].tflog).toMatchObject({ epoch: 0, step: 10 });
  });
});

describe('tqdm bars: the percentage is progress, not a value', () => {
  it.each([
    [
      'Training:  45%|####5| 45/100 [00:05<00:06, 8.2it/s]',
      { step: 45, steps_total: 100 }
    ],
    ['Validating: 100%|██████████| 10/10 [00:01<00:00, 9.1it/s]', { step: 10 }],
    [
      'train: 100%|##########| 1,000/1,000 [00:10<00:00, 99.5it/s, loss=0.1]',
      { step: 1000, steps_total: 1000, metrics: { loss: 0.1 } }
    ]
  ])('reads %j as a bar', (line, fields) => {
    const document = parseLineText(line);
    expect(document.tflog).toMatchObject({
      kind: 'progress',
      pattern: 'tqdm',
      ...fields
    });
    expect(document.tflog.metrics).toEqual(
      'metrics' in fields ? fields.metrics : undefined
    );
  });

  it('stores no value of a bar it cannot read as tqdm', () => {
    const document = parseLineText(
      'Downloading data: 100%|██████████| 11.5M/11.5M [00:01<00:00, 9.87MB/s]'
    );
    expect(document.tflog.metrics).toBeUndefined();
    expect(document.tflog.kind).toBe('log');
  });

  it('still reads a percentage that is no bar', () => {
    expect(parseLineText('accuracy: 95.5% | loss: 0.3').tflog.metrics).toEqual({
      accuracy: 95.5,
      loss: 0.3
    });
  });
});

describe('thousands separators', () => {
  it.each([
    ['step 10 tokens/s 12,345', { 'tokens/s': 12345 }],
    ['loss: 1,234.5', { loss: 1234.5 }],
    ['Samples: 60,000', { samples: 60000 }],
    ['examples=1,234,567 loss=0.3', { examples: 1234567, loss: 0.3 }],
    // Digits after a comma that are no thousands group: no value, not a cut one.
    ['loss: 0,25', undefined],
    ['step 3 loss: 0,25 acc: 0.5', { acc: 0.5 }],
    ['x: 1,2345, y: 2', { y: 2 }],
    ['a: 0.5,0.6 b=1', { b: 1 }]
  ])('reads %j', (line, metrics) => {
    expect(parseLineText(line).tflog.metrics).toEqual(metrics);
  });

  it('never takes the start of a number cut at a comma', () => {
    expect(parseLineText('step 10 processed 1,234,567 examples').tflog).toEqual(
      expect.not.objectContaining({ metrics: { processed: 1 } })
    );
    expect(parseLineText('Epoch 1,2 loss=0.3').tflog.epoch).toBeUndefined();
  });

  it('reads positions and tqdm counters in thousands groups', () => {
    expect(parseLineText('Step 1,200/5,000 - loss: 0.3').tflog).toMatchObject({
      step: 1200,
      steps_total: 5000
    });
  });
});

describe('an infinite bound or setting is no NaN alarm', () => {
  it.each([
    'best: inf',
    'Best val_loss so far: inf',
    'EarlyStopping: best=inf',
    'min: -inf, max: inf',
    'clip_value: inf',
    'threshold = inf'
  ])('does not make %j a nan event', line => {
    const document = parseLineText(line);
    expect(document.tflog.kind).not.toBe('nan');
    expect(document.log.level).toBe('info');
    expect(document.tflog.nonfinite).toBeUndefined();
  });

  it('keeps NaN of such a name, and finite values', () => {
    expect(parseLineText('best: nan').tflog).toMatchObject({
      kind: 'nan',
      nonfinite: { best: 'NaN' }
    });
    expect(parseLineText('best: 0.25, loss: inf').tflog).toMatchObject({
      kind: 'nan',
      metrics: { best: 0.25 },
      nonfinite: { loss: 'Infinity' }
    });
  });
});

describe('a token with a unit is skipped, the values around it kept', () => {
  it.each([
    ['step 100: loss 0.25 time 0.5s', { step: 100 }, { loss: 0.25 }],
    [
      'step 100 loss 0.25 acc 0.9 lr 0.001 time 0.5s',
      { step: 100 },
      { loss: 0.25, acc: 0.9, lr: 0.001 }
    ],
    ['loss: 0.25 time: 0.5s acc: 0.9', {}, { loss: 0.25, acc: 0.9 }],
    [
      'step 5 loss=0.2 speed: 9.87MB/s acc=0.9',
      { step: 5 },
      { loss: 0.2, acc: 0.9 }
    ]
  ])('reads %j', (line, positions, metrics) => {
    const document = parseLineText(line);
    expect(document.tflog).toMatchObject(positions);
    expect(document.tflog.metrics).toEqual(metrics);
  });

  it('still reads no value with a unit, nor prose', () => {
    expect(parseLineText('Epoch 3 took 12s').tflog.metrics).toBeUndefined();
    expect(parseLineText('time: 0.5s').tflog.metrics).toBeUndefined();
  });
});

describe("a sentence's full stop after a `:` value", () => {
  it.each([
    ['Final loss: 0.25.', { final_loss: 0.25 }],
    ['Validation loss: 0.2500.', { validation_loss: 0.25 }],
    ['loss: 1e-3.', { loss: 0.001 }],
    ['Final loss: 0.25. Saving the model.', { final_loss: 0.25 }]
  ])('reads %j', (line, metrics) => {
    expect(parseLineText(line).tflog.metrics).toEqual(metrics);
  });

  it('keeps a version or an ellipsis no value', () => {
    expect(parseLineText('version: 2.9.1').tflog.metrics).toBeUndefined();
    expect(parseLineText('loss: 0.25...').tflog.metrics).toBeUndefined();
  });
});
