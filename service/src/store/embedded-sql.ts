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
import {
  absentValue,
  decodeRunSortCursor,
  hparamMatch,
  METRIC_FIELDS
} from './run-sort';
import type { ILogQuery, IRunQuery, IRunSort, RunSortKey } from './store';

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
  for (const [key, value] of Object.entries(query.hparams ?? {})) {
    const match = hparamMatch(value);
    const alternatives = [
      `(type = 'text' AND value IN (${match.texts.map(() => '?').join(', ')}))`,
      `(type IN ('true', 'false') AND type IN (${match.texts.map(() => '?').join(', ')}))`
    ];
    params.push(key, ...match.texts, ...match.texts);
    if (match.number !== undefined) {
      alternatives.push("(type IN ('integer', 'real') AND value = ?)");
      params.push(match.number);
    }
    conditions.push(
      `EXISTS (SELECT 1 FROM run_values WHERE run_values.run_id = runs.run_id AND kind = 'hparams' AND key = ? AND (${alternatives.join(' OR ')}))`
    );
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

/** A summary time in milliseconds, as Date.parse gives it; NULL if none. */
function summaryTimeMs(field: 'ended' | 'updated'): string {
  return `CAST(round(unixepoch(json_extract(summary, '$.${field}'), 'subsec') * 1000) AS INTEGER)`;
}

/** A string as an SQL literal. */
function sqlText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * The value a sort reads from a runs row, NULL when the run has none (a
 * metric's value must be a number: a non-finite one is stored as text).
 */
export function runSortValue(key: RunSortKey): string {
  switch (key.by) {
    case 'started':
      return 'started_ms';
    case 'duration':
      return `(COALESCE(${summaryTimeMs('ended')}, ${summaryTimeMs('updated')}) - started_ms)`;
    case 'updated':
      return summaryTimeMs('updated');
    case 'name':
      return "json_extract(summary, '$.name')";
    case 'health':
      return "json_extract(summary, '$.health.score')";
    default:
      return `(SELECT value FROM run_values WHERE run_values.run_id = runs.run_id AND kind = '${METRIC_FIELDS[key.by]}' AND key = ${sqlText(key.metric)} AND type IN ('integer', 'real'))`;
  }
}

/** ORDER BY of a run list: those without the value last, then by run id. */
export function runsOrder(sort: IRunSort | undefined): string {
  if (sort === undefined) {
    return RUNS_ORDER;
  }
  const value = runSortValue(sort.key);
  return `(${value}) IS NULL, (${value}) ${sort.order === 'asc' ? 'ASC' : 'DESC'}, run_id ASC`;
}

/** The run list cursor of a row: its sort values, as Elasticsearch's. */
export function runsCursorValues(
  sort: IRunSort,
  sortValue: string | number | null
): { present: number; value: string | number } {
  return sortValue === null
    ? { present: 0, value: absentValue(sort.key) }
    : { present: 1, value: sortValue };
}

/** The rows after a run-list cursor ([started ms, run id] by default). */
export function runsAfter(
  cursor: string,
  sort: IRunSort | undefined = undefined
): ISqlFilter {
  if (sort === undefined) {
    const [started, runId] = decodeCursor(cursor, ['number', 'string']);
    return filter(
      ['(started_ms < ? OR (started_ms = ? AND run_id > ?))'],
      [started, started, runId]
    );
  }
  const position = decodeRunSortCursor(sort, cursor);
  const value = `(${runSortValue(sort.key)})`;
  if (position.present === 0) {
    return filter([`(${value} IS NULL AND run_id > ?)`], [position.runId]);
  }
  const operator = sort.order === 'asc' ? '>' : '<';
  return filter(
    [
      `(${value} IS NULL OR ${value} ${operator} ? OR (${value} = ? AND run_id > ?))`
    ],
    [position.value, position.value, position.runId]
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
