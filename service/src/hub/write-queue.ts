/**
 * The order in which users' batches reach Elasticsearch from the hub
 * service. Each user's service has a few batches in flight; sent straight
 * on, a hub's users together queue many bulk requests at the node, and a
 * live run's small batch waits behind all of them (measured: as long as a
 * full batch's write). So full batches go a few at a time, taken from the
 * users in turn, and small ones go at once: they wait only for the bulks
 * the node is already writing. A waiting batch whose sender gave up (its
 * request closed: the sender's time limit, or the service stopped) is
 * dropped unwritten: the sender sends it again from its spool.
 */
import { StoreUnavailableError } from '../store/store';

/** Full batches written at once until the cluster's write threads are known. */
export const DEFAULT_LARGE_IN_FLIGHT = 2;
/** A batch of at most this many documents and points (a live run's latest lines) never waits. */
export const SMALL_BATCH_ITEMS = 100;

interface IWaiting {
  start: () => void;
}

/** What the hub's `/status` tells of the write order (`hub.writes`). */
export interface IWriteOrderStatus {
  maxInFlight: number;
  waiting: number;
  /** Batches dropped since the start because their sender gave up waiting. */
  abandoned: number;
}

export class HubWriteQueue {
  private limit: number;
  private largeInFlight = 0;
  private abandoned = 0;
  /** Each user's waiting writes, oldest first; the map's order is the turn. */
  private readonly waiting = new Map<string, IWaiting[]>();

  constructor(
    maxLargeInFlight = DEFAULT_LARGE_IN_FLIGHT,
    private readonly smallItems = SMALL_BATCH_ITEMS
  ) {
    this.limit = checkedLimit(maxLargeInFlight);
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
      abandoned: this.abandoned
    };
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
    return new Promise<T>((resolve, reject) => {
      const entry: IWaiting = {
        start: () => {
          signal?.removeEventListener('abort', drop);
          this.largeInFlight += 1;
          write()
            .then(resolve, reject)
            .finally(() => {
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
