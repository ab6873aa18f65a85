/**
 * Pieces of Elasticsearch requests and answers that the run, log, series
 * and cross-run queries build and read alike.
 */
import type { estypes } from '@elastic/elasticsearch';

/** A filter for `from` (inclusive) to `to` (exclusive) on a date field; none when both are open. */
export function dateRangeFilter(
  field: string,
  from: string | undefined,
  to: string | undefined
): estypes.QueryDslQueryContainer | undefined {
  if (from === undefined && to === undefined) {
    return undefined;
  }
  const range: estypes.QueryDslDateRangeQuery = {};
  if (from !== undefined) {
    range.gte = from;
  }
  if (to !== undefined) {
    range.lt = to;
  }
  return { range: { [field]: range } };
}

export function totalHits(response: estypes.SearchResponse<unknown>): number {
  const total = response.hits.total;
  if (total === undefined) {
    return 0;
  }
  return typeof total === 'number' ? total : total.value;
}

/** A hit's sort values as a cursor holds them: numbers and strings. */
export function sortValues(sort: estypes.SortResults): (string | number)[] {
  return sort.map(value =>
    typeof value === 'number' || typeof value === 'string'
      ? value
      : String(value)
  );
}
