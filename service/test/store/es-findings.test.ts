import type { estypes } from '@elastic/elasticsearch';

import { encodeCursor } from '../../src/store/cursor';
import { NO_STEP } from '../../src/store/embedded-schema';
import {
  buildErrorCountSearch,
  buildLogSearchAcross,
  buildNonfiniteSearch,
  buildProblemSearch,
  buildRunNames,
  buildThresholdSearch,
  parseErrorCountPage,
  parseLogSearchPage,
  parseNonfinitePage,
  parseProblemEvents,
  parseRunNames,
  parseThresholdPage,
  withRunNames,
  type IProblemSource
} from '../../src/store/es-findings';
import { indexNames } from '../../src/store/es-mappings';
import { PROBLEM_EVENTS_CAP, StoreQueryError } from '../../src/store/store';
import type { IMetricPoint, IRunSummary } from '../../src/types';

const names = indexNames('tflog-');

function filtersOf(request: estypes.SearchRequest): unknown[] {
  const filter = request.query?.bool?.filter;
  return Array.isArray(filter) ? filter : [];
}

function response<T>(
  hits: estypes.SearchHit<T>[],
  extra: Partial<estypes.SearchResponse<T>> = {}
): estypes.SearchResponse<T> {
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, failed: 0 },
    hits: { hits },
    ...extra
  };
}

const point: IMetricPoint = {
  _id: 'r1:3:loss',
  '@timestamp': '2026-01-31T10:03:00.000Z',
  run_id: 'r1',
  notebook: 'work/train.ipynb',
  user: 'alice',
  name: 'loss',
  value: 2.5,
  step: 3,
  epoch: 1,
  scope: 'epoch',
  source: 'callback'
};

describe('threshold search', () => {
  it('compares the points’ numeric value, for the user only, oldest first', () => {
    const request = buildThresholdSearch(
      {
        user: 'alice',
        metric: 'loss',
        bounds: { gt: 2, lte: 10 },
        from: '2026-01-31T00:00:00.000Z',
        to: '2026-02-01T00:00:00.000Z',
        runIds: ['r1', 'r2'],
        notebooks: ['work/train.ipynb'],
        scope: 'epoch',
        size: 10
      },
      names
    );
    expect(request.index).toBe('tflog-metrics-*');
    expect(request.size).toBe(11);
    expect(filtersOf(request)).toEqual([
      { term: { user: 'alice' } },
      {
        range: {
          '@timestamp': {
            gte: '2026-01-31T00:00:00.000Z',
            lt: '2026-02-01T00:00:00.000Z'
          }
        }
      },
      { terms: { notebook: ['work/train.ipynb'] } },
      { term: { name: 'loss' } },
      { range: { value: { gt: 2, lte: 10 } } },
      { terms: { run_id: ['r1', 'r2'] } },
      { term: { scope: 'epoch' } }
    ]);
    // Never the events' flattened metrics, which compare as strings.
    expect(JSON.stringify(request)).not.toContain('tflog.metrics');
    expect(request.sort).toEqual([
      { '@timestamp': { order: 'asc' } },
      { run_id: { order: 'asc' } },
      { step: { order: 'asc', missing: NO_STEP } },
      { scope: { order: 'asc' } },
      { source: { order: 'asc' } }
    ]);
    expect(request.search_after).toBeUndefined();
  });

  it('continues after a cursor, and refuses one of another query', () => {
    const after = encodeCursor([1769853780000, 'r1', 3, 'epoch', 'callback']);
    const query = {
      user: 'alice',
      metric: 'loss',
      bounds: { gt: 2 },
      size: 1,
      after
    };
    expect(buildThresholdSearch(query, names).search_after).toEqual([
      1769853780000,
      'r1',
      3,
      'epoch',
      'callback'
    ]);
    expect(() =>
      buildThresholdSearch({ ...query, after: encodeCursor(['r1']) }, names)
    ).toThrow(StoreQueryError);
  });

  it('reads a page: one hit more than asked means a next page', () => {
    const query = { user: 'alice', metric: 'loss', bounds: { gt: 2 }, size: 1 };
    const sort = [1769853780000, 'r1', 3, 'epoch', 'callback'];
    const page = parseThresholdPage(
      response<IMetricPoint>([
        { _index: 'i', _id: 'a', _source: point, sort },
        { _index: 'i', _id: 'b', _source: { ...point, step: undefined } }
      ]),
      query
    );
    expect(page).toEqual({
      points: [
        {
          run_id: 'r1',
          run_name: null,
          notebook: 'work/train.ipynb',
          metric: 'loss',
          scope: 'epoch',
          value: 2.5,
          step: 3,
          epoch: 1,
          time: '2026-01-31T10:03:00.000Z'
        }
      ],
      next: encodeCursor(sort)
    });
    const last = parseThresholdPage(
      response<IMetricPoint>([
        { _index: 'i', _id: 'b', _source: { ...point, step: undefined } }
      ]),
      query
    );
    expect(last.next).toBeUndefined();
    expect(last.points[0].step).toBeNull();
  });
});

