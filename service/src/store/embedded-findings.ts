/**
 * Queries across runs on the embedded store, as pure functions (SQL and its
 * parameters, and how rows become answers): the semantics, orders and
 * cursors of es-findings.ts. A point belongs to the user of its run's
 * summary; notebook filters match the run's notebook.
 */
import type { ITflogDocument, NonFinite } from '../types';
import type {
  IErrorCountPage,
  ILogPage,
  IMetricHit,
  INonfiniteRun,
  IRunSummary,
  SeriesScope
} from '../wire';
import { decodeCursor, encodeCursor } from './cursor';
import { NO_STEP, PROBLEM_LEVELS_SQL } from './embedded-schema';
import { runsFilter, wordsMatch, type SqlValue } from './embedded-sql';
import type { ITemplateInput } from './problem-templates';
import {
  LOG_SEARCH_TOTAL_CAP,
  PROBLEM_EVENTS_CAP,
  storedLevels,
  type IErrorCountQuery,
  type ILogSearchQuery,
  type INonfiniteQuery,
  type IProblemQuery,
  type IThresholdQuery,
  type ThresholdOperator
} from './store';

export interface ISqlQuery {
  sql: string;
  params: SqlValue[];
}

const OPERATORS: Record<ThresholdOperator, string> = {
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<='
};

/** A point row of the queries below. */
export interface IFoundPointRow {
  run_id: string;
  run_name: string | null;
  notebook: string | null;
  metric: string;
  scope: string;
  source: string;
  step_key: number;
  epoch: number | null;
  ts_ms: number;
  value: number | null;
  nonfinite: string | null;
  time_text: string | null;
}

const POINT_COLUMNS = `s.run_id AS run_id, json_extract(r.summary, '$.name') AS run_name,
  r.notebook AS notebook, s.name AS metric, s.scope AS scope, s.source AS source,
  p.step_key AS step_key, p.epoch AS epoch, p.ts_ms AS ts_ms, p.value AS value,
  p.nonfinite AS nonfinite, p.time_text AS time_text`;

const POINT_JOIN = `points p JOIN series s ON s.id = p.series
  JOIN runs r ON r.run_id = s.run_id`;

/**
 * Points first, through the index of non-finite points (embedded-schema's
 * ADDED_INDEXES_SQL): the few non-finite points lead, not the user's runs.
 */
const NONFINITE_JOIN = `points p CROSS JOIN series s ON s.id = p.series
  JOIN runs r ON r.run_id = s.run_id`;

/** A time range on `column` and the runs' notebooks, as SQL conditions. */
function rangeConditions(
  query: { from?: string; to?: string; notebooks?: string[] },
  column: string
): { conditions: string[]; params: SqlValue[] } {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (query.from !== undefined) {
    conditions.push(`${column} >= ?`);
    params.push(Date.parse(query.from));
  }
  if (query.to !== undefined) {
    conditions.push(`${column} < ?`);
    params.push(Date.parse(query.to));
  }
  if (query.notebooks !== undefined) {
    conditions.push(
      query.notebooks.length === 0
        ? '0'
        : `r.notebook IN (${query.notebooks.map(() => '?').join(', ')})`
    );
    params.push(...query.notebooks);
  }
  return { conditions, params };
}

function pointConditions(query: {
  user: string;
  from?: string;
  to?: string;
  notebooks?: string[];
}): { conditions: string[]; params: SqlValue[] } {
  const range = rangeConditions(query, 'p.ts_ms');
  return {
    conditions: ['r.user_name = ?', ...range.conditions],
    params: [query.user, ...range.params]
  };
}

/**
 * Points of one metric passing every bound, oldest first (then run id,
 * step, scope, source, as Elasticsearch sorts them); one row more than
 * the page, to tell whether there is a next one.
 */
