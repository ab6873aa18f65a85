/**
 * The Elasticsearch store through the real client with a fake connection:
 * what it sends on init and write, and how it reads the answers. (The real
 * cluster is exercised by test/integration.)
 */
import { Client } from '@elastic/elasticsearch';

import {
  ElasticsearchStore,
  SERIES_SEARCH_CONCURRENCY
} from '../../src/store/elasticsearch';
import { TEMPLATE_VERSION } from '../../src/store/es-mappings';
import { StoreUnavailableError } from '../../src/store/store';
import { fakeConnection, type IFakeAnswer } from '../fakeConnection';
import { memoryLogger } from '../ship/fakes';

/** Requests seen, as `METHOD path`, and the handler answering them. */
const seen: { route: string; body: string; querystring: string }[] = [];
let answer: (
  route: string,
  body: string
) => IFakeAnswer | Promise<IFakeAnswer> = () => ({
  status: 200,
  body: {}
});

const FakeConnection = fakeConnection(async params => {
  const route = `${params.method} ${params.path}`;
  const body =
    typeof params.body === 'string' ? params.body : String(params.body ?? '');
  seen.push({
    route,
    body,
    querystring: String(params.querystring ?? '')
  });
  return answer(route, body);
});

const INFO = {
  version: { number: '9.5.3' },
  cluster_name: 'fake',
  tagline: 'You Know, for Search'
};

function makeStore(): { store: ElasticsearchStore; lines: string[] } {
  const { logger, lines } = memoryLogger();
  const config = {
    urls: ['http://elastic:secret@es.example:9200'],
    verifyCerts: true,
    indexPrefix: 'tflog-',
    requestTimeoutMs: 1000,
    retentionDays: 30,
    warmDays: 7,
    coldDays: 20
  };
  const client = new Client({
    node: 'http://es.example:9200',
    Connection: FakeConnection,
    maxRetries: 0
  });
  return { store: new ElasticsearchStore({ config, logger, client }), lines };
}

beforeEach(() => {
  seen.length = 0;
});

