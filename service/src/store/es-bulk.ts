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
