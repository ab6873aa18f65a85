/** The Elasticsearch requests of a comparison, built and read without a cluster. */
import type { estypes } from '@elastic/elasticsearch';

import { planComparison } from '../../src/store/compare-common';
import {
  buildCompareInventory,
  buildCompareRuns,
  buildCompareSeries,
  parseCompareInventory,
  parseCompareRuns,
  parseCompareSeries,
  readComparison,
  type ICompareRequests
} from '../../src/store/es-compare';
import { indexNames } from '../../src/store/es-mappings';
import { downsample } from '../../src/store/series-common';
import {
  rollupDeltas,
  toStoredRollup,
  type IStoredRollup
} from '../../src/store/es-rollups';
import type { ISeriesInventoryEntry } from '../../src/store/es-queries';
import type { IMetricPoint, IRunSummary } from '../../src/types';
import { runSummary } from '../api/helpers';

const names = indexNames('tflog-');

function run(runId: string, fields: Partial<IRunSummary> = {}): IRunSummary {
  return runSummary(runId, {
    started: '2026-01-31T10:00:00.000Z',
    updated: '2026-01-31T11:00:00.000Z',
    ended: '2026-01-31T11:00:00.000Z',
    status: 'finished',
    ...fields
  });
}

function entry(
  fields: Partial<ISeriesInventoryEntry> = {}
): ISeriesInventoryEntry {
  return {
    name: 'loss',
    scope: 'batch',
    source: 'callback',
    count: 100,
    minX: 0,
    maxX: 99,
    ...fields
  };
}

function hit(runId: string, step: number, value: number) {
  const source: IMetricPoint = {
    _id: `${runId}:${step}`,
    '@timestamp': new Date(Date.UTC(2026, 0, 31, 10, 0, step)).toISOString(),
    run_id: runId,
    notebook: null,
    user: 'alice',
    name: 'loss',
    scope: 'batch',
    source: 'callback',
    step,
    value
  };
  return {
    _index: 'tflog-metrics-2026.01.31',
    _id: source._id,
    _source: source
  };
}

function searchAnswer(
  hits: ReturnType<typeof hit>[]
): estypes.MsearchMultiSearchItem<IMetricPoint> {
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, failed: 0 },
    hits: { hits },
    status: 200
  };
}

/** The inventory answer of one run with one series, its loss at steps 0 to `maxX`. */
function lossInventory(
  runId: string,
  count: number,
  maxX: number
): estypes.SearchResponse<
  unknown,
  Record<string, estypes.AggregationsAggregate>
> {
  return {
    took: 1,
    timed_out: false,
    _shards: { total: 1, successful: 1, failed: 0 },
    hits: { hits: [] },
    aggregations: {
      series: {
        buckets: [
          {
            key: {
              run_id: runId,
              name: 'loss',
              scope: 'batch',
              source: 'callback'
            },
            doc_count: count,
            min_x: { value: 0 },
            max_x: { value: maxX }
          }
        ]
      } as unknown as estypes.AggregationsAggregate
    }
  };
}

