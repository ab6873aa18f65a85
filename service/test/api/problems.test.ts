/**
 * `GET /problems` over a real embedded store: the current user's warnings
 * and errors grouped into templates, filtered by time, notebook and level;
 * parameters checked with 400s naming them.
 */
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { createApiServer, IApiServer, ListeningAt } from '../../src/api';
import { EmbeddedStore } from '../../src/store/embedded';
import type { IRunSummary, ITflogDocument } from '../../src/types';
import type { IProblemsAnswer } from '../../src/wire';
import { memoryLogger } from '../ship/fakes';
import {
  errorOf,
  request,
  runSummary,
  serviceStatus,
  startServer
} from './helpers';

function record(
  runId: string,
  user: string,
  seq: number,
  level: string,
  message: string
): ITflogDocument {
  const time = new Date(Date.UTC(2026, 0, 31, 10, seq)).toISOString();
  return {
    _id: `${runId}:${seq}`,
    '@timestamp': time,
    message,
    log: { level },
    event: {
      dataset: 'tflog.log',
      sequence: seq,
      kind: 'event',
      created: time
    },
    user: { name: user },
    host: { name: 'node-1' },
    process: { pid: 1 },
    service: { name: 'tflog' },
    ecs: { version: '8.11.0' },
    labels: {},
    tflog: {
      run_id: runId,
      run_name: 'mnist',
      notebook: 'work/train.ipynb',
      kernel_id: 'k-1',
      source: 'logging',
      kind: 'log'
    }
  };
}

