import type { estypes } from '@elastic/elasticsearch';

import { decodeCursor, encodeCursor } from '../../src/store/cursor';
import { indexNames } from '../../src/store/es-mappings';
import {
  buildBulkPlan,
  buildLogSearch,
  buildLogsAroundSearch,
  buildRunSearch,
  buildSeriesFetch,
  buildSeriesHistogram,
  buildSeriesInventory,
  buildStoredIdsSearch,
  eventPart,
  fromStoredEvent,
  fromStoredRun,
  interpretBulkResponse,
  isWriteBlocked,
  parseRunPage,
  parseSeriesHistogram,
  parseSeriesInventory,
  runTimeFilter,
  seriesFilter,
  toStoredEvent,
  toStoredRun
} from '../../src/store/es-queries';
import { StoreQueryError } from '../../src/store/store';
import { createParser, createRunState } from '../../src/parse';
import { emptySummary } from '../../src/ship/summary';
import type { IMetricPoint, SpoolRecord } from '../../src/types';
import {
  fakeParser,
  logRecord,
  metricsRecord,
  startRecord
} from '../ship/fakes';

const names = indexNames('tflog-');

function parsedBatch() {
  const state = fakeParser.newRunState('run-1');
  const parsed = [
    startRecord(),
    logRecord(1, 'hi'),
    metricsRecord(2, 0, { loss: 0.5 })
  ].map(record => fakeParser.parseRecord(record, state));
  return {
    documents: parsed.flatMap(item => item.documents),
    points: parsed.flatMap(item => item.points)
  };
}

describe('buildBulkPlan', () => {
  it('creates events and points in daily indices and indexes summaries with external versions', () => {
    const { documents, points } = parsedBatch();
    const summary = {
      ...emptySummary('run-1', '2025-11-28T20:16:59.470Z'),
      user: 'alice'
    };
    const plan = buildBulkPlan(
      { documents, points, runs: [summary], runVersions: { 'run-1': 2 } },
      'tflog-',
      names,
      // The fake parser's events carry no write time: @timestamp is used
      // when it is near the service's clock.
      Date.parse('2025-11-28T21:00:00.000Z')
    );
    expect(plan.items).toEqual([
      { kind: 'document', id: 'run-1:0' },
      { kind: 'document', id: 'run-1:1' },
      { kind: 'document', id: 'run-1:2' },
      { kind: 'point', id: 'run-1:2:loss' },
      { kind: 'run', id: 'run-1' }
    ]);
    expect(plan.operations[0]).toEqual({
      create: { _index: 'tflog-logs-2025.11.28', _id: 'run-1:0' }
    });
    expect(plan.operations[1]).not.toHaveProperty('_id');
    expect(plan.operations[6]).toEqual({
      create: { _index: 'tflog-metrics-2025.11.28', _id: 'run-1:2:loss' }
    });
    expect(plan.operations[7]).not.toHaveProperty('_id');
    expect(plan.operations[8]).toEqual({
      index: {
        _index: 'tflog-runs',
        _id: 'run-1',
        version: 2,
        version_type: 'external'
      }
    });
    expect(plan.operations[9]).toMatchObject({
      run_id: 'run-1',
      search_text: ['run-1']
    });
  });
});

