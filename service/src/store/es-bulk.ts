/**
 * Bulk requests on the write path (events, points, run and curve
 * summaries), with the body encoded here: each action and source is
 * stringified once, straight into one buffer (common/lineBytes.ts). The
 * client's `bulk()` joins the lines into one string, measures it and
 * encodes it again, about a sixth of the service's CPU when it ships as
 * fast as it can (docs/benchmarks.md, ingest).
 */
import type { Client, estypes } from '@elastic/elasticsearch';

import { ndjson } from '../common/lineBytes';

export function bulkWrite(
  client: Client,
  operations: readonly unknown[],
  filterPath: string | readonly string[]
): Promise<estypes.BulkResponse> {
  return client.transport.request<estypes.BulkResponse>({
    method: 'POST',
    path: '/_bulk',
    querystring: { filter_path: filterPath },
    bulkBody: ndjson(operations),
    meta: { name: 'bulk' }
  });
}

/** What `GET _nodes/thread_pool` is asked for: each node's roles and write pool. */
export const WRITE_POOL_FIELDS = [
  'nodes.*.roles',
  'nodes.*.thread_pool.write.size'
];

/**
 * The largest write thread pool of the cluster's data nodes: how many
 * bulk requests one node indexes at once. Null when no data node says.
 */
export function largestWritePool(
  response: estypes.NodesInfoResponseBase
): number | null {
  let largest: number | null = null;
  for (const node of Object.values(response.nodes ?? {})) {
    const size = node.thread_pool?.write?.size;
    const holdsData = (node.roles ?? []).some(role => role.startsWith('data'));
    if (holdsData && typeof size === 'number' && size > 0) {
      largest = Math.max(largest ?? 0, size);
    }
  }
  return largest;
}