export function thresholdSql(query: IThresholdQuery): ISqlQuery {
  const { conditions, params } = pointConditions(query);
  conditions.push('s.name = ?');
  params.push(query.metric);
  for (const [operator, bound] of Object.entries(query.bounds) as [
    ThresholdOperator,
    number
  ][]) {
    conditions.push(`p.value ${OPERATORS[operator]} ?`);
    params.push(bound);
  }
  if (query.runIds !== undefined) {
    conditions.push(
      query.runIds.length === 0
        ? '0'
        : `s.run_id IN (${query.runIds.map(() => '?').join(', ')})`
    );
    params.push(...query.runIds);
  }
  if (query.scope !== undefined) {
    conditions.push('s.scope = ?');
    params.push(query.scope);
  }
  if (query.after !== undefined) {
    conditions.push(
      '(p.ts_ms, s.run_id, p.step_key, s.scope, s.source) > (?, ?, ?, ?, ?)'
    );
    params.push(
      ...decodeCursor(query.after, [
        'number',
        'string',
        'number',
        'string',
        'string'
      ])
    );
  }
  params.push(query.size + 1);
  return {
    sql: `SELECT ${POINT_COLUMNS} FROM ${POINT_JOIN}
WHERE ${conditions.join(' AND ')}
ORDER BY p.ts_ms, s.run_id, p.step_key, s.scope, s.source, p.key
LIMIT ?`,
    params
  };
}

/** The cursor after a row of thresholdSql (the sort values Elasticsearch returns). */
export function thresholdCursor(row: IFoundPointRow): string {
  return encodeCursor([
    row.ts_ms,
    row.run_id,
    row.step_key,
    row.scope,
    row.source
  ]);
}

/**
 * Each run's first non-finite value (earliest time, then step, metric,
 * scope, source), by run id descending; one row more than the page.
 */
export function nonfiniteSql(query: INonfiniteQuery): ISqlQuery {
  const { conditions, params } = pointConditions(query);
  conditions.push('p.nonfinite IS NOT NULL');
  if (query.metric !== undefined) {
    conditions.push('s.name = ?');
    params.push(query.metric);
  }
  if (query.after !== undefined) {
    conditions.push('s.run_id < ?');
    params.push(...decodeCursor(query.after, ['string']));
  }
  params.push(query.size + 1);
  return {
    sql: `SELECT * FROM (
  SELECT ${POINT_COLUMNS}, ROW_NUMBER() OVER (
    PARTITION BY s.run_id
    ORDER BY p.ts_ms, p.step_key, s.name, s.scope, s.source, p.key
  ) AS place
  FROM ${NONFINITE_JOIN}
  WHERE ${conditions.join(' AND ')}
) WHERE place = 1
ORDER BY run_id DESC
LIMIT ?`,
    params
  };
}

export function nonfiniteCursor(row: IFoundPointRow): string {
  return encodeCursor([row.run_id]);
}

function pointPlace(row: IFoundPointRow): Omit<IMetricHit, 'value'> {
  return {
    run_id: row.run_id,
    run_name: row.run_name,
    notebook: row.notebook,
    metric: row.metric,
    scope: row.scope as SeriesScope,
    step: row.step_key === NO_STEP ? null : row.step_key,
    epoch: row.epoch,
    time: row.time_text ?? new Date(row.ts_ms).toISOString()
  };
}

export function toMetricHit(row: IFoundPointRow): IMetricHit {
  return { ...pointPlace(row), value: row.value ?? Number.NaN };
}

export function toNonfiniteRun(row: IFoundPointRow): INonfiniteRun {
  return { ...pointPlace(row), value: (row.nonfinite ?? 'NaN') as NonFinite };
}

/** A run row of errorCountSql. */
export interface IErrorCountRow {
  run_id: string;
  started_ms: number;
  errors: number;
  warnings: number;
  summary: string;
}

/**
 * The user's runs with at least one error or warning, filtered like a run
 * list: most errors first, then most warnings, newest, run id.
 */