describe('buildBulkPlan routing', () => {
  // Written on 2026-12-01 at 10:00 UTC; the service's clock a day later.
  const written = Date.parse('2026-12-01T10:00:00.000Z') / 1000;
  const now = Date.parse('2026-12-02T21:00:00.000Z');

  function parsedPrinted(text: string) {
    const parser = createParser();
    const state = createRunState('run-p');
    const records: SpoolRecord[] = [
      {
        t: 'start',
        v: 1,
        seq: 0,
        ts: written,
        run: 'run-p',
        name: null,
        tags: {},
        ctx: {
          notebook: null,
          kernel_id: null,
          user: 'alice',
          host: 'h',
          pid: 1,
          utc_offset: 0
        }
      },
      { t: 'stream', seq: 1, ts: written + 1, stream: 'stdout', text }
    ];
    const parsed = records.map(record => parser.parseRecord(record, state));
    return {
      documents: parsed.flatMap(item => item.documents),
      points: parsed.flatMap(item => item.points),
      runs: []
    };
  }

  it('routes a printed 2000-01-01 line by its write time and keeps the printed @timestamp', () => {
    const batch = parsedPrinted(
      '2000-01-01 00:00:05,000 INFO epoch 1 loss=0.25\n'
    );
    const line = batch.documents[1];
    expect(line['@timestamp']).toBe('2000-01-01T00:00:05.000Z');
    expect(line.event.created).toBe('2026-12-01T10:00:01.000Z');
    const points = batch.points;
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) {
      expect(point['@timestamp']).toBe('2000-01-01T00:00:05.000Z');
      expect(point.created).toBe('2026-12-01T10:00:01.000Z');
    }
    const plan = buildBulkPlan(batch, 'tflog-', names, now, 7);
    const targets = plan.operations.flatMap(operation => {
      const action = (operation as { create?: { _index?: string } }).create;
      return action?._index === undefined ? [] : [action._index];
    });
    expect(new Set(targets)).toEqual(
      new Set(['tflog-logs-2026.12.01', 'tflog-metrics-2026.12.01'])
    );
    expect(plan.settled).toEqual(plan.items.map(() => false));
  });

  it('marks items bound for indices past the warm phase (read-only) as settled', () => {
    const batch = parsedPrinted('hello\n');
    const plan = (nowIso: string, readOnlyDays: number) =>
      buildBulkPlan(batch, 'tflog-', names, Date.parse(nowIso), readOnlyDays)
        .settled;
    // Written 2026-12-01; warm after 7 days: read-only from 2026-12-08 on.
    expect(plan('2026-12-09T00:00:00.000Z', 7)).toEqual([true, true]);
    expect(plan('2026-12-08T12:00:00.000Z', 7)).toEqual([false, false]);
    expect(plan('2027-06-01T00:00:00.000Z', 0)).toEqual([false, false]);
  });
});

