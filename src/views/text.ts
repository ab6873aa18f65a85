/**
 * Words the views share, through the `tflog` translation domain: run
 * statuses and the default bundle (no translation) for tests and callers
 * that have no ITranslator.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

import type { IRunSummary, RunStatus } from '../tokens';

/** The translation domain of every tflog string. */
export const TRANSLATION_DOMAIN = 'tflog';

/** The bundle used when no ITranslator is given: the strings as written. */
export function defaultBundle(): TranslationBundle {
  return nullTranslator.load(TRANSLATION_DOMAIN);
}

/** A run status as shown in badges and labels. */
export function statusText(trans: TranslationBundle, status: RunStatus) {
  switch (status) {
    case 'running':
      return trans.__('running');
    case 'finished':
      return trans.__('finished');
    case 'failed':
      return trans.__('failed');
    case 'interrupted':
      return trans.__('interrupted');
    case 'stopped':
      return trans.__('stopped');
  }
}

/**
 * `epoch 3/10`: the run's last epoch, out of its `epochs` hyperparameter
 * when it has one (epochs count from 1, as Keras prints them); null before
 * the first.
 */
export function epochText(
  trans: TranslationBundle,
  run: Pick<IRunSummary, 'last_epoch' | 'hparams'>
): string | null {
  if (run.last_epoch === null) {
    return null;
  }
  const epochs = run.hparams.epochs;
  return typeof epochs === 'number'
    ? trans.__('epoch %1/%2', run.last_epoch, epochs)
    : trans.__('epoch %1', run.last_epoch);
}

/** The badge of a run that logged non-finite values: `NaN`, `+Inf`, `-Inf`. */
export function nonFiniteBadge(trans: TranslationBundle, kind: string): string {
  switch (kind) {
    case 'Infinity':
      return trans.__('+Inf');
    case '-Infinity':
      return trans.__('-Inf');
    default:
      return trans.__('NaN');
  }
}
