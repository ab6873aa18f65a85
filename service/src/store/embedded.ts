/**
 * The embedded store: what a single user gets with no Elasticsearch.
 * Append-only NDJSON segment files per UTC day (`events-YYYY.MM.DD.ndjson`,
 * `metrics-YYYY.MM.DD.ndjson`) plus `runs.ndjson` (one line per summary
 * version, latest wins), and an in-memory index rebuilt on start. A batch is
 * acknowledged only after its lines are fsynced, like Elasticsearch
 * acknowledging a bulk request. Limits: one service process per directory,
 * memory roughly proportional to the stored data (see docs/storage.md).
 */
import * as fsp from 'fs/promises';
import * as path from 'path';

import { readCompleteLines } from '../spool/line-reader';
import { isErrorCode } from '../spool/tailer';
import { decodeUtf8 } from '../spool/utf8';
import type { ILogger } from '../ship/logger';
import { describeError } from '../ship/logger';
import type { IMetricPoint, IRunSummary, ITflogDocument } from '../types';
import { logsIn, searchRunsIn, seriesIn } from './embedded-queries';
import { utcDay } from './es-mappings';
import type {
  ILogPage,
  ILogQuery,
  IRunPage,
  IRunQuery,
  ISeries,
  ISeriesQuery,
  IStore,
  IStoreStatus,
  IWriteBatch,
  IWriteResult
} from './store';
import { StoreUnavailableError } from './store';

const RUNS_FILE = 'runs.ndjson';
const SEGMENT_FILE = /^(events|metrics)-(\d{4}\.\d{2}\.\d{2})\.ndjson$/;
const DAY_MS = 24 * 60 * 60 * 1000;
const READ_BUDGET_BYTES = 4 * 1024 * 1024;
/** Lines longer than this in a segment are damaged (the service caps its own). */
const MAX_STORED_LINE_BYTES = 64 * 1024 * 1024;

type SegmentKind = 'events' | 'metrics';

interface IStoredRun {
  summary: IRunSummary;
  version: number;
}

/** A line of runs.ndjson. */
interface IRunLine {
  v: number;
  summary: IRunSummary;
}

export interface IEmbeddedStoreOptions {
  dir: string;
  /** Segments older than this many days are deleted; 0 keeps everything. */
  retentionDays: number;
  logger: ILogger;
  now?: () => number;
}

export class EmbeddedStore implements IStore {
  private readonly dir: string;
  private readonly logger: ILogger;
  private readonly retentionDays: number;
  private readonly now: () => number;
  private readonly eventIds = new Set<string>();
  private readonly pointIds = new Set<string>();
  private readonly eventsByRun = new Map<string, ITflogDocument[]>();
  private readonly pointsByRun = new Map<string, IMetricPoint[]>();
  private readonly runs = new Map<string, IStoredRun>();
  private runLines = 0;
  private damagedLines = 0;
  private initialized = false;
  private lastWriteError: string | null = null;
  /** Writes run one at a time: appends and the index stay in step. */
  private writeChain: Promise<unknown> = Promise.resolve();
  private retentionTimer: NodeJS.Timeout | null = null;

  constructor(options: IEmbeddedStoreOptions) {
    this.dir = options.dir;
    this.logger = options.logger;
    this.retentionDays = options.retentionDays;
    this.now = options.now ?? Date.now;
  }

  async init(): Promise<void> {
    if (this.initialized) {
      return;
    }
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.deleteExpiredSegments();
    for (const name of (await fsp.readdir(this.dir)).sort()) {
      const match = SEGMENT_FILE.exec(name);
      if (match) {
        await this.loadSegment(name, match[1] as SegmentKind);
      }
    }
    await this.loadRuns();
    await this.compactRuns();
    this.initialized = true;
    if (this.damagedLines > 0) {
      this.logger.warn(
        `${this.damagedLines} damaged line(s) in ${this.dir} were skipped`
      );
    }
    this.logger.info(
      `embedded store at ${this.dir}: ${this.runs.size} runs, ${this.eventIds.size} events, ${this.pointIds.size} metric points`
    );
    if (this.retentionDays > 0) {
      this.retentionTimer = setInterval(() => {
        this.writeChain = this.writeChain
          .then(() => this.applyRetention())
          .catch(error =>
            this.logger.error(`retention pass failed: ${describeError(error)}`)
          );
      }, DAY_MS / 4);
      this.retentionTimer.unref();
    }
  }

  write(batch: IWriteBatch): Promise<IWriteResult> {
    const result = this.writeChain.then(() => this.writeNow(batch));
    // The chain continues after a failed write; the caller sees the failure.
    this.writeChain = result.catch(() => undefined);
    return result;
  }

  async getRun(runId: string): Promise<IRunSummary | null> {
    return this.runs.get(runId)?.summary ?? null;
  }

  async searchRuns(query: IRunQuery): Promise<IRunPage> {
    return searchRunsIn(
      [...this.runs.values()].map(stored => stored.summary),
      query
    );
  }