describe('interpretBulkResponse', () => {
  const plan = {
    operations: [],
    items: [
      { kind: 'document' as const, id: 'a' },
      { kind: 'document' as const, id: 'b' },
      { kind: 'point' as const, id: 'c' },
      { kind: 'document' as const, id: 'd' },
      { kind: 'run' as const, id: 'e' },
      { kind: 'point' as const, id: 'f' }
    ]
  };
  const item = (status: number, error?: estypes.ErrorCause) => ({
    create: { _index: 'i', status, ...(error ? { error } : {}) }
  });

  it('sorts items into created, duplicates, retry-later and refused', () => {
    const response: estypes.BulkResponse = {
      errors: true,
      took: 1,
      items: [
        item(201),
        item(409, {
          type: 'version_conflict_engine_exception',
          reason: 'exists'
        }),
        item(429, {
          type: 'es_rejected_execution_exception',
          reason: 'queue full'
        }),
        item(400, {
          type: 'document_parsing_exception',
          reason: 'failed to parse field [tflog.epoch]',
          caused_by: {
            type: 'illegal_argument_exception',
            reason: 'For input string: "x"'
          }
        }),
        { index: { _index: 'i', status: 200 } },
        item(503, {
          type: 'unavailable_shards_exception',
          reason: 'primary shard is not active'
        })
      ]
    };
    expect(interpretBulkResponse(plan, response)).toEqual({
      created: 2,
      duplicates: 1,
      rejected: [
        {
          id: 'd',
          kind: 'document',
          reason:
            '400 document_parsing_exception: failed to parse field [tflog.epoch] (caused by illegal_argument_exception: For input string: "x")'
        }
      ],
      retry: [
        {
          kind: 'point',
          id: 'c',
          reason: 'es_rejected_execution_exception: queue full',
          statusCode: 429
        },
        {
          kind: 'point',
          id: 'f',
          reason: 'unavailable_shards_exception: primary shard is not active',
          statusCode: 503
        }
      ]
    });
  });

  it('waits out refusals that an admin can lift (blocks, missing or closed indices, shard limits)', () => {
    const refusals: [number, estypes.ErrorCause][] = [
      [
        403,
        {
          type: 'cluster_block_exception',
          reason:
            'index [tflog-logs-2026.12.02] blocked by: [FORBIDDEN/8/index write (api)];'
        }
      ],
      [
        404,
        {
          type: 'index_not_found_exception',
          reason: 'no such index [tflog-logs-2026.12.02]'
        }
      ],
      [
        400,
        {
          type: 'validation_exception',
          reason:
            'Validation Failed: 1: this action would add [2] shards, but this cluster currently has [1000]/[1000] maximum normal shards open;'
        }
      ],
      [400, { type: 'index_closed_exception', reason: 'closed' }],
      [400, { type: 'some_future_exception', reason: 'unknown to us' }]
    ];
    const result = interpretBulkResponse(
      { operations: [], items: plan.items.slice(0, refusals.length) },
      {
        errors: true,
        took: 1,
        items: refusals.map(([status, error]) => item(status, error))
      }
    );
    expect(result.rejected).toEqual([]);
    expect(result.retry?.map(entry => [entry.id, entry.statusCode])).toEqual([
      ['a', 403],
      ['b', 404],
      ['c', 400],
      ['d', 400],
      ['e', 400]
    ]);
    expect(result.retry?.[0].reason).toMatch(/cluster_block_exception/);
  });

  it('refuses for good a write block on an index of a past day (ILM warm phase)', () => {
    const blocked: estypes.ErrorCause = {
      type: 'cluster_block_exception',
      reason:
        'index [tflog-logs-2026.11.01] blocked by: [FORBIDDEN/8/index write (api)];'
    };
    const watermark: estypes.ErrorCause = {
      type: 'cluster_block_exception',
      reason:
        'index [tflog-logs-2026.11.01] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];'
    };
    expect(isWriteBlocked(blocked)).toBe(true);
    expect(isWriteBlocked(watermark)).toBe(false);
    const result = interpretBulkResponse(
      {
        operations: [],
        items: plan.items.slice(0, 3),
        settled: [true, false, true]
      },
      {
        errors: true,
        took: 1,
        items: [item(403, blocked), item(403, blocked), item(429, watermark)]
      }
    );
    expect(result.rejected).toEqual([
      {
        id: 'a',
        kind: 'document',
        reason: expect.stringMatching(
          /^403 cluster_block_exception: .*index write \(api\).*read-only \(ILM warm phase, TFLOG_ILM_WARM_DAYS\)$/
        )
      }
    ]);
    expect(result.retry?.map(entry => entry.id)).toEqual(['b', 'c']);
  });

  it('refuses for good only what no admin action can make storable', () => {
    const permanent: estypes.ErrorCause[] = [
      { type: 'mapper_parsing_exception', reason: 'failed to parse' },
      { type: 'document_parsing_exception', reason: 'failed to parse' },
      { type: 'strict_dynamic_mapping_exception', reason: 'not allowed' },
      {
        type: 'illegal_argument_exception',
        reason: 'Document contains at least one immense term'
      }
    ];
    const result = interpretBulkResponse(
      { operations: [], items: plan.items.slice(0, permanent.length) },
      {
        errors: true,
        took: 1,
        items: permanent.map(error => item(400, error))
      }
    );
    expect(result.retry).toBeUndefined();
    expect(result.rejected.map(entry => entry.id)).toEqual([
      'a',
      'b',
      'c',
      'd'
    ]);
  });

  it('sends again anything the response does not answer', () => {
    const response: estypes.BulkResponse = {
      errors: false,
      took: 1,
      items: [item(201)]
    };
    const result = interpretBulkResponse(plan, response);
    expect(result.created).toBe(1);
    expect(result.retry?.map(entry => entry.id)).toEqual([
      'b',
      'c',
      'd',
      'e',
      'f'
    ]);
  });
});