export function errorCountSql(query: IErrorCountQuery): {
  count: ISqlQuery;
  page: ISqlQuery;
} {
  const matching = runsFilter({
    user: query.user,
    notebooks: query.notebooks,
    from: query.from,
    to: query.to,
    size: query.size
  });
  const inner = `SELECT run_id, started_ms, summary,
    COALESCE(json_extract(summary, '$.counts.errors'), 0) AS errors,
    COALESCE(json_extract(summary, '$.counts.warnings'), 0) AS warnings
  FROM runs WHERE ${matching.where}`;
  const counted = `(${inner}) WHERE (errors > 0 OR warnings > 0)`;
  const pageParams: SqlValue[] = [...matching.params];
  let after = '';
  if (query.after !== undefined) {
    const [errors, warnings, started, runId] = decodeCursor(query.after, [
      'number',
      'number',
      'number',
      'string'
    ]);
    after = ` AND (errors < ? OR (errors = ? AND (warnings < ? OR (warnings = ?
      AND (started_ms < ? OR (started_ms = ? AND run_id > ?))))))`;
    pageParams.push(
      errors,
      errors,
      warnings,
      warnings,
      started,
      started,
      runId
    );
  }
  pageParams.push(query.size + 1);
  return {
    count: {
      sql: `SELECT COUNT(*) AS total FROM ${counted}`,
      params: [...matching.params]
    },
    page: {
      sql: `SELECT * FROM ${counted}${after}
ORDER BY errors DESC, warnings DESC, started_ms DESC, run_id ASC
LIMIT ?`,
      params: pageParams
    }
  };
}

export function toErrorCountPage(
  rows: IErrorCountRow[],
  total: number,
  size: number
): IErrorCountPage {
  const shown = rows.slice(0, size);
  const page: IErrorCountPage = {
    runs: shown.map(row => {
      const summary = JSON.parse(row.summary) as IRunSummary;
      return {
        run_id: row.run_id,
        name: summary.name,
        notebook: summary.notebook,
        status: summary.status,
        started: summary.started,
        errors: row.errors,
        warnings: row.warnings
      };
    }),
    total
  };
  const last = shown[shown.length - 1];
  if (rows.length > size && last) {
    page.next = encodeCursor([
      last.errors,
      last.warnings,
      last.started_ms,
      last.run_id
    ]);
  }
  return page;
}

/**
 * The user's newest events of these levels, as Elasticsearch sorts them
 * (newest first, then record sequence and part descending; run id last):
 * events first, through the index of warnings and worse (embedded-schema's
 * ADDED_INDEXES_SQL), newest first; one row past the cap tells whether
 * there were more.
 */
export function problemSql(query: IProblemQuery): ISqlQuery {
  const levels = storedLevels(query.levels);
  const conditions = [
    `e.${PROBLEM_LEVELS_SQL}`,
    'r.user_name = ?',
    levels.length === 0
      ? '0'
      : `e.level IN (${levels.map(() => '?').join(', ')})`
  ];
  const range = rangeConditions(query, 'e.ts_ms');
  conditions.push(...range.conditions);
  const params: SqlValue[] = [query.user, ...levels, ...range.params];
  params.push(PROBLEM_EVENTS_CAP + 1);
  return {
    sql: `SELECT COALESCE(json_extract(e.document, '$.message'), '') AS message,
  e.level AS level, e.run_id AS run_id,
  COALESCE(json_extract(e.document, '$."@timestamp"'), '') AS time
FROM events e CROSS JOIN runs r ON r.run_id = e.run_id
WHERE ${conditions.join(' AND ')}
ORDER BY e.ts_ms DESC, e.seq DESC, e.part DESC, e.run_id
LIMIT ?`,
    params
  };
}

/** The rows of problemSql: the events, and whether the cap was passed. */
export function toProblemEvents(rows: ITemplateInput[]): {
  events: ITemplateInput[];
  sampled: boolean;
} {
  return {
    events: rows.slice(0, PROBLEM_EVENTS_CAP),
    sampled: rows.length > PROBLEM_EVENTS_CAP
  };
}

/** Newest first, ties in record order, then by run: es-findings' order. */
const LOG_SEARCH_ORDER = 'e.ts_ms DESC, e.seq DESC, e.part DESC, e.run_id ASC';

/** A row of logSearchSql: where the line sorts, and the line. */
export interface ILogSearchRow {
  ts_ms: number;
  seq: number;
  part: number;
  run_id: string;
  document: string;
}

