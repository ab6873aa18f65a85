/**
 * What a run was about, for its header and list rows: its tags and
 * hyperparameters as short `key=value` facts, the ones people compare runs
 * by first (optimizer, learning rate, batch size, epochs).
 */
import { formatNumber } from './format';
import type { IRunSummary } from './tokens';

export interface IRunFact {
  kind: 'tag' | 'hparam';
  key: string;
  /** The value as shown, at most MAX_FACT_CHARS characters. */
  value: string;
  /** The whole value, for a tooltip. */
  full: string;
}

/** Hyperparameters shown first, in this order; the others follow by name. */
const LEADING_HPARAMS = [
  'optimizer',
  'learning_rate',
  'learning_rate_schedule',
  'batch_size',
  'epochs',
  'steps_per_epoch',
  'model',
  'loss'
];

const MAX_FACT_CHARS = 40;

/** Tags (by key), then hyperparameters; null values left out; at most `limit`. */
export function runFacts(run: IRunSummary, limit = Infinity): IRunFact[] {
  const rank = (key: string): number => {
    const index = LEADING_HPARAMS.indexOf(key);
    return index < 0 ? LEADING_HPARAMS.length : index;
  };
  const tags = Object.keys(run.tags)
    .sort((a, b) => a.localeCompare(b))
    .map(key => fact('tag', key, run.tags[key]));
  const hparams = Object.keys(run.hparams)
    .filter(key => run.hparams[key] !== null)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map(key => {
      const value = run.hparams[key];
      return fact(
        'hparam',
        key,
        typeof value === 'number' ? formatNumber(value) : String(value)
      );
    });
  return [...tags, ...hparams].slice(0, limit);
}

function fact(kind: IRunFact['kind'], key: string, full: string): IRunFact {
  const value =
    full.length > MAX_FACT_CHARS
      ? `${full.slice(0, MAX_FACT_CHARS - 1)}…`
      : full;
  return { kind, key, value, full };
}

/** `train.ipynb` of `work/train.ipynb`; null without a notebook. */
export function notebookName(path: string | null): string | null {
  return path === null ? null : path.slice(path.lastIndexOf('/') + 1);
}