describe('stored shapes', () => {
  it('numbers the events of one record and strips the number on the way back', () => {
    const { documents } = parsedBatch();
    const second = { ...documents[1], _id: 'run-1:1:3' };
    expect(eventPart(documents[1])).toBe(0);
    expect(eventPart(second)).toBe(3);
    expect(eventPart({ ...documents[1], _id: 'other' })).toBe(0);
    const stored = toStoredEvent(second) as { tflog: { part: number } };
    expect(stored.tflog.part).toBe(3);
    expect(stored).not.toHaveProperty('_id');
    expect(
      fromStoredEvent('run-1:1:3', stored as unknown as Record<string, unknown>)
    ).toEqual(second);
  });

  it('adds search strings to a stored summary and removes them on the way back', () => {
    const summary = {
      ...emptySummary('r', '2025-01-01T00:00:00Z'),
      name: 'Big Run',
      notebook: 'a.ipynb',
      tags: { team: 'vision' }
    };
    const stored = toStoredRun(summary) as Record<string, unknown>;
    expect(stored.search_text).toEqual([
      'r',
      'Big Run',
      'a.ipynb',
      'team=vision'
    ]);
    expect(fromStoredRun(stored)).toEqual(summary);
  });
});

describe('buildRunSearch', () => {
  it('turns every filter into a query clause, newest first', () => {
    const request = buildRunSearch(
      {
        user: 'alice',
        notebooks: ['a.ipynb', '/home/alice/a.ipynb'],
        status: ['failed'],
        tags: { team: 'vision' },
        from: '2025-01-01T00:00:00Z',
        to: '2025-02-01T00:00:00Z',
        text: 'big*run',
        size: 20
      },
      names
    );
    expect(request).toMatchObject({
      index: 'tflog-runs',
      size: 21,
      track_total_hits: true,
      sort: [{ started: { order: 'desc' } }, { run_id: { order: 'asc' } }]
    });
    expect(request.query?.bool?.filter).toEqual([
      { term: { user: 'alice' } },
      { terms: { notebook: ['a.ipynb', '/home/alice/a.ipynb'] } },
      { terms: { status: ['failed'] } },
      { term: { 'tags.team': 'vision' } },
      {
        range: {
          started: { gte: '2025-01-01T00:00:00Z', lt: '2025-02-01T00:00:00Z' }
        }
      },
      {
        wildcard: {
          search_text: { value: '*big\\*run*', case_insensitive: true }
        }
      }
    ]);
    expect(request.search_after).toBeUndefined();
  });

  it('continues after a cursor and refuses a foreign one', () => {
    const cursor = encodeCursor([1735689600000, 'run-9']);
    expect(
      buildRunSearch({ size: 5, after: cursor }, names).search_after
    ).toEqual([1735689600000, 'run-9']);
    expect(() =>
      buildRunSearch({ size: 5, after: encodeCursor([1, 2]) }, names)
    ).toThrow(StoreQueryError);
    expect(() => buildRunSearch({ size: 5, after: '%%%' }, names)).toThrow(
      StoreQueryError
    );
  });

  it('gives a next cursor only when there is a next page', () => {
    const hit = (id: string, millis: number) => ({
      _index: 'tflog-runs',
      _id: id,
      _source: { run_id: id, search_text: [id] },
      sort: [millis, id]
    });
    const full: estypes.SearchResponse<Record<string, unknown>> = {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: {
        total: { value: 3, relation: 'eq' },
        hits: [hit('a', 3), hit('b', 2), hit('c', 1)]
      }
    };
    const page = parseRunPage(full, { size: 2 });
    expect(page.runs.map(run => run.run_id)).toEqual(['a', 'b']);
    expect(page.runs[0]).not.toHaveProperty('search_text');
    expect(page.total).toBe(3);
    expect(decodeCursor(page.next as string, ['number', 'string'])).toEqual([
      2,
      'b'
    ]);
    const last = parseRunPage(
      { ...full, hits: { ...full.hits, hits: [hit('c', 1)] } },
      { size: 2 }
    );
    expect(last.next).toBeUndefined();
  });
});

