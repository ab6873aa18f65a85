/**
 * Run ownership on a hub, kept in Elasticsearch: one claim document per
 * run id in `<prefix>run-owners`, written with `create`, so of two users
 * sending the same run id only the first one's claim is stored (the other
 * gets 409 and reads the owner). The requests are pure functions.
 */
import type { Client, estypes } from '@elastic/elasticsearch';

import {
  isAlreadyThere,
  mapElasticsearchError,
  mapSearchFailure
} from './es-errors';
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

export interface IClaims {
  /** Claims created: this user's runs now. */
  created: string[];
  /** Claimed before (409). */
  taken: string[];
  failed: string[];
  /** Why the first of `failed` failed. */
  failure?: { status: number; error: estypes.ErrorCause | undefined };
}

export function parseClaims(
  runIds: string[],
  response: estypes.BulkResponse
): IClaims {
  const claims: IClaims = { created: [], taken: [], failed: [] };
  response.items.forEach((item, index) => {
    const status = item.create?.status ?? 0;
    const runId = runIds[index];
    if (status >= 200 && status < 300) {
      claims.created.push(runId);
    } else if (status === 409) {
      claims.taken.push(runId);
    } else {
      claims.failed.push(runId);
      claims.failure ??= { status, error: item.create?.error };
    }
  });
  return claims;
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
      if (claims.failure) {
        throw mapSearchFailure(
          claims.failure.status,
          claims.failure.error,
          `claiming run ids (${claims.failed.length} failed, first: ${claims.failed[0]})`
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
        if (!isAlreadyThere(error)) {
          throw error;
        }
      }
    }
    this.indexReady = true;
  }
}
