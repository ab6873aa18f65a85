/**
 * The Elasticsearch requests of a comparison (`GET /compare`) and the
 * readers of their answers, as pure functions: the runs' summaries in one
 * `mget`, every series of the runs listed in one search, and the one series
 * of the metric per run read from its stored curve summaries (one `mget`)
 * where they hold every point, else in one `msearch`, each search limited
 * to its run's times so the other days' indices are skipped. `readComparison`
 * strings them together; the store sends the requests.
 */
import type { estypes } from '@elastic/elasticsearch';

import type { IMetricPoint, IRunSummary } from '../types';
import type { ICompareResponse } from '../wire';
import {
  compareAnswer,
  ownedRuns,
  planComparison,
  type IComparePlan
} from './compare-common';
import type { IIndexNames } from './es-mappings';
import {
  buildRollupGet,
  exactSummaries,
  parseRollupGet,
  rollupIdsOfRange,
  type IRollupOnRecord,
  type IStoredRollup
} from './es-rollups';
import {
  buildSeriesFetch,
  buildSeriesHistogram,
  fromStoredRun,
  parseInventoryPage,
  parseSeriesFetch,
  parseSeriesHistogram,
  runTimeFilter,
  seriesInventorySearch,
  type ISeriesInventoryEntry
} from './es-queries';
import {
  AXIS_FIELD,
  BUCKET_UNITS,
  bucketCount,
  bucketGrid,
  downsample,
  type IBucketGrid
} from './series-common';
import {
  ES_ROLLUP_LEVELS,
  rollupLevel,
  thinFromSummaries,
  type IRollupLevel
} from './rollup';
import type { ICompareQuery, ISeries, ISeriesQuery } from './store';

type QueryClause = estypes.QueryDslQueryContainer;

/**
 * What the series' answers are read for: each search's error, and each
 * point's id and source, wherever it lies (hits or top hits). The rest
 * (index names, sort values, totals of every bucket) was more than half
 * of a 20-run answer's 5.6 MB.
 */
const COMPARE_SERIES_FIELDS = [
  'responses.error',
  'responses.status',
  'responses.**._id',
  'responses.**._source'
];

/** Series listed per inventory page (20 runs have far fewer). */
const INVENTORY_PAGE = 500;

/** The summaries of the runs, by id, in one request. */
export function buildCompareRuns(
  runIds: readonly string[],
  names: IIndexNames
): estypes.MgetRequest {
  return { index: names.runs, ids: [...runIds] };
}

export function parseCompareRuns(
  response: estypes.MgetResponse<Record<string, unknown>>
): IRunSummary[] {
  const found: IRunSummary[] = [];
  for (const doc of response.docs) {
    if ('found' in doc && doc.found && doc._source) {
      found.push(fromStoredRun(doc._source));
    }
  }
  return found;
}

/**
 * Where the runs' points lie: each run's id with its times, so that a
 * search skips the daily indices none of them wrote to.
 */
export function compareRunsFilter(runs: readonly IRunSummary[]): QueryClause {
  return {
    bool: {
      should: runs.map(run => {
        const within = runTimeFilter(run);
        const id: QueryClause = { term: { run_id: run.run_id } };
        return within === undefined ? id : { bool: { filter: [id, within] } };
      }),
      minimum_should_match: 1
    }
  };
}

/** Every series (run × name × scope × source) of the runs on the axis, with counts and x range. */
export function buildCompareInventory(
  query: Pick<ICompareQuery, 'axis'>,
  runs: readonly IRunSummary[],
  names: IIndexNames,
  afterKey?: Record<string, string>
): estypes.SearchRequest {
  return seriesInventorySearch(
    query.axis,
    [
      { terms: { run_id: runs.map(run => run.run_id) } },
      { exists: { field: AXIS_FIELD[query.axis] } },
      compareRunsFilter(runs)
    ],
    names,
    {
      size: INVENTORY_PAGE,
      leadingSources: [{ run_id: { terms: { field: 'run_id' } } }],
      afterKey
    }
  );
}

export interface ICompareInventoryPage {
  /** The series found, by run id. */
  byRun: Map<string, ISeriesInventoryEntry[]>;
  /** Where the next page starts; absent on the last. */
  afterKey?: Record<string, string>;
}

export function parseCompareInventory(
  response: estypes.SearchResponse<
    unknown,
    Record<string, estypes.AggregationsAggregate>
  >,
  pageSize = INVENTORY_PAGE
): ICompareInventoryPage {
  const { found, afterKey } = parseInventoryPage(response, pageSize);
  const byRun = new Map<string, ISeriesInventoryEntry[]>();
  for (const { key, entry } of found) {
    const entries = byRun.get(key.run_id) ?? [];
    entries.push(entry);
    byRun.set(key.run_id, entries);
  }
  return afterKey ? { byRun, afterKey } : { byRun };
}

/** One planned read: whose series, and whether Elasticsearch thins it. */
export interface ICompareRead {
  runId: string;
  entry: ISeriesInventoryEntry;
  thinnedByElasticsearch: boolean;
}