describe('buildLogSearch', () => {
  it('filters one run by levels, kinds and words, in sequence order', () => {
    const request = buildLogSearch(
      {
        runId: 'r',
        levels: ['ERROR'],
        kinds: ['error'],
        text: 'nan loss',
        size: 50,
        order: 'desc'
      },
      names
    );
    expect(request.index).toBe('tflog-logs-*');
    expect(request.size).toBe(51);
    expect(request.query?.bool?.filter).toEqual([
      { term: { 'tflog.run_id': 'r' } },
      { terms: { 'log.level': ['error'] } },
      { terms: { 'tflog.kind': ['error'] } }
    ]);
    expect(request.query?.bool?.must).toEqual([
      { match: { message: { query: 'nan loss', operator: 'and' } } }
    ]);
    expect(request.sort).toEqual([
      { 'event.sequence': { order: 'desc' } },
      { 'tflog.part': { order: 'desc', unmapped_type: 'integer' } }
    ]);
    const next = buildLogSearch(
      { runId: 'r', size: 5, order: 'asc', after: encodeCursor([7, 1]) },
      names
    );
    expect(next.search_after).toEqual([7, 1]);
  });
});

describe('the log lines around a time', () => {
  it('reads the lines before it nearest first and those from it oldest first', () => {
    const query = {
      runId: 'run-1',
      levels: ['ERROR'],
      size: 10,
      order: 'asc' as const,
      at: '2026-01-31T10:00:00.000Z'
    };
    const before = buildLogsAroundSearch(query, 'before', names);
    const from = buildLogsAroundSearch(query, 'from', names);
    expect(before.size).toBe(10);
    expect(from.size).toBe(11);
    expect(before.query?.bool?.filter).toEqual([
      { term: { 'tflog.run_id': 'run-1' } },
      { terms: { 'log.level': ['error'] } },
      { range: { '@timestamp': { lt: '2026-01-31T10:00:00.000Z' } } }
    ]);
    expect(from.query?.bool?.filter).toContainEqual({
      range: { '@timestamp': { gte: '2026-01-31T10:00:00.000Z' } }
    });
    expect(before.sort).toEqual([
      { '@timestamp': { order: 'desc' } },
      { 'event.sequence': { order: 'desc' } },
      { 'tflog.part': { order: 'desc', unmapped_type: 'integer' } }
    ]);
  });
});

describe('series requests: a zoomed range', () => {
  it('keeps points with x in the range, both ends included', () => {
    expect(
      seriesFilter({
        runId: 'r',
        axis: 'step',
        maxPoints: 10,
        from: 100,
        to: 200
      }).at(-1)
    ).toEqual({ range: { step: { gte: 100, lte: 200 } } });
    expect(
      seriesFilter({
        runId: 'r',
        axis: 'time',
        maxPoints: 10,
        to: '2026-01-31T10:00:00.000Z'
      }).at(-1)
    ).toEqual({
      range: {
        '@timestamp': { lte: Date.UTC(2026, 0, 31, 10), format: 'epoch_millis' }
      }
    });
  });
});