describe('ElasticsearchStore.init', () => {
  it('creates the policy and templates where ILM exists', async () => {
    answer = route => {
      if (route === 'GET /') {
        return { status: 200, body: INFO };
      }
      if (route === 'GET /_ilm/status') {
        return { status: 200, body: { operation_mode: 'RUNNING' } };
      }
      return { status: 200, body: { acknowledged: true } };
    };
    const { store } = makeStore();
    await store.init();
    expect(seen.map(request => request.route)).toEqual([
      'GET /',
      'GET /_ilm/status',
      'GET /_ilm/policy/tflog-policy',
      'PUT /_ilm/policy/tflog-policy',
      'GET /_ilm/policy/tflog-runs-policy',
      'PUT /_ilm/policy/tflog-runs-policy',
      'GET /_index_template/tflog-logs',
      'GET /_index_template/tflog-metrics',
      'GET /_index_template/tflog-runs',
      'PUT /_index_template/tflog-logs',
      'PUT /_index_template/tflog-metrics',
      'PUT /_index_template/tflog-runs',
      'PUT /tflog-runs',
      'PUT /tflog-rollups',
      'PUT /tflog-runs/_mapping',
      'PUT /tflog-runs/_settings',
      `PUT /tflog-logs-${today()}`,
      `PUT /tflog-metrics-${today()}`
    ]);
    const phases = JSON.parse(seen[3].body).policy.phases;
    expect(
      Object.fromEntries(
        Object.entries(phases).map(([name, phase]) => [
          name,
          (phase as { min_age: string }).min_age
        ])
      )
    ).toEqual({ hot: '0ms', warm: '7d', cold: '20d', delete: '30d' });
    expect(
      JSON.parse(seen[9].body).template.settings['index.lifecycle.name']
    ).toBe('tflog-policy');
    expect(
      JSON.parse(seen[11].body).template.settings['index.lifecycle.name']
    ).toBe('tflog-runs-policy');
    // A runs index an older tflog made gets the fields it lacks.
    expect(JSON.parse(seen[14].body).properties.metric_sort).toMatchObject({
      type: 'nested'
    });
    expect(JSON.parse(seen[15].body)).toEqual({
      'index.lifecycle.name': 'tflog-runs-policy'
    });
    expect((await store.status()).degraded).toEqual([]);
  });

  it('leaves templates and policies that a newer tflog installed, and says so', async () => {
    answer = route => {
      if (route === 'GET /') {
        return { status: 200, body: INFO };
      }
      if (route === 'GET /_ilm/policy/tflog-policy') {
        return {
          status: 200,
          body: {
            'tflog-policy': {
              // Counts updates: not the policy's own version.
              version: 1,
              policy: { phases: {}, _meta: { version: 99 } }
            }
          }
        };
      }
      if (route.startsWith('GET /_index_template/')) {
        const name = route.slice('GET /_index_template/'.length);
        return {
          status: 200,
          body: {
            index_templates: [
              {
                name,
                index_template: {
                  index_patterns: ['x'],
                  composed_of: [],
                  version: name === 'tflog-metrics' ? 42 : 1
                }
              }
            ]
          }
        };
      }
      return { status: 200, body: { acknowledged: true } };
    };
    const { store, lines } = makeStore();
    await store.init();
    const routes = seen.map(request => request.route);
    expect(routes).not.toContain('PUT /_ilm/policy/tflog-policy');
    expect(routes).toContain('PUT /_ilm/policy/tflog-runs-policy');
    expect(
      routes.filter(route => route.startsWith('PUT /_index_template/'))
    ).toEqual([]);
    const { degraded } = await store.status();
    expect(degraded).toEqual([
      'ILM policy tflog-policy version 99 installed by a newer tflog; this one (2) leaves it',
      `templates version 42 installed by a newer tflog; this one (${TEMPLATE_VERSION}) leaves them (tflog-logs, tflog-metrics, tflog-runs)`
    ]);
    expect(lines.join('\n')).toMatch(/WARN .*templates version 42/);
  });

  it('replaces templates and policies of an older or the same version', async () => {
    answer = route => {
      if (route === 'GET /') {
        return { status: 200, body: INFO };
      }
      if (route === 'GET /_ilm/policy/tflog-policy') {
        return {
          status: 200,
          body: {
            'tflog-policy': {
              version: 7,
              policy: { phases: {}, _meta: { retention_days: 90 } }
            }
          }
        };
      }
      if (route.startsWith('GET /_index_template/')) {
        const name = route.slice('GET /_index_template/'.length);
        return {
          status: 200,
          body: {
            index_templates: [
              {
                name,
                index_template: {
                  index_patterns: ['x'],
                  composed_of: [],
                  version: 2
                }
              }
            ]
          }
        };
      }
      return { status: 200, body: { acknowledged: true } };
    };
    const { store } = makeStore();
    await store.init();
    const routes = seen.map(request => request.route);
    expect(routes).toContain('PUT /_ilm/policy/tflog-policy');
    expect(
      routes.filter(route => route.startsWith('PUT /_index_template/'))
    ).toHaveLength(3);
    expect((await store.status()).degraded).toEqual([]);
  });

  it('works without ILM and says so in status', async () => {
    answer = route => {
      if (route === 'GET /') {
        return { status: 200, body: INFO };
      }
      if (route === 'GET /_ilm/status') {
        return {
          status: 400,
          body: {
            error: 'no handler found for uri [/_ilm/status] and method [GET]'
          }
        };
      }
      if (route === 'PUT /tflog-runs') {
        return {
          status: 400,
          body: {
            error: {
              type: 'resource_already_exists_exception',
              reason: 'exists'
            },
            status: 400
          }
        };
      }
      return { status: 200, body: { acknowledged: true } };
    };
    const { store, lines } = makeStore();
    await store.init();
    expect(seen.map(request => request.route)).not.toContain(
      'PUT /_ilm/policy/tflog-policy'
    );
    expect(seen[5].route).toBe('PUT /_index_template/tflog-logs');
    expect(JSON.parse(seen[5].body).template.settings).not.toHaveProperty(
      'index.lifecycle.name'
    );
    expect(seen.map(request => request.route)).not.toContain(
      'PUT /tflog-runs/_settings'
    );
    const status = await store.status();
    expect(status).toMatchObject({
      kind: 'elasticsearch',
      healthy: true,
      version: '9.5.3'
    });
    expect(status.location).toBe('http://es.example:9200/');
    expect(status.degraded[0]).toMatch(
      /ILM is not available on this cluster .*no handler found.*tflog prune/
    );
    expect(lines.join('\n')).toMatch(/WARN .*ILM is not available/);
  });

  it("creates today's daily indices up front, and starts without them when it may not", async () => {
    answer = route => {
      if (route === 'GET /') {
        return { status: 200, body: INFO };
      }
      if (route.startsWith('PUT /tflog-logs-')) {
        return {
          status: 400,
          body: {
            error: { type: 'resource_already_exists_exception', reason: 'x' },
            status: 400
          }
        };
      }
      if (route.startsWith('PUT /tflog-metrics-')) {
        return {
          status: 403,
          body: {
            error: { type: 'security_exception', reason: 'unauthorized' },
            status: 403
          }
        };
      }
      return { status: 200, body: { acknowledged: true } };
    };
    const { store, lines } = makeStore();
    await expect(store.init()).resolves.toBeUndefined();
    expect(seen.map(request => request.route)).toContain(
      `PUT /tflog-metrics-${today()}`
    );
    expect(lines.join('\n')).toMatch(
      /cannot create today's index tflog-metrics-.*403/
    );
    expect(lines.join('\n')).not.toMatch(/tflog-logs-.*already/);
  });

  it('refuses a cluster older than 8', async () => {
    answer = () => ({
      status: 200,
      body: { ...INFO, version: { number: '7.17.0' } }
    });
    await expect(makeStore().store.init()).rejects.toThrow(
      /7\.17\.0 .* too old/
    );
  });
});

