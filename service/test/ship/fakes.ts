/**
 * Test doubles for the pipeline: a store that keeps items by id (so replays
 * show up as duplicates, like Elasticsearch) and can be told to fail, a
 * minimal parser with deterministic ids, and spool record builders.
 */
import {
  StoreQueryError,
  StoreUnavailableError,
  type ILogPage,
  type IRunPage,
  type ISeries,
  type IStore,
  type IStoreStatus,
  type IWriteBatch,
  type IWriteResult
} from '../../src/store/store';
import type { IRecordParser } from '../../src/ship/parser-port';
import { createLogger, type ILogger } from '../../src/common/logger';
import type {
  IMetricPoint,
  IParsedRecord,
  IRunSummary,
  ITflogDocument,
  SpoolRecord
} from '../../src/types';

/** A logger that keeps its lines for assertions. */
export function memoryLogger(): { logger: ILogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('debug', line => lines.push(line)), lines };
}

export class FakeStore implements IStore {
  readonly documents = new Map<string, ITflogDocument>();
  readonly points = new Map<string, IMetricPoint>();
  readonly runs = new Map<string, { summary: IRunSummary; version: number }>();
  /** Every write call's batch, in order. */
  readonly calls: IWriteBatch[] = [];
  /** Whole-request failures still to throw. */
  failNext = 0;
  /** Called per write to answer per-item results; default: store everything. */
  itemPolicy: (
    kind: 'document' | 'point' | 'run',
    id: string
  ) => 'ok' | '429' | 'blocked' | 'reject' | 'refuse-request' = () => 'ok';
  /** When true, every request is refused as a whole (a systemic 400). */
  refuseEveryRequest = false;

  async init(): Promise<void> {}

  async write(batch: IWriteBatch): Promise<IWriteResult> {
    this.calls.push(batch);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new StoreUnavailableError('connection refused (fake)', 503);
    }
    // One verdict per item and write: policies may count calls.
    const verdicts = new Map<string, ReturnType<FakeStore['itemPolicy']>>();
    for (const item of batch.documents) {
      verdicts.set(
        `document ${item._id}`,
        this.itemPolicy('document', item._id)
      );
    }
    for (const item of batch.points) {
      verdicts.set(`point ${item._id}`, this.itemPolicy('point', item._id));
    }
    if (
      this.refuseEveryRequest ||
      [...verdicts.values()].includes('refuse-request')
    ) {
      throw new StoreQueryError(
        'storing a batch: 400 action_request_validation_exception: Validation Failed: 1: id is too long (fake)'
      );
    }
    const result: IWriteResult = { created: 0, duplicates: 0, rejected: [] };
    const retry: NonNullable<IWriteResult['retry']> = [];
    const take = <T>(
      kind: 'document' | 'point',
      id: string,
      item: T,
      into: Map<string, T>
    ): void => {
      const verdict = verdicts.get(`${kind} ${id}`);
      if (verdict === '429') {
        retry.push({
          kind,
          id,
          reason: 'es_rejected_execution_exception',
          statusCode: 429
        });
      } else if (verdict === 'blocked') {
        retry.push({
          kind,
          id,
          reason:
            'cluster_block_exception: index blocked by: [FORBIDDEN/8/index write (api)]',
          statusCode: 403
        });
      } else if (verdict === 'reject') {
        result.rejected.push({
          kind,
          id,
          reason: 'mapper_parsing_exception (fake)'
        });
      } else if (into.has(id)) {
        result.duplicates += 1;
      } else {
        into.set(id, item);
        result.created += 1;
      }
    };
    for (const document of batch.documents) {
      take('document', document._id, document, this.documents);
    }
    for (const point of batch.points) {
      take('point', point._id, point, this.points);
    }
    for (const summary of batch.runs) {
      const version = batch.runVersions?.[summary.run_id] ?? 0;
      const current = this.runs.get(summary.run_id);
      if (current && current.version >= version) {
        result.duplicates += 1;
      } else {
        this.runs.set(summary.run_id, { summary, version });
        result.created += 1;
      }
    }
    if (retry.length > 0) {
      result.retry = retry;
    }
    return result;
  }

  async getRun(runId: string): Promise<IRunSummary | null> {
    return this.runs.get(runId)?.summary ?? null;
  }

  async searchRuns(): Promise<IRunPage> {
    return {
      runs: [...this.runs.values()].map(run => run.summary),
      total: this.runs.size
    };
  }

  async series(): Promise<ISeries[]> {
    return [];
  }

  async logs(): Promise<ILogPage> {
    return { lines: [...this.documents.values()], total: this.documents.size };
  }

  async status(): Promise<IStoreStatus> {
    return {
      kind: 'embedded',
      location: 'memory',
      healthy: true,
      degraded: []
    };
  }

  async close(): Promise<void> {}
}

