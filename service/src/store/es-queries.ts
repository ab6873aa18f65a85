/**
 * Request bodies for Elasticsearch and the readers of its answers, as pure
 * functions (no client here): bulk plans, run lists, series, logs. They
 * share the query semantics of the embedded store through series-common,
 * run-text and cursor.
 */
import type { estypes } from '@elastic/elasticsearch';

import type { IMetricPoint, IRunSummary, ITflogDocument } from '../types';
import { decodeCursor, encodeCursor } from './cursor';
import { dateRangeFilter, sortValues, totalHits } from './es-common';
import {
  MAX_CLOCK_SKEW_MS,
  dayName,
  routedIndex,
  type IIndexNames
} from './es-mappings';
import { logWindow } from './log-window';
import {
  absentValue,
  decodeRunSortCursor,
  encodeRunSortCursor,
  hparamMatch,
  MAX_SORTED_METRICS,
  METRIC_FIELDS,
  runDurationMs
} from './run-sort';

const DAY_MS = 86_400_000;
import { containsWildcard, runSearchTexts } from './run-text';
import {
  afterValue,
  AXIS_FIELD,
  axisValue,
  type IBucketGrid,
  type ISeriesKey,
  toSeriesPoint,
  xRange
} from './series-common';
import type {
  ILogPage,
  ILogQuery,
  IRunPage,
  IRunQuery,
  IRunSort,
  ISeriesPoint,
  ISeriesQuery,
  IWriteBatch,
  IWriteItemRef,
  IWriteResult,
  SeriesScope
} from './store';

type QueryClause = estypes.QueryDslQueryContainer;

// ---------------------------------------------------------------- writing

export interface IBulkPlan {
  operations: NonNullable<estypes.BulkRequest['operations']>;
  /** The item each bulk response entry answers, in order. */
  items: IWriteItemRef[];
  /**
   * Per item: it goes to a daily index of a day older than the ILM warm
   * phase's age, which the phase's force merge made read-only for good.
   */
  settled?: boolean[];
}

/**
 * Events and points are `create`d into the daily index of their write time
 * (routedIndex; 409 = stored before); summaries are `index`ed with external
 * versioning (version = last spool seq), so an older summary never
 * replaces a newer. `nowMs` is the service's clock, which bounds routing;
 * `readOnlyDays` the age after which ILM makes daily indices read-only (the
 * warm phase; 0: never).
 */
export function buildBulkPlan(
  batch: IWriteBatch,
  prefix: string,
  names: IIndexNames,
  nowMs: number = Date.now(),
  readOnlyDays = 0
): IBulkPlan {
  const operations: IBulkPlan['operations'] = [];
  const items: IWriteItemRef[] = [];
  const settled: boolean[] = [];
  const settledBefore =
    readOnlyDays > 0 ? dayName(nowMs - readOnlyDays * DAY_MS) : '';
  const logsBefore = `${prefix}logs-${settledBefore}`;
  const metricsBefore = `${prefix}metrics-${settledBefore}`;
  for (const document of batch.documents) {
    const index = routedIndex(
      prefix,
      'logs',
      document.event.created,
      document['@timestamp'],
      nowMs
    );
    operations.push(
      { create: { _index: index, _id: document._id } },
      toStoredEvent(document)
    );
    items.push({ kind: 'document', id: document._id });
    settled.push(settledBefore !== '' && index < logsBefore);
  }
  for (const point of batch.points) {
    const { _id: id, ...source } = point;
    const index = routedIndex(
      prefix,
      'metrics',
      point.created,
      point['@timestamp'],
      nowMs
    );
    operations.push({ create: { _index: index, _id: id } }, source);
    items.push({ kind: 'point', id });
    settled.push(settledBefore !== '' && index < metricsBefore);
  }
  for (const summary of batch.runs) {
    const version = batch.runVersions?.[summary.run_id];
    const action: estypes.BulkIndexOperation = {
      _index: names.runs,
      _id: summary.run_id
    };
    if (version !== undefined) {
      action.version = version;
      action.version_type = 'external';
    }
    operations.push({ index: action }, toStoredRun(summary));
    items.push({ kind: 'run', id: summary.run_id });
    settled.push(false);
  }
  return { operations, items, settled };
}