describe('GET /problems', () => {
  let dir: string;
  let store: EmbeddedStore;
  const servers: IApiServer[] = [];

  async function serve(
    user: string,
    serverRoot?: string
  ): Promise<ListeningAt> {
    const api = createApiServer({
      store,
      getStatus: () => serviceStatus(),
      version: 'test',
      user,
      serverRoot,
      logger: { error: () => undefined }
    });
    servers.push(api);
    return api.listen({ port: 0 });
  }

  async function get(at: ListeningAt, url: string): Promise<IProblemsAnswer> {
    const response = await request(at, url);
    expect({ url, status: response.status, text: response.text }).toMatchObject(
      { status: 200 }
    );
    return JSON.parse(response.text) as IProblemsAnswer;
  }

  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-problems-api-'));
    store = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger
    });
    await store.init();
    const runs: IRunSummary[] = [
      runSummary('20260131T100000-a'),
      runSummary('20260131T110000-b', {
        notebook: 'work/other.ipynb',
        started: '2026-01-31T11:00:00.000Z'
      }),
      runSummary('20260131T120000-c', { user: 'bob' })
    ];
    const a = '20260131T100000-a';
    const b = '20260131T110000-b';
    await store.write({
      documents: [
        record(a, 'alice', 1, 'info', 'Epoch 1/3 done'),
        record(a, 'alice', 2, 'warning', 'Gradient norm 41.2 above 10'),
        record(a, 'alice', 3, 'error', 'Loss became NaN at step 3420'),
        record(a, 'alice', 4, 'fatal', 'Kernel died with signal 9'),
        record(b, 'alice', 5, 'error', 'Loss became NaN at step 12'),
        record(b, 'alice', 6, 'warning', 'Gradient norm 99.9 above 10'),
        record(b, 'alice', 7, 'error', 'Loss became NaN at step 13'),
        record('20260131T120000-c', 'bob', 8, 'error', 'Secret path /x/y')
      ],
      points: [],
      runs,
      runVersions: Object.fromEntries(runs.map(run => [run.run_id, 1]))
    });
  });

  afterAll(async () => {
    await Promise.all(servers.map(server => server.close()));
    await store.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('groups the user’s warnings and errors, most frequent first', async () => {
    const at = await serve('alice');
    expect(await get(at, '/api/v1/problems')).toEqual({
      templates: [
        {
          template: 'Loss became NaN at step <*>',
          count: 3,
          levels: ['error'],
          first_seen: '2026-01-31T10:03:00.000Z',
          last_seen: '2026-01-31T10:07:00.000Z',
          runs: ['20260131T110000-b', '20260131T100000-a'],
          run_count: 2,
          example: 'Loss became NaN at step 13'
        },
        {
          template: 'Gradient norm <*> above <*>',
          count: 2,
          levels: ['warning'],
          first_seen: '2026-01-31T10:02:00.000Z',
          last_seen: '2026-01-31T10:06:00.000Z',
          runs: ['20260131T110000-b', '20260131T100000-a'],
          run_count: 2,
          example: 'Gradient norm 99.9 above 10'
        },
        {
          template: 'Kernel died with signal <*>',
          count: 1,
          levels: ['fatal'],
          first_seen: '2026-01-31T10:04:00.000Z',
          last_seen: '2026-01-31T10:04:00.000Z',
          runs: ['20260131T100000-a'],
          run_count: 1,
          example: 'Kernel died with signal 9'
        }
      ],
      events: 6,
      sampled: false
    });
    const bob = await get(await serve('bob'), '/api/v1/problems');
    expect(bob.templates.map(item => item.example)).toEqual([
      'Secret path /x/y'
    ]);
  });

  it('filters by level, notebook (relative to the server root), time; keeps size templates', async () => {
    const at = await serve('alice', '/home/alice');
    const summary = (answer: IProblemsAnswer): [string, number][] =>
      answer.templates.map(item => [item.template, item.count]);
    expect(summary(await get(at, '/api/v1/problems?level=warning'))).toEqual([
      ['Gradient norm <*> above <*>', 2]
    ]);
    expect(summary(await get(at, '/api/v1/problems?level=error'))).toEqual([
      ['Loss became NaN at step <*>', 3],
      ['Kernel died with signal <*>', 1]
    ]);
    expect(
      (await get(at, '/api/v1/problems?level=warning&level=error')).events
    ).toBe(6);
    expect(
      summary(
        await get(
          at,
          '/api/v1/problems?notebook=%2Fhome%2Falice%2Fwork%2Fother.ipynb'
        )
      )
    ).toEqual([
      ['Loss became NaN at step <*>', 2],
      ['Gradient norm <*> above <*>', 1]
    ]);
    expect(
      summary(
        await get(
          at,
          '/api/v1/problems?from=2026-01-31T10:03:00Z&to=2026-01-31T10:05:00Z'
        )
      )
    ).toEqual([
      ['Kernel died with signal <*>', 1],
      ['Loss became NaN at step <*>', 1]
    ]);
    const first = await get(at, '/api/v1/problems?size=1');
    expect(summary(first)).toEqual([['Loss became NaN at step <*>', 3]]);
    expect(first.events).toBe(6);
  });

  const refused: [string, string, string][] = [
    ['/api/v1/problems?level=info', 'level', 'warning'],
    ['/api/v1/problems?size=0', 'size', 'between 1 and 200'],
    ['/api/v1/problems?size=201', 'size', 'between 1 and 200'],
    ['/api/v1/problems?from=yesterday', 'from', 'ISO 8601'],
    [
      '/api/v1/problems?from=2026-02-01&to=2026-01-01',
      'to',
      'earlier than from'
    ],
    [
      `/api/v1/problems?${Array.from({ length: 17 }, (_, n) => `notebook=n${n}`).join('&')}`,
      'notebook',
      'at most 16'
    ],
    ['/api/v1/problems?after=abc', 'after', 'unknown parameter'],
    ['/api/v1/problems?user=bob', 'user', 'unknown parameter']
  ];

  it.each(refused)('%s is refused naming %s', async (url, name, words) => {
    const at = await serve('alice');
    const response = await request(at, url);
    expect(response.status).toBe(400);
    const error = errorOf(response);
    expect(error).toMatchObject({
      status: 400,
      reason: 'invalid_parameter',
      parameter: name
    });
    expect(error.message.startsWith(`${name}: `)).toBe(true);
    expect(error.message).toContain(words);
  });

  it('answers 501 from a store that cannot group', async () => {
    const server = await startServer();
    servers.push(server.api);
    const response = await request(server.at, '/api/v1/problems');
    expect(response.status).toBe(501);
    expect(errorOf(response).reason).toBe('not_implemented');
  });
});