/**
 * One search per run that has the metric, in one `msearch`: a series of at
 * most `maxPoints` fetched whole, a longer one thinned by a histogram on
 * the grid `downsample` draws (the same points); each limited to its
 * run's times.
 */
export function buildCompareSeries(
  plan: IComparePlan<ISeriesInventoryEntry>,
  query: Pick<ICompareQuery, 'axis' | 'maxPoints'>,
  names: IIndexNames,
  alreadyRead: ReadonlySet<string> = new Set()
): { request: estypes.MsearchRequest; reads: ICompareRead[] } {
  const reads: ICompareRead[] = [];
  const searches: estypes.MsearchRequestItem[] = [];
  for (const planned of plan.runs) {
    if (
      planned.entry === null ||
      planned.run === null ||
      alreadyRead.has(planned.runId)
    ) {
      continue;
    }
    const entry = planned.entry;
    const seriesQuery = seriesQueryOf(planned.runId, query);
    const key = { name: entry.name, scope: entry.scope, source: entry.source };
    // Thinned where it lies: fetching a few thousand points of each of 20
    // runs to thin them here took twice as long as the histograms.
    const thinnedByElasticsearch = entry.count > query.maxPoints;
    const search = thinnedByElasticsearch
      ? buildSeriesHistogram(
          seriesQuery,
          key,
          compareGrid(entry, query),
          names,
          planned.run
        )
      : buildSeriesFetch(seriesQuery, key, entry.count, names, planned.run);
    searches.push(...msearchItems(search));
    reads.push({ runId: planned.runId, entry, thinnedByElasticsearch });
  }
  return {
    request: {
      searches,
      // Skip the daily indices outside each run's times (as `series` does).
      pre_filter_shard_size: 1,
      filter_path: COMPARE_SERIES_FIELDS
    },
    reads
  };
}

/** The grid a long series of the comparison is thinned on. */
function compareGrid(
  entry: ISeriesInventoryEntry,
  query: Pick<ICompareQuery, 'axis' | 'maxPoints'>
): IBucketGrid {
  return bucketGrid(
    entry.minX,
    entry.maxX,
    bucketCount(query.maxPoints),
    BUCKET_UNITS[query.axis]
  );
}

/** A long series that stored curve summaries may answer (es-rollups.ts). */
export interface IRollupRead {
  runId: string;
  entry: ISeriesInventoryEntry;
  grid: IBucketGrid;
  level: IRollupLevel;
  /** Its summary documents over the series' x range. */
  ids: string[];
}

/**
 * The series to be thinned whose grid is on a level summaries are kept
 * for, and the ids of their summary documents, for one `mget`.
 */
export function planRollupReads(
  plan: IComparePlan<ISeriesInventoryEntry>,
  query: Pick<ICompareQuery, 'axis' | 'maxPoints'>
): IRollupRead[] {
  const reads: IRollupRead[] = [];
  for (const planned of plan.runs) {
    const entry = planned.entry;
    if (entry === null || planned.run === null) {
      continue;
    }
    if (entry.count <= query.maxPoints) {
      continue;
    }
    const grid = compareGrid(entry, query);
    const level = rollupLevel(query.axis, grid.unit, ES_ROLLUP_LEVELS);
    if (!level) {
      continue;
    }
    const series = {
      run_id: planned.runId,
      name: entry.name,
      scope: entry.scope,
      source: entry.source
    };
    reads.push({
      runId: planned.runId,
      entry,
      grid,
      level,
      ids: rollupIdsOfRange(series, level, entry.minX, entry.maxX)
    });
  }
  return reads;
}

/**
 * The series the summaries answer exactly (they hold as many points as
 * the series has on the axis), by run id; the rest are read from points.
 */
export function seriesFromRollups(
  reads: readonly IRollupRead[],
  stored: ReadonlyMap<string, IRollupOnRecord>
): Map<string, ISeries> {
  const series = new Map<string, ISeries>();
  for (const read of reads) {
    const summaries = exactSummaries(
      read.ids.map(id => stored.get(id)?.rollup),
      read.entry.count
    );
    if (summaries === null) {
      continue;
    }
    const points = thinFromSummaries(summaries, read.level.unit, read.grid);
    if (points.length > 0) {
      series.set(read.runId, {
        name: read.entry.name,
        scope: read.entry.scope,
        source: read.entry.source,
        points,
        downsampled: true
      });
    }
  }
  return series;
}

/** A search request as the header and body of an `msearch` item. */
function msearchItems(
  request: estypes.SearchRequest
): [estypes.MsearchMultisearchHeader, estypes.MsearchMultisearchBody] {
  const { index, ignore_unavailable, allow_no_indices, ...rest } = request;
  const body: estypes.MsearchMultisearchBody = {
    query: rest.query,
    size: rest.size
  };
  if (rest.sort !== undefined) {
    body.sort = rest.sort;
  }
  if (rest._source !== undefined) {
    body._source = rest._source;
  }
  if (rest.aggs !== undefined) {
    body.aggs = rest.aggs;
  }
  return [{ index, ignore_unavailable, allow_no_indices }, body];
}

