/**
 * What TensorFlow's guides and TensorFlow itself print: values named by a
 * phrase and eager tensors are read; device names, allocator dumps and
 * configuration prints are no curves; odd log prefixes.
 */
import { parseAll, parseLineText, startRecord, streamRecord } from './helpers';

function pointsOf(line: string) {
  return parseAll([startRecord(), streamRecord(1, `${line}\n`)]).points;
}

describe("the training-loop and evaluate guides' prints", () => {
  it.each([
    [
      'Training loss (for one batch) at step 0: 0.9486',
      { kind: 'step', step: 0, metrics: { training_loss: 0.9486 } }
    ],
    [
      'Training loss (for one batch) at step 200: 0.7112',
      { kind: 'step', step: 200, metrics: { training_loss: 0.7112 } }
    ],
    [
      'Loss at epoch 3: 0.25',
      { kind: 'epoch', epoch: 3, metrics: { loss: 0.25 } }
    ],
    [
      'Training acc over epoch: 0.8900',
      { kind: 'epoch', metrics: { training_acc: 0.89 } }
    ],
    [
      'Accuracy on test set: 0.9876',
      { kind: 'metrics', metrics: { test_accuracy: 0.9876 } }
    ],
    [
      'Loss on the validation set: 0.31',
      { kind: 'metrics', metrics: { validation_loss: 0.31 } }
    ],
    [
      'test loss, test acc: [0.0345, 0.9876]',
      { kind: 'metrics', metrics: { test_loss: 0.0345, test_acc: 0.9876 } }
    ]
  ])('reads %j', (line, expected) => {
    const document = parseLineText(line);
    expect(document.tflog).toMatchObject({
      ...expected,
      pattern: 'phrase-value'
    });
  });

  it("stores an epoch's value with scope epoch, a step's with scope batch", () => {
    expect(pointsOf('Training acc over epoch: 0.8900')).toMatchObject([
      { name: 'training_acc', value: 0.89, scope: 'epoch' }
    ]);
    expect(
      pointsOf('Training loss (for one batch) at step 0: 0.9486')
    ).toMatchObject([
      { name: 'training_loss', value: 0.9486, scope: 'batch', step: 0 }
    ]);
  });

  it('still reads the validation value it read before', () => {
    expect(parseLineText('Validation acc: 0.9020').tflog.metrics).toEqual({
      validation_acc: 0.902
    });
  });

  it.each([
    'Seen so far: 6464 samples',
    'Time taken: 3.21s',
    'Loaded weights at step 3: ok',
    'test loss, test acc: [0.0345]',
    'Classes: [0, 1, 2]',
    'Checkpoint saved in the output dir at step 10: 5'
  ])('keeps %j prose', line => {
    expect(parseLineText(line).tflog.metrics).toBeUndefined();
  });
});

describe('eager tensors printed as they are', () => {
  it.each([
    ['loss: tf.Tensor(0.25, shape=(), dtype=float32)', { loss: 0.25 }],
    [
      "{'loss': <tf.Tensor: shape=(), dtype=float32, numpy=0.25>}",
      { loss: 0.25 }
    ],
    [
      "{'loss': <tf.Tensor: id=7, shape=(), dtype=float32, numpy=0.25>, 'acc': <tf.Tensor: shape=(), dtype=float32, numpy=0.5>}",
      { loss: 0.25, acc: 0.5 }
    ]
  ])('reads %j', (line, metrics) => {
    expect(parseLineText(line).tflog.metrics).toEqual(metrics);
  });

  it('reads the step of a loop that prints its tensor', () => {
    expect(
      parseLineText('Step 100 loss: tf.Tensor(0.25, shape=(), dtype=float32)')
        .tflog
    ).toMatchObject({ kind: 'step', step: 100, metrics: { loss: 0.25 } });
  });

  it('reads no value from a tensor with a shape', () => {
    expect(
      parseLineText('loss: tf.Tensor([0.25 0.3], shape=(2,), dtype=float32)')
        .tflog.metrics
    ).toBeUndefined();
  });
});

