/**
 * The order in which users' batches reach Elasticsearch from the hub
 * service. Each user's service has a few batches in flight; sent straight
 * on, a hub's users together queue many bulk requests at the node, and a
 * live run's small batch waits behind all of them (measured: as long as a
 * full batch's write). So full batches go a few at a time, taken from the
 * users in turn, and small ones go at once: they wait only for the bulks
 * the node is already writing. A waiting batch whose sender gave up (its
 * request closed: the sender's time limit, or the service stopped) is
 * dropped unwritten: the sender sends it again from its spool. And when the
 * cluster cannot keep up, so that a new full batch would wait longer than
 * its sender waits for an answer (and batches are seen to wait long), it
 * is refused at once (503 with Retry-After) rather than queued to be
 * dropped later.
 */
import { HUB_REQUEST_TIMEOUT_MS } from '../store/hub-client';
import { StoreUnavailableError } from '../store/store';

/** Full batches written at once until the cluster's write threads are known. */
export const DEFAULT_LARGE_IN_FLIGHT = 2;
/** A batch of at most this many documents and points (a live run's latest lines) never waits. */
export const SMALL_BATCH_ITEMS = 100;

/** A full batch waits at most this long for its turn: well within its sender's time limit. */
export const MAX_WAIT_MS = HUB_REQUEST_TIMEOUT_MS * 0.6;
/**
 * A full batch's write time is the median of the last few: one slow write
 * (the day's indices being created, a merge) does not make the hub refuse.
 */
const WRITE_TIMES_KEPT = 20;
/** No batch is refused before this many full batches' write times are known. */
const WRITE_TIMES_NEEDED = 5;

interface IWaiting {
  start: () => void;
  /** When it began to wait (the queue's clock). */
  queuedAt: number;
}

export interface IWriteQueueOptions {
  /** Refuse a full batch that would wait longer than this for its turn, ms. */
  maxWaitMs?: number;
  /** A clock in ms (tests pass their own). */
  now?: () => number;
}

/** What the hub's `/status` tells of the write order (`hub.writes`). */
export interface IWriteOrderStatus {
  maxInFlight: number;
  waiting: number;
  /** Batches dropped since the start because their sender gave up waiting. */
  abandoned: number;
  /** Full batches refused since the start because their wait would have been too long. */
  refused: number;
  /** One full batch's write: the median of the last 20, ms; null before 5 are known. */
  writeMs: number | null;
}

export class HubWriteQueue {
  private limit: number;
  private largeInFlight = 0;
  private abandoned = 0;
  private refused = 0;
  /** How long the last full batch started waited for its turn, ms. */
  private lastWaitMs = 0;
  /** The last full batches' write times, ms, oldest first. */
  private readonly writeTimes: number[] = [];
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  /** Each user's waiting writes, oldest first; the map's order is the turn. */
  private readonly waiting = new Map<string, IWaiting[]>();

