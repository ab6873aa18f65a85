/**
 * The embedded store: what a single user gets with no Elasticsearch. One
 * SQLite database (`<store dir>/tflog.sqlite`, WAL) written by the shipping
 * service and read by any service of the same user. A batch is one
 * transaction, acknowledged once it is committed to disk. Memory stays
 * bounded whatever the data: queries read through indexes, and long curves
 * are thinned from per-bucket summaries kept as points arrive (rollup.ts).
 *
 * node:sqlite is synchronous: every statement here is bounded (a page of
 * runs or logs, a curve's summaries, a retention step) so the event loop
 * is never held for long.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

import type { ILogger } from '../common/logger';
import { describeError } from '../common/logger';
import type { IMetricPoint, IRunSummary, ITflogDocument } from '../types';
import type { NonFinite } from '../wire';
import { problemsAnswer, type ITemplateInput } from './problem-templates';
import { encodeCursor } from './cursor';
import {
  asUnavailable,
  DATABASE_FILE,
  isDamage,
  markDamaged,
  openForReading,
  openForWriting
} from './embedded-db';
import { importNdjsonStore } from './embedded-migration';
import { NO_STEP } from './embedded-schema';
import {
  allOf,
  logsAfter,
  logsFilter,
  logsOrder,
  pointKey,
  runsAfter,
  runsCursorValues,
  runSortValue,
  runsOrder,
  runSearchText,
  runsFilter,
  stepKey,
  timeText,
  type ISqlFilter,
  type SqlValue
} from './embedded-sql';
import {
  errorCountSql,
  LOG_SEARCH_DENSE_MATCHES,
  logSearchSql,
  nonfiniteCursor,
  nonfiniteSql,
  problemSql,
  thresholdCursor,
  thresholdSql,
  toErrorCountPage,
  toLogSearchPage,
  toMetricHit,
  toNonfiniteRun,
  toProblemEvents,
  type IErrorCountRow,
  type IFoundPointRow,
  type ILogSearchRow
} from './embedded-findings';
import { eventPart } from './es-queries';
import { logWindow } from './log-window';
import { encodeRunSortCursor } from './run-sort';
import {
  type IBucketSummary,
  type IRollupPoint,
  type IRollupLevel,
  type IRollupPointSet,
  mergeSummaries,
  onAxis,
  ROLLUP_LEVELS,
  rollupLevel,
  rollupPoint,
  summarizeInto,
  thinFromSummaries,
  toPlainPoint
} from './rollup';
import {
  afterValue,
  BUCKET_UNITS,
  bucketCount,
  bucketGrid,
  compareSeriesKeys,
  downsample,
  type IXRange,
  timeMs,
  xRange
} from './series-common';
import { compareAnswer, ownedRuns, planComparison } from './compare-common';
import type {
  ICompareQuery,
  ICompareResponse,
  IErrorCountPage,
  IErrorCountQuery,
  ILogPage,
  ILogQuery,
  ILogSearchQuery,
  IMetricHitPage,
  INonfinitePage,
  INonfiniteQuery,
  IProblemQuery,
  IProblemsAnswer,
  IRunPage,
  IRunQuery,
  IThresholdQuery,
  ISeries,
  ISeriesQuery,
  IStore,
  IStoreStatus,
  IWriteBatch,
  IWriteResult,
  SeriesAxis,
  SeriesScope
} from './store';
import { StoreUnavailableError } from './store';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows one retention step deletes: a few milliseconds of work. */
const RETENTION_STEP_ROWS = 2000;
/** Series ids remembered (a lookup is cheap; this only saves it). */
const SERIES_CACHE_SIZE = 50_000;

export interface IEmbeddedStoreOptions {
  dir: string;
  /** Data older than this many days (by UTC day) is deleted; 0 keeps everything. */
  retentionDays: number;
  logger: ILogger;
  now?: () => number;
  /**
   * Open the database read-only (a service in standby): queries only, no
   * migration, no retention, and writes refused.
   */
  readOnly?: boolean;
  /**
   * Largest database size in MiB (SQLite's max_page_count); 0 or absent: no
   * limit. Reaching it fails a write like a full disk: retried, reported.
   */
  maxSizeMb?: number;
}

interface ISeriesStats {
  id: number;
  points: number;
  step_points: number;
  step_min: number | null;
  step_max: number | null;
  epoch_points: number;
  epoch_min: number | null;
  epoch_max: number | null;
  ts_min: number | null;
  ts_max: number | null;
}

interface ISeriesRow extends ISeriesStats {
  name: string;
  /** Only what was written from typed points: SQLite gives it back as is. */
  scope: SeriesScope;
  source: string;
}

interface IPointRow {
  step_key: number;
  epoch: number | null;
  ts_ms: number;
  value: number | null;
  nonfinite: NonFinite | null;
  time_text: string | null;
}

export class EmbeddedStore implements IStore {
  private readonly dir: string;
  private readonly logger: ILogger;
  private readonly retentionDays: number;
  private readonly now: () => number;
  private readonly readOnly: boolean;
  private readonly maxSizeMb: number;
  private db: DatabaseSync | null = null;
  private id: string | undefined;
  private notices: string[] = [];
  private opening: Promise<void> | null = null;
  private openError: string | null = null;
  private lastWriteError: string | null = null;
  private readonly statements = new Map<string, StatementSync>();
  private readonly seriesIds = new Map<string, number>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private retention: Promise<void> | null = null;
  /** A curve whose summaries are being rebuilt, and what was written behind the scan. */
  private rebuilding: {
    series: number;
    position: [number, string];
    missed: IMetricPoint[];
  } | null = null;
  private closed = false;

