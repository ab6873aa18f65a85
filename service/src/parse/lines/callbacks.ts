/**
 * Messages of Keras callbacks (Keras 3 `Epoch 5:`, Keras 2 `Epoch 00005:`).
 *
 *   Epoch 5: ReduceLROnPlateau reducing learning rate to 0.0001.   keras-reduce-lr (learning_rate)
 *   Epoch 1: LearningRateScheduler setting learning rate to 0.001.  keras-lr-scheduler (learning_rate)
 *   Epoch 12: early stopping                                      keras-early-stopping
 *   Restoring model weights from the end of the best epoch: 7.    keras-early-stopping (best_epoch)
 *   Epoch 1: val_loss improved from inf to 0.52340, saving model to m.keras   keras-checkpoint (val_loss)
 *   Epoch 2: val_loss did not improve from 0.52340                keras-checkpoint
 *
 * Only new values become metrics: a checkpoint's `from A` is the old best
 * (often `inf`), so only `to B` is kept, under the monitored name.
 */
import { MetricBag, parseValue, VALUE_SOURCE } from '../values';
import { ILineEvent } from './event';

const EPOCH_PREFIX = '^Epoch (\\d+): ';
const REDUCE_LR = new RegExp(
  `${EPOCH_PREFIX}ReduceLROnPlateau reducing learning rate to (${VALUE_SOURCE})`
);
const LR_SCHEDULER = new RegExp(
  `${EPOCH_PREFIX}LearningRateScheduler setting learning rate to (${VALUE_SOURCE})`
);
const EARLY_STOPPING = new RegExp(`${EPOCH_PREFIX}early stopping`);
const RESTORING =
  /^Restoring model weights from the end of the best epoch: (\d+)/;
const IMPROVED = new RegExp(
  `${EPOCH_PREFIX}([\\w./-]+) improved from (?:${VALUE_SOURCE}) to (${VALUE_SOURCE})`
);
const NOT_IMPROVED = new RegExp(
  `${EPOCH_PREFIX}[\\w./-]+ did not improve from (?:${VALUE_SOURCE})`
);

/** Patterns of the messages above that name their epoch (`Epoch N: ...`). */
export const EPOCH_CALLBACK_PATTERNS: ReadonlySet<string> = new Set([
  'keras-reduce-lr',
  'keras-lr-scheduler',
  'keras-checkpoint',
  'keras-early-stopping'
]);

export function parseCallbackLine(body: string): ILineEvent | null {
  const first = body.charCodeAt(0);
  if (first === 0x45) {
    return epochCallback(body);
  }
  if (first === 0x52) {
    const restoring = RESTORING.exec(body);
    if (restoring) {
      const metrics = new MetricBag();
      metrics.add('best_epoch', { finite: true, value: Number(restoring[1]) });
      return {
        message: body,
        kind: 'log',
        pattern: 'keras-early-stopping',
        metrics,
        scope: 'log'
      };
    }
  }
  return null;
}

function epochCallback(body: string): ILineEvent | null {
  const reduce = REDUCE_LR.exec(body);
  if (reduce) {
    return callbackEvent(body, reduce[1], 'keras-reduce-lr', [
      'learning_rate',
      reduce[2]
    ]);
  }
  const scheduled = LR_SCHEDULER.exec(body);
  if (scheduled) {
    return callbackEvent(body, scheduled[1], 'keras-lr-scheduler', [
      'learning_rate',
      scheduled[2]
    ]);
  }
  const improved = IMPROVED.exec(body);
  if (improved) {
    return callbackEvent(body, improved[1], 'keras-checkpoint', [
      improved[2],
      improved[3]
    ]);
  }
  const notImproved = NOT_IMPROVED.exec(body);
  if (notImproved) {
    return callbackEvent(body, notImproved[1], 'keras-checkpoint', null);
  }
  const early = EARLY_STOPPING.exec(body);
  if (early) {
    return callbackEvent(body, early[1], 'keras-early-stopping', null);
  }
  return null;
}

function callbackEvent(
  body: string,
  epoch: string,
  pattern: string,
  pair: [string, string] | null
): ILineEvent {
  const metrics = new MetricBag();
  const value = pair ? parseValue(pair[1]) : null;
  if (pair && value) {
    metrics.add(pair[0], value);
  }
  return {
    message: body,
    kind: metrics.size > 0 ? 'metrics' : 'log',
    pattern,
    epoch: Number(epoch),
    metrics,
    scope: 'log'
  };
}