  async series(query: ISeriesQuery): Promise<ISeries[]> {
    return seriesIn(this.pointsByRun.get(query.runId) ?? [], query);
  }

  async logs(query: ILogQuery): Promise<ILogPage> {
    return logsIn(this.eventsByRun.get(query.runId) ?? [], query);
  }

  async status(): Promise<IStoreStatus> {
    const status: IStoreStatus = {
      kind: 'embedded',
      location: this.dir,
      healthy: this.initialized && this.lastWriteError === null,
      degraded: []
    };
    if (!this.initialized) {
      status.error = 'not initialised yet';
    } else if (this.lastWriteError !== null) {
      status.error = this.lastWriteError;
    }
    return status;
  }

  async close(): Promise<void> {
    if (this.retentionTimer) {
      clearInterval(this.retentionTimer);
      this.retentionTimer = null;
    }
    await this.writeChain;
  }

  private async writeNow(batch: IWriteBatch): Promise<IWriteResult> {
    if (!this.initialized) {
      throw new StoreUnavailableError('the embedded store is not initialised');
    }
    const result: IWriteResult = { created: 0, duplicates: 0, rejected: [] };
    const appends = new Map<string, string[]>();
    const append = (file: string, line: string): void => {
      const lines = appends.get(file) ?? [];
      lines.push(line);
      appends.set(file, lines);
    };
    const newEvents: ITflogDocument[] = [];
    const seenEvents = new Set<string>();
    for (const document of batch.documents) {
      if (this.eventIds.has(document._id) || seenEvents.has(document._id)) {
        result.duplicates += 1;
        continue;
      }
      seenEvents.add(document._id);
      newEvents.push(document);
      append(
        segmentName('events', document['@timestamp']),
        JSON.stringify(document)
      );
    }
    const newPoints: IMetricPoint[] = [];
    const seenPoints = new Set<string>();
    for (const point of batch.points) {
      if (this.pointIds.has(point._id) || seenPoints.has(point._id)) {
        result.duplicates += 1;
        continue;
      }
      seenPoints.add(point._id);
      newPoints.push(point);
      append(
        segmentName('metrics', point['@timestamp']),
        JSON.stringify(point)
      );
    }
    const newRuns = new Map<string, IStoredRun>();
    for (const summary of batch.runs) {
      const version =
        batch.runVersions?.[summary.run_id] ??
        (Date.parse(summary.updated) || 0);
      const current =
        newRuns.get(summary.run_id) ?? this.runs.get(summary.run_id);
      if (current && current.version >= version) {
        result.duplicates += 1;
        continue;
      }
      newRuns.set(summary.run_id, { summary, version });
    }
    for (const stored of newRuns.values()) {
      const line: IRunLine = { v: stored.version, summary: stored.summary };
      append(RUNS_FILE, JSON.stringify(line));
    }

    try {
      await this.appendDurably(appends);
      this.lastWriteError = null;
    } catch (error) {
      this.lastWriteError = `writing to ${this.dir} failed: ${describeError(error)}`;
      throw new StoreUnavailableError(this.lastWriteError);
    }
    for (const document of newEvents) {
      this.indexEvent(document);
    }
    for (const point of newPoints) {
      this.indexPoint(point);
    }
    for (const [runId, stored] of newRuns) {
      this.runs.set(runId, stored);
    }
    this.runLines += newRuns.size;
    result.created = newEvents.length + newPoints.length + newRuns.size;
    if (this.runLines > 1000 && this.runLines > 4 * this.runs.size) {
      await this.compactRuns();
    }
    return result;
  }

  /** Appends lines to each file and fsyncs; a failed append is cut back off. */
  private async appendDurably(appends: Map<string, string[]>): Promise<void> {
    let createdFile = false;
    for (const [name, lines] of appends) {
      const filePath = path.join(this.dir, name);
      const handle = await fsp.open(filePath, 'a', 0o600);
      let sizeBefore = 0;
      try {
        sizeBefore = (await handle.stat()).size;
        createdFile = createdFile || sizeBefore === 0;
        await handle.write(lines.join('\n') + '\n');
        await handle.datasync();
      } catch (error) {
        // Leave no partial line behind: the next append would be glued to it.
        await handle
          .truncate(sizeBefore)
          .catch(truncateError =>
            this.logger.error(
              `cannot cut ${filePath} back to ${sizeBefore} bytes: ${describeError(truncateError)}`
            )
          );
        throw error;
      } finally {
        await handle.close();
      }
    }
    if (createdFile) {
      await syncDirectory(this.dir);
    }
  }

  private indexEvent(document: ITflogDocument): void {
    this.eventIds.add(document._id);
    const runId = document.tflog?.run_id ?? '';
    const list = this.eventsByRun.get(runId) ?? [];
    list.push(document);
    this.eventsByRun.set(runId, list);
  }

  private indexPoint(point: IMetricPoint): void {
    this.pointIds.add(point._id);
    const list = this.pointsByRun.get(point.run_id) ?? [];
    list.push(point);
    this.pointsByRun.set(point.run_id, list);
  }