/**
 * Above this many matches a page is read in time order through
 * events_by_time, stopping at `size + 1` lines: matches are then dense
 * enough that the scan ends soon. Fewer are read through the word index
 * and sorted, which stays cheap and never scans the whole table.
 */
export const LOG_SEARCH_DENSE_MATCHES = 1_000;

/**
 * Log lines across the user's runs (`GET /logs`), newest first: `count`
 * of those that match, up to LOG_SEARCH_TOTAL_CAP + 1, and the next
 * `size + 1` after the cursor, by `page` (the planner's choice) or
 * `pageByTime` (through the index of lines by time).
 */
export function logSearchSql(query: ILogSearchQuery): {
  count: ISqlQuery;
  page: ISqlQuery;
  pageByTime: ISqlQuery;
} {
  const conditions = ['r.user_name = ?'];
  const params: SqlValue[] = [query.user];
  if (query.runIds !== undefined) {
    conditions.push(
      query.runIds.length === 0
        ? '0'
        : `e.run_id IN (${query.runIds.map(() => '?').join(', ')})`
    );
    params.push(...query.runIds);
  }
  const range = rangeConditions(query, 'e.ts_ms');
  conditions.push(...range.conditions);
  params.push(...range.params);
  const levels = query.levels?.map(level => level.toLowerCase()) ?? [];
  if (levels.length > 0) {
    conditions.push(`e.level IN (${levels.map(() => '?').join(', ')})`);
    params.push(...levels);
  }
  const kinds = query.kinds ?? [];
  if (kinds.length > 0) {
    conditions.push(`e.kind IN (${kinds.map(() => '?').join(', ')})`);
    params.push(...kinds);
  }
  const match = query.text === undefined ? null : wordsMatch(query.text);
  if (match !== null) {
    conditions.push(
      'e.id IN (SELECT rowid FROM event_words WHERE event_words MATCH ?)'
    );
    params.push(match);
  }
  const where = `CROSS JOIN runs r ON r.run_id = e.run_id
WHERE ${conditions.join(' AND ')}`;
  const from = `FROM events e ${where}`;
  const pageConditions: string[] = [];
  const pageParams: SqlValue[] = [];
  if (query.after !== undefined) {
    const [ts, seq, part, runId] = decodeCursor(query.after, [
      'number',
      'number',
      'number',
      'string'
    ]);
    pageConditions.push(
      'AND (e.ts_ms < ? OR (e.ts_ms = ? AND (e.seq < ? OR (e.seq = ? AND (e.part < ? OR (e.part = ? AND e.run_id > ?))))))'
    );
    pageParams.push(ts, ts, seq, seq, part, part, runId);
  }
  const pageOf = (source: string): ISqlQuery => ({
    sql: `SELECT e.ts_ms AS ts_ms, e.seq AS seq, e.part AS part, e.run_id AS run_id, e.document AS document
${source} ${pageConditions.join(' ')}
ORDER BY ${LOG_SEARCH_ORDER}
LIMIT ?`,
    params: [...params, ...pageParams, query.size + 1]
  });
  return {
    count: {
      sql: `SELECT count(*) AS total FROM (SELECT 1 ${from} LIMIT ?)`,
      params: [...params, LOG_SEARCH_TOTAL_CAP + 1]
    },
    page: pageOf(from),
    pageByTime: pageOf(`FROM events e INDEXED BY events_by_time ${where}`)
  };
}

/** The page of a log search from its rows (one more than shown) and count. */
export function toLogSearchPage(
  rows: ILogSearchRow[],
  total: number,
  size: number
): ILogPage {
  const shown = rows.slice(0, size);
  const page: ILogPage = {
    lines: shown.map(row => JSON.parse(row.document) as ITflogDocument),
    total: Math.min(total, LOG_SEARCH_TOTAL_CAP)
  };
  const last = shown[shown.length - 1];
  if (rows.length > size && last !== undefined) {
    page.next = encodeCursor([last.ts_ms, last.seq, last.part, last.run_id]);
  }
  return page;
}