/**
 * Item errors that say the document itself can never be stored in this
 * index (its fields do not fit the mapping). Every other refusal (429, 5xx,
 * a write block, a missing or closed index, the shard limit, errors this
 * list does not know) is retried: the admin can lift it, and setting the
 * item aside would lose it.
 */
const DOCUMENT_ERRORS: ReadonlySet<string> = new Set([
  'mapper_parsing_exception',
  'document_parsing_exception',
  'strict_dynamic_mapping_exception',
  'illegal_argument_exception'
]);

function refusedForGood(error: estypes.ErrorCause | undefined): boolean {
  return error !== undefined && DOCUMENT_ERRORS.has(error.type);
}

/**
 * A write block (`index.blocks.write`, as ILM's warm phase sets with its
 * force merge). On the index of a day past the warm phase's age it stays
 * for good; on other indices, like the disk watermark's
 * `read_only_allow_delete`, it is lifted in time and retried instead.
 */
export function isWriteBlocked(error: estypes.ErrorCause | undefined): boolean {
  return (
    error !== undefined &&
    error.type === 'cluster_block_exception' &&
    /index write \(api\)|index\.blocks\.write/.test(error.reason ?? '')
  );
}

/** The answer to the bulk request's `index`-th action, whatever its kind. */
export function bulkItemAt(
  response: estypes.BulkResponse,
  index: number
): estypes.BulkResponseItem | undefined {
  const entry = response.items[index];
  return entry ? Object.values(entry)[0] : undefined;
}

/** Sorts each bulk item into created, duplicate, retry-later or rejected. */
export function interpretBulkResponse(
  plan: IBulkPlan,
  response: estypes.BulkResponse
): IWriteResult {
  const result: IWriteResult = { created: 0, duplicates: 0, rejected: [] };
  const retry: NonNullable<IWriteResult['retry']> = [];
  response.items.forEach((_, index) => {
    const item = bulkItemAt(response, index);
    const ref = plan.items[index];
    if (item === undefined || ref === undefined) {
      return;
    }
    if (item.status >= 200 && item.status < 300) {
      result.created += 1;
    } else if (item.status === 409) {
      result.duplicates += 1;
    } else if (plan.settled?.[index] === true && isWriteBlocked(item.error)) {
      result.rejected.push({
        id: ref.id,
        kind: ref.kind,
        reason: `${item.status} ${describeCause(item.error)}: the daily index of its write time is read-only (ILM warm phase, TFLOG_ILM_WARM_DAYS)`
      });
    } else if (!refusedForGood(item.error)) {
      retry.push({
        ...ref,
        reason: describeCause(item.error),
        statusCode: item.status
      });
    } else {
      result.rejected.push({
        id: ref.id,
        kind: ref.kind,
        reason: `${item.status} ${describeCause(item.error)}`
      });
    }
  });
  if (response.items.length < plan.items.length) {
    // Every item must be answered; anything unanswered is sent again.
    for (const ref of plan.items.slice(response.items.length)) {
      retry.push({ ...ref, reason: 'no answer in the bulk response' });
    }
  }
  if (retry.length > 0) {
    result.retry = retry;
  }
  return result;
}

/** `type: reason (caused by: …)` of an Elasticsearch error cause. */
export function describeCause(cause: estypes.ErrorCause | undefined): string {
  if (!cause) {
    return 'no reason given';
  }
  let text = `${cause.type}: ${cause.reason ?? ''}`.trim();
  if (cause.caused_by) {
    text += ` (caused by ${describeCause(cause.caused_by)})`;
  }
  return text;
}

/**
 * Position of an event among those of one spool record: ids are
 * `<run>:<seq>` for the first and `<run>:<seq>:<i>` for more (formats.md).
 */
export function eventPart(document: ITflogDocument): number {
  return partOfEvent(document._id, document);
}

function partOfEvent(
  id: string,
  { tflog, event }: Pick<ITflogDocument, 'tflog' | 'event'>
): number {
  if (tflog.part !== undefined) {
    return tflog.part;
  }
  const base = `${tflog.run_id}:${event.sequence}`;
  if (id.startsWith(base + ':')) {
    const part = Number(id.slice(base.length + 1));
    return Number.isSafeInteger(part) && part >= 0 ? part : 0;
  }
  return 0;
}

