/**
 * Queries across runs on Elasticsearch, as pure functions: metric points
 * past a threshold, each run's first non-finite value and runs by their
 * error counts. They compare the metric point documents' `value` (a
 * double), never the `flattened` metrics of events, which compare as
 * strings. The embedded store answers the same (embedded-findings.ts), with
 * the same orders and cursors.
 */
import type { estypes } from '@elastic/elasticsearch';

import type { IMetricPoint, IRunSummary, NonFinite } from '../types';
import type {
  IErrorCountPage,
  ILogPage,
  IMetricHit,
  IMetricHitPage,
  INonfinitePage,
  INonfiniteRun
} from '../wire';
import { decodeCursor, encodeCursor } from './cursor';
import { dateRangeFilter, sortValues, totalHits } from './es-common';
import { NO_STEP } from './embedded-schema';
import type { IIndexNames } from './es-mappings';
import { buildRunSearch, logConditions, logPageOf } from './es-queries';
import type { ITemplateInput } from './problem-templates';
import {
  LOG_SEARCH_TOTAL_CAP,
  PROBLEM_EVENTS_CAP,
  storedLevels,
  type IErrorCountQuery,
  type ILogSearchQuery,
  type INonfiniteQuery,
  type IProblemQuery,
  type IThresholdQuery,
  type SeriesScope
} from './store';

type QueryClause = estypes.QueryDslQueryContainer;

/** A point's step in sort order: points without one sort first. */
const STEP_SORT: estypes.SortCombinations = {
  step: { order: 'asc', missing: NO_STEP }
};

const POINT_FIELDS = [
  '@timestamp',
  'run_id',
  'notebook',
  'name',
  'scope',
  'value',
  'nonfinite',
  'step',
  'epoch'
];

function pointFilter(query: {
  user: string;
  from?: string;
  to?: string;
  notebooks?: string[];
}): QueryClause[] {
  const filter: QueryClause[] = [{ term: { user: query.user } }];
  const timeRange = dateRangeFilter('@timestamp', query.from, query.to);
  if (timeRange !== undefined) {
    filter.push(timeRange);
  }
  if (query.notebooks !== undefined) {
    filter.push({ terms: { notebook: query.notebooks } });
  }
  return filter;
}

// ---------------------------------------------------------------- thresholds

/**
 * Points of one metric whose value passes every bound, oldest first (then
 * by run id, step, scope, source). Non-finite values have no `value`, so
 * they never match a threshold.
 */
export function buildThresholdSearch(
  query: IThresholdQuery,
  names: IIndexNames
): estypes.SearchRequest {
  const filter = pointFilter(query);
  filter.push({ term: { name: query.metric } });
  filter.push({ range: { value: { ...query.bounds } } });
  if (query.runIds !== undefined) {
    filter.push({ terms: { run_id: query.runIds } });
  }
  if (query.scope !== undefined) {
    filter.push({ term: { scope: query.scope } });
  }
  const request: estypes.SearchRequest = {
    index: names.metricsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: query.size + 1,
    track_total_hits: false,
    query: { bool: { filter } },
    sort: [
      { '@timestamp': { order: 'asc' } },
      { run_id: { order: 'asc' } },
      STEP_SORT,
      { scope: { order: 'asc' } },
      { source: { order: 'asc' } }
    ],
    _source: POINT_FIELDS
  };
  if (query.after !== undefined) {
    request.search_after = decodeCursor(query.after, [
      'number',
      'string',
      'number',
      'string',
      'string'
    ]);
  }
  return request;
}

/** The page of points, run names still null (see withRunNames). */
export function parseThresholdPage(
  response: estypes.SearchResponse<IMetricPoint>,
  query: IThresholdQuery
): IMetricHitPage {
  const hits = response.hits.hits;
  const shown = hits.slice(0, query.size);
  const page: IMetricHitPage = { points: [] };
  for (const hit of shown) {
    const source = hit._source;
    if (source && typeof source.value === 'number') {
      page.points.push({
        ...pointPlace(source),
        value: source.value
      });
    }
  }
  const last = shown[shown.length - 1];
  if (hits.length > query.size && last?.sort) {
    page.next = encodeCursor(sortValues(last.sort));
  }
  return page;
}

function pointPlace(source: IMetricPoint): Omit<IMetricHit, 'value'> {
  return {
    run_id: source.run_id,
    run_name: null,
    notebook: source.notebook ?? null,
    metric: source.name,
    scope: source.scope as SeriesScope,
    step: typeof source.step === 'number' ? source.step : null,
    epoch: typeof source.epoch === 'number' ? source.epoch : null,
    time: source['@timestamp']
  };
}

// ---------------------------------------------------------------- non-finite

/**
 * Each run's first non-finite value (earliest time, then step, metric,
 * scope, source): runs by id, descending (run ids start with their start
 * time, so newest first), paged by run id.
 */