  private async loadSegment(name: string, kind: SegmentKind): Promise<void> {
    await this.forEachLine(name, value => {
      const record = value as { _id?: unknown };
      if (typeof record?._id !== 'string') {
        this.damagedLines += 1;
        return;
      }
      if (kind === 'events') {
        if (!this.eventIds.has(record._id)) {
          this.indexEvent(value as ITflogDocument);
        }
      } else if (!this.pointIds.has(record._id)) {
        this.indexPoint(value as IMetricPoint);
      }
    });
  }

  private async loadRuns(): Promise<void> {
    await this.forEachLine(RUNS_FILE, value => {
      const line = value as Partial<IRunLine>;
      if (
        typeof line?.v !== 'number' ||
        typeof line.summary?.run_id !== 'string'
      ) {
        this.damagedLines += 1;
        return;
      }
      this.runLines += 1;
      const current = this.runs.get(line.summary.run_id);
      if (!current || current.version < line.v) {
        this.runs.set(line.summary.run_id, {
          summary: line.summary,
          version: line.v
        });
      }
    });
  }

  /**
   * Calls `visit` with each complete JSON line of a file. A trailing partial
   * line (a crash during an unacknowledged write) is cut off.
   */
  private async forEachLine(
    name: string,
    visit: (value: unknown) => void
  ): Promise<void> {
    const filePath = path.join(this.dir, name);
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(filePath, 'r+');
    } catch (error) {
      if (isErrorCode(error, 'ENOENT')) {
        return;
      }
      throw error;
    }
    try {
      const size = (await handle.stat()).size;
      let offset = 0;
      for (;;) {
        const lines = await readCompleteLines(handle, offset, {
          maxLineBytes: MAX_STORED_LINE_BYTES,
          budgetBytes: READ_BUDGET_BYTES
        });
        if (lines.length === 0) {
          break;
        }
        for (const line of lines) {
          try {
            visit(JSON.parse(decodeUtf8(line.bytes).text));
          } catch (error) {
            this.damagedLines += 1;
            this.logger.debug(
              `${filePath}: damaged line at byte ${line.start}: ${describeError(error)}`
            );
          }
        }
        offset = lines[lines.length - 1].end;
      }
      if (offset < size) {
        this.logger.warn(
          `${filePath}: cutting ${size - offset} bytes of an incomplete last line (an interrupted write, never acknowledged)`
        );
        await handle.truncate(offset);
      }
    } finally {
      await handle.close();
    }
  }

  /** Rewrites runs.ndjson with one line per run (atomically). */
  private async compactRuns(): Promise<void> {
    if (this.runLines === this.runs.size) {
      return;
    }
    const lines = [...this.runs.values()].map(stored =>
      JSON.stringify({ v: stored.version, summary: stored.summary })
    );
    const target = path.join(this.dir, RUNS_FILE);
    const temporary = `${target}.tmp`;
    const handle = await fsp.open(temporary, 'w', 0o600);
    try {
      await handle.write(lines.length > 0 ? lines.join('\n') + '\n' : '');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await fsp.rename(temporary, target);
    await syncDirectory(this.dir);
    this.runLines = lines.length;
  }

  private cutoffDay(): string | null {
    if (this.retentionDays <= 0) {
      return null;
    }
    return utcDay(
      new Date(this.now() - this.retentionDays * DAY_MS).toISOString()
    );
  }

  private async deleteExpiredSegments(): Promise<string[]> {
    const cutoff = this.cutoffDay();
    if (cutoff === null) {
      return [];
    }
    const deleted: string[] = [];
    for (const name of await fsp.readdir(this.dir)) {
      const match = SEGMENT_FILE.exec(name);
      if (match && match[2] < cutoff) {
        await fsp.unlink(path.join(this.dir, name));
        deleted.push(name);
      }
    }
    if (deleted.length > 0) {
      this.logger.info(
        `retention (${this.retentionDays} days): deleted ${deleted.join(', ')}`
      );
    }
    return deleted;
  }

  /** Deletes expired segments and forgets what they held. */
  private async applyRetention(): Promise<void> {
    const deleted = await this.deleteExpiredSegments();
    const cutoff = this.cutoffDay();
    if (deleted.length === 0 || cutoff === null) {
      return;
    }
    const keep = (timestamp: string): boolean => utcDay(timestamp) >= cutoff;
    for (const [runId, documents] of this.eventsByRun) {
      const kept = documents.filter(document => keep(document['@timestamp']));
      for (const document of documents) {
        if (!keep(document['@timestamp'])) {
          this.eventIds.delete(document._id);
        }
      }
      this.eventsByRun.set(runId, kept);
    }
    for (const [runId, points] of this.pointsByRun) {
      const kept = points.filter(point => keep(point['@timestamp']));
      for (const point of points) {
        if (!keep(point['@timestamp'])) {
          this.pointIds.delete(point._id);
        }
      }
      this.pointsByRun.set(runId, kept);
    }
  }
}

function segmentName(kind: SegmentKind, timestamp: string): string {
  return `${kind}-${utcDay(timestamp)}.ndjson`;
}

/** Makes a new or renamed directory entry durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