export function toStoredEvent(document: ITflogDocument): object {
  // One shallow copy of the document and of its tflog fields (a bulk
  // request serializes a million of these per million lines).
  const { _id: id, ...source } = document;
  source.tflog = { ...source.tflog, part: partOfEvent(id, source) };
  return source;
}

export function fromStoredEvent(
  id: string,
  source: Record<string, unknown>
): ITflogDocument {
  const stored = source as unknown as Omit<ITflogDocument, '_id'> & {
    tflog: ITflogDocument['tflog'] & { part?: number };
  };
  const tflog: ITflogDocument['tflog'] & { part?: number } = {
    ...stored.tflog
  };
  delete tflog.part;
  return { _id: id, ...stored, tflog };
}

/** A metric's sortable values, one nested document per metric. */
interface IMetricSortEntry {
  name: string;
  last?: number;
  min?: number;
  max?: number;
}

/** Fields kept beside a stored summary for searching and sorting only. */
const STORED_ONLY_FIELDS = ['search_text', 'duration_ms', 'metric_sort'];

export function toStoredRun(summary: IRunSummary): object {
  const stored: Record<string, unknown> = {
    ...summary,
    search_text: runSearchTexts(summary),
    metric_sort: metricSortEntries(summary)
  };
  const duration = runDurationMs(summary);
  if (duration !== undefined) {
    stored.duration_ms = duration;
  }
  return stored;
}

export function fromStoredRun(source: Record<string, unknown>): IRunSummary {
  const summary = { ...source };
  for (const field of STORED_ONLY_FIELDS) {
    delete summary[field];
  }
  return summary as unknown as IRunSummary;
}

/**
 * The finite last, lowest and highest value of each metric as numbers:
 * `last_metrics` and its kin are flattened fields, which compare as text
 * (`10` before `9`).
 */
function metricSortEntries(summary: IRunSummary): IMetricSortEntry[] {
  const entries = new Map<string, IMetricSortEntry>();
  for (const [kind, field] of Object.entries(METRIC_FIELDS)) {
    for (const [name, value] of Object.entries(summary[field] ?? {})) {
      if (typeof value === 'number' && Number.isFinite(value)) {
        const entry = entries.get(name) ?? { name };
        entry[kind as keyof typeof METRIC_FIELDS] = value;
        entries.set(name, entry);
      }
    }
  }
  return [...entries.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, MAX_SORTED_METRICS);
}

// ---------------------------------------------------------------- runs

/**
 * Which of `ids` any daily index of `pattern` holds: ids only, every match
 * (an id is stored at most once per index, so twice as many hits at most).
 */
export function buildStoredIdsSearch(
  pattern: string,
  ids: string[]
): estypes.SearchRequest {
  return {
    index: pattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { ids: { values: ids } },
    _source: false,
    size: Math.min(10_000, ids.length * 2),
    track_total_hits: false
  };
}

export function buildRunSearch(
  query: IRunQuery,
  names: IIndexNames
): estypes.SearchRequest {
  const filter: QueryClause[] = [];
  if (query.user !== undefined) {
    filter.push({ term: { user: query.user } });
  }
  if (query.notebooks !== undefined) {
    filter.push({ terms: { notebook: query.notebooks } });
  }
  if (query.status && query.status.length > 0) {
    filter.push({ terms: { status: query.status } });
  }
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    filter.push({ term: { [`tags.${key}`]: value } });
  }
  for (const [key, value] of Object.entries(query.hparams ?? {})) {
    // A flattened field holds every value as its text, numbers as stored.
    filter.push({ terms: { [`hparams.${key}`]: hparamMatch(value).texts } });
  }
  const timeRange = dateRangeFilter('started', query.from, query.to);
  if (timeRange !== undefined) {
    filter.push(timeRange);
  }
  if (query.text !== undefined && query.text !== '') {
    filter.push({
      wildcard: {
        search_text: {
          value: containsWildcard(query.text),
          case_insensitive: true
        }
      }
    });
  }
  const request: estypes.SearchRequest = {
    index: names.runs,
    ignore_unavailable: true,
    allow_no_indices: true,
    // One more than asked: tells whether there is a next page.
    size: query.size + 1,
    track_total_hits: true,
    query: { bool: { filter } },
    sort: [{ started: { order: 'desc' } }, { run_id: { order: 'asc' } }],
    _source: { excludes: STORED_ONLY_FIELDS }
  };
  if (query.sort !== undefined) {
    const sorted = sortedRunSearch(query.sort);
    // A bool query of should clauses alone would require one to match.
    request.query = {
      bool: {
        filter: filter.length > 0 ? filter : [{ match_all: {} }],
        should: [{ constant_score: { filter: sorted.present, boost: 1 } }]
      }
    };
    request.sort = sorted.sort;
    if (query.after !== undefined) {
      const position = decodeRunSortCursor(query.sort, query.after);
      request.search_after = [position.present, position.value, position.runId];
    }
  } else if (query.after !== undefined) {
    request.search_after = decodeCursor(query.after, ['number', 'string']);
  }
  return request;
}

