/**
 * Run ownership on a hub, kept in Elasticsearch: one claim document per
 * run id in `<prefix>run-owners`, written with `create`, so of two users
 * sending the same run id only the first one's claim is stored (the other
 * gets 409 and reads the owner). The requests are pure functions.
 */
import type { Client, estypes } from '@elastic/elasticsearch';

import { mapElasticsearchError } from './es-errors';
import type { IRunOwnerStore } from './store';

export function runOwnersIndex(prefix: string): string {
  return `${prefix}run-owners`;
}

export const RUN_OWNERS_MAPPINGS: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    user: { type: 'keyword' },
    claimed: { type: 'date' }
  }
};

/** Bulk `create` of one claim per run id. */
export function buildClaims(
  index: string,
  user: string,
  runIds: string[],
  now: string
): estypes.BulkRequest {
  return {
    index,
    refresh: false,
    operations: runIds.flatMap(runId => [
      { create: { _id: runId } },
      { user, claimed: now }
    ])
  };
}

/** Run ids whose claim was created (this user's now) and those claimed before (409). */
export function parseClaims(
  runIds: string[],
  response: estypes.BulkResponse
): { created: string[]; taken: string[]; failed: string[] } {
  const created: string[] = [];
  const taken: string[] = [];
  const failed: string[] = [];
  response.items.forEach((item, index) => {
    const status = item.create?.status ?? 0;
    const runId = runIds[index];
    if (status >= 200 && status < 300) {
      created.push(runId);
    } else if (status === 409) {
      taken.push(runId);
    } else {
      failed.push(runId);
    }
  });
  return { created, taken, failed };
}

export class EsRunOwners implements IRunOwnerStore {
  private indexReady = false;

  constructor(
    private readonly client: Client,
    private readonly index: string,
    private readonly location: string
  ) {}

  async claimRuns(
    user: string,
    runIds: string[]
  ): Promise<Map<string, string>> {
    const owners = new Map<string, string>();
    if (runIds.length === 0) {
      return owners;
    }
    try {
      await this.ensureIndex();
      const response = await this.client.bulk(
        buildClaims(this.index, user, runIds, new Date().toISOString())
      );
      const claims = parseClaims(runIds, response);
      if (claims.failed.length > 0) {
        throw new Error(
          `claiming run ids failed for ${claims.failed.length} of them (first: ${claims.failed[0]})`
        );
      }
      for (const runId of claims.created) {
        owners.set(runId, user);
      }
      if (claims.taken.length > 0) {
        const found = await this.client.mget<{ user: string }>({
          index: this.index,
          ids: claims.taken
        });
        for (const doc of found.docs) {
          const source = 'found' in doc && doc.found ? doc._source : undefined;
          if (source?.user) {
            owners.set(doc._id, source.user);
          }
        }
      }
    } catch (error) {
      throw mapElasticsearchError(error, 'claiming run ids', this.location);
    }
    return owners;
  }

  private async ensureIndex(): Promise<void> {
    if (this.indexReady) {
      return;
    }
    const exists = await this.client.indices.exists({ index: this.index });
    if (!exists) {
      try {
        await this.client.indices.create({
          index: this.index,
          mappings: RUN_OWNERS_MAPPINGS
        });
      } catch (error) {
        // Another hub service process created it first: fine.
        if (!JSON.stringify(error).includes('resource_already_exists')) {
          throw error;
        }
      }
    }
    this.indexReady = true;
  }
}
