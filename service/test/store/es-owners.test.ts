import type { estypes } from '@elastic/elasticsearch';

import {
  buildClaims,
  parseClaims,
  runOwnersIndex
} from '../../src/store/es-owners';

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
      failed: ['r3']
    });
  });
});