describe('first non-finite value per run', () => {
  it('takes the earliest non-finite point of each run, runs newest first', () => {
    const request = buildNonfiniteSearch(
      { user: 'alice', metric: 'loss', size: 5, after: encodeCursor(['r9']) },
      names
    );
    expect(request.size).toBe(0);
    expect(filtersOf(request)).toEqual([
      { term: { user: 'alice' } },
      { exists: { field: 'nonfinite' } },
      { term: { name: 'loss' } }
    ]);
    const runs = request.aggs?.runs;
    expect(runs?.composite).toEqual({
      size: 6,
      sources: [{ run: { terms: { field: 'run_id', order: 'desc' } } }],
      after: { run: 'r9' }
    });
    expect(runs?.aggs?.first.top_hits?.size).toBe(1);
    expect(runs?.aggs?.first.top_hits?.sort).toEqual([
      { '@timestamp': { order: 'asc' } },
      { step: { order: 'asc', missing: NO_STEP } },
      { name: { order: 'asc' } },
      { scope: { order: 'asc' } },
      { source: { order: 'asc' } }
    ]);
  });

  it('reads the buckets; a cursor when there are more runs', () => {
    const bucket = (run: string) => ({
      key: { run },
      doc_count: 2,
      first: {
        hits: {
          hits: [
            {
              _index: 'i',
              _id: `${run}:1:loss`,
              _source: {
                ...point,
                run_id: run,
                value: undefined,
                nonfinite: 'NaN'
              }
            }
          ]
        }
      }
    });
    const page = parseNonfinitePage(
      response([], {
        aggregations: {
          runs: { buckets: [bucket('r2'), bucket('r1')] }
        } as unknown as Record<string, estypes.AggregationsAggregate>
      }),
      { user: 'alice', size: 1 }
    );
    expect(page.runs).toEqual([
      {
        run_id: 'r2',
        run_name: null,
        notebook: 'work/train.ipynb',
        metric: 'loss',
        scope: 'epoch',
        value: 'NaN',
        step: 3,
        epoch: 1,
        time: '2026-01-31T10:03:00.000Z'
      }
    ]);
    expect(page.next).toBe(encodeCursor(['r2']));
  });
});

describe('run names', () => {
  it('reads names of the user’s runs only, and fills them in', () => {
    const request = buildRunNames(['r1', 'r2'], 'alice', names);
    expect(request.index).toBe('tflog-runs');
    expect(request.size).toBe(2);
    expect(filtersOf(request)).toEqual([
      { term: { user: 'alice' } },
      { terms: { run_id: ['r1', 'r2'] } }
    ]);
    const found = parseRunNames(
      response<Partial<IRunSummary>>([
        { _index: 'i', _id: 'r1', _source: { run_id: 'r1', name: 'mnist' } }
      ])
    );
    expect(
      withRunNames(
        [
          { run_id: 'r1', run_name: null },
          { run_id: 'r2', run_name: null }
        ],
        found
      )
    ).toEqual([
      { run_id: 'r1', run_name: 'mnist' },
      { run_id: 'r2', run_name: null }
    ]);
  });
});

