import type { estypes } from '@elastic/elasticsearch';

import { largestWritePool } from '../../src/store/es-bulk';

/** `GET _nodes/thread_pool` as filtered: roles and the write pool's size. */
function nodes(
  entries: { roles?: string[]; size?: number }[]
): estypes.NodesInfoResponseBase {
  return {
    nodes: Object.fromEntries(
      entries.map((entry, index) => [
        `node-${index}`,
        {
          roles: entry.roles,
          thread_pool:
            entry.size === undefined
              ? undefined
              : { write: { type: 'fixed', size: entry.size } }
        }
      ])
    )
  } as unknown as estypes.NodesInfoResponseBase;
}

describe('largestWritePool', () => {
  it('is the largest write pool of the data nodes', () => {
    expect(
      largestWritePool(
        nodes([
          { roles: ['data_hot', 'ingest'], size: 8 },
          { roles: ['data_content'], size: 4 },
          // A master-only node writes no documents.
          { roles: ['master'], size: 32 }
        ])
      )
    ).toBe(8);
  });

  it('is null when no data node says', () => {
    expect(largestWritePool(nodes([{ roles: ['master'], size: 2 }]))).toBe(
      null
    );
    expect(largestWritePool(nodes([{ roles: ['data'] }]))).toBe(null);
    expect(largestWritePool(nodes([{ size: 2 }]))).toBe(null);
    expect(
      largestWritePool({} as unknown as estypes.NodesInfoResponseBase)
    ).toBe(null);
  });
});
