/**
 * The query side of the embedded store as pure functions over in-memory
 * documents, with the semantics of the Elasticsearch queries in
 * es-queries.ts: same filters, same sort orders, same cursors, same thinning.
 */
import type { IMetricPoint, IRunSummary, ITflogDocument } from '../types';
import { decodeCursor, encodeCursor, type CursorValue } from './cursor';
import { eventPart } from './es-queries';
import { messageMatchesText, runMatchesText } from './run-text';
import {
  afterValue,
  axisValue,
  compareSeriesKeys,
  downsample,
  type ISeriesKey,
  toSeriesPoint
} from './series-common';
import type {
  ILogPage,
  ILogQuery,
  IRunPage,
  IRunQuery,
  ISeries,
  ISeriesPoint,
  ISeriesQuery
} from './store';

export function runMatchesQuery(
  summary: IRunSummary,
  query: IRunQuery
): boolean {
  if (query.user !== undefined && summary.user !== query.user) {
    return false;
  }
  if (query.notebook !== undefined && summary.notebook !== query.notebook) {
    return false;
  }
  if (
    query.status &&
    query.status.length > 0 &&
    !query.status.includes(summary.status)
  ) {
    return false;
  }
  for (const [key, value] of Object.entries(query.tags ?? {})) {
    if (summary.tags?.[key] !== value) {
      return false;
    }
  }
  const started = Date.parse(summary.started);
  if (query.from !== undefined && !(started >= Date.parse(query.from))) {
    return false;
  }
  if (query.to !== undefined && !(started < Date.parse(query.to))) {
    return false;
  }
  if (
    query.text !== undefined &&
    query.text !== '' &&
    !runMatchesText(summary, query.text)
  ) {
    return false;
  }
  return true;
}

/**
 * One page of sorted items after a cursor, as Elasticsearch's search_after
 * pages them: the cursor holds the sort key of the last item shown.
 */
function pageAfter<T, K extends CursorValue[]>(
  sorted: readonly { item: T; key: K }[],
  query: { after?: string; size: number },
  keyTypes: readonly ('string' | 'number')[],
  compare: (a: K, b: K) => number
): { items: T[]; total: number; next?: string } {
  let start = 0;
  if (query.after !== undefined) {
    const after = decodeCursor(query.after, keyTypes) as K;
    start = sorted.findIndex(entry => compare(entry.key, after) > 0);
    start = start === -1 ? sorted.length : start;
  }
  const shown = sorted.slice(start, start + query.size);
  const page: { items: T[]; total: number; next?: string } = {
    items: shown.map(entry => entry.item),
    total: sorted.length
  };
  if (start + query.size < sorted.length && shown.length > 0) {
    page.next = encodeCursor(shown[shown.length - 1].key);
  }
  return page;
}

type RunSortKey = [number, string];

function runSortKey(summary: IRunSummary): RunSortKey {
  return [Date.parse(summary.started) || 0, summary.run_id];
}

/** Newest first, then by run id: Elasticsearch's [started desc, run_id asc]. */
function compareRunKeys(a: RunSortKey, b: RunSortKey): number {
  if (a[0] !== b[0]) {
    return b[0] - a[0];
  }
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

export function searchRunsIn(
  summaries: Iterable<IRunSummary>,
  query: IRunQuery
): IRunPage {
  const matching = [...summaries]
    .filter(summary => runMatchesQuery(summary, query))
    .map(summary => ({ item: summary, key: runSortKey(summary) }))
    .sort((a, b) => compareRunKeys(a.key, b.key));
  const page = pageAfter(matching, query, ['number', 'string'], compareRunKeys);
  const result: IRunPage = { runs: page.items, total: page.total };
  if (page.next !== undefined) {
    result.next = page.next;
  }
  return result;
}

type LogSortKey = [number, number];

function logSortKey(document: ITflogDocument): LogSortKey {
  return [document.event.sequence, eventPart(document)];
}

export function logsIn(
  documents: Iterable<ITflogDocument>,
  query: ILogQuery
): ILogPage {
  const levels = query.levels?.map(level => level.toLowerCase());
  const direction = query.order === 'desc' ? -1 : 1;
  const compare = (a: LogSortKey, b: LogSortKey): number =>
    direction * (a[0] - b[0] || a[1] - b[1]);
  const matching = [...documents]
    .filter(
      document =>
        document.tflog.run_id === query.runId &&
        (!levels ||
          levels.length === 0 ||
          levels.includes(document.log.level)) &&
        (!query.kinds ||
          query.kinds.length === 0 ||
          query.kinds.includes(document.tflog.kind)) &&
        (query.text === undefined ||
          messageMatchesText(document.message, query.text))
    )
    .map(document => ({ item: document, key: logSortKey(document) }))
    .sort((a, b) => compare(a.key, b.key));
  const page = pageAfter(matching, query, ['number', 'number'], compare);
  const result: ILogPage = { lines: page.items, total: page.total };
  if (page.next !== undefined) {
    result.next = page.next;
  }
  return result;
}

export function seriesIn(
  points: Iterable<IMetricPoint>,
  query: ISeriesQuery
): ISeries[] {
  const after = afterValue(query);
  const groups = new Map<string, { key: ISeriesKey; points: ISeriesPoint[] }>();
  for (const point of points) {
    if (
      point.run_id !== query.runId ||
      (query.names &&
        query.names.length > 0 &&
        !query.names.includes(point.name)) ||
      (query.scope !== undefined && point.scope !== query.scope)
    ) {
      continue;
    }
    const x = axisValue(point, query.axis);
    if (x === undefined || (after !== undefined && !(x > after))) {
      continue;
    }
    const key = { name: point.name, scope: point.scope, source: point.source };
    const id = JSON.stringify([key.name, key.scope, key.source]);
    let group = groups.get(id);
    if (!group) {
      group = { key, points: [] };
      groups.set(id, group);
    }
    group.points.push(toSeriesPoint(point, x));
  }
  return [...groups.values()]
    .map(group => {
      group.points.sort((a, b) => a.x - b.x || compareTimes(a.time, b.time));
      return { ...group.key, ...downsample(group.points, query.maxPoints) };
    })
    .sort(compareSeriesKeys);
}

function compareTimes(a: string, b: string): number {
  return Date.parse(a) - Date.parse(b);
}