describe('series requests', () => {
  it('filters by run, axis field, names, scope and a time `after`', () => {
    expect(
      seriesFilter({
        runId: 'r',
        axis: 'time',
        names: ['loss'],
        scope: 'batch',
        maxPoints: 100,
        after: '2025-01-01T00:00:00.000Z'
      })
    ).toEqual([
      { term: { run_id: 'r' } },
      { exists: { field: '@timestamp' } },
      { terms: { name: ['loss'] } },
      { term: { scope: 'batch' } },
      { range: { '@timestamp': { gt: 1735689600000, format: 'epoch_millis' } } }
    ]);
    expect(
      seriesFilter({ runId: 'r', axis: 'step', maxPoints: 10, after: 40 })
    ).toContainEqual({
      range: { step: { gt: 40 } }
    });
  });

  it('limits series searches to the run’s times, widened by a day', () => {
    const day = 86_400_000;
    const started = Date.parse('2026-01-10T08:00:00.000Z');
    const updated = Date.parse('2026-01-10T09:00:00.000Z');
    const ended = Date.parse('2026-01-10T09:30:00.000Z');
    const run = {
      started: new Date(started).toISOString(),
      updated: new Date(updated).toISOString(),
      ended: new Date(ended).toISOString(),
      status: 'finished' as const
    };
    const bounds = {
      gte: String(started - day),
      lte: String(ended + day),
      format: 'epoch_millis'
    };
    const within = {
      bool: {
        should: [
          { range: { created: bounds } },
          { range: { '@timestamp': bounds } }
        ],
        minimum_should_match: 1
      }
    };
    expect(runTimeFilter(run)).toEqual(within);
    // A running run's points go on: no upper bound.
    const running = runTimeFilter({ ...run, ended: null, status: 'running' });
    expect(JSON.stringify(running)).not.toContain('lte');
    expect(
      runTimeFilter({ ...run, ended: null, updated: 'not a time' })
    ).toBeUndefined();
    const query = { runId: 'r', axis: 'step' as const, maxPoints: 10 };
    const key = { name: 'loss', scope: 'batch' as const, source: 'callback' };
    const inventory = buildSeriesInventory(query, names, undefined, run);
    expect(inventory.pre_filter_shard_size).toBe(1);
    expect(inventory.query?.bool?.filter).toContainEqual(within);
    const fetched = buildSeriesFetch(query, key, 5, names, run);
    expect(fetched.pre_filter_shard_size).toBe(1);
    expect(fetched.query?.bool?.filter).toContainEqual(within);
    const grid = { interval: 1, offset: 0, unit: 1 };
    const histogram = buildSeriesHistogram(query, key, grid, names, run);
    expect(histogram.query?.bool?.filter).toContainEqual(within);
    // Without the run's times every index is searched, as before.
    expect(
      JSON.stringify(buildSeriesFetch(query, key, 5, names))
    ).not.toContain('created');
  });

  it('lists series with a composite aggregation and reads its pages', () => {
    const request = buildSeriesInventory(
      { runId: 'r', axis: 'epoch', maxPoints: 10 },
      names,
      { name: 'a', scope: 'b', source: 'c' }
    );
    const aggregation = request.aggs?.series;
    expect(aggregation?.composite?.after).toEqual({
      name: 'a',
      scope: 'b',
      source: 'c'
    });
    expect(aggregation?.aggs?.min_x).toEqual({ min: { field: 'epoch' } });
    const answer = {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: { hits: [] },
      aggregations: {
        series: {
          after_key: { name: 'loss', scope: 'epoch', source: 'callback' },
          buckets: [
            {
              key: { name: 'loss', scope: 'epoch', source: 'callback' },
              doc_count: 12,
              min_x: { value: 0 },
              max_x: { value: 11 }
            }
          ]
        } as unknown as estypes.AggregationsAggregate
      }
    };
    // A page of one series is full at a size of 1; at the usual 500 it is the last.
    expect(parseSeriesInventory(answer).afterKey).toBeUndefined();
    const parsed = parseSeriesInventory(answer, 1);
    expect(parsed.entries).toEqual([
      {
        name: 'loss',
        scope: 'epoch',
        source: 'callback',
        count: 12,
        minX: 0,
        maxX: 11
      }
    ]);
    expect(parsed.afterKey).toEqual({
      name: 'loss',
      scope: 'epoch',
      source: 'callback'
    });
  });

  it('thins with a histogram on the same grid, or a date histogram for time', () => {
    const key = { name: 'loss', scope: 'batch' as const, source: 'callback' };
    const steps = buildSeriesHistogram(
      { runId: 'r', axis: 'step', maxPoints: 100 },
      key,
      { interval: 40, offset: 3, unit: 1 },
      names
    );
    expect(steps.aggs?.buckets?.histogram).toEqual({
      field: 'step',
      interval: 40,
      offset: 3,
      min_doc_count: 1
    });
    expect(Object.keys(steps.aggs?.buckets?.aggs ?? {}).sort()).toEqual([
      'finite',
      'last',
      'nonfinite'
    ]);
    // The curve's first point is fetched once, not in every bucket.
    expect(steps.aggs?.first?.top_hits).toMatchObject({
      size: 1,
      sort: [{ step: { order: 'asc' } }, { '@timestamp': { order: 'asc' } }]
    });
    const times = buildSeriesHistogram(
      { runId: 'r', axis: 'time', maxPoints: 100 },
      key,
      { interval: 60000, offset: 500, unit: 1 },
      names
    );
    expect(times.aggs?.buckets?.date_histogram).toEqual({
      field: '@timestamp',
      fixed_interval: '60000ms',
      offset: '+500ms',
      min_doc_count: 1
    });
  });

  it('reads the kept points of each bucket once, in x order', () => {
    const hit = (step: number, value: number | 'NaN') => {
      const source: Partial<IMetricPoint> = {
        '@timestamp': new Date(step * 1000).toISOString(),
        step
      };
      if (value === 'NaN') {
        source.nonfinite = 'NaN';
      } else {
        source.value = value;
      }
      return {
        hits: { hits: [{ _index: 'i', _id: `p${step}`, _source: source }] }
      };
    };
    const response = {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: { hits: [] },
      aggregations: {
        first: hit(0, 1) as unknown as estypes.AggregationsAggregate,
        buckets: {
          buckets: [
            {
              finite: { lowest: hit(3, 0.1), highest: hit(2, 1.5) },
              last: hit(9, 0.5),
              nonfinite: { first: { hits: { hits: [] } } }
            },
            {
              finite: { lowest: hit(12, 0.2), highest: hit(15, 99) },
              last: hit(19, 0.3),
              nonfinite: { first: hit(17, 'NaN') }
            }
          ]
        } as unknown as estypes.AggregationsAggregate
      }
    };
    const points = parseSeriesHistogram(response, {
      runId: 'r',
      axis: 'step',
      maxPoints: 100
    });
    expect(points.map(p => [p.x, p.y, p.nonfinite ?? null])).toEqual([
      [0, 1, null],
      [2, 1.5, null],
      [3, 0.1, null],
      [9, 0.5, null],
      [12, 0.2, null],
      [15, 99, null],
      [17, null, 'NaN'],
      [19, 0.3, null]
    ]);
  });
});