/**
 * A sorted run list: the score (1 for a run with the value, from a should
 * clause; 0 without) first, so runs without the value come last in either
 * order, then the value (absentValue for those without, which keeps every
 * sort value a plain number or string for search_after), then the run id.
 */
function sortedRunSearch(sort: IRunSort): {
  present: QueryClause;
  sort: estypes.SortCombinations[];
} {
  const key = sort.key;
  const missing = absentValue(key);
  let present: QueryClause;
  let valueSort: estypes.SortCombinations;
  if ('metric' in key) {
    const field = `metric_sort.${key.by}`;
    const ofMetric: QueryClause = { term: { 'metric_sort.name': key.metric } };
    present = {
      nested: {
        path: 'metric_sort',
        query: { bool: { filter: [ofMetric, { exists: { field } }] } },
        ignore_unmapped: true
      }
    };
    valueSort = {
      [field]: {
        order: sort.order,
        missing,
        nested: { path: 'metric_sort', filter: ofMetric }
      }
    };
  } else {
    const [field, unmappedType] = RUN_SORT_FIELDS[key.by];
    present = { exists: { field } };
    valueSort = {
      [field]: { order: sort.order, missing, unmapped_type: unmappedType }
    };
  }
  return {
    present,
    sort: [
      { _score: { order: 'desc' } },
      valueSort,
      { run_id: { order: 'asc' } }
    ]
  };
}

/** The stored field of each sort by a summary field, and its type. */
const RUN_SORT_FIELDS: Record<
  'started' | 'duration' | 'updated' | 'name' | 'health',
  [string, estypes.MappingFieldType]
> = {
  started: ['started', 'date'],
  duration: ['duration_ms', 'long'],
  updated: ['updated', 'date'],
  name: ['name', 'keyword'],
  health: ['health.score', 'integer']
};

export function parseRunPage(
  response: estypes.SearchResponse<Record<string, unknown>>,
  query: IRunQuery
): IRunPage {
  const hits = response.hits.hits;
  const shown = hits.slice(0, query.size);
  const page: IRunPage = {
    runs: shown.map(hit => fromStoredRun(hit._source ?? {})),
    total: totalHits(response)
  };
  const last = shown[shown.length - 1];
  if (hits.length > query.size && last?.sort) {
    const values = sortValues(last.sort);
    page.next =
      query.sort === undefined
        ? encodeCursor(values)
        : encodeRunSortCursor(query.sort, {
            present: values[0] === 0 ? 0 : 1,
            value: values[1],
            runId: String(values[2])
          });
  }
  return page;
}

// ---------------------------------------------------------------- logs

/** Level, kind and word conditions of a log query, on run or across runs. */
export function logConditions(query: {
  levels?: string[];
  kinds?: string[];
  text?: string;
}): { filter: QueryClause[]; must: QueryClause[] } {
  const filter: QueryClause[] = [];
  if (query.levels && query.levels.length > 0) {
    filter.push({
      terms: { 'log.level': query.levels.map(level => level.toLowerCase()) }
    });
  }
  if (query.kinds && query.kinds.length > 0) {
    filter.push({ terms: { 'tflog.kind': query.kinds } });
  }
  const must: QueryClause[] = [];
  if (query.text !== undefined && query.text.trim() !== '') {
    must.push({ match: { message: { query: query.text, operator: 'and' } } });
  }
  return { filter, must };
}