export function buildNonfiniteSearch(
  query: INonfiniteQuery,
  names: IIndexNames
): estypes.SearchRequest {
  const filter = pointFilter(query);
  filter.push({ exists: { field: 'nonfinite' } });
  if (query.metric !== undefined) {
    filter.push({ term: { name: query.metric } });
  }
  const composite: estypes.AggregationsCompositeAggregation = {
    size: query.size + 1,
    sources: [{ run: { terms: { field: 'run_id', order: 'desc' } } }]
  };
  if (query.after !== undefined) {
    const [runId] = decodeCursor(query.after, ['string']);
    composite.after = { run: runId };
  }
  return {
    index: names.metricsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: 0,
    track_total_hits: false,
    query: { bool: { filter } },
    aggs: {
      runs: {
        composite,
        aggs: {
          first: {
            top_hits: {
              size: 1,
              sort: [
                { '@timestamp': { order: 'asc' } },
                STEP_SORT,
                { name: { order: 'asc' } },
                { scope: { order: 'asc' } },
                { source: { order: 'asc' } }
              ],
              _source: POINT_FIELDS
            }
          }
        }
      }
    }
  };
}

interface INonfiniteBucket {
  key: { run: string };
  first?: { hits: { hits: estypes.SearchHit<IMetricPoint>[] } };
}

export function parseNonfinitePage(
  response: estypes.SearchResponse<unknown>,
  query: INonfiniteQuery
): INonfinitePage {
  const aggregation = response.aggregations?.runs as
    { buckets?: INonfiniteBucket[] } | undefined;
  const buckets = aggregation?.buckets ?? [];
  const shown = buckets.slice(0, query.size);
  const page: INonfinitePage = { runs: [] };
  for (const bucket of shown) {
    const source = bucket.first?.hits.hits[0]?._source;
    if (source?.nonfinite !== undefined) {
      const run: INonfiniteRun = {
        ...pointPlace(source),
        value: source.nonfinite as NonFinite
      };
      page.runs.push(run);
    }
  }
  const last = shown[shown.length - 1];
  if (buckets.length > query.size && last) {
    page.next = encodeCursor([last.key.run]);
  }
  return page;
}

// ---------------------------------------------------------------- names

/** The names of these runs of the user (at most as many as ids). */
export function buildRunNames(
  runIds: string[],
  user: string,
  names: IIndexNames
): estypes.SearchRequest {
  return {
    index: names.runs,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: runIds.length,
    track_total_hits: false,
    query: {
      bool: {
        filter: [{ term: { user } }, { terms: { run_id: runIds } }]
      }
    },
    _source: ['run_id', 'name']
  };
}

export function parseRunNames(
  response: estypes.SearchResponse<Partial<IRunSummary>>
): Map<string, string | null> {
  const found = new Map<string, string | null>();
  for (const hit of response.hits.hits) {
    const source = hit._source;
    if (typeof source?.run_id === 'string') {
      found.set(source.run_id, source.name ?? null);
    }
  }
  return found;
}

/** Fills in run names (null for a run without a stored summary). */
export function withRunNames<
  T extends { run_id: string; run_name: string | null }
>(items: T[], runNames: Map<string, string | null>): T[] {
  return items.map(item => ({
    ...item,
    run_name: runNames.get(item.run_id) ?? null
  }));
}

// ---------------------------------------------------------------- errors

/**
 * The user's runs with at least one error or warning record (the run
 * summaries' counts), filtered like a run list; most errors first, then
 * most warnings, newest, run id.
 */
export function buildErrorCountSearch(
  query: IErrorCountQuery,
  names: IIndexNames
): estypes.SearchRequest {
  const request = buildRunSearch(
    {
      user: query.user,
      notebooks: query.notebooks,
      from: query.from,
      to: query.to,
      size: query.size
    },
    names
  );
  const bool = request.query?.bool;
  const filter = Array.isArray(bool?.filter) ? bool.filter : [];
  filter.push({
    bool: {
      should: [
        { range: { 'counts.errors': { gt: 0 } } },
        { range: { 'counts.warnings': { gt: 0 } } }
      ],
      minimum_should_match: 1
    }
  });
  request.query = { bool: { filter } };
  request.sort = [
    { 'counts.errors': { order: 'desc', missing: 0 } },
    { 'counts.warnings': { order: 'desc', missing: 0 } },
    { started: { order: 'desc' } },
    { run_id: { order: 'asc' } }
  ];
  request._source = [
    'run_id',
    'name',
    'notebook',
    'status',
    'started',
    'counts'
  ];
  if (query.after !== undefined) {
    request.search_after = decodeCursor(query.after, [
      'number',
      'number',
      'number',
      'string'
    ]);
  } else {
    delete request.search_after;
  }
  return request;
}

