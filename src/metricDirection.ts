/**
 * Which way a metric gets better, one rule for every view that marks a
 * "best" value (the History table, the comparison, the panel).
 */

/** Words of metric names that are better low (loss, errors, perplexity). */
const LOWER_IS_BETTER_WORDS = new Set([
  'loss',
  'error',
  'err',
  'mse',
  'mae',
  'rmse',
  'mape',
  'msle',
  'nll',
  'perplexity',
  'ppl',
  'cer',
  'wer',
  'crossentropy',
  'hinge',
  'kld',
  'distance'
]);

/**
 * Whether a metric is better low: one of its words (split at `_`, `-`, `/`,
 * `.` and case changes) is a loss or an error measure, or ends with `loss`
 * or `error` (`valloss`, `top5error`). Everything else (accuracy, AUC…) is
 * better high; a word merely containing one (`glossary`) does not count.
 */
export function lowerIsBetter(metric: string): boolean {
  const words = metric
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(word => word !== '');
  return words.some(
    word =>
      LOWER_IS_BETTER_WORDS.has(word) ||
      word.endsWith('loss') ||
      word.endsWith('error') ||
      word.endsWith('crossentropy')
  );
}