  constructor(options: IEmbeddedStoreOptions) {
    this.dir = options.dir;
    this.logger = options.logger;
    this.retentionDays = options.retentionDays;
    this.now = options.now ?? Date.now;
    this.readOnly = options.readOnly ?? false;
    this.maxSizeMb = options.maxSizeMb ?? 0;
  }

  init(): Promise<void> {
    this.opening ??= this.open().catch(error => {
      this.opening = null;
      this.openError = describeError(error);
      throw error;
    });
    return this.opening;
  }

  /** The database's random id: a new one means the spool must be read again. */
  storeId(): string | undefined {
    return this.id;
  }

  write(batch: IWriteBatch): Promise<IWriteResult> {
    try {
      return Promise.resolve(this.writeNow(batch));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  getRun(runId: string): Promise<IRunSummary | null> {
    return this.reading(() => this.getRunNow(runId));
  }

  private async getRunNow(runId: string): Promise<IRunSummary | null> {
    const row = this.statement('SELECT summary FROM runs WHERE run_id = ?').get(
      runId
    ) as { summary: string } | undefined;
    return row ? (JSON.parse(row.summary) as IRunSummary) : null;
  }

  searchRuns(query: IRunQuery): Promise<IRunPage> {
    return this.reading(() => this.searchRunsNow(query));
  }

  private async searchRunsNow(query: IRunQuery): Promise<IRunPage> {
    const sort = query.sort;
    const page = this.page<{
      run_id: string;
      started_ms: number;
      summary: string;
      sort_value: string | number | null;
    }>(
      {
        table: 'runs',
        columns: `run_id, started_ms, summary, ${sort ? runSortValue(sort.key) : 'NULL'} AS sort_value`,
        order: runsOrder(sort),
        matching: runsFilter(query),
        after: query.after ? runsAfter(query.after, sort) : undefined,
        size: query.size
      },
      row => [row.started_ms, row.run_id]
    );
    if (sort !== undefined && page.next !== undefined) {
      // The cursor of a sorted list names its sort (see run-sort.ts).
      const last = page.rows[page.rows.length - 1];
      page.next = encodeRunSortCursor(sort, {
        ...runsCursorValues(sort, last.sort_value),
        runId: last.run_id
      });
    }
    const result: IRunPage = {
      runs: page.rows.map(row => JSON.parse(row.summary) as IRunSummary),
      total: page.total
    };
    if (page.next !== undefined) {
      result.next = page.next;
    }
    return result;
  }

  logs(query: ILogQuery): Promise<ILogPage> {
    return this.reading(() => this.logsNow(query));
  }

  private async logsNow(query: ILogQuery): Promise<ILogPage> {
    if (query.at !== undefined) {
      return this.logsAround(query, timeMs(query.at));
    }
    const page = this.page<{ seq: number; part: number; document: string }>(
      {
        table: 'events',
        columns: 'seq, part, document',
        order: logsOrder(query),
        matching: logsFilter(query),
        after: query.after ? logsAfter(query, query.after) : undefined,
        size: query.size
      },
      row => [row.seq, row.part]
    );
    const result: ILogPage = {
      lines: page.rows.map(row => JSON.parse(row.document) as ITflogDocument),
      total: page.total
    };
    if (page.next !== undefined) {
      result.next = page.next;
    }
    return result;
  }

  /** The lines nearest a time, half before and half from it (log-window.ts). */
  private logsAround(query: ILogQuery, atMs: number): ILogPage {
    type Row = { seq: number; part: number; document: string };
    const matching = logsFilter(query);
    const side = (before: boolean, limit: number): Row[] => {
      const order = before ? 'DESC' : 'ASC';
      return this.statement(
        `SELECT seq, part, document FROM events WHERE ${matching.where} AND ts_ms ${before ? '<' : '>='} ?
         ORDER BY ts_ms ${order}, seq ${order}, part ${order} LIMIT ?`
      ).all(...matching.params, atMs, limit) as unknown as Row[];
    };
    const window = logWindow(
      side(true, query.size),
      side(false, query.size + 1),
      query.size
    );
    const page: ILogPage = {
      lines: window.lines.map(
        row => JSON.parse(row.document) as ITflogDocument
      ),
      total: this.count('events', matching)
    };
    const last = window.lines[window.lines.length - 1];
    if (window.more && last !== undefined) {
      page.next = encodeCursor([last.seq, last.part]);
    }
    return page;
  }

  /**
   * One page of rows after a cursor, and how many match in all: the rows
   * of `size + 1` tell whether a next page exists, and its cursor is the
   * sort key of the last row shown (Elasticsearch's search_after).
   */
  private page<Row>(
    query: {
      table: string;
      columns: string;
      order: string;
      matching: ISqlFilter;
      after: ISqlFilter | undefined;
      size: number;
    },
    sortKey: (row: Row) => (string | number)[]
  ): { rows: Row[]; total: number; next?: string } {
    const total = this.count(query.table, query.matching);
    const shown = query.after
      ? allOf(query.matching, query.after)
      : query.matching;
    const rows = this.statement(
      `SELECT ${query.columns} FROM ${query.table} WHERE ${shown.where} ORDER BY ${query.order} LIMIT ?`
    ).all(...shown.params, query.size + 1) as unknown as Row[];
    const page: { rows: Row[]; total: number; next?: string } = {
      rows: rows.slice(0, query.size),
      total
    };
    if (rows.length > query.size && query.size > 0) {
      page.next = encodeCursor(sortKey(rows[query.size - 1]));
    }
    return page;
  }

  series(query: ISeriesQuery): Promise<ISeries[]> {
    return this.reading(() => this.seriesNow(query));
  }

  private async seriesNow(query: ISeriesQuery): Promise<ISeries[]> {
    const conditions = ['run_id = ?'];
    const params: SqlValue[] = [query.runId];
    if (query.scope !== undefined) {
      conditions.push('scope = ?');
      params.push(query.scope);
    }
    if (query.names && query.names.length > 0) {
      conditions.push(`name IN (${query.names.map(() => '?').join(', ')})`);
      params.push(...query.names);
    }
    const rows = this.statement(
      `SELECT * FROM series WHERE ${conditions.join(' AND ')}`
    ).all(...params) as unknown as ISeriesRow[];
    const result: ISeries[] = [];
    for (const row of rows) {
      const series = this.readSeries(row, query);
      if (series) {
        result.push(series);
      }
    }
    return result.sort(compareSeriesKeys);
  }

  compare(query: ICompareQuery): Promise<ICompareResponse> {
    return this.reading(async () => this.compareNow(query));
  }

  /**
   * Two statements for all the runs (their summaries, their series with
   * counts and ranges), then only the metric's chosen series of each run.
   */
  private compareNow(query: ICompareQuery): ICompareResponse {
    const marks = (count: number): string =>
      Array.from({ length: count }, () => '?').join(', ');
    const stored = this.statement(
      `SELECT summary FROM runs WHERE run_id IN (${marks(query.runIds.length)})`
    ).all(...query.runIds) as { summary: string }[];
    const owned = ownedRuns(
      stored.map(row => JSON.parse(row.summary) as IRunSummary),
      query.user
    );
    const ownedIds = [...owned.keys()];
    const rows =
      ownedIds.length === 0
        ? []
        : (this.statement(
            `SELECT * FROM series WHERE run_id IN (${marks(ownedIds.length)})`
          ).all(...ownedIds) as unknown as (ISeriesRow & { run_id: string })[]);
    const byRun = new Map<string, ISeriesRow[]>();
    for (const row of rows) {
      // As in `series`: a series without points on the axis is not listed.
      if (axisRange(row, query.axis) !== null) {
        byRun.set(row.run_id, [...(byRun.get(row.run_id) ?? []), row]);
      }
    }
    const plan = planComparison(
      query.runIds,
      owned,
      byRun,
      query.metric,
      query.axis
    );
    const read = new Map<string, ISeries>();
    for (const planned of plan.runs) {
      const series =
        planned.entry &&
        this.readSeries(planned.entry, {
          runId: planned.runId,
          axis: query.axis,
          maxPoints: query.maxPoints
        });
      if (series) {
        read.set(planned.runId, series);
      }
    }
    return compareAnswer(plan, read);
  }

  thresholdPoints(query: IThresholdQuery): Promise<IMetricHitPage> {
    return this.reading(async () => {
      const { sql, params } = thresholdSql(query);
      const rows = this.statement(sql).all(
        ...params
      ) as unknown as IFoundPointRow[];
      const page: IMetricHitPage = {
        points: rows.slice(0, query.size).map(toMetricHit)
      };
      if (rows.length > query.size) {
        page.next = thresholdCursor(rows[query.size - 1]);
      }
      return page;
    });
  }

  nonfiniteRuns(query: INonfiniteQuery): Promise<INonfinitePage> {
    return this.reading(async () => {
      const { sql, params } = nonfiniteSql(query);
      const rows = this.statement(sql).all(
        ...params
      ) as unknown as IFoundPointRow[];
      const page: INonfinitePage = {
        runs: rows.slice(0, query.size).map(toNonfiniteRun)
      };
      if (rows.length > query.size) {
        page.next = nonfiniteCursor(rows[query.size - 1]);
      }
      return page;
    });
  }

  errorCounts(query: IErrorCountQuery): Promise<IErrorCountPage> {
    return this.reading(async () => {
      const { count, page } = errorCountSql(query);
      const total = this.statement(count.sql).get(...count.params) as {
        total: number;
      };
      const rows = this.statement(page.sql).all(
        ...page.params
      ) as unknown as IErrorCountRow[];
      return toErrorCountPage(rows, total.total, query.size);
    });
  }

  problems(query: IProblemQuery): Promise<IProblemsAnswer> {
    return this.reading(async () => {
      const { sql, params } = problemSql(query);
      const rows = this.statement(sql).all(
        ...params
      ) as unknown as ITemplateInput[];
      const { events, sampled } = toProblemEvents(rows);
      return problemsAnswer(events, sampled, query.size);
    });
  }

  searchLogs(query: ILogSearchQuery): Promise<ILogPage> {
    return this.reading(async () => {
      const { count, page, pageByTime } = logSearchSql(query);
      const total = this.statement(count.sql).get(...count.params) as {
        total: number;
      };
      const chosen = total.total > LOG_SEARCH_DENSE_MATCHES ? pageByTime : page;
      const rows = this.statement(chosen.sql).all(
        ...chosen.params
      ) as unknown as ILogSearchRow[];
      return toLogSearchPage(rows, total.total, query.size);
    });
  }

  async status(): Promise<IStoreStatus> {
    const status: IStoreStatus = {
      kind: 'embedded',
      location: this.dir,
      healthy: this.db !== null && this.lastWriteError === null,
      degraded: [...this.notices]
    };
    if (this.db === null) {
      status.error = this.openError ?? 'not opened yet';
    } else if (this.lastWriteError !== null) {
      status.error = this.lastWriteError;
    }
    if (this.readOnly) {
      status.degraded.push(
        'read-only: another service of this user ships into this store'
      );
    }
    return status;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retentionTimer) {
      clearInterval(this.retentionTimer);
      this.retentionTimer = null;
    }
    await this.opening?.catch(() => undefined);
    await this.retention;
    this.statements.clear();
    this.db?.close();
    this.db = null;
  }

  /** Deletes data older than the retention period, in small steps. */
  applyRetention(): Promise<void> {
    this.retention ??= this.retainInSteps().finally(() => {
      this.retention = null;
    });
    return this.retention;
  }

  /**
   * Runs a query; a database SQLite finds damaged while reading is marked
   * for setting aside at the next start, and the query answers 503 saying so.
   */
  private async reading<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if (!isDamage(error)) {
        throw error;
      }
      if (!this.readOnly) {
        markDamaged(this.dir, describeError(error));
      }
      this.logger.error(
        `${this.file()} is damaged (${describeError(error)}): the shipping service sets it aside when it restarts`
      );
      throw asUnavailable(error, `reading ${this.file()}`);
    }
  }

  // ------------------------------------------------------------ opening

  private async open(): Promise<void> {
    if (!this.readOnly) {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    }
    const opened = this.readOnly
      ? await openForReading(this.dir)
      : await openForWriting(this.dir, this.logger, this.now);
    if (this.closed) {
      opened.db.close();
      throw new StoreUnavailableError('the embedded store was closed');
    }
    this.db = opened.db;
    this.id = opened.storeId;
    if (this.maxSizeMb > 0) {
      const page = this.db.prepare('PRAGMA page_size').get() as {
        page_size: number;
      };
      const pages = Math.floor((this.maxSizeMb * 1024 * 1024) / page.page_size);
      this.db.exec(`PRAGMA max_page_count = ${Math.max(1, pages)}`);
    }
    this.notices = opened.notices;
    this.openError = null;
    if (this.readOnly) {
      this.logger.info(`reading the embedded store ${this.file()} (read-only)`);
      return;
    }
    await importNdjsonStore(
      this.dir,
      batch => this.writeNow(batch),
      this.logger
    );
    const runs = this.count('runs', { where: '1', params: [] });
    this.logger.info(`embedded store ${this.file()}: ${runs} runs`);
    if (this.retentionDays > 0) {
      this.retentionTimer = setInterval(() => {
        this.applyRetention().catch(error =>
          this.logger.error(`retention pass failed: ${describeError(error)}`)
        );
      }, DAY_MS / 4);
      this.retentionTimer.unref();
      this.applyRetention().catch(error =>
        this.logger.error(`retention pass failed: ${describeError(error)}`)
      );
    }
  }

  private file(): string {
    return path.join(this.dir, DATABASE_FILE);
  }

  private database(): DatabaseSync {
    if (this.db === null) {
      throw new StoreUnavailableError(
        `the embedded store is not open${this.openError ? `: ${this.openError}` : ''}`
      );
    }
    return this.db;
  }

  /** A prepared statement, made once per SQL text. */
  private statement(sql: string): StatementSync {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.database().prepare(sql);
      if (this.statements.size > 500) {
        this.statements.clear();
      }
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private count(table: string, where: ISqlFilter): number {
    const row = this.statement(
      `SELECT count(*) AS n FROM ${table} WHERE ${where.where}`
    ).get(...where.params) as { n: number };
    return row.n;
  }

  // ------------------------------------------------------------ writing

  private writeNow(batch: IWriteBatch): IWriteResult {
    if (this.readOnly) {
      throw new StoreUnavailableError(
        'this service only reads the embedded store (another one ships)'
      );
    }
    const db = this.database();
    const result: IWriteResult = { created: 0, duplicates: 0, rejected: [] };
    const added = new Map<number, IMetricPoint[]>();
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        this.writeEvents(batch.documents, result);
        this.writePoints(batch.points, result, added);
        this.writeRuns(batch, result);
        db.exec('COMMIT');
      } catch (error) {
        if (db.isTransaction) {
          db.exec('ROLLBACK');
        }
        throw error;
      }
    } catch (error) {
      // Series ids made in the rolled-back transaction do not exist.
      this.seriesIds.clear();
      if (isDamage(error)) {
        markDamaged(this.dir, describeError(error));
        this.logger.error(
          `${this.file()} is damaged (${describeError(error)}): it will be set aside when the service restarts`
        );
      }
      const failure = asUnavailable(error, `writing to ${this.file()}`);
      this.lastWriteError = failure.message;
      throw failure;
    }
    this.lastWriteError = null;
    this.noteBehindRebuild(added);
    return result;
  }

  /** Points a running rebuild's scan has passed: it adds them at its end. */
  private noteBehindRebuild(added: Map<number, IMetricPoint[]>): void {
    const rebuilding = this.rebuilding;
    for (const point of (rebuilding && added.get(rebuilding.series)) || []) {
      const [step, key] = (rebuilding as NonNullable<typeof rebuilding>)
        .position;
      const pointStep = stepKey(point);
      if (pointStep < step || (pointStep === step && pointKey(point) <= key)) {
        rebuilding?.missed.push(point);
      }
    }
  }

  private writeEvents(documents: ITflogDocument[], result: IWriteResult): void {
    const insert = this.statement(
      `INSERT INTO events (doc_id, run_id, seq, part, level, kind, ts_ms, document)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (doc_id) DO NOTHING`
    );
    const indexWords = this.statement(
      'INSERT INTO event_words (rowid, message) VALUES (?, ?)'
    );
    for (const document of documents) {
      const inserted = insert.run(
        document._id,
        document.tflog?.run_id ?? '',
        document.event?.sequence ?? 0,
        eventPart(document),
        document.log?.level ?? '',
        document.tflog?.kind ?? '',
        timeMs(document['@timestamp']),
        JSON.stringify(document)
      );
      if (inserted.changes === 0) {
        result.duplicates += 1;
        continue;
      }
      result.created += 1;
      indexWords.run(inserted.lastInsertRowid, document.message ?? '');
    }
  }

  private writePoints(
    points: IMetricPoint[],
    result: IWriteResult,
    added: Map<number, IMetricPoint[]>
  ): void {
    const insert = this.statement(
      `INSERT INTO points (series, step_key, key, epoch, ts_ms, value, nonfinite, time_text)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
    );
    for (const point of points) {
      const series = this.seriesOf(point);
      const ts = timeMs(point['@timestamp']);
      const inserted = insert.run(
        series,
        stepKey(point),
        pointKey(point),
        typeof point.epoch === 'number' ? point.epoch : null,
        ts,
        typeof point.value === 'number' ? point.value : null,
        point.nonfinite ?? null,
        timeText(point['@timestamp'], ts)
      );
      if (inserted.changes === 0) {
        result.duplicates += 1;
        continue;
      }
      result.created += 1;
      const list = added.get(series) ?? [];
      list.push(point);
      added.set(series, list);
    }
    for (const [series, list] of added) {
      const stats = this.statement('SELECT * FROM series WHERE id = ?').get(
        series
      ) as unknown as ISeriesStats;
      for (const point of list) {
        addPointToStats(stats, point);
      }
      this.saveStats(stats);
      this.addToRollups(series, list.map(rollupPoint));
    }
  }

  private seriesOf(point: IMetricPoint): number {
    const cacheKey = JSON.stringify([
      point.run_id,
      point.name,
      point.scope,
      point.source
    ]);
    const cached = this.seriesIds.get(cacheKey);
    if (cached !== undefined) {
      return cached;
    }
    const key = [point.run_id, point.name, point.scope, point.source];
    const found = this.statement(
      'SELECT id FROM series WHERE run_id = ? AND name = ? AND scope = ? AND source = ?'
    ).get(...key) as { id: number } | undefined;
    const id =
      found?.id ??
      Number(
        this.statement(
          'INSERT INTO series (run_id, name, scope, source) VALUES (?, ?, ?, ?)'
        ).run(...key).lastInsertRowid
      );
    if (this.seriesIds.size >= SERIES_CACHE_SIZE) {
      this.seriesIds.clear();
    }
    this.seriesIds.set(cacheKey, id);
    return id;
  }

  private saveStats(stats: ISeriesStats): void {
    this.statement(
      `UPDATE series SET points = ?, step_points = ?, step_min = ?, step_max = ?,
       epoch_points = ?, epoch_min = ?, epoch_max = ?, ts_min = ?, ts_max = ? WHERE id = ?`
    ).run(
      stats.points,
      stats.step_points,
      stats.step_min,
      stats.step_max,
      stats.epoch_points,
      stats.epoch_min,
      stats.epoch_max,
      stats.ts_min,
      stats.ts_max,
      stats.id
    );
  }

  /** Merges points into the stored summaries of their buckets, every level. */
  private addToRollups(series: number, points: IRollupPointSet[]): void {
    const read = this.statement(
      'SELECT summary FROM rollups WHERE series = ? AND level = ? AND bucket = ?'
    );
    const save = this.statement(
      `INSERT INTO rollups (series, level, bucket, summary) VALUES (?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET summary = excluded.summary`
    );
    for (const level of ROLLUP_LEVELS) {
      const summaries = new Map<number, IBucketSummary>();
      summarizeInto(
        summaries,
        points.flatMap(point => onAxis(point, level.axis)),
        point => Math.floor(point.x / level.unit)
      );
      for (const [bucket, summary] of summaries) {
        const stored = read.get(series, level.id, bucket) as
          { summary: string } | undefined;
        const merged = stored
          ? mergeSummaries(
              JSON.parse(stored.summary) as IBucketSummary,
              summary
            )
          : summary;
        save.run(series, level.id, bucket, JSON.stringify(merged));
      }
    }
  }

  private writeRuns(batch: IWriteBatch, result: IWriteResult): void {
    const upsert = this.statement(
      `INSERT INTO runs (run_id, version, started_ms, notebook, user_name, status, search_text, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET version = excluded.version,
         started_ms = excluded.started_ms, notebook = excluded.notebook,
         user_name = excluded.user_name, status = excluded.status,
         search_text = excluded.search_text, summary = excluded.summary
       WHERE excluded.version > runs.version`
    );
    const dropTags = this.statement('DELETE FROM run_tags WHERE run_id = ?');
    const addTag = this.statement(
      'INSERT OR IGNORE INTO run_tags (key, value, run_id) VALUES (?, ?, ?)'
    );
    for (const summary of batch.runs) {
      const version =
        batch.runVersions?.[summary.run_id] ?? timeMs(summary.updated);
      const changed = upsert.run(
        summary.run_id,
        version,
        timeMs(summary.started),
        summary.notebook,
        summary.user,
        summary.status,
        runSearchText(summary),
        JSON.stringify(summary)
      );
      if (changed.changes === 0) {
        result.duplicates += 1;
        continue;
      }
      result.created += 1;
      dropTags.run(summary.run_id);
      for (const [key, value] of Object.entries(summary.tags ?? {})) {
        addTag.run(key, String(value), summary.run_id);
      }
    }
  }

  // ------------------------------------------------------------ reading series

  private readSeries(row: ISeriesRow, query: ISeriesQuery): ISeries | null {
    const zoom = xRange(query);
    const range =
      zoom === undefined
        ? axisRange(row, query.axis)
        : this.zoomedRange(row.id, query.axis, zoom);
    if (range === null) {
      return null;
    }
    const key = { name: row.name, scope: row.scope, source: row.source };
    const after = afterValue(query);
    if (after === undefined && range.count > query.maxPoints) {
      const grid = bucketGrid(
        range.min,
        range.max,
        bucketCount(query.maxPoints),
        BUCKET_UNITS[query.axis]
      );
      const level = rollupLevel(query.axis, grid.unit);
      if (level) {
        const summaries =
          zoom === undefined
            ? this.storedSummaries(row.id, level)
            : this.zoomedSummaries(row.id, query.axis, level, range);
        return {
          ...key,
          points: thinFromSummaries(summaries, level.unit, grid),
          downsampled: true
        };
      }
    }
    const rows = this.readPointRows(row.id, query.axis, after, zoom).sort(
      (a, b) => a.x - b.x || a.row.ts_ms - b.row.ts_ms
    );
    if (rows.length === 0) {
      return null;
    }
    // Thinned before the points are made: formatting every point's time
    // was most of a long read.
    const thinned = downsample(rows, query.maxPoints, query.axis);
    return {
      ...key,
      points: thinned.points.map(kept =>
        toPlainPoint(storedPoint(kept.row, kept.x))
      ),
      downsampled: thinned.downsampled
    };
  }

  /** The curve's points on an axis, after `after` and in `zoom` when given, unsorted. */
  private readPoints(
    series: number,
    axis: SeriesAxis,
    after: number | undefined,
    zoom?: IXRange
  ): IRollupPoint[] {
    return this.readPointRows(series, axis, after, zoom).map(point =>
      storedPoint(point.row, point.x)
    );
  }

  /** The stored rows of `readPoints`, each with its x and value. */
  private readPointRows(
    series: number,
    axis: SeriesAxis,
    after: number | undefined,
    zoom?: IXRange
  ): { x: number; y: number | null; row: IPointRow }[] {
    const within = zoomCondition(axis, zoom);
    const rows = this.statement(
      `SELECT step_key, epoch, ts_ms, value, nonfinite, time_text FROM points WHERE series = ? AND ${AXIS_SQL[axis].after} AND ${within.where}`
    ).all(
      series,
      after ?? (axis === 'step' ? NO_STEP : -Number.MAX_VALUE),
      ...within.params
    ) as unknown as IPointRow[];
    return rows.map(row => ({
      x:
        axis === 'step'
          ? row.step_key
          : axis === 'epoch'
            ? (row.epoch as number)
            : row.ts_ms,
      y: row.value,
      row
    }));
  }

  /** Every stored summary of a curve at one level. */
  private storedSummaries(
    series: number,
    level: IRollupLevel
  ): { bucket: number; summary: IBucketSummary }[] {
    return (
      this.statement(
        'SELECT bucket, summary FROM rollups WHERE series = ? AND level = ?'
      ).all(series, level.id) as { bucket: number; summary: string }[]
    ).map(stored => ({
      bucket: stored.bucket,
      summary: JSON.parse(stored.summary) as IBucketSummary
    }));
  }

  /** How many points a curve has in a zoomed range, and their x extent. */
  private zoomedRange(
    series: number,
    axis: SeriesAxis,
    zoom: IXRange
  ): { count: number; min: number; max: number } | null {
    const within = zoomCondition(axis, zoom);
    const x = AXIS_SQL[axis].x;
    const found = this.statement(
      `SELECT count(*) AS count, min(${x}) AS min, max(${x}) AS max FROM points
       WHERE series = ? AND ${AXIS_SQL[axis].after} AND ${within.where}`
    ).get(
      series,
      axis === 'step' ? NO_STEP : -Number.MAX_VALUE,
      ...within.params
    ) as { count: number; min: number | null; max: number | null };
    return found.count > 0 && found.min !== null && found.max !== null
      ? { count: found.count, min: found.min, max: found.max }
      : null;
  }

  /**
   * The summaries of a zoomed range: stored ones for the buckets wholly in
   * it, and for the two buckets at its ends, which may hold points outside
   * it, summaries of their points in the range.
   */
  private zoomedSummaries(
    series: number,
    axis: SeriesAxis,
    level: IRollupLevel,
    range: { min: number; max: number }
  ): { bucket: number; summary: IBucketSummary }[] {
    const firstBucket = Math.floor(range.min / level.unit);
    const lastBucket = Math.floor(range.max / level.unit);
    const inner = (
      this.statement(
        'SELECT bucket, summary FROM rollups WHERE series = ? AND level = ? AND bucket > ? AND bucket < ?'
      ).all(series, level.id, firstBucket, lastBucket) as {
        bucket: number;
        summary: string;
      }[]
    ).map(stored => ({
      bucket: stored.bucket,
      summary: JSON.parse(stored.summary) as IBucketSummary
    }));
    const ends = new Map<number, IBucketSummary>();
    // A point read twice (the ends share a boundary) summarises the same.
    for (const part of [
      {
        from: range.min,
        to: Math.min(range.max, (firstBucket + 1) * level.unit)
      },
      { from: Math.max(range.min, lastBucket * level.unit), to: range.max }
    ]) {
      summarizeInto(
        ends,
        this.readPoints(series, axis, undefined, part).filter(point =>
          [firstBucket, lastBucket].includes(Math.floor(point.x / level.unit))
        ),
        point => Math.floor(point.x / level.unit)
      );
    }
    return [
      ...inner,
      ...[...ends].map(([bucket, summary]) => ({ bucket, summary }))
    ];
  }

  // ------------------------------------------------------------ retention

  private cutoffMs(): number | null {
    if (this.retentionDays <= 0) {
      return null;
    }
    const day = new Date(this.now() - this.retentionDays * DAY_MS);
    return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate());
  }

  /**
   * Deletes events and points from before the cutoff day, a few thousand
   * rows per step with the event loop free in between, so batches keep
   * being written. Run summaries are kept (they are the run history).
   */
  private async retainInSteps(): Promise<void> {
    const cutoff = this.cutoffMs();
    if (cutoff === null || this.readOnly) {
      return;
    }
    let events = 0;
    let points = 0;
    for (;;) {
      const deleted = this.inStep(() => this.deleteOldEvents(cutoff));
      events += deleted;
      if (deleted < RETENTION_STEP_ROWS) {
        break;
      }
      await yieldToEvents();
    }
    for (;;) {
      const old = this.statement(
        'SELECT id FROM series WHERE ts_min < ? LIMIT 1'
      ).get(cutoff) as { id: number } | undefined;
      if (!old || this.closed) {
        break;
      }
      points += await this.trimSeries(old.id, cutoff);
    }
    if (events > 0 || points > 0) {
      this.logger.info(
        `retention (${this.retentionDays} days): deleted ${events} events and ${points} metric points from before ${new Date(cutoff).toISOString().slice(0, 10)}`
      );
    }
  }

  /** Runs one retention step in a transaction of its own. */
  private inStep<T>(step: () => T): T {
    const db = this.database();
    db.exec('BEGIN IMMEDIATE');
    try {
      const value = step();
      db.exec('COMMIT');
      return value;
    } catch (error) {
      if (db.isTransaction) {
        db.exec('ROLLBACK');
      }
      throw asUnavailable(error, `retention in ${this.file()}`);
    }
  }

  private deleteOldEvents(cutoff: number): number {
    const ids = (
      this.statement('SELECT id FROM events WHERE ts_ms < ? LIMIT ?').all(
        cutoff,
        RETENTION_STEP_ROWS
      ) as { id: number }[]
    ).map(row => row.id);
    if (ids.length === 0) {
      return 0;
    }
    const list = ids.join(', ');
    this.database().exec(`DELETE FROM event_words WHERE rowid IN (${list})`);
    this.database().exec(`DELETE FROM events WHERE id IN (${list})`);
    return ids.length;
  }

  /**
   * Deletes a curve's points from before the cutoff; then drops the curve
   * when none are left, or rebuilds its statistics and summaries.
   */
  private async trimSeries(series: number, cutoff: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const step = this.inStep(
        () =>
          this.statement(
            `DELETE FROM points WHERE (series, step_key, key) IN
             (SELECT series, step_key, key FROM points WHERE series = ? AND ts_ms < ? LIMIT ?)`
          ).run(series, cutoff, RETENTION_STEP_ROWS).changes as number
      );
      deleted += step;
      if (step < RETENTION_STEP_ROWS) {
        break;
      }
      await yieldToEvents();
    }
    await this.rebuildSeries(series);
    return deleted;
  }

  /** Recomputes a curve's statistics and summaries from its points, in steps. */
  private async rebuildSeries(series: number): Promise<void> {
    const stats: ISeriesStats = {
      id: series,
      points: 0,
      step_points: 0,
      step_min: null,
      step_max: null,
      epoch_points: 0,
      epoch_min: null,
      epoch_max: null,
      ts_min: null,
      ts_max: null
    };
    const summaries = ROLLUP_LEVELS.map(
      () => new Map<number, IBucketSummary>()
    );
    const rebuilding = {
      series,
      position: [NO_STEP - 1, ''] as [number, string],
      missed: [] as IMetricPoint[]
    };
    this.rebuilding = rebuilding;
    try {
      await this.scanSeries(rebuilding, stats, summaries);
    } finally {
      this.rebuilding = null;
    }
    // Points written behind the scan: it did not see them.
    for (const point of rebuilding.missed) {
      addPointToStats(stats, point);
      const set = rollupPoint(point);
      ROLLUP_LEVELS.forEach((level, index) =>
        summarizeInto(summaries[index], onAxis(set, level.axis), entry =>
          Math.floor(entry.x / level.unit)
        )
      );
    }
    this.inStep(() => {
      if (stats.points === 0) {
        this.statement('DELETE FROM rollups WHERE series = ?').run(series);
        this.statement('DELETE FROM series WHERE id = ?').run(series);
        this.seriesIds.clear();
        return;
      }
      this.statement('DELETE FROM rollups WHERE series = ?').run(series);
      const save = this.statement(
        'INSERT INTO rollups (series, level, bucket, summary) VALUES (?, ?, ?, ?)'
      );
      ROLLUP_LEVELS.forEach((level, index) => {
        for (const [bucket, summary] of summaries[index]) {
          save.run(series, level.id, bucket, JSON.stringify(summary));
        }
      });
      this.saveStats(stats);
    });
  }
  /** Reads a curve's points in key order, a step at a time, into stats and summaries. */
  private async scanSeries(
    rebuilding: { series: number; position: [number, string] },
    stats: ISeriesStats,
    summaries: Map<number, IBucketSummary>[]
  ): Promise<void> {
    const read = this.statement(
      `SELECT step_key, key, epoch, ts_ms, value, nonfinite, time_text FROM points
       WHERE series = ? AND (step_key, key) > (?, ?) ORDER BY step_key, key LIMIT ?`
    );
    for (;;) {
      const [step, key] = rebuilding.position;
      const rows = read.all(
        rebuilding.series,
        step,
        key,
        RETENTION_STEP_ROWS
      ) as unknown as (IPointRow & { key: string })[];
      for (const row of rows) {
        addRowToStats(stats, row);
        const point = pointSetOfRow(row);
        ROLLUP_LEVELS.forEach((level, index) =>
          summarizeInto(summaries[index], onAxis(point, level.axis), entry =>
            Math.floor(entry.x / level.unit)
          )
        );
      }
      if (rows.length < RETENTION_STEP_ROWS) {
        return;
      }
      const last = rows[rows.length - 1];
      rebuilding.position = [last.step_key, last.key];
      await yieldToEvents();
    }
  }
}

/** The x column of each axis and its condition for points after a value. */
const AXIS_SQL: Record<SeriesAxis, { x: string; after: string }> = {
  step: { x: 'step_key', after: 'step_key > ?' },
  epoch: { x: 'epoch', after: 'epoch IS NOT NULL AND epoch > ?' },
  time: { x: 'ts_ms', after: 'ts_ms > ?' }
};

/** Points with x in a zoomed range, both ends included; `1` without one. */
function zoomCondition(
  axis: SeriesAxis,
  zoom: IXRange | undefined
): ISqlFilter {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  if (zoom?.from !== undefined) {
    conditions.push(`${AXIS_SQL[axis].x} >= ?`);
    params.push(zoom.from);
  }
  if (zoom?.to !== undefined) {
    conditions.push(`${AXIS_SQL[axis].x} <= ?`);
    params.push(zoom.to);
  }
  return {
    where: conditions.length > 0 ? conditions.join(' AND ') : '1',
    params
  };
}

function storedPoint(row: IPointRow, x: number): IRollupPoint {
  const point: IRollupPoint = {
    x,
    t: row.ts_ms,
    y: row.value,
    time: row.time_text ?? new Date(row.ts_ms).toISOString()
  };
  if (row.nonfinite !== null) {
    point.nonfinite = row.nonfinite;
  }
  return point;
}

function pointSetOfRow(row: IPointRow): IRollupPointSet {
  const set: IRollupPointSet = { time: storedPoint(row, row.ts_ms) };
  if (row.step_key !== NO_STEP) {
    set.step = storedPoint(row, row.step_key);
  }
  if (row.epoch !== null) {
    set.epoch = storedPoint(row, row.epoch);
  }
  return set;
}

function addPointToStats(stats: ISeriesStats, point: IMetricPoint): void {
  addRowToStats(stats, {
    step_key: stepKey(point),
    epoch: typeof point.epoch === 'number' ? point.epoch : null,
    ts_ms: timeMs(point['@timestamp']),
    value: null,
    nonfinite: null,
    time_text: null
  });
}

function addRowToStats(stats: ISeriesStats, row: IPointRow): void {
  stats.points += 1;
  if (row.step_key !== NO_STEP) {
    stats.step_points += 1;
    stats.step_min = lowest(stats.step_min, row.step_key);
    stats.step_max = highest(stats.step_max, row.step_key);
  }
  if (row.epoch !== null) {
    stats.epoch_points += 1;
    stats.epoch_min = lowest(stats.epoch_min, row.epoch);
    stats.epoch_max = highest(stats.epoch_max, row.epoch);
  }
  stats.ts_min = lowest(stats.ts_min, row.ts_ms);
  stats.ts_max = highest(stats.ts_max, row.ts_ms);
}

/** A curve's point count and x range on an axis; null when it has none there. */
function axisRange(
  row: ISeriesStats,
  axis: SeriesAxis
): { count: number; min: number; max: number } | null {
  const [count, min, max] =
    axis === 'step'
      ? [row.step_points, row.step_min, row.step_max]
      : axis === 'epoch'
        ? [row.epoch_points, row.epoch_min, row.epoch_max]
        : [row.points, row.ts_min, row.ts_max];
  return count > 0 && min !== null && max !== null ? { count, min, max } : null;
}

function lowest(current: number | null, value: number): number {
  return current === null || value < current ? value : current;
}

function highest(current: number | null, value: number): number {
  return current === null || value > current ? value : current;
}

function yieldToEvents(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}