describe('error counts', () => {
  it('lists runs with errors or warnings, most errors first', () => {
    const request = buildErrorCountSearch(
      {
        user: 'alice',
        notebooks: ['a.ipynb'],
        from: '2026-01-31T00:00:00.000Z',
        size: 2,
        after: encodeCursor([3, 1, 1769853780000, 'r1'])
      },
      names
    );
    expect(request.index).toBe('tflog-runs');
    expect(request.size).toBe(3);
    expect(filtersOf(request)).toEqual([
      { term: { user: 'alice' } },
      { terms: { notebook: ['a.ipynb'] } },
      { range: { started: { gte: '2026-01-31T00:00:00.000Z' } } },
      {
        bool: {
          should: [
            { range: { 'counts.errors': { gt: 0 } } },
            { range: { 'counts.warnings': { gt: 0 } } }
          ],
          minimum_should_match: 1
        }
      }
    ]);
    expect(request.sort).toEqual([
      { 'counts.errors': { order: 'desc', missing: 0 } },
      { 'counts.warnings': { order: 'desc', missing: 0 } },
      { started: { order: 'desc' } },
      { run_id: { order: 'asc' } }
    ]);
    expect(request.search_after).toEqual([3, 1, 1769853780000, 'r1']);
  });

  it('reads a page with its total', () => {
    const sort = [2, 0, 1769853780000, 'r1'];
    const hits: estypes.SearchHit<Partial<IRunSummary>>[] = [
      {
        _index: 'i',
        _id: 'r1',
        sort,
        _source: {
          run_id: 'r1',
          name: 'mnist',
          notebook: 'a.ipynb',
          status: 'failed',
          started: '2026-01-31T10:03:00.000Z',
          counts: { events: 9, errors: 2, warnings: 0, nan: 0 }
        }
      },
      { _index: 'i', _id: 'r2', _source: { run_id: 'r2' } }
    ];
    const page = parseErrorCountPage(
      response<Partial<IRunSummary>>([], {
        hits: { total: { value: 7, relation: 'eq' }, hits }
      }),
      { user: 'alice', size: 1 }
    );
    expect(page).toEqual({
      runs: [
        {
          run_id: 'r1',
          name: 'mnist',
          notebook: 'a.ipynb',
          status: 'failed',
          started: '2026-01-31T10:03:00.000Z',
          errors: 2,
          warnings: 0
        }
      ],
      total: 7,
      next: encodeCursor(sort)
    });
  });
});

describe('problem events', () => {
  it('reads the user’s warnings and errors of the logs, newest first, only the fields needed', () => {
    const request = buildProblemSearch(
      {
        user: 'alice',
        levels: ['warning', 'error'],
        from: '2026-01-31T00:00:00.000Z',
        to: '2026-02-01T00:00:00.000Z',
        notebooks: ['a.ipynb'],
        size: 10
      },
      names
    );
    expect(request.index).toBe(names.logsPattern);
    expect(filtersOf(request)).toEqual([
      { term: { 'user.name': 'alice' } },
      { terms: { 'log.level': ['warning', 'error', 'critical', 'fatal'] } },
      {
        range: {
          '@timestamp': {
            gte: '2026-01-31T00:00:00.000Z',
            lt: '2026-02-01T00:00:00.000Z'
          }
        }
      },
      { terms: { 'tflog.notebook': ['a.ipynb'] } }
    ]);
    expect(request.sort).toEqual([
      { '@timestamp': { order: 'desc' } },
      { 'event.sequence': { order: 'desc' } },
      { 'tflog.part': { order: 'desc', unmapped_type: 'integer' } }
    ]);
    expect(request.size).toBe(PROBLEM_EVENTS_CAP);
    expect(request.track_total_hits).toBe(PROBLEM_EVENTS_CAP + 1);
    expect(request._source).toEqual([
      '@timestamp',
      'message',
      'log.level',
      'tflog.run_id'
    ]);
    const errorsOnly = buildProblemSearch(
      { user: 'alice', levels: ['error'], size: 1 },
      names
    );
    expect(filtersOf(errorsOnly)).toEqual([
      { term: { 'user.name': 'alice' } },
      { terms: { 'log.level': ['error', 'critical', 'fatal'] } }
    ]);
  });

  it('reads the events; sampled when more matched than the cap', () => {
    const hits: estypes.SearchHit<IProblemSource>[] = [
      {
        _index: 'tflog-logs-2026.01.31',
        _id: 'r1:7',
        _source: {
          '@timestamp': '2026-01-31T10:00:00.000Z',
          message: 'Loss became NaN at step 7',
          log: { level: 'error' },
          tflog: { run_id: 'r1' }
        }
      }
    ];
    const event = {
      message: 'Loss became NaN at step 7',
      level: 'error',
      run_id: 'r1',
      time: '2026-01-31T10:00:00.000Z'
    };
    expect(
      parseProblemEvents(
        response(hits, {
          hits: { hits, total: { value: 1, relation: 'eq' } }
        })
      )
    ).toEqual({ events: [event], sampled: false });
    expect(
      parseProblemEvents(
        response(hits, {
          hits: {
            hits,
            total: { value: PROBLEM_EVENTS_CAP + 1, relation: 'gte' }
          }
        })
      )
    ).toEqual({ events: [event], sampled: true });
  });
});