export function parseErrorCountPage(
  response: estypes.SearchResponse<Partial<IRunSummary>>,
  query: IErrorCountQuery
): IErrorCountPage {
  const hits = response.hits.hits;
  const shown = hits.slice(0, query.size);
  const page: IErrorCountPage = {
    runs: shown.map(hit => {
      const source = hit._source ?? {};
      return {
        run_id: source.run_id ?? hit._id ?? '',
        name: source.name ?? null,
        notebook: source.notebook ?? null,
        status: source.status ?? 'running',
        started: source.started ?? '',
        errors: source.counts?.errors ?? 0,
        warnings: source.counts?.warnings ?? 0
      };
    }),
    total: totalHits(response)
  };
  const last = shown[shown.length - 1];
  if (hits.length > query.size && last?.sort) {
    page.next = encodeCursor(sortValues(last.sort));
  }
  return page;
}

// ---------------------------------------------------------------- problems

/** The fields of a log event that `GET /problems` reads. */
export interface IProblemSource {
  '@timestamp'?: string;
  message?: string;
  log?: { level?: string };
  tflog?: { run_id?: string };
}

/**
 * The user's newest events of these levels (PROBLEM_EVENTS_CAP at most;
 * the total counted one past it tells whether there were more): newest
 * first, then by record sequence and part, descending (run ids have no doc
 * values to sort on).
 */
export function buildProblemSearch(
  query: IProblemQuery,
  names: IIndexNames
): estypes.SearchRequest {
  const filter: QueryClause[] = [
    { term: { 'user.name': query.user } },
    { terms: { 'log.level': storedLevels(query.levels) } }
  ];
  const timeRange = dateRangeFilter('@timestamp', query.from, query.to);
  if (timeRange !== undefined) {
    filter.push(timeRange);
  }
  if (query.notebooks !== undefined) {
    filter.push({ terms: { 'tflog.notebook': query.notebooks } });
  }
  return {
    index: names.logsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: PROBLEM_EVENTS_CAP,
    track_total_hits: PROBLEM_EVENTS_CAP + 1,
    query: { bool: { filter } },
    sort: [
      { '@timestamp': { order: 'desc' } },
      { 'event.sequence': { order: 'desc' } },
      { 'tflog.part': { order: 'desc', unmapped_type: 'integer' } }
    ],
    _source: ['@timestamp', 'message', 'log.level', 'tflog.run_id']
  };
}

export function parseProblemEvents(
  response: estypes.SearchResponse<IProblemSource>
): { events: ITemplateInput[]; sampled: boolean } {
  const events: ITemplateInput[] = [];
  for (const hit of response.hits.hits) {
    const source = hit._source;
    if (source === undefined) {
      continue;
    }
    events.push({
      message: source.message ?? '',
      level: source.log?.level ?? '',
      run_id: source.tflog?.run_id ?? '',
      time: source['@timestamp'] ?? ''
    });
  }
  return { events, sampled: totalHits(response) > PROBLEM_EVENTS_CAP };
}

/** Sorts a log search by (newest first, record order, run id). */
const LOG_SEARCH_SORT: estypes.SortCombinations[] = [
  { '@timestamp': { order: 'desc' } },
  { 'event.sequence': { order: 'desc' } },
  { 'tflog.part': { order: 'desc', unmapped_type: 'integer' } },
  // Lines of daily indices made before the sortable copy sort as run ''.
  {
    'tflog.run_id.sort': {
      order: 'asc',
      missing: '',
      unmapped_type: 'keyword'
    }
  }
];

/** Log lines across the user's runs (`GET /logs`), newest first. */
export function buildLogSearchAcross(
  query: ILogSearchQuery,
  names: IIndexNames
): estypes.SearchRequest {
  const conditions = logConditions(query);
  const filter: QueryClause[] = [
    { term: { 'user.name': query.user } },
    ...conditions.filter
  ];
  if (query.runIds !== undefined) {
    filter.push({ terms: { 'tflog.run_id': query.runIds } });
  }
  if (query.notebooks !== undefined) {
    filter.push({ terms: { 'tflog.notebook': query.notebooks } });
  }
  const timeRange = dateRangeFilter('@timestamp', query.from, query.to);
  if (timeRange !== undefined) {
    filter.push(timeRange);
  }
  const request: estypes.SearchRequest = {
    index: names.logsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: query.size + 1,
    track_total_hits: LOG_SEARCH_TOTAL_CAP,
    query: { bool: { filter, must: conditions.must } },
    sort: LOG_SEARCH_SORT
  };
  if (query.after !== undefined) {
    request.search_after = decodeCursor(query.after, [
      'number',
      'number',
      'number',
      'string'
    ]);
  }
  return request;
}

export function parseLogSearchPage(
  response: estypes.SearchResponse<Record<string, unknown>>,
  query: ILogSearchQuery
): ILogPage {
  return logPageOf(response, query.size, ([time, sequence, part, runId]) => [
    Number(time),
    Number(sequence),
    Number(part),
    String(runId ?? '')
  ]);
}