function seriesQueryOf(
  runId: string,
  query: Pick<ICompareQuery, 'axis' | 'maxPoints'>
): ISeriesQuery {
  return { runId, axis: query.axis, maxPoints: query.maxPoints };
}

/** A failed search of an `msearch`: its status and cause. */
export interface IMsearchFailure {
  status: number;
  error: estypes.ErrorCause;
}

/**
 * The series read, by run id, from the `msearch` answer (in the order of
 * `reads`); the first failed search is thrown by `fail`.
 */
export function parseCompareSeries(
  response: estypes.MsearchResponse<IMetricPoint>,
  reads: readonly ICompareRead[],
  query: Pick<ICompareQuery, 'axis' | 'maxPoints'>,
  fail: (failure: IMsearchFailure) => never
): Map<string, ISeries> {
  const series = new Map<string, ISeries>();
  reads.forEach((read, index) => {
    const item = response.responses[index];
    if (item === undefined || 'error' in item) {
      fail(
        item === undefined
          ? {
              status: 502,
              error: { type: 'missing_response', reason: 'no answer' }
            }
          : { status: item.status, error: item.error }
      );
    }
    const answer = item as estypes.MsearchMultiSearchItem<IMetricPoint>;
    const seriesQuery = seriesQueryOf(read.runId, query);
    const key = {
      name: read.entry.name,
      scope: read.entry.scope,
      source: read.entry.source
    };
    const points = read.thinnedByElasticsearch
      ? {
          points: parseSeriesHistogram(
            answer as Parameters<typeof parseSeriesHistogram>[0],
            seriesQuery
          ),
          downsampled: true
        }
      : downsample(
          parseSeriesFetch(answer, seriesQuery),
          query.maxPoints,
          query.axis
        );
    if (points.points.length > 0) {
      series.set(read.runId, { ...key, ...points });
    }
  });
  return series;
}

/** The requests of a comparison, sent by the store (errors mapped there). */
export interface ICompareRequests {
  mget(
    request: estypes.MgetRequest
  ): Promise<estypes.MgetResponse<Record<string, unknown>>>;
  search(
    request: estypes.SearchRequest
  ): Promise<
    estypes.SearchResponse<
      unknown,
      Record<string, estypes.AggregationsAggregate>
    >
  >;
  msearch(
    request: estypes.MsearchRequest
  ): Promise<estypes.MsearchResponse<IMetricPoint>>;
  /** Curve summaries by id (realtime); no documents when there is no index of them. */
  mgetRollups(
    request: estypes.MgetRequest
  ): Promise<estypes.MgetResponse<IStoredRollup>>;
}

/** Inventory pages read at most (500 series each). */
const MAX_INVENTORY_PAGES = 10;

/**
 * A comparison in three or four round trips: the summaries (another
 * user's run is dropped before anything of it is read), the runs' series,
 * the curve summaries of the long ones, then the metric's series of every
 * run the curve summaries did not answer, at once.
 */
export async function readComparison(
  query: ICompareQuery,
  names: IIndexNames,
  requests: ICompareRequests,
  fail: (failure: IMsearchFailure) => never
): Promise<ICompareResponse> {
  const owned = ownedRuns(
    parseCompareRuns(
      await requests.mget(buildCompareRuns(query.runIds, names))
    ),
    query.user
  );
  const runs = query.runIds.flatMap(runId => owned.get(runId) ?? []);
  const byRun = new Map<string, ISeriesInventoryEntry[]>();
  let afterKey: Record<string, string> | undefined;
  for (let page = 0; runs.length > 0 && page < MAX_INVENTORY_PAGES; page++) {
    const parsed = parseCompareInventory(
      await requests.search(buildCompareInventory(query, runs, names, afterKey))
    );
    for (const [runId, entries] of parsed.byRun) {
      byRun.set(runId, [...(byRun.get(runId) ?? []), ...entries]);
    }
    afterKey = parsed.afterKey;
    if (!afterKey) {
      break;
    }
  }
  const plan = planComparison(
    query.runIds,
    owned,
    byRun,
    query.metric,
    query.axis
  );
  const rollupReads = planRollupReads(plan, query);
  const summarized =
    rollupReads.length === 0
      ? new Map<string, ISeries>()
      : seriesFromRollups(
          rollupReads,
          parseRollupGet(
            await requests.mgetRollups(
              buildRollupGet(
                rollupReads.flatMap(read => read.ids),
                names.rollups
              )
            )
          )
        );
  const { request, reads } = buildCompareSeries(
    plan,
    query,
    names,
    new Set(summarized.keys())
  );
  const read =
    reads.length === 0
      ? new Map<string, ISeries>()
      : parseCompareSeries(await requests.msearch(request), reads, query, fail);
  return compareAnswer(plan, new Map([...summarized, ...read]));
}
