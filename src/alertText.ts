/** What an alert says to the user, in their language. */
import type { TranslationBundle } from '@jupyterlab/translation';

import { formatMetric } from './format';
import type { IAlert } from './tokens';

/** `step 3420`, `epoch 2, step 3420`, or nothing. */
function where(trans: TranslationBundle, alert: IAlert): string {
  if (alert.epoch !== null && alert.step !== null) {
    return trans.__(' at epoch %1, step %2', alert.epoch, alert.step);
  }
  if (alert.step !== null) {
    return trans.__(' at step %1', alert.step);
  }
  return alert.epoch !== null ? trans.__(' at epoch %1', alert.epoch) : '';
}

/** What went wrong, with its value and where. */
export function alertSummary(trans: TranslationBundle, alert: IAlert): string {
  const metric = alert.metric ?? trans.__('the loss');
  const value = alert.value === null ? '' : formatMetric(alert.value);
  const at = where(trans, alert);
  switch (alert.rule) {
    case 'nonfinite':
      return alert.metric === null
        ? trans.__('The loss is no longer a number%1', at)
        : trans.__('%1 became %2%3', metric, value, at);
    case 'divergence':
      return trans.__('%1 is diverging: %2%3', metric, value, at);
    case 'plateau':
      return trans.__('%1 has stopped improving (%2)%3', metric, value, at);
    case 'stall':
      return trans.__('No output for a while%1', at);
    case 'burst':
      return trans.__('%1 warnings or errors in a short time%2', value, at);
    case 'grad_norm':
      return trans.__('%1 is %2, above the threshold%3', metric, value, at);
  }
}

/** The whole notification: what, in which run of which notebook. */
export function alertText(trans: TranslationBundle, alert: IAlert): string {
  const run = alert.run_name ?? alert.run_id;
  const summary = alertSummary(trans, alert);
  return alert.notebook
    ? trans.__('%1 — run “%2” in %3', summary, run, alert.notebook)
    : trans.__('%1 — run “%2”', summary, run);
}