export function buildLogSearch(
  query: ILogQuery,
  names: IIndexNames
): estypes.SearchRequest {
  const conditions = logConditions(query);
  const filter: QueryClause[] = [
    { term: { 'tflog.run_id': query.runId } },
    ...conditions.filter
  ];
  const must = conditions.must;
  const request: estypes.SearchRequest = {
    index: names.logsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: query.size + 1,
    track_total_hits: true,
    query: { bool: { filter, must } },
    sort: [
      { 'event.sequence': { order: query.order } },
      { 'tflog.part': { order: query.order, unmapped_type: 'integer' } }
    ]
  };
  if (query.after !== undefined) {
    request.search_after = decodeCursor(query.after, ['number', 'number']);
  }
  return request;
}

/**
 * One side of the lines around `query.at`: those before it, nearest first
 * (`size` of them), or those from it, oldest first (one more, which tells
 * whether more follow). logWindow picks the window from both.
 */
export function buildLogsAroundSearch(
  query: ILogQuery & { at: string },
  side: 'before' | 'from',
  names: IIndexNames
): estypes.SearchRequest {
  const conditions = logConditions(query);
  const order = side === 'before' ? 'desc' : 'asc';
  return {
    index: names.logsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: side === 'before' ? query.size : query.size + 1,
    track_total_hits: true,
    query: {
      bool: {
        filter: [
          { term: { 'tflog.run_id': query.runId } },
          ...conditions.filter,
          {
            range: {
              '@timestamp':
                side === 'before' ? { lt: query.at } : { gte: query.at }
            }
          }
        ],
        must: conditions.must
      }
    },
    sort: [
      { '@timestamp': { order } },
      { 'event.sequence': { order } },
      { 'tflog.part': { order, unmapped_type: 'integer' } }
    ]
  };
}

/** The window of lines around a time from both sides' answers. */
export function parseLogsAround(
  before: estypes.SearchResponse<Record<string, unknown>>,
  from: estypes.SearchResponse<Record<string, unknown>>,
  query: ILogQuery
): ILogPage {
  const lines = (response: estypes.SearchResponse<Record<string, unknown>>) =>
    response.hits.hits.map(hit =>
      fromStoredEvent(hit._id ?? '', hit._source ?? {})
    );
  const window = logWindow(lines(before), lines(from), query.size);
  const page: ILogPage = {
    lines: window.lines,
    total: totalHits(before) + totalHits(from)
  };
  const last = window.lines[window.lines.length - 1];
  if (window.more && last !== undefined) {
    page.next = encodeCursor([last.event.sequence, eventPart(last)]);
  }
  return page;
}

/**
 * A page of the lines of a search that asked for one hit more than `size`:
 * that extra hit tells there is a next page, whose cursor `cursorValues`
 * makes of the last shown line's sort values.
 */
export function logPageOf(
  response: estypes.SearchResponse<Record<string, unknown>>,
  size: number,
  cursorValues: (sort: estypes.SortResults) => (string | number)[]
): ILogPage {
  const hits = response.hits.hits;
  const shown = hits.slice(0, size);
  const page: ILogPage = {
    lines: shown.map(hit => fromStoredEvent(hit._id ?? '', hit._source ?? {})),
    total: totalHits(response)
  };
  const last = shown[shown.length - 1];
  if (hits.length > size && last?.sort) {
    page.next = encodeCursor(cursorValues(last.sort));
  }
  return page;
}

export function parseLogPage(
  response: estypes.SearchResponse<Record<string, unknown>>,
  query: ILogQuery
): ILogPage {
  return logPageOf(response, query.size, sortValues);
}

// ---------------------------------------------------------------- series

/** What the inventory says about one series before its points are read. */
export interface ISeriesInventoryEntry extends ISeriesKey {
  count: number;
  minX: number;
  maxX: number;
}

const POINT_SOURCE_FIELDS = [
  '@timestamp',
  'value',
  'nonfinite',
  'step',
  'epoch'
];