describe('buildRunSearch: hyperparameters and sorts', () => {
  it('matches a hyperparameter by its text, and a number however written', () => {
    const request = buildRunSearch(
      { hparams: { lr: '1e-3', optimizer: 'adam' }, size: 5 },
      names
    );
    expect(request.query?.bool?.filter).toEqual([
      { terms: { 'hparams.lr': ['1e-3', '0.001'] } },
      { terms: { 'hparams.optimizer': ['adam'] } }
    ]);
  });

  it('sorts by a metric as a number, runs without it last, then by run id', () => {
    const sort = {
      key: { by: 'min', metric: 'val_loss' },
      order: 'asc'
    } as const;
    const request = buildRunSearch({ user: 'alice', sort, size: 5 }, names);
    const ofMetric = { term: { 'metric_sort.name': 'val_loss' } };
    expect(request.query).toEqual({
      bool: {
        filter: [{ term: { user: 'alice' } }],
        should: [
          {
            constant_score: {
              boost: 1,
              filter: {
                nested: {
                  path: 'metric_sort',
                  query: {
                    bool: {
                      filter: [
                        ofMetric,
                        { exists: { field: 'metric_sort.min' } }
                      ]
                    }
                  },
                  ignore_unmapped: true
                }
              }
            }
          }
        ]
      }
    });
    expect(request.sort).toEqual([
      { _score: { order: 'desc' } },
      {
        'metric_sort.min': {
          order: 'asc',
          missing: 0,
          nested: { path: 'metric_sort', filter: ofMetric }
        }
      },
      { run_id: { order: 'asc' } }
    ]);
  });

  it('sorts by a summary field, and keeps a filter so the should clause only scores', () => {
    const request = buildRunSearch(
      { sort: { key: { by: 'name' }, order: 'desc' }, size: 5 },
      names
    );
    expect(request.query?.bool?.filter).toEqual([{ match_all: {} }]);
    expect(request.query?.bool?.should).toEqual([
      { constant_score: { filter: { exists: { field: 'name' } }, boost: 1 } }
    ]);
    expect(request.sort).toEqual([
      { _score: { order: 'desc' } },
      { name: { order: 'desc', missing: '', unmapped_type: 'keyword' } },
      { run_id: { order: 'asc' } }
    ]);
  });

  it('pages a sorted list with cursors naming the sort', () => {
    const sort = {
      key: { by: 'last', metric: 'loss' },
      order: 'desc'
    } as const;
    const hit = (id: string, score: number, value: number) => ({
      _index: 'tflog-runs',
      _id: id,
      _source: { run_id: id },
      sort: [score, value, id]
    });
    const page = parseRunPage(
      {
        took: 1,
        timed_out: false,
        _shards: { total: 1, successful: 1, failed: 0 },
        hits: {
          total: { value: 3, relation: 'eq' },
          hits: [hit('a', 1, 10), hit('b', 0, 0), hit('c', 0, 0)]
        }
      },
      { sort, size: 2 }
    );
    const next = page.next as string;
    expect(
      decodeCursor(next, ['string', 'number', 'number', 'string'])
    ).toEqual(['last:loss|desc', 0, 0, 'b']);
    expect(
      buildRunSearch({ sort, size: 2, after: next }, names).search_after
    ).toEqual([0, 0, 'b']);
    expect(() =>
      buildRunSearch(
        { sort: { ...sort, order: 'asc' }, size: 2, after: next },
        names
      )
    ).toThrow(StoreQueryError);
    expect(() => buildRunSearch({ size: 2, after: next }, names)).toThrow(
      StoreQueryError
    );
  });

  it('stores metrics as numbers and the duration for sorting, and strips them on the way back', () => {
    const summary = {
      ...emptySummary('r', '2025-01-01T00:00:00.000Z'),
      updated: '2025-01-01T00:00:30.000Z',
      last_metrics: { loss: 10, acc: 'NaN' as const },
      min_metrics: { loss: 9, acc: 0.5 },
      max_metrics: { loss: 12 }
    };
    const stored = toStoredRun(summary) as Record<string, unknown>;
    expect(stored.metric_sort).toEqual([
      { name: 'acc', min: 0.5 },
      { name: 'loss', last: 10, min: 9, max: 12 }
    ]);
    expect(stored.duration_ms).toBe(30000);
    expect(
      (
        toStoredRun({ ...summary, ended: '2025-01-01T00:01:00.000Z' }) as {
          duration_ms: number;
        }
      ).duration_ms
    ).toBe(60000);
    expect(fromStoredRun(stored)).toEqual(summary);
  });
});

describe('buildStoredIdsSearch', () => {
  it('asks every daily index of the kind for the ids, without their sources', () => {
    expect(buildStoredIdsSearch('tflog-logs-*', ['r:1', 'r:2'])).toEqual({
      index: 'tflog-logs-*',
      ignore_unavailable: true,
      allow_no_indices: true,
      query: { ids: { values: ['r:1', 'r:2'] } },
      _source: false,
      size: 4,
      track_total_hits: false
    });
  });
});