describe("TensorFlow's own notices and configuration prints are no curves", () => {
  it.each([
    '[/device:CPU:0] (DEBUG INFO) Executor start aborting (this does not indicate an error and you can ignore this message): INVALID_ARGUMENT: You must feed a value for placeholder tensor',
    '*** Available Device: _DeviceAttributes(/job:localhost/replica:0/task:0/device:CPU:0, CPU, 268435456, 0)',
    'Visible device: /physical_device:GPU:0',
    'Adding visible gpu devices: 0',
    'Num GPUs Available:  1',
    'num_gpus_available=1',
    'Bin (256): \tTotal Chunks: 45, Chunks in use: 45. 11.2KiB allocated for chunks. 11.2KiB in use in bin.',
    'Limit:  15337586688',
    'InUse:  15337586688',
    'MaxInUse:                  15337586688',
    'NumAllocs:                        1234',
    'MaxAllocSize:               2361393152',
    'Reserved:                            0',
    'PeakReserved:                        0',
    'LargestFreeBlock:                    0',
    'Seed: 42',
    'Random seed: 42',
    'random_seed=42',
    'Seed at step 5: 42',
    'Num workers: 4',
    'num_workers=4',
    'Image size: 224',
    'Batch size: 32',
    "{'batch_size': 32, 'seed': 42}"
  ])('stores no value of %j', line => {
    expect(parseLineText(line).tflog.metrics).toBeUndefined();
  });

  it('keeps the values around them, and measures named like them', () => {
    expect(
      parseLineText('Batch size: 32, lr: 0.001, gpu_util: 85').tflog.metrics
    ).toEqual({ lr: 0.001, gpu_util: 85 });
    expect(parseLineText('Memory available: 1.5').tflog.metrics).toEqual({
      memory_available: 1.5
    });
    expect(parseLineText('cpu: 45.5').tflog.metrics).toEqual({ cpu: 45.5 });
  });
});

describe('log prefixes and qualifiers', () => {
  it("reads Loguru's level and location, which is no pair", () => {
    const document = parseLineText(
      '2026-12-06 12:00:00.123 | WARNING  | __main__:train:42 - loss spiked'
    );
    expect(document.log.level).toBe('warning');
    expect(document.log.logger).toBe('__main__:train:42');
    expect(document.message).toBe('loss spiked');
    expect(document.tflog.metrics).toBeUndefined();
    const success = parseLineText(
      '2026-12-06 12:00:00.123 | SUCCESS  | __main__:<module>:7 - step 100 loss=0.25'
    );
    expect(success.log.level).toBe('info');
    expect(success.tflog).toMatchObject({ step: 100, metrics: { loss: 0.25 } });
  });

  it('reads the level after a bracketed asctime', () => {
    const document = parseLineText('[2026-12-06 12:00:00,123] WARNING - x');
    expect(document.log.level).toBe('warning');
    expect(document.message).toBe('x');
    expect(document['@timestamp']).toMatch(/^2026-12-06T/);
  });

  it.each([
    ['12:00:03 step 100 loss=0.25', { step: 100, metrics: { loss: 0.25 } }],
    ['12:00:03.250 loss: 0.25', { metrics: { loss: 0.25 } }]
  ])('reads the values after a time printed first: %j', (line, expected) => {
    expect(parseLineText(line).tflog).toMatchObject(expected);
  });

  it.each([
    ['val loss: 0.30 (best: 0.28)', { val_loss: 0.3 }],
    ['loss: 0.30 (min: 0.2), acc: 0.9', { loss: 0.3, acc: 0.9 }],
    ['val loss: 0.30 (val acc: 0.5)', { val_loss: 0.3, val_acc: 0.5 }],
    ['best: 0.28', { best: 0.28 }]
  ])('reads %j', (line, metrics) => {
    expect(parseLineText(line).tflog.metrics).toEqual(metrics);
  });

  it('takes the step of a gradient norm `at step N`, as of a NaN report', () => {
    expect(parseLineText('gradient norm 1.25 at step 100').tflog).toMatchObject(
      { pattern: 'gradient-norm', step: 100, metrics: { grad_norm: 1.25 } }
    );
  });
});
