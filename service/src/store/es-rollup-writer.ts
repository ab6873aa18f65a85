/**
 * Keeps the curve summaries of es-rollups.ts up to date behind the writes:
 * the points a bulk newly stored are folded into pending deltas, which one
 * loop at a time merges into the stored documents (read, merge, conditional
 * write; again on a conflict with another writer). Nothing waits for it: a
 * summary that lags or misses points is not used (es-rollups.ts), so a
 * failure here costs a comparison's speed, never a point.
 */
import type { Client } from '@elastic/elasticsearch';

import type { ILogger } from '../common/logger';
import type { IMetricPoint } from '../types';
import { mapElasticsearchError } from './es-errors';
import { bulkWrite } from './es-bulk';
import {
  buildRollupGet,
  buildRollupWrite,
  mergeRollups,
  parseRollupGet,
  parseRollupWrite,
  rollupDeltas,
  ROLLUP_WRITE_FIELDS,
  type IRollupDoc,
  type IStoredRollup
} from './es-rollups';

/** Documents per read-merge-write round. */
const ROUND_SIZE = 500;
/** Rounds a document is retried after conflicts before it is left behind. */
const CONFLICT_ROUNDS = 5;
/**
 * Deltas held while Elasticsearch is slower than the points arrive; past
 * this they are dropped (their series are then read from their points).
 */
const MAX_PENDING = 50_000;
/**
 * The least time between the starts of two rounds: the deltas of the
 * batches in between are merged first, so a live run's documents are read
 * and written about once a second, not once a batch.
 */
const ROUND_INTERVAL_MS = 1000;
/**
 * Documents read and rewritten per second, about, at most: with many live
 * runs (each series keeps a document per level) rounds come further apart,
 * so that the summaries, which only speed up comparisons, do not take the
 * node's time from the logs and points.
 */
const ROUND_DOCUMENTS_PER_S = 100;
/** The most time between two rounds, however many documents they write. */
const MAX_ROUND_INTERVAL_MS = 10_000;
/** One warning of a kind per this long: a node that is down fails every round. */
const WARN_EVERY_MS = 60_000;

/** The time from the start of a round of `documents` to the next one's. */
export function roundIntervalMs(documents: number): number {
  return Math.min(
    MAX_ROUND_INTERVAL_MS,
    Math.max(ROUND_INTERVAL_MS, (documents / ROUND_DOCUMENTS_PER_S) * 1000)
  );
}

export class RollupWriter {
  private pending = new Map<string, IRollupDoc>();
  private running: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** When the next round may start (Date.now()). */
  private nextRoundMs = -Infinity;
  private dropped = 0;
  private readonly warned = new Map<string, number>();

  constructor(
    private readonly client: Client,
    private readonly index: string,
    private readonly location: string,
    private readonly logger: ILogger
  ) {}

  /** Folds newly stored points into the pending deltas and starts a round. */
  add(points: readonly IMetricPoint[]): void {
    if (points.length === 0) {
      return;
    }
    for (const [id, delta] of rollupDeltas(points)) {
      const current = this.pending.get(id);
      this.pending.set(id, current ? mergeRollups(current, delta) : delta);
    }
    if (this.pending.size > MAX_PENDING) {
      this.dropped += this.pending.size;
      this.warn(
        'behind',
        `curve summaries fell behind by ${this.pending.size} documents and were dropped (${this.dropped} so far); comparisons of those runs read their points instead`
      );
      this.pending.clear();
    }
    this.start();
  }

  /** Resolves once every delta added so far is written (or given up on). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.startRound();
      if (!this.running) {
        return;
      }
      await this.running;
    }
  }

  /** A round now, or when the last one is a round interval old. */
  private start(): void {
    if (this.running || this.timer || this.pending.size === 0) {
      return;
    }
    const wait = this.nextRoundMs - Date.now();
    if (wait <= 0) {
      this.startRound();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startRound();
    }, wait);
    // Pending deltas do not keep the process alive: close() flushes them.
    this.timer.unref();
  }

  private startRound(): void {
    if (this.running || this.pending.size === 0) {
      return;
    }
    this.nextRoundMs = Date.now() + roundIntervalMs(this.pending.size);
    this.running = this.drain().finally(() => {
      this.running = null;
      this.start();
    });
  }

  private async drain(): Promise<void> {
    const deltas = [...this.pending];
    this.pending = new Map();
    for (let start = 0; start < deltas.length; start += ROUND_SIZE) {
      await this.writeRound(new Map(deltas.slice(start, start + ROUND_SIZE)));
    }
  }

  /** Read, merge, write; the conflicted again, a few times. */
  private async writeRound(deltas: Map<string, IRollupDoc>): Promise<void> {
    let left = deltas;
    for (let round = 0; round < CONFLICT_ROUNDS && left.size > 0; round += 1) {
      try {
        const stored = parseRollupGet(
          await this.client.mget<IStoredRollup>(
            buildRollupGet([...left.keys()], this.index)
          )
        );
        const { operations, ids } = buildRollupWrite(left, stored, this.index);
        const outcome = parseRollupWrite(
          ids,
          await bulkWrite(this.client, operations, ROLLUP_WRITE_FIELDS)
        );
        for (const failure of outcome.failed) {
          this.warn(
            'refused',
            `a curve summary was not stored (${failure.reason}); comparisons of its run read its points instead`
          );
        }
        left = new Map(
          outcome.conflicted.flatMap(id => {
            const delta = left.get(id);
            return delta ? [[id, delta] as const] : [];
          })
        );
      } catch (error) {
        const reason = mapElasticsearchError(
          error,
          'storing curve summaries',
          this.location
        ).message;
        this.warn(
          'failed',
          `${left.size} curve summaries were not stored (${reason}); comparisons of their runs read their points instead`
        );
        return;
      }
    }
    if (left.size > 0) {
      this.warn(
        'conflicts',
        `${left.size} curve summaries kept conflicting with another writer and were left behind; comparisons of their runs read their points instead`
      );
    }
  }

  private warn(kind: string, message: string): void {
    const now = Date.now();
    if (now - (this.warned.get(kind) ?? -Infinity) >= WARN_EVERY_MS) {
      this.warned.set(kind, now);
      this.logger.warn(message);
    }
  }
}
