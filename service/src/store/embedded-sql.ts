/**
 * The embedded store's queries as pure functions: WHERE clauses and their
 * parameters for runs and logs, with the semantics of the Elasticsearch
 * queries in es-queries.ts (same filters, sort orders and cursors), and how
 * documents become rows. Unit-tested without a database.
 */
import type { IMetricPoint, IRunSummary } from '../types';
import { decodeCursor } from './cursor';
import { NO_STEP } from './embedded-schema';
import { runSearchTexts, words } from './run-text';
import type { ILogQuery, IRunQuery } from './store';

export type SqlValue = string | number | null;

export interface ISqlFilter {
  /** Conditions joined with AND; `1` when there are none. */
  where: string;
  params: SqlValue[];
}

function filter(conditions: string[], params: SqlValue[]): ISqlFilter {
  return {
    where: conditions.length > 0 ? conditions.join(' AND ') : '1',
    params
  };
}

/** Milliseconds of an ISO time, 0 when it does not parse (sorts last). */
export function timeMs(iso: string | null | undefined): number {
  const parsed = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** What a run list matches free text against (see run-text.ts). */
export function runSearchText(summary: IRunSummary): string {
  return runSearchTexts(summary)
    .map(text => text.toLowerCase())
    .join('\n');
}

/**
 * Runs matching every filter of the query, without paging. A filter that
 * can match nothing (an unparsable time) is left to SQL to find nothing.
 */
export function runsFilter(query: IRunQuery): ISqlFilter {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (query.user !== undefined) {
    conditions.push('user_name = ?');
    params.push(query.user);
  }
  if (query.notebooks !== undefined) {
    // An empty list matches nothing, as Elasticsearch's `terms` does.
    conditions.push(
      query.notebooks.length === 0
        ? '0'
        : `notebook IN (${query.notebooks.map(() => '?').join(', ')})`
    );
    params.push(...query.notebooks);
  }
  if (query.status && query.status.length > 0) {
    conditions.push(`status IN (${query.status.map(() => '?').join(', ')})`);
    params.push(...query.status);
  }
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    conditions.push(
      'run_id IN (SELECT run_id FROM run_tags WHERE key = ? AND value = ?)'
    );
    params.push(key, value);
  }
  for (const [bound, operator] of [
    [query.from, '>='],
    [query.to, '<']
  ] as const) {
    if (bound !== undefined) {
      const ms = Date.parse(bound);
      // A summary with an unparsable start matches no time filter.
      conditions.push(
        Number.isNaN(ms) ? '0' : `started_ms ${operator} ? AND started_ms != 0`
      );
      if (!Number.isNaN(ms)) {
        params.push(ms);
      }
    }
  }
  if (query.text !== undefined && query.text !== '') {
    conditions.push('instr(search_text, ?) > 0');
    params.push(query.text.toLowerCase());
  }
  return filter(conditions, params);
}

/** Newest first, then by run id: Elasticsearch's [started desc, run_id asc]. */
export const RUNS_ORDER = 'started_ms DESC, run_id ASC';

/** The rows after a run-list cursor ([started ms, run id]). */
export function runsAfter(cursor: string): ISqlFilter {
  const [started, runId] = decodeCursor(cursor, ['number', 'string']);
  return filter(
    ['(started_ms < ? OR (started_ms = ? AND run_id > ?))'],
    [started, started, runId]
  );
}

/**
 * An FTS5 query finding messages that contain every word of `text` (the
 * words run-text.ts sees), or null when the text has no words.
 */
export function wordsMatch(text: string): string | null {
  const wanted = words(text);
  if (wanted.length === 0) {
    return null;
  }
  // Words hold only letters, digits and underscores: quoting is enough.
  return wanted.map(word => `"${word}"`).join(' ');
}

/** Events of one run matching the log query's filters, without paging. */
export function logsFilter(query: ILogQuery): ISqlFilter {
  const conditions = ['run_id = ?'];
  const params: SqlValue[] = [query.runId];
  const levels = query.levels?.map(level => level.toLowerCase()) ?? [];
  if (levels.length > 0) {
    conditions.push(`level IN (${levels.map(() => '?').join(', ')})`);
    params.push(...levels);
  }
  const kinds = query.kinds ?? [];
  if (kinds.length > 0) {
    conditions.push(`kind IN (${kinds.map(() => '?').join(', ')})`);
    params.push(...kinds);
  }
  if (query.text !== undefined) {
    const match = wordsMatch(query.text);
    if (match !== null) {
      conditions.push(
        'id IN (SELECT rowid FROM event_words WHERE event_words MATCH ?)'
      );
      params.push(match);
    }
  }
  return filter(conditions, params);
}

export function logsOrder(query: ILogQuery): string {
  const direction = query.order === 'desc' ? 'DESC' : 'ASC';
  return `seq ${direction}, part ${direction}`;
}

/** The rows after a log cursor ([seq, part]) in the query's order. */
export function logsAfter(query: ILogQuery, cursor: string): ISqlFilter {
  const [seq, part] = decodeCursor(cursor, ['number', 'number']);
  const operator = query.order === 'desc' ? '<' : '>';
  return filter(
    [`(seq ${operator} ? OR (seq = ? AND part ${operator} ?))`],
    [seq, seq, part]
  );
}

/** Joins filters with AND. */
export function allOf(...filters: ISqlFilter[]): ISqlFilter {
  return filter(
    filters.map(part => `(${part.where})`),
    filters.flatMap(part => part.params)
  );
}

/**
 * The point's key within its curve: its id without the leading `<run>:` and
 * the trailing `:<metric>` (the event's sequence and part), which is all
 * that tells points of one curve apart. Ids of another shape are kept whole
 * behind a `!`, which no stripped key starts with.
 */
export function pointKey(point: IMetricPoint): string {
  const head = `${point.run_id}:`;
  const tail = `:${point.name}`;
  const id = point._id;
  if (
    id.length > head.length + tail.length &&
    id.startsWith(head) &&
    id.endsWith(tail)
  ) {
    const middle = id.slice(head.length, id.length - tail.length);
    if (!middle.startsWith('!')) {
      return middle;
    }
  }
  return `!${id}`;
}

/** `points.step_key`: the step, or NO_STEP. */
export function stepKey(point: IMetricPoint): number {
  return typeof point.step === 'number' && Number.isFinite(point.step)
    ? point.step
    : NO_STEP;
}

/** The stored `@timestamp` unless it is the ISO form of its milliseconds. */
export function timeText(timestamp: string, ms: number): string | null {
  const iso = Number.isNaN(new Date(ms).getTime())
    ? ''
    : new Date(ms).toISOString();
  return iso === timestamp ? null : timestamp;
}