/** The filter every series request shares: run, names, scope, axis, after. */
export function seriesFilter(query: ISeriesQuery): QueryClause[] {
  const field = AXIS_FIELD[query.axis];
  const filter: QueryClause[] = [
    { term: { run_id: query.runId } },
    { exists: { field } }
  ];
  if (query.names && query.names.length > 0) {
    filter.push({ terms: { name: query.names } });
  }
  if (query.scope !== undefined) {
    filter.push({ term: { scope: query.scope } });
  }
  const after = afterValue(query);
  if (after !== undefined) {
    filter.push({
      range: {
        [field]:
          query.axis === 'time'
            ? { gt: after, format: 'epoch_millis' }
            : { gt: after }
      }
    });
  }
  const range = xRange(query);
  if (range !== undefined) {
    // The series' inventory then has the range's x extent: thinning draws
    // its grid over the zoomed range only.
    const bounds: estypes.QueryDslNumberRangeQuery = {};
    if (range.from !== undefined) {
      bounds.gte = range.from;
    }
    if (range.to !== undefined) {
      bounds.lte = range.to;
    }
    filter.push({
      range: {
        [field]:
          query.axis === 'time' ? { ...bounds, format: 'epoch_millis' } : bounds
      }
    });
  }
  return filter;
}

/** The times of a run that bound where its points can lie. */
export type RunTimes = Pick<
  IRunSummary,
  'started' | 'updated' | 'ended' | 'status'
>;

/**
 * Where a run's points lie in time: from its start to its last update (open
 * while it runs), widened by MAX_CLOCK_SKEW_MS for the clocks that wrote
 * them. A point is matched by its write time (`created`, which picked its
 * daily index) or, in indices older than that field, by `@timestamp`.
 * With `pre_filter_shard_size: 1` Elasticsearch skips every daily index
 * whose times lie outside, instead of searching all of them.
 * Undefined when the run's times cannot be read: then nothing is skipped.
 */
export function runTimeFilter(run: RunTimes): QueryClause | undefined {
  const started = Date.parse(run.started);
  const last = Math.max(
    Date.parse(run.updated),
    run.ended === null ? Number.NEGATIVE_INFINITY : Date.parse(run.ended)
  );
  if (Number.isNaN(started) || Number.isNaN(last)) {
    return undefined;
  }
  const bounds: estypes.QueryDslDateRangeQuery = {
    gte: String(started - MAX_CLOCK_SKEW_MS),
    format: 'epoch_millis'
  };
  if (run.status !== 'running') {
    bounds.lte = String(last + MAX_CLOCK_SKEW_MS);
  }
  return {
    bool: {
      should: [
        { range: { created: bounds } },
        { range: { '@timestamp': bounds } }
      ],
      minimum_should_match: 1
    }
  };
}

/** The series filter, limited to the run's times when they are known. */
function seriesSearchFilter(
  query: ISeriesQuery,
  run: RunTimes | undefined
): QueryClause[] {
  const within = run === undefined ? undefined : runTimeFilter(run);
  return within === undefined
    ? seriesFilter(query)
    : [...seriesFilter(query), within];
}

/** Search options of the series requests: skip indices outside the run's times. */
const SKIP_UNMATCHED_SHARDS = { pre_filter_shard_size: 1 };

function seriesKeyFilter(
  query: ISeriesQuery,
  key: ISeriesKey,
  run: RunTimes | undefined
): QueryClause {
  return {
    bool: {
      filter: [
        ...seriesSearchFilter(query, run),
        { term: { name: key.name } },
        { term: { scope: key.scope } },
        { term: { source: key.source } }
      ]
    }
  };
}

type CompositeSource = Record<
  string,
  estypes.AggregationsCompositeAggregationSource
>;

/** The series keys, in the order a composite aggregation pages them. */
const SERIES_KEY_SOURCES: CompositeSource[] = [
  { name: { terms: { field: 'name' } } },
  { scope: { terms: { field: 'scope' } } },
  { source: { terms: { field: 'source' } } }
];

/**
 * One page of series (name × scope × source, after any leading keys such as
 * the run) of the points `filter` selects, with counts and x range.
 */
