/**
 * Writes the documents of stall alerts, which no spool record carries (a
 * stall is the absence of records), so nothing replays them: what the store
 * could not take now is kept and written again at the next check, and what
 * it refused for good is logged.
 */
import type { ILogger } from '../common/logger';
import type { IStore } from '../store/store';
import type { ITflogDocument } from '../types';

/** Alert documents kept for the next check at most; the oldest go first. */
export const MAX_PENDING_ALERTS = 1000;

export class StallAlertWriter {
  constructor(private readonly _logger: ILogger) {}

  /** Documents waiting for the next write. */
  get pending(): number {
    return this._pending.length;
  }

  /**
   * Writes `fresh` after those kept from before. Rejects when the store
   * failed as a whole (the documents are kept).
   */
  async write(store: IStore, fresh: ITflogDocument[]): Promise<void> {
    const documents = [...this._pending, ...fresh];
    this._pending = [];
    if (documents.length === 0) {
      return;
    }
    let result;
    try {
      result = await store.write({
        documents,
        points: [],
        runs: [],
        runVersions: {}
      });
    } catch (error) {
      this._keep(documents);
      throw error;
    }
    if (result.retry && result.retry.length > 0) {
      const again = new Set(result.retry.map(item => item.id));
      this._keep(documents.filter(document => again.has(document._id)));
      this._logger.warn(
        `alerts: ${again.size} stall alert(s) not stored now (${result.retry[0].reason}); trying again at the next check`
      );
    }
    for (const refused of result.rejected) {
      this._logger.error(
        `alerts: stall alert ${refused.id} refused by the store: ${refused.reason}`
      );
    }
  }

  private _keep(documents: ITflogDocument[]): void {
    const dropped = documents.length - MAX_PENDING_ALERTS;
    if (dropped > 0) {
      this._logger.error(
        `alerts: ${dropped} stall alert(s) dropped: more than ${MAX_PENDING_ALERTS} waiting for the store`
      );
    }
    this._pending = documents.slice(Math.max(0, dropped));
  }

  private _pending: ITflogDocument[] = [];
}
