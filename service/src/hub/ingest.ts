/**
 * The hub service's write path: a user's service sends a batch; it is
 * checked, counted against the user's quotas, stamped with the user's
 * identity, stripped of items of runs another user owns, and stored in
 * its turn (write-queue.ts).
 */
import type { ILogger } from '../common/logger';
import { batchItemCount, type IStore, type IWriteResult } from '../store/store';
import {
  boundWriteTimes,
  readBatch,
  type IMovedItems,
  type IReadBatch,
  runIdsOf,
  stampUser,
  withoutForeignRuns,
  withoutStored
} from './batch';
import type { RunOwners } from './owners';
import type { UserQuotas } from './quota';
import { HubWriteQueue } from './write-queue';

export interface IHubIngestOptions {
  store: IStore;
  owners: RunOwners;
  quotas: UserQuotas;
  logger: ILogger;
  now?: () => number;
  /** The order of the users' writes to the store (default: a queue with its defaults). */
  writes?: HubWriteQueue;
}

export class HubIngest {
  private readonly now: () => number;
  private readonly writes: HubWriteQueue;

  constructor(private readonly options: IHubIngestOptions) {
    this.now = options.now ?? Date.now;
    this.writes = options.writes ?? new HubWriteQueue();
  }

  /**
   * Stores what `user` sent (`bytes`: the body's size); per-item refusals
   * in the result. `signal`: the request closed (a batch still waiting for
   * its turn is then dropped).
   */
  async ingest(
    user: string,
    body: unknown,
    bytes: number,
    signal?: AbortSignal
  ): Promise<IWriteResult> {
    const { quotas } = this.options;
    const read = readBatch(body);
    const items = batchItemCount(read.batch);
    quotas.take(user, items, bytes);
    try {
      return await this.writeOwnItems(user, read, signal);
    } catch (error) {
      // The write failed as a whole: the sender sends it again, charged then.
      quotas.giveBack(user, items, bytes);
      throw error;
    }
  }

  /** Stamps, checks ownership and writes in turn what `user` sent. */
  private async writeOwnItems(
    user: string,
    read: IReadBatch,
    signal: AbortSignal | undefined
  ): Promise<IWriteResult> {
    const { store, owners, quotas, logger } = this.options;
    const batch = read.batch;
    stampUser(batch, user);
    const moved = boundWriteTimes(batch, this.now());
    const runOwners = await owners.claim(user, runIdsOf(batch));
    const own = withoutForeignRuns(
      batch,
      runId => runOwners.get(runId) === user
    );
    if (own.rejected.length > 0) {
      quotas.countForeign(user, own.rejected.length);
      logger.warn(
        `refused ${own.rejected.length} item(s) from ${user} for runs of other users (${[
          ...new Set(own.rejected.map(item => item.reason))
        ]
          .slice(0, 3)
          .join('; ')})`
      );
    }
    const stored = await this.storedElsewhere(moved);
    const fresh = withoutStored(own.batch, stored);
    const result = await this.writes.run(
      user,
      batchItemCount(fresh),
      () => store.write(fresh),
      signal
    );
    return {
      ...result,
      duplicates:
        result.duplicates + stored.documents.size + stored.points.size,
      rejected: [...read.rejected, ...own.rejected, ...result.rejected]
    };
  }

  /**
   * Of the items whose write time was moved to now, those already stored:
   * a replay of a record first stored on another day would land in today's
   * index, where its id is not known, and be stored twice. Rare (a backlog
   * older than two days, replayed), so one search is affordable.
   */
  private async storedElsewhere(
    moved: IMovedItems
  ): Promise<{ documents: Set<string>; points: Set<string> }> {
    const { store } = this.options;
    if (!store.storedIds) {
      return { documents: new Set(), points: new Set() };
    }
    return {
      documents: await store.storedIds('documents', moved.documents),
      points: await store.storedIds('points', moved.points)
    };
  }
}