describe('log search', () => {
  it('filters the user’s lines, newest first, ties by run', () => {
    const request = buildLogSearchAcross(
      {
        user: 'alice',
        levels: ['ERROR'],
        kinds: ['error'],
        text: 'out of memory',
        runIds: ['run-a'],
        notebooks: ['work/train.ipynb'],
        from: '2026-01-31T00:00:00.000Z',
        size: 2,
        after: encodeCursor([1000, 5, 1, 'run-a'])
      },
      names
    );
    expect(request).toMatchObject({
      index: 'tflog-logs-*',
      size: 3,
      // Counted as far as the embedded store counts (LOG_SEARCH_TOTAL_CAP).
      track_total_hits: 10_000,
      search_after: [1000, 5, 1, 'run-a']
    });
    expect(request.query?.bool?.filter).toEqual([
      { term: { 'user.name': 'alice' } },
      { terms: { 'log.level': ['error'] } },
      { terms: { 'tflog.kind': ['error'] } },
      { terms: { 'tflog.run_id': ['run-a'] } },
      { terms: { 'tflog.notebook': ['work/train.ipynb'] } },
      { range: { '@timestamp': { gte: '2026-01-31T00:00:00.000Z' } } }
    ]);
    expect(request.query?.bool?.must).toEqual([
      { match: { message: { query: 'out of memory', operator: 'and' } } }
    ]);
    expect(request.sort).toEqual([
      { '@timestamp': { order: 'desc' } },
      { 'event.sequence': { order: 'desc' } },
      { 'tflog.part': { order: 'desc', unmapped_type: 'integer' } },
      {
        'tflog.run_id.sort': {
          order: 'asc',
          missing: '',
          unmapped_type: 'keyword'
        }
      }
    ]);
    expect(() =>
      buildLogSearchAcross(
        { user: 'alice', size: 2, after: encodeCursor([1, 2]) },
        names
      )
    ).toThrow(StoreQueryError);
  });

  it('pages with the sort values of the last line shown', () => {
    const hit = (id: string, runId: string) => ({
      _index: 'tflog-logs-2026.01.31',
      _id: id,
      _source: { tflog: { run_id: runId, part: 0 } },
      sort: [1000, 2, 0, runId]
    });
    const response: estypes.SearchResponse<Record<string, unknown>> = {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: {
        total: { value: 9, relation: 'eq' },
        hits: [hit('a:2', 'a'), hit('b:2', 'b')]
      }
    };
    const page = parseLogSearchPage(response, { user: 'alice', size: 1 });
    expect(page.lines.map(line => line._id)).toEqual(['a:2']);
    expect(page.total).toBe(9);
    expect(page.next).toBe(encodeCursor([1000, 2, 0, 'a']));
  });
});