export function seriesInventorySearch(
  axis: ISeriesQuery['axis'],
  filter: QueryClause[],
  names: IIndexNames,
  page: {
    size: number;
    leadingSources?: CompositeSource[];
    afterKey?: Record<string, string>;
  }
): estypes.SearchRequest {
  const field = AXIS_FIELD[axis];
  const composite: estypes.AggregationsCompositeAggregation = {
    size: page.size,
    sources: [...(page.leadingSources ?? []), ...SERIES_KEY_SOURCES]
  };
  if (page.afterKey) {
    composite.after = page.afterKey;
  }
  return {
    index: names.metricsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    ...SKIP_UNMATCHED_SHARDS,
    size: 0,
    query: { bool: { filter } },
    aggs: {
      series: {
        composite,
        aggs: { min_x: { min: { field } }, max_x: { max: { field } } }
      }
    }
  };
}

/** One series of an inventory page, with the keys it was grouped by. */
export interface IInventoryEntryOf {
  key: Record<string, string>;
  entry: ISeriesInventoryEntry;
}

/** The series of an inventory page (those with points on the axis) and where the next starts. */
export function parseInventoryPage(
  response: estypes.SearchResponse<
    unknown,
    Record<string, estypes.AggregationsAggregate>
  >,
  pageSize: number
): { found: IInventoryEntryOf[]; afterKey?: Record<string, string> } {
  const aggregate = response.aggregations?.series as
    | { buckets: ICompositeBucket[]; after_key?: Record<string, string> }
    | undefined;
  const found: IInventoryEntryOf[] = [];
  for (const bucket of aggregate?.buckets ?? []) {
    const minX = bucket.min_x?.value;
    const maxX = bucket.max_x?.value;
    if (typeof minX !== 'number' || typeof maxX !== 'number') {
      continue;
    }
    found.push({
      key: bucket.key,
      entry: {
        name: bucket.key.name,
        // The index holds only what was written from typed points.
        scope: bucket.key.scope as SeriesScope,
        source: bucket.key.source,
        count: bucket.doc_count,
        minX,
        maxX
      }
    });
  }
  const page: {
    found: IInventoryEntryOf[];
    afterKey?: Record<string, string>;
  } = { found };
  // A page short of its size is the last: asking for the next one would
  // scan every point of the runs again for nothing.
  if (aggregate?.after_key && aggregate.buckets.length >= pageSize) {
    page.afterKey = aggregate.after_key;
  }
  return page;
}

/** Series listed per inventory page of one run. */
export const SERIES_INVENTORY_PAGE = 500;

/** Lists the series of a run (name × scope × source) with counts and x range. */
export function buildSeriesInventory(
  query: ISeriesQuery,
  names: IIndexNames,
  afterKey?: Record<string, string>,
  run?: RunTimes
): estypes.SearchRequest {
  return seriesInventorySearch(
    query.axis,
    seriesSearchFilter(query, run),
    names,
    { size: SERIES_INVENTORY_PAGE, afterKey }
  );
}

interface ICompositeBucket {
  key: Record<string, string>;
  doc_count: number;
  min_x?: { value: number | null };
  max_x?: { value: number | null };
}

export function parseSeriesInventory(
  response: estypes.SearchResponse<
    unknown,
    Record<string, estypes.AggregationsAggregate>
  >,
  pageSize = SERIES_INVENTORY_PAGE
): { entries: ISeriesInventoryEntry[]; afterKey?: Record<string, string> } {
  const { found, afterKey } = parseInventoryPage(response, pageSize);
  const entries = found.map(item => item.entry);
  return afterKey ? { entries, afterKey } : { entries };
}

/** Every point of one series, in x order (used when there are few enough). */
export function buildSeriesFetch(
  query: ISeriesQuery,
  key: ISeriesKey,
  size: number,
  names: IIndexNames,
  run?: RunTimes
): estypes.SearchRequest {
  const field = AXIS_FIELD[query.axis];
  return {
    index: names.metricsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    ...SKIP_UNMATCHED_SHARDS,
    size,
    query: seriesKeyFilter(query, key, run),
    sort: [{ [field]: { order: 'asc' } }, { '@timestamp': { order: 'asc' } }],
    _source: POINT_SOURCE_FIELDS
  };
}

