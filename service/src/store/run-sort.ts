/**
 * Run list semantics both stores share beyond plain filters: how a
 * hyperparameter filter value matches, the values runs are sorted by, and
 * the cursors of sorted lists. A run without the value sorts after every
 * run with it, in either order; ties are broken by run id.
 */
import type { IRunSummary } from '../types';
import { decodeCursor, encodeCursor, type CursorValue } from './cursor';
import type { IRunSort, RunSortKey } from './store';
import { StoreQueryError } from './store';

/**
 * Metrics per run Elasticsearch keeps sortable at most (nested documents,
 * of which an index allows 10,000 per run summary); the first by name.
 */
export const MAX_SORTED_METRICS = 1000;

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** What a hyperparameter filter value matches. */
export interface IHparamMatch {
  /** Stored texts (and booleans, as `true`/`false`) equal to one of these. */
  texts: string[];
  /** Stored numbers equal to this, when the value is a number. */
  number?: number;
}

/**
 * A filter value matches a stored string or boolean of the same text, and,
 * when it is a number however written (`1e-3`), a stored number equal to
 * it: stored numbers are kept in their shortest form (`0.001`), which
 * Elasticsearch matches as text.
 */
export function hparamMatch(value: string): IHparamMatch {
  const parsed = NUMBER_TEXT.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isFinite(parsed)) {
    return { texts: [value] };
  }
  return { texts: [...new Set([value, String(parsed)])], number: parsed };
}

/** `last:loss`, `duration`: the sort as `GET /runs?sort=` names it. */
export function sortKeyText(key: RunSortKey): string {
  return 'metric' in key ? `${key.by}:${key.metric}` : key.by;
}

/** Which summary field holds a metric sort's values. */
export const METRIC_FIELDS = {
  last: 'last_metrics',
  min: 'min_metrics',
  max: 'max_metrics'
} as const;

/**
 * How long a run took: to its end, or to its last update while it has
 * none (a running run's time so far); undefined when a time is unreadable.
 */
export function runDurationMs(summary: IRunSummary): number | undefined {
  const started = Date.parse(summary.started);
  const until = Date.parse(summary.ended ?? summary.updated);
  const duration = until - started;
  return Number.isFinite(duration) ? duration : undefined;
}

/** Whether a sort's values are names (text) rather than numbers. */
export function sortsText(key: RunSortKey): boolean {
  return key.by === 'name';
}

/** Where a sorted list stopped: after this run in the sort's order. */
export interface IRunSortPosition {
  /** 1 when the run had the value, 0 when it sorts with those without. */
  present: number;
  /** The run's value (0 or '' without one). */
  value: CursorValue;
  runId: string;
}

/** Names the sort in its cursors, so a cursor of another sort is refused. */
function sortTag(sort: IRunSort): string {
  return `${sortKeyText(sort.key)}|${sort.order}`;
}

export function encodeRunSortCursor(
  sort: IRunSort,
  position: IRunSortPosition
): string {
  return encodeCursor([
    sortTag(sort),
    position.present,
    position.value,
    position.runId
  ]);
}

export function decodeRunSortCursor(
  sort: IRunSort,
  cursor: string
): IRunSortPosition {
  const [tag, present, value, runId] = decodeCursor(cursor, [
    'string',
    'number',
    sortsText(sort.key) ? 'string' : 'number',
    'string'
  ]);
  if (tag !== sortTag(sort)) {
    throw new StoreQueryError(
      'the cursor is not one returned by this query (another sort or order)'
    );
  }
  return { present: present as number, value, runId: runId as string };
}

/** The value a run without one sorts with (after the runs with one). */
export function absentValue(key: RunSortKey): CursorValue {
  return sortsText(key) ? '' : 0;
}