  constructor(
    maxLargeInFlight = DEFAULT_LARGE_IN_FLIGHT,
    private readonly smallItems = SMALL_BATCH_ITEMS,
    options: IWriteQueueOptions = {}
  ) {
    this.limit = checkedLimit(maxLargeInFlight);
    this.maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Full batches written at once, from all users. */
  get maxLargeInFlight(): number {
    return this.limit;
  }

  set maxLargeInFlight(value: number) {
    this.limit = checkedLimit(value);
    this.startNext();
  }

  status(): IWriteOrderStatus {
    let waiting = 0;
    for (const queue of this.waiting.values()) {
      waiting += queue.length;
    }
    return {
      maxInFlight: this.limit,
      waiting,
      abandoned: this.abandoned,
      refused: this.refused,
      writeMs: this.writeMs()
    };
  }

  /**
   * How long full batches have been seen to wait: the last one started, or
   * the oldest still waiting if longer. A batch is refused only when this
   * too is long, so that an estimate from a few slow writes (a cluster
   * just started) refuses nothing while the queue in fact moves.
   */
  waitedMs(): number {
    let waited = this.lastWaitMs;
    const now = this.now();
    for (const queue of this.waiting.values()) {
      waited = Math.max(waited, now - queue[0].queuedAt);
    }
    return waited;
  }

  /**
   * How long a new full batch of `user` would wait for its turn: the full
   * batches written before it (in flight, then each user's in turn, up to
   * as many as this user has waiting plus one), a round of `limit` per
   * write time. Null while too few write times are known.
   */
  expectedWaitMs(user: string): number | null {
    const writeMs = this.writeMs();
    if (writeMs === null) {
      return null;
    }
    const own = this.waiting.get(user)?.length ?? 0;
    let before = this.largeInFlight;
    for (const queue of this.waiting.values()) {
      before += Math.min(queue.length, own + 1);
    }
    return Math.floor(before / this.limit) * writeMs;
  }

  /**
   * Runs `write` for `user` in its turn (`items`: the batch's documents and
   * points). Aborting `signal` while it waits drops it (rejected with a
   * StoreUnavailableError); once started, it is written.
   */
  run<T>(
    user: string,
    items: number,
    write: () => Promise<T>,
    signal?: AbortSignal
  ): Promise<T> {
    if (items <= this.smallItems) {
      return write();
    }
    const expected = this.expectedWaitMs(user);
    if (
      expected !== null &&
      expected > this.maxWaitMs &&
      this.waitedMs() > this.maxWaitMs / 2
    ) {
      this.refused += 1;
      // Come back when what is ahead should take about half the limit.
      const retryAfterMs = Math.max(1000, expected - this.maxWaitMs / 2);
      return Promise.reject(
        new StoreUnavailableError(
          `the cluster is behind: ${user}'s batch would wait about ${Math.max(1, Math.round(expected / 1000))} s for its turn; send it again in ${Math.ceil(retryAfterMs / 1000)} s`,
          503,
          retryAfterMs
        )
      );
    }
    return new Promise<T>((resolve, reject) => {
      const entry: IWaiting = {
        queuedAt: this.now(),
        start: () => {
          signal?.removeEventListener('abort', drop);
          this.largeInFlight += 1;
          const started = this.now();
          this.lastWaitMs = started - entry.queuedAt;
          write()
            .then(resolve, reject)
            .finally(() => {
              this.noteWriteTime(this.now() - started);
              this.largeInFlight -= 1;
              this.startNext();
            });
        }
      };
      const abandon = (): void => {
        this.abandoned += 1;
        reject(
          new StoreUnavailableError(
            `${user}'s service closed the request before its batch's turn came; it sends the batch again`
          )
        );
      };
      const drop = (): void => {
        const queue = this.waiting.get(user) ?? [];
        const index = queue.indexOf(entry);
        if (index >= 0) {
          queue.splice(index, 1);
          if (queue.length === 0) {
            this.waiting.delete(user);
          }
          abandon();
        }
      };
      if (signal?.aborted) {
        abandon();
        return;
      }
      signal?.addEventListener('abort', drop, { once: true });
      const queue = this.waiting.get(user);
      if (queue) {
        queue.push(entry);
      } else {
        this.waiting.set(user, [entry]);
      }
      this.startNext();
    });
  }

  private noteWriteTime(ms: number): void {
    this.writeTimes.push(ms);
    if (this.writeTimes.length > WRITE_TIMES_KEPT) {
      this.writeTimes.shift();
    }
  }

  private writeMs(): number | null {
    if (this.writeTimes.length < WRITE_TIMES_NEEDED) {
      return null;
    }
    const sorted = [...this.writeTimes].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return Math.round(
      sorted.length % 2 === 1
        ? sorted[middle]
        : (sorted[middle - 1] + sorted[middle]) / 2
    );
  }

  private startNext(): void {
    while (this.largeInFlight < this.limit) {
      const next = this.waiting.entries().next();
      if (next.done) {
        return;
      }
      const [user, queue] = next.value;
      const first = queue.shift() as IWaiting;
      // The user goes to the end of the turn, or leaves it with nothing waiting.
      this.waiting.delete(user);
      if (queue.length > 0) {
        this.waiting.set(user, queue);
      }
      first.start();
    }
  }
}

function checkedLimit(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `full batches written at once must be a whole number of at least 1, not ${value}`
    );
  }
  return value;
}