describe('the Elasticsearch requests of a comparison', () => {
  it('reads the runs by id in one request and keeps those found', () => {
    expect(buildCompareRuns(['a', 'b'], names)).toEqual({
      index: 'tflog-runs',
      ids: ['a', 'b']
    });
    const found = parseCompareRuns({
      docs: [
        {
          _index: 'tflog-runs',
          _id: 'a',
          found: true,
          _source: { ...run('a') }
        },
        { _index: 'tflog-runs', _id: 'b', found: false }
      ]
    });
    expect(found.map(summary => summary.run_id)).toEqual(['a']);
  });

  it("lists every run's series in one search, each run within its own times", () => {
    const request = buildCompareInventory(
      { axis: 'epoch' },
      [run('a'), run('b', { status: 'running' })],
      names
    );
    expect(request).toMatchObject({
      index: 'tflog-metrics-*',
      pre_filter_shard_size: 1,
      size: 0
    });
    const filter = (request.query?.bool?.filter ??
      []) as estypes.QueryDslQueryContainer[];
    expect(filter[0]).toEqual({ terms: { run_id: ['a', 'b'] } });
    expect(filter[1]).toEqual({ exists: { field: 'epoch' } });
    const perRun = filter[2].bool?.should as estypes.QueryDslQueryContainer[];
    expect(perRun).toHaveLength(2);
    // A finished run is bounded at both ends (a day of clock skew either side).
    expect(JSON.stringify(perRun[0])).toContain('"lte"');
    expect(perRun[0].bool?.filter).toContainEqual({ term: { run_id: 'a' } });
    // A running one is open-ended.
    expect(JSON.stringify(perRun[1])).not.toContain('"lte"');
    const composite = request.aggs?.series.composite;
    expect(composite?.sources?.map(source => Object.keys(source)[0])).toEqual([
      'run_id',
      'name',
      'scope',
      'source'
    ]);
    expect(
      buildCompareInventory({ axis: 'step' }, [run('a')], names, {
        run_id: 'a',
        name: 'loss',
        scope: 'batch',
        source: 'callback'
      }).aggs?.series.composite?.after
    ).toEqual({
      run_id: 'a',
      name: 'loss',
      scope: 'batch',
      source: 'callback'
    });
  });

  it('reads the inventory by run, with the next page when there is one', () => {
    const bucket = (runId: string, name: string, min: number | null) => ({
      key: { run_id: runId, name, scope: 'batch', source: 'callback' },
      doc_count: 5,
      min_x: { value: min },
      max_x: { value: min === null ? null : min + 4 }
    });
    const answer = {
      took: 1,
      timed_out: false,
      _shards: { total: 1, successful: 1, failed: 0 },
      hits: { hits: [] },
      aggregations: {
        series: {
          buckets: [
            bucket('a', 'loss', 0),
            bucket('a', 'accuracy', 0),
            bucket('b', 'loss', null)
          ],
          after_key: { run_id: 'b' }
        } as unknown as estypes.AggregationsAggregate
      }
    };
    // A page short of its size is the last one.
    expect(parseCompareInventory(answer, 4).afterKey).toBeUndefined();
    const page = parseCompareInventory(answer, 3);
    expect([...page.byRun.keys()]).toEqual(['a']);
    expect(page.byRun.get('a')?.map(found => found.name)).toEqual([
      'loss',
      'accuracy'
    ]);
    expect(page.afterKey).toEqual({ run_id: 'b' });
  });

  it('reads one series per run in one msearch: those of at most max_points whole, longer ones thinned by a histogram', () => {
    const plan = planComparison(
      ['short', 'long', 'none'],
      new Map([
        ['short', run('short')],
        ['long', run('long')],
        ['none', run('none')]
      ]),
      new Map([
        ['short', [entry()]],
        ['long', [entry({ count: 1001, maxX: 20000 })]],
        ['none', [entry({ name: 'accuracy' })]]
      ]),
      'loss',
      'step'
    );
    const { request, reads } = buildCompareSeries(
      plan,
      { axis: 'step', maxPoints: 1000 },
      names
    );
    expect(
      reads.map(read => [read.runId, read.thinnedByElasticsearch])
    ).toEqual([
      ['short', false],
      ['long', true]
    ]);
    expect(request.pre_filter_shard_size).toBe(1);
    const searches = request.searches ?? [];
    expect(searches).toHaveLength(4);
    expect(searches[0]).toEqual({
      index: 'tflog-metrics-*',
      ignore_unavailable: true,
      allow_no_indices: true
    });
    const fetch = searches[1] as estypes.MsearchMultisearchBody;
    expect(fetch.size).toBe(100);
    expect(JSON.stringify(fetch.query)).toContain('"run_id":"short"');
    const histogram = searches[3] as estypes.MsearchMultisearchBody;
    expect(histogram.size).toBe(0);
    expect(histogram.aggs?.buckets.histogram).toMatchObject({ field: 'step' });
    expect(JSON.stringify(histogram.query)).toContain('"run_id":"long"');
  });

  it('thins a fetched series as `series` does and throws a failed search', () => {
    const reads = [
      { runId: 'a', entry: entry({ count: 3 }), thinnedByElasticsearch: false }
    ];
    const read = parseCompareSeries(
      {
        took: 1,
        responses: [
          searchAnswer([hit('a', 0, 3), hit('a', 1, 2), hit('a', 2, 1)])
        ]
      },
      reads,
      { axis: 'step', maxPoints: 2 },
      failure => {
        throw new Error(`failed ${failure.status}`);
      }
    );
    const series = read.get('a');
    expect(series?.downsampled).toBe(true);
    expect(series?.points.map(point => point.x)).toEqual([0, 2]);
    expect(() =>
      parseCompareSeries(
        {
          took: 1,
          responses: [
            { status: 429, error: { type: 'es_rejected_execution_exception' } }
          ]
        },
        reads,
        { axis: 'step', maxPoints: 2 },
        failure => {
          throw new Error(`failed ${failure.status} ${failure.error.type}`);
        }
      )
    ).toThrow('failed 429 es_rejected_execution_exception');
  });

  it("reads nothing of another user's run and asks three requests in all", async () => {
    const sent: string[] = [];
    const requests: ICompareRequests = {
      mget: async request => {
        sent.push(`mget ${JSON.stringify(request.ids)}`);
        return {
          docs: [
            {
              _index: 'tflog-runs',
              _id: 'mine',
              found: true,
              _source: { ...run('mine') }
            },
            {
              _index: 'tflog-runs',
              _id: 'theirs',
              found: true,
              _source: { ...run('theirs', { user: 'bob' }) }
            }
          ]
        };
      },
      search: async request => {
        sent.push(`search ${JSON.stringify(request.query)}`);
        return lossInventory('mine', 1, 0);
      },
      msearch: async request => {
        sent.push(`msearch ${(request.searches ?? []).length / 2}`);
        return { took: 1, responses: [searchAnswer([hit('mine', 0, 1)])] };
      },
      mgetRollups: async request => {
        sent.push(`mgetRollups ${JSON.stringify(request.ids)}`);
        return { docs: [] };
      }
    };
    const answer = await readComparison(
      {
        user: 'alice',
        runIds: ['mine', 'theirs'],
        axis: 'step',
        maxPoints: 10
      },
      names,
      requests,
      failure => {
        throw new Error(String(failure.status));
      }
    );
    expect(sent).toHaveLength(3);
    expect(sent[1]).toContain('mine');
    expect(sent[1]).not.toContain('theirs');
    expect(sent[2]).toBe('msearch 1');
    expect(answer.metric).toBe('loss');
    expect(answer.runs[0].series?.points).toHaveLength(1);
    expect(answer.runs[1]).toEqual({
      run_id: 'theirs',
      run: null,
      metrics: [],
      series: null
    });
  });

  it('reads long curves from exact curve summaries, and from their points where summaries fall short', async () => {
    const points = Array.from(
      { length: 3000 },
      (_, step) => hit('long', step, (step % 17) / 4)._source
    );
    const deltas = rollupDeltas(points);
    const stored = (
      dropped: string | undefined
    ): estypes.MgetResponse<IStoredRollup> => ({
      docs: [...deltas].map(([id, rollup]) =>
        id === dropped
          ? { _index: 'tflog-rollups', _id: id, found: false }
          : {
              _index: 'tflog-rollups',
              _id: id,
              found: true,
              _seq_no: 1,
              _primary_term: 1,
              _source: toStoredRollup(rollup)
            }
      )
    });
    const compareWith = async (drop: boolean) => {
      const sent: string[] = [];
      const requests: ICompareRequests = {
        mget: async () => ({
          docs: [
            {
              _index: 'tflog-runs',
              _id: 'long',
              found: true,
              _source: { ...run('long') }
            }
          ]
        }),
        search: async () => lossInventory('long', 3000, 2999),
        msearch: async request => {
          sent.push(`msearch ${(request.searches ?? []).length / 2}`);
          return { took: 1, responses: [searchAnswer([hit('long', 0, 0)])] };
        },
        mgetRollups: async request => {
          // Only the 4-step width's documents of the curve are asked for.
          const ids = request.ids as string[];
          sent.push(`mgetRollups ${ids.length}`);
          return stored(drop ? ids[5] : undefined);
        }
      };
      const answer = await readComparison(
        { user: 'alice', runIds: ['long'], axis: 'step', maxPoints: 1000 },
        names,
        requests,
        failure => {
          throw new Error(String(failure.status));
        }
      );
      return { sent, series: answer.runs[0].series };
    };
    // 3,000 steps in 249 buckets: 13 a bucket, on the 4-step width (750 buckets of it).
    const exact = await compareWith(false);
    expect(exact.sent).toEqual([`mgetRollups ${Math.ceil(750 / 64)}`]);
    expect(exact.series).toEqual({
      name: 'loss',
      scope: 'batch',
      source: 'callback',
      ...downsample(
        points.map(point => ({
          x: point.step as number,
          y: point.value as number,
          time: point['@timestamp']
        })),
        1000,
        'step'
      )
    });
    const short = await compareWith(true);
    expect(short.sent).toEqual([
      `mgetRollups ${Math.ceil(750 / 64)}`,
      'msearch 1'
    ]);
  });
});
