/**
 * A run list's filters applied to one summary in memory, as both stores
 * apply them: for a run the service knows of before the store lists it
 * (see freshenRunPage in ship/recent.ts).
 */
import type { HparamValue, IRunSummary } from '../types';
import { hparamMatch } from './run-sort';
import { runMatchesText } from './run-text';
import type { IRunQuery } from './store';

type RunFilters = Omit<IRunQuery, 'sort' | 'size' | 'after'>;

export function runMatchesFilters(
  summary: IRunSummary,
  query: RunFilters
): boolean {
  if (query.user !== undefined && summary.user !== query.user) {
    return false;
  }
  if (
    query.notebooks !== undefined &&
    (summary.notebook === null || !query.notebooks.includes(summary.notebook))
  ) {
    return false;
  }
  if (query.status?.length && !query.status.includes(summary.status)) {
    return false;
  }
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    if (!Object.hasOwn(summary.tags, key) || summary.tags[key] !== value) {
      return false;
    }
  }
  for (const [key, value] of Object.entries(query.hparams ?? {})) {
    if (!Object.hasOwn(summary.hparams, key)) {
      return false;
    }
    if (!hparamMatches(summary.hparams[key], value)) {
      return false;
    }
  }
  if (!startedWithin(summary.started, query.from, query.to)) {
    return false;
  }
  return !query.text || runMatchesText(summary, query.text);
}

function hparamMatches(stored: HparamValue, wanted: string): boolean {
  const match = hparamMatch(wanted);
  if (typeof stored === 'number') {
    return match.number === stored;
  }
  return stored !== null && match.texts.includes(String(stored));
}

/** From included, to excluded; a start that cannot be read matches no bound. */
function startedWithin(
  started: string,
  from: string | undefined,
  to: string | undefined
): boolean {
  if (from === undefined && to === undefined) {
    return true;
  }
  const at = Date.parse(started);
  if (Number.isNaN(at)) {
    return false;
  }
  return (
    (from === undefined || at >= Date.parse(from)) &&
    (to === undefined || at < Date.parse(to))
  );
}