export function parseSeriesFetch(
  response: estypes.SearchResponse<IMetricPoint>,
  query: ISeriesQuery
): ISeriesPoint[] {
  return pointsOfHits(response.hits.hits, query);
}

/**
 * Thinning done by Elasticsearch for long series: buckets on the same grid
 * as `downsample`, each keeping its lowest and highest finite value, its
 * last point and its first non-finite point.
 */
export function buildSeriesHistogram(
  query: ISeriesQuery,
  key: ISeriesKey,
  grid: IBucketGrid,
  names: IIndexNames,
  run?: RunTimes
): estypes.SearchRequest {
  const field = AXIS_FIELD[query.axis];
  const byX = (order: 'asc' | 'desc'): estypes.Sort => [
    { [field]: { order } },
    { '@timestamp': { order } }
  ];
  const topHit = (
    sort: estypes.Sort
  ): estypes.AggregationsAggregationContainer => ({
    top_hits: { size: 1, sort, _source: POINT_SOURCE_FIELDS }
  });
  const buckets: estypes.AggregationsAggregationContainer =
    query.axis === 'time'
      ? {
          date_histogram: {
            field,
            fixed_interval: `${grid.interval}ms`,
            offset: `+${grid.offset}ms`,
            min_doc_count: 1
          }
        }
      : {
          histogram: {
            field,
            interval: grid.interval,
            offset: grid.offset,
            min_doc_count: 1
          }
        };
  buckets.aggs = {
    finite: {
      filter: { exists: { field: 'value' } },
      aggs: {
        lowest: topHit([{ value: { order: 'asc' } }, ...asArray(byX('asc'))]),
        highest: topHit([{ value: { order: 'desc' } }, ...asArray(byX('asc'))])
      }
    },
    last: topHit(byX('desc')),
    nonfinite: {
      filter: { exists: { field: 'nonfinite' } },
      aggs: { first: topHit(byX('asc')) }
    }
  };
  return {
    index: names.metricsPattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    ...SKIP_UNMATCHED_SHARDS,
    size: 0,
    query: seriesKeyFilter(query, key, run),
    // The point where the curve starts, once (not the first of every bucket).
    aggs: { buckets, first: topHit(byX('asc')) }
  };
}

interface ITopHits {
  hits: { hits: estypes.SearchHit<IMetricPoint>[] };
}

interface IHistogramBucket {
  finite?: { lowest?: ITopHits; highest?: ITopHits };
  last?: ITopHits;
  nonfinite?: { first?: ITopHits };
}

export function parseSeriesHistogram(
  response: estypes.SearchResponse<
    unknown,
    Record<string, estypes.AggregationsAggregate>
  >,
  query: ISeriesQuery
): ISeriesPoint[] {
  const aggregate = response.aggregations?.buckets as
    { buckets: IHistogramBucket[] } | undefined;
  const first = response.aggregations?.first as ITopHits | undefined;
  const hits = new Map<string, estypes.SearchHit<IMetricPoint>>();
  for (const hit of first?.hits.hits ?? []) {
    hits.set(hit._id ?? `${hits.size}`, hit);
  }
  for (const bucket of aggregate?.buckets ?? []) {
    for (const group of [
      bucket.finite?.lowest,
      bucket.finite?.highest,
      bucket.last,
      bucket.nonfinite?.first
    ]) {
      for (const hit of group?.hits.hits ?? []) {
        hits.set(hit._id ?? `${hits.size}`, hit);
      }
    }
  }
  return pointsOfHits([...hits.values()], query).sort(
    (a, b) => a.x - b.x || a.time.localeCompare(b.time)
  );
}

function pointsOfHits(
  hits: estypes.SearchHit<IMetricPoint>[],
  query: ISeriesQuery
): ISeriesPoint[] {
  const points: ISeriesPoint[] = [];
  for (const hit of hits) {
    const source = hit._source;
    if (!source) {
      continue;
    }
    const x = axisValue(source, query.axis);
    if (x !== undefined) {
      points.push(toSeriesPoint(source, x));
    }
  }
  return points;
}

// ---------------------------------------------------------------- shared

function asArray(sort: estypes.Sort): estypes.SortCombinations[] {
  return Array.isArray(sort) ? sort : [sort];
}