/** Per-run parse state of the fake parser: counts records, like a real one might. */
export interface IFakeParserState {
  records: number;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

/** One event per record (`<run>:<seq>`), plus a point per metric value. */
export const fakeParser: IRecordParser<IFakeParserState> = {
  newRunState: () => ({ records: 0 }),
  parseRecord(record: SpoolRecord, state: IFakeParserState): IParsedRecord {
    state.records += 1;
    const runId = record.t === 'start' ? record.run : 'run-1';
    const text =
      record.t === 'log'
        ? record.msg
        : record.t === 'stream'
          ? record.text
          : record.t;
    const document: ITflogDocument = {
      _id: `${runId}:${record.seq}`,
      '@timestamp': iso(record.ts),
      message: text,
      log: { level: record.t === 'log' ? record.level.toLowerCase() : 'info' },
      event: {
        dataset: `tflog.${record.t}`,
        sequence: record.seq,
        kind: 'event'
      },
      user: { name: 'alice' },
      host: { name: 'host' },
      process: { pid: 1 },
      service: { name: 'tflog' },
      ecs: { version: '8.11.0' },
      labels: {},
      tflog: {
        run_id: runId,
        run_name: null,
        notebook: null,
        kernel_id: null,
        source: 'tflog',
        kind: 'log'
      }
    };
    const points: IMetricPoint[] = [];
    if (record.t === 'metrics') {
      for (const [name, value] of Object.entries(record.values)) {
        const point: IMetricPoint = {
          _id: `${document._id}:${name}`,
          '@timestamp': document['@timestamp'],
          run_id: runId,
          notebook: null,
          user: 'alice',
          name,
          scope: record.scope,
          source: 'callback'
        };
        if (typeof value === 'number') {
          point.value = value;
        } else {
          point.nonfinite = value;
        }
        if (record.step !== undefined) {
          point.step = record.step;
        }
        if (record.epoch !== undefined) {
          point.epoch = record.epoch;
        }
        points.push(point);
      }
    }
    return { documents: [document], points };
  }
};

export const T0 = 1764361019.47;

export function startRecord(run = 'run-1'): SpoolRecord {
  return {
    t: 'start',
    v: 1,
    seq: 0,
    ts: T0,
    run,
    name: 'demo',
    tags: { team: 'vision' },
    ctx: {
      notebook: 'train.ipynb',
      kernel_id: 'k-1',
      user: 'alice',
      host: 'host',
      pid: 1
    }
  };
}

export function logRecord(
  seq: number,
  msg: string,
  level = 'INFO'
): SpoolRecord {
  return { t: 'log', seq, ts: T0 + seq, level, logger: 'root', msg };
}

export function metricsRecord(
  seq: number,
  epoch: number,
  values: Record<string, number | 'NaN'>
): SpoolRecord {
  return { t: 'metrics', seq, ts: T0 + seq, scope: 'epoch', epoch, values };
}

export function endRecord(seq: number): SpoolRecord {
  return { t: 'end', seq, ts: T0 + seq, status: 'finished' };
}

export function ndjson(records: SpoolRecord[]): string {
  return records.map(record => JSON.stringify(record) + '\n').join('');
}
