import type { Client, estypes } from '@elastic/elasticsearch';

import {
  buildClaims,
  EsRunOwners,
  parseClaims,
  runOwnersIndex
} from '../../src/store/es-owners';
import { StoreQueryError, StoreUnavailableError } from '../../src/store/store';

describe('run ownership requests', () => {
  it('creates one claim per run id, never overwriting one', () => {
    expect(
      buildClaims(runOwnersIndex('tflog-'), 'alice', ['r1', 'r2'], 'T')
    ).toEqual({
      index: 'tflog-run-owners',
      refresh: false,
      operations: [
        { create: { _id: 'r1' } },
        { user: 'alice', claimed: 'T' },
        { create: { _id: 'r2' } },
        { user: 'alice', claimed: 'T' }
      ]
    });
  });

  it('tells new claims from run ids someone claimed before, and failures', () => {
    const response = {
      errors: true,
      took: 1,
      items: [
        { create: { _index: 'i', _id: 'r1', status: 201 } },
        { create: { _index: 'i', _id: 'r2', status: 409 } },
        { create: { _index: 'i', _id: 'r3', status: 503 } }
      ]
    } as estypes.BulkResponse;
    expect(parseClaims(['r1', 'r2', 'r3'], response)).toEqual({
      created: ['r1'],
      taken: ['r2'],
      failed: ['r3'],
      failure: { status: 503, error: undefined }
    });
  });
});

describe('EsRunOwners', () => {
  /** Owners over a client whose bulk answers each claim with `status`. */
  function ownersAnswering(status: number, type: string): EsRunOwners {
    const client = {
      indices: { exists: async () => true },
      bulk: async (request: estypes.BulkRequest) => ({
        errors: true,
        took: 1,
        items: (request.operations ?? [])
          .filter((_, at) => at % 2 === 0)
          .map(() => ({
            create: {
              _index: 'tflog-run-owners',
              status,
              error: { type, reason: 'refused' }
            }
          }))
      })
    } as unknown as Client;
    return new EsRunOwners(client, 'tflog-run-owners', 'http://es:9200');
  }

  it('maps a claim refused as busy or unauthorised to "retry later", not an internal error', async () => {
    const busy = ownersAnswering(429, 'es_rejected_execution_exception');
    const refusal = busy.claimRuns('alice', ['r1', 'r2']);
    await expect(refusal).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refusal).rejects.toThrow(
      /claiming run ids \(2 failed, first: r1\): Elasticsearch is busy or failing \(429 es_rejected_execution_exception: refused\)/
    );
    const forbidden = ownersAnswering(403, 'security_exception');
    await expect(forbidden.claimRuns('alice', ['r1'])).rejects.toThrow(
      /not authorized \(403 security_exception: refused\); the user or API key needs the privileges listed in docs\/storage.md/
    );
    const wrong = ownersAnswering(400, 'mapper_parsing_exception');
    await expect(wrong.claimRuns('alice', ['r1'])).rejects.toBeInstanceOf(
      StoreQueryError
    );
  });
});
