import { lowerIsBetter } from '../metricDirection';

describe('lowerIsBetter', () => {
  it.each([
    'loss',
    'val_loss',
    'reconstruction_loss',
    'kl-loss',
    'error',
    'top5_error',
    'mean_squared_error',
    'mse',
    'val_mae',
    'rmse',
    'perplexity',
    'eval/perplexity',
    'categorical_crossentropy',
    'valLoss',
    'wer'
  ])('%s is better low', name => {
    expect(lowerIsBetter(name)).toBe(true);
  });

  it.each([
    'accuracy',
    'val_accuracy',
    'auc',
    'f1',
    'precision',
    'glossary_size',
    'lr',
    'mseq_hits',
    'concern_count',
    'answer_rate'
  ])('%s is better high', name => {
    expect(lowerIsBetter(name)).toBe(false);
  });
});