describe('ElasticsearchStore.write', () => {
  it('sends one bulk request of create operations and reads per-item results', async () => {
    answer = (route, body) => {
      const actions = body
        .trim()
        .split('\n')
        .filter((_, index) => index % 2 === 0);
      return {
        status: 200,
        body: {
          errors: true,
          took: 1,
          items: actions.map((_, index) =>
            index === 1
              ? {
                  create: {
                    _index: 'x',
                    status: 429,
                    error: {
                      type: 'es_rejected_execution_exception',
                      reason: 'busy'
                    }
                  }
                }
              : { create: { _index: 'x', status: index === 0 ? 201 : 409 } }
          )
        }
      };
    };
    const { store } = makeStore();
    const document = (id: string) => ({
      _id: id,
      '@timestamp': '2025-11-28T20:16:59.470Z',
      message: 'm',
      log: { level: 'info' },
      event: { dataset: 'tflog.log', sequence: 1, kind: 'event' as const },
      user: { name: 'u' },
      host: { name: 'h' },
      process: { pid: 1 },
      service: { name: 'tflog' as const },
      ecs: { version: '8.11.0' },
      labels: {},
      tflog: {
        run_id: 'r',
        run_name: null,
        notebook: null,
        kernel_id: null,
        source: 'logging' as const,
        kind: 'log' as const
      }
    });
    const result = await store.write({
      documents: [document('r:1'), document('r:2'), document('r:3')],
      points: [],
      runs: []
    });
    expect(seen[0].route).toBe('POST /_bulk');
    // Only what interpretBulkResponse reads comes back: each item's status and error.
    expect(new URLSearchParams(seen[0].querystring).get('filter_path')).toBe(
      'items.*.status,items.*.error'
    );
    expect(result).toEqual({
      created: 1,
      duplicates: 1,
      rejected: [],
      retry: [
        {
          kind: 'document',
          id: 'r:2',
          reason: 'es_rejected_execution_exception: busy',
          statusCode: 429
        }
      ]
    });
  });

  it('turns a whole-request 429 into StoreUnavailableError with the Retry-After delay', async () => {
    answer = () => ({
      status: 429,
      body: {
        error: { type: 'circuit_breaking_exception', reason: 'too much' },
        status: 429
      },
      headers: { 'retry-after': '7' }
    });
    const { store } = makeStore();
    const failure = await store
      .write({ documents: [], points: [], runs: [{ run_id: 'r' } as never] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect(failure).toMatchObject({ statusCode: 429, retryAfterMs: 7000 });
    expect(String((failure as Error).message)).toMatch(
      /busy or failing \(429 circuit_breaking_exception: too much\)/
    );
  });

  it('sends nothing for an empty batch', async () => {
    const { store } = makeStore();
    expect(await store.write({ documents: [], points: [], runs: [] })).toEqual({
      created: 0,
      duplicates: 0,
      rejected: []
    });
    expect(seen).toEqual([]);
  });
});

describe('ElasticsearchStore.series', () => {
  const SERIES = 40;
  const QUERY = {
    runId: 'run-1',
    axis: 'step' as const,
    maxPoints: 100
  };

  /** The series name a search for one series asks for. */
  function seriesNameOf(body: string): string | undefined {
    const request = JSON.parse(body) as {
      query?: { bool?: { filter?: { term?: { name?: string } }[] } };
    };
    return request.query?.bool?.filter?.find(
      clause => clause.term?.name !== undefined
    )?.term?.name;
  }

  /**
   * A cluster holding SERIES series (`m00`…), each of one point whose value
   * is its number; each series search waits for `release` and may fail.
   */
  function cluster(options: { failing?: string } = {}) {
    const state = { inFlight: 0, maxInFlight: 0, seriesSearches: 0 };
    const waiting: (() => void)[] = [];
    answer = async (route, body) => {
      if (route.startsWith('GET /') && route.includes('/_doc/')) {
        // No summary of the run: its series are searched in every index.
        return { status: 404, body: { found: false } };
      }
      const name = seriesNameOf(body);
      if (name === undefined) {
        const buckets = Array.from({ length: SERIES }, (_, index) => ({
          key: {
            name: `m${String(index).padStart(2, '0')}`,
            scope: 'epoch',
            source: 'callback'
          },
          doc_count: 1,
          min_x: { value: 1 },
          max_x: { value: 1 }
        }));
        return {
          status: 200,
          body: { hits: { hits: [] }, aggregations: { series: { buckets } } }
        };
      }
      state.seriesSearches += 1;
      state.inFlight += 1;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      await new Promise<void>(resume => waiting.push(resume));
      state.inFlight -= 1;
      if (name === options.failing) {
        return {
          status: 400,
          body: {
            error: { type: 'query_shard_exception', reason: `bad ${name}` },
            status: 400
          }
        };
      }
      return {
        status: 200,
        body: {
          hits: {
            hits: [
              {
                _index: 'tflog-metrics-2026.01.31',
                _id: `p-${name}`,
                _source: {
                  name,
                  scope: 'epoch',
                  source: 'callback',
                  step: 1,
                  value: Number(name.slice(1)),
                  '@timestamp': '2026-01-31T10:00:00.000Z'
                }
              }
            ]
          }
        }
      };
    };
    /** Answers the waiting searches one at a time until `done` settles. */
    async function answerAll(
      done: Promise<unknown>,
      first: 'newest' | 'oldest'
    ): Promise<void> {
      let settled = false;
      void done.then(
        () => (settled = true),
        () => (settled = true)
      );
      while (!settled) {
        (first === 'newest' ? waiting.pop() : waiting.shift())?.();
        await new Promise(resume => setImmediate(resume));
      }
    }
    return { state, answerAll };
  }

  it(`runs at most ${SERIES_SEARCH_CONCURRENCY} series searches at once and pairs each answer with its series`, async () => {
    const { state, answerAll } = cluster();
    const { store } = makeStore();
    const result = store.series(QUERY);
    // The newest first: answers arrive in another order than asked.
    await answerAll(result, 'newest');
    const series = await result;

    expect(state.seriesSearches).toBe(SERIES);
    expect(state.maxInFlight).toBeGreaterThan(1);
    expect(state.maxInFlight).toBeLessThanOrEqual(SERIES_SEARCH_CONCURRENCY);
    expect(series.map(one => one.name)).toEqual(
      Array.from(
        { length: SERIES },
        (_, index) => `m${String(index).padStart(2, '0')}`
      )
    );
    for (const one of series) {
      expect(one.points.map(point => point.y)).toEqual([
        Number(one.name.slice(1))
      ]);
    }
  });

  it('starts no more series searches after one fails, and reports that one', async () => {
    const { state, answerAll } = cluster({ failing: 'm02' });
    const { store } = makeStore();
    const result = store.series(QUERY);
    const outcome = expect(result).rejects.toMatchObject({
      name: 'StoreQueryError',
      message: expect.stringContaining('bad m02')
    });
    await answerAll(result, 'oldest');
    await outcome;
    expect(state.seriesSearches).toBeLessThan(SERIES);
  });
});

describe('ElasticsearchStore queries', () => {
  it('answers a missing run with null', async () => {
    answer = () => ({
      status: 404,
      body: { _index: 'tflog-runs', _id: 'x', found: false }
    });
    expect(await makeStore().store.getRun('x')).toBeNull();
  });

  it('maps a bad request to StoreQueryError', async () => {
    answer = () => ({
      status: 400,
      body: {
        error: { type: 'search_phase_execution_exception', reason: 'bad' },
        status: 400
      }
    });
    await expect(
      makeStore().store.searchRuns({ size: 5 })
    ).rejects.toMatchObject({
      name: 'StoreQueryError',
      message: 'listing runs: 400 search_phase_execution_exception: bad'
    });
  });
});

/** Today's `YYYY.MM.DD` in UTC, as daily index names have it. */
function today(): string {
  return new Date().toISOString().slice(0, 10).replace(/-/g, '.');
}
