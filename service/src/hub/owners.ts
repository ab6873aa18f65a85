/**
 * Who owns a run id: the first user to send anything for it. Claims are
 * kept by the store (Elasticsearch creates a claim document per run id,
 * which only one writer can create), and remembered here once known, so a
 * busy shipper does not ask every batch.
 */

import type { IRunOwnerStore } from '../store/store';

export class RunOwners {
  private readonly known = new Map<string, string>();

  constructor(
    private readonly store: IRunOwnerStore,
    private readonly cacheSize = 100_000
  ) {}

  /** The owner of each run id, claiming the unclaimed ones for `user`. */
  async claim(user: string, runIds: string[]): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    const unknown: string[] = [];
    for (const runId of runIds) {
      const owner = this.known.get(runId);
      if (owner === undefined) {
        unknown.push(runId);
      } else {
        owners.set(runId, owner);
      }
    }
    if (unknown.length > 0) {
      const claimed = await this.store.claimRuns(user, unknown);
      if (this.known.size + claimed.size > this.cacheSize) {
        this.known.clear();
      }
      for (const [runId, owner] of claimed) {
        this.known.set(runId, owner);
        owners.set(runId, owner);
      }
    }
    return owners;
  }

  /** The owner when known here or to the store; null for an unclaimed run. */
  ownerOf(runId: string): string | undefined {
    return this.known.get(runId);
  }
}
