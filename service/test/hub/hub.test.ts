/**
 * The hub service end to end in one process: its API in hub mode (every
 * request answered for its token's user), a real embedded store behind it,
 * and users' services talking to it through HubStore, as on a hub.
 */
import * as fsp from 'fs/promises';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

import { createApiServer, type IApiServer } from '../../src/api';
import { HubIdentity } from '../../src/hub/identity';
import { HubIngest } from '../../src/hub/ingest';
import { RunOwners } from '../../src/hub/owners';
import { UserQuotas, type IQuotaLimits } from '../../src/hub/quota';
import { HubWriteQueue } from '../../src/hub/write-queue';
import { StatusTracker } from '../../src/ship/status';
import { EmbeddedStore } from '../../src/store/embedded';
import { HubStore } from '../../src/store/hub-client';
import {
  StoreQueryError,
  StoreUnavailableError,
  type IRunOwnerStore,
  type IStore,
  type IWriteBatch,
  type IWriteResult
} from '../../src/store/store';
import type { IRunSummary, ITflogDocument } from '../../src/types';
import { logEvent, lossPoint } from '../documents';
import {
  expectCompareMatch,
  expectLogSearchMatch,
  expectLogsAroundMatch,
  expectRunHistoryMatch
} from '../store/history-contract';
import { memoryLogger } from '../ship/fakes';

const TOKENS: Record<string, { kind: string; name: string }> = {
  'alice-token': { kind: 'user', name: 'alice' },
  'bob-token': { kind: 'user', name: 'bob' },
  'service-token': { kind: 'service', name: 'announcer' }
};

/** A stand-in for JupyterHub's `GET /hub/api/user`, counting questions. */
async function fakeHub(): Promise<{
  url: string;
  asked: () => number;
  close(): Promise<void>;
}> {
  let asked = 0;
  const server: Server = createServer((request, response) => {
    asked += 1;
    const token = /^token (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const model = token ? TOKENS[token] : undefined;
    if (request.url !== '/hub/api/user' || !model) {
      response.writeHead(403).end('{"status":403}');
      return;
    }
    response
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify(model));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hub/api`,
    asked: () => asked,
    close: () => new Promise(resolve => server.close(() => resolve()))
  };
}

class MemoryOwners implements IRunOwnerStore {
  readonly owners = new Map<string, string>();
  async claimRuns(
    user: string,
    runIds: string[]
  ): Promise<Map<string, string>> {
    const answer = new Map<string, string>();
    for (const runId of runIds) {
      if (!this.owners.has(runId)) {
        this.owners.set(runId, user);
      }
      answer.set(runId, this.owners.get(runId) as string);
    }
    return answer;
  }
}

function summary(runId: string, user: string, seq: number): IRunSummary {
  return {
    run_id: runId,
    name: `train ${runId}`,
    status: 'running',
    notebook: 'train.ipynb',
    kernel_id: 'k',
    user,
    host: 'h',
    tags: { team: 'vision' },
    hparams: {},
    started: '2026-12-01T10:00:00.000Z',
    ended: null,
    updated: new Date(Date.parse('2026-12-01T10:00:00Z') + seq).toISOString(),
    last_metrics: { loss: seq },
    last_epoch: null,
    last_step: null,
    counts: { events: seq, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0
  };
}

function event(
  runId: string,
  seq: number,
  user: string,
  message: string
): ITflogDocument {
  return logEvent(runId, seq, { user, message });
}

/** A run's first batch as a user's service sends it (the user it claims may lie). */
function runBatch(runId: string, claimedUser: string, seq = 3): IWriteBatch {
  return {
    documents: [1, 2, 3].map(n =>
      event(runId, n, claimedUser, `line ${n} of ${runId}`)
    ),
    points: [
      lossPoint(runId, 3, {
        '@timestamp': '2026-12-01T10:00:00.003Z',
        user: claimedUser
      })
    ],
    runs: [summary(runId, claimedUser, seq)],
    runVersions: { [runId]: seq }
  };
}

/** Resolves once `condition` holds; fails the test after 5 s. */
async function waitUntil(
  condition: () => boolean | Promise<boolean>
): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`still not true after 5 s: ${condition.toString()}`);
    }
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

describe('the hub service', () => {
  let dir: string;
  let hub: Awaited<ReturnType<typeof fakeHub>>;
  let store: EmbeddedStore;
  let api: IApiServer;
  let url: string;
  let owners: MemoryOwners;
  let logLines: string[];

  async function start(
    limits: IQuotaLimits = { docsPerSecond: 0, bytesPerDay: 0 },
    writes = new HubWriteQueue(),
    writeTo: IStore = store
  ): Promise<void> {
    owners = new MemoryOwners();
    const { logger, lines } = memoryLogger();
    logLines = lines;
    const identity = new HubIdentity({ apiUrl: hub.url });
    const quotas = new UserQuotas(limits);
    const ingest = new HubIngest({
      store: writeTo,
      owners: new RunOwners(owners),
      quotas,
      logger,
      writes
    });
    api = createApiServer({
      store,
      getStatus: user => ({
        ...new StatusTracker({ spoolDir: '/s', stateDir: '/t' }).snapshot(),
        hub: { user, usage: quotas.usage(user), writes: writes.status() }
      }),
      version: 'test',
      user: '(hub)',
      authenticate: headers => identity.userOf(headers.authorization),
      ingest: (user, body, bytes, signal) =>
        ingest.ingest(user, body, bytes, signal),
      maxBodyBytes: 64 * 1024,
      basePath: '/services/tflog/'
    });
    const at = await api.listen({ port: 0 });
    url = `http://127.0.0.1:${'port' in at ? at.port : 0}/services/tflog/`;
  }

  function client(token: string): HubStore {
    return new HubStore({ url, token });
  }

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-hub-'));
    hub = await fakeHub();
    store = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger
    });
    await store.init();
  });
  afterEach(async () => {
    await api?.close();
    await store.close();
    await hub.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('stores each user under the name their token belongs to, whatever the batch claims', async () => {
    await start();
    const alice = client('alice-token');
    await alice.init();
    expect(await alice.write(runBatch('run-a', 'bob'))).toEqual({
      created: 5,
      duplicates: 0,
      rejected: []
    });
    expect((await store.getRun('run-a'))?.user).toBe('alice');
    const logs = await store.logs({ runId: 'run-a', size: 10, order: 'asc' });
    expect(logs.lines.map(line => line.user.name)).toEqual([
      'alice',
      'alice',
      'alice'
    ]);
    const [series] = await alice.series({
      runId: 'run-a',
      axis: 'epoch',
      maxPoints: 10
    });
    expect(series.points.map(p => p.y)).toEqual([0.5]);
  });

  it("answers every query for the caller only: another user's runs do not exist", async () => {
    await start();
    const alice = client('alice-token');
    const bob = client('bob-token');
    await alice.write(runBatch('run-a', 'alice'));
    await bob.write(runBatch('run-b', 'bob'));
    expect(
      (await alice.searchRuns({ size: 10 })).runs.map(r => r.run_id)
    ).toEqual(['run-a']);
    expect(
      (await bob.searchRuns({ size: 10 })).runs.map(r => r.run_id)
    ).toEqual(['run-b']);
    expect(await bob.getRun('run-a')).toBeNull();
    await expect(
      bob.logs({ runId: 'run-a', size: 10, order: 'asc' })
    ).rejects.toThrow(/no run 'run-a'/);
    await expect(
      bob.series({ runId: 'run-a', axis: 'step', maxPoints: 10 })
    ).rejects.toThrow(/no run 'run-a'/);
    const asBob = await fetch(`${url}api/v1/runs?user=alice`, {
      headers: { Authorization: 'token bob-token' }
    });
    expect(asBob.status).toBe(403);
  });

  it('filters and sorts runs as the store does, for the caller only', async () => {
    await start();
    await expectRunHistoryMatch(
      client('alice-token'),
      'history',
      async () => undefined,
      client('bob-token')
    );
  });

  it('answers the log lines around a time as the store does', async () => {
    await start();
    await expectLogsAroundMatch(client('alice-token'), 'around');
  });

  it('searches log lines across the caller’s runs only, as the store does', async () => {
    await start();
    await expectLogSearchMatch(
      client('alice-token'),
      'search',
      async () => undefined,
      client('bob-token')
    );
  });

  it('compares runs of the caller only, as the store does', async () => {
    await start();
    await expectCompareMatch(
      client('alice-token'),
      'compare',
      async () => undefined,
      client('bob-token')
    );
  });

  it('passes a zoomed series range on', async () => {
    await start();
    const alice = client('alice-token');
    await alice.write(runBatch('run-a', 'alice'));
    const zoomed = async (from: number, to: number): Promise<number> =>
      (
        await alice.series({
          runId: 'run-a',
          axis: 'epoch',
          maxPoints: 10,
          from,
          to
        })
      ).length;
    expect(await zoomed(0, 0)).toBe(1);
    expect(await zoomed(1, 2)).toBe(0);
  });

  it('answers queries across runs for the caller only, whatever user the query names', async () => {
    await start();
    const alice = client('alice-token');
    const bob = client('bob-token');
    const aliceBatch = runBatch('run-a', 'alice');
    aliceBatch.runs[0].counts.errors = 2;
    aliceBatch.points.push(
      lossPoint('run-a', 4, {
        '@timestamp': '2026-12-01T10:00:01.000Z',
        value: undefined,
        nonfinite: 'NaN',
        step: 7
      })
    );
    await alice.write(aliceBatch);
    const bobBatch = runBatch('run-b', 'bob');
    bobBatch.runs[0].counts.errors = 5;
    bobBatch.points[0].value = 3;
    await bob.write(bobBatch);
    const points = await alice.thresholdPoints({
      user: 'bob',
      metric: 'loss',
      bounds: { gt: 0.1, lte: 10 },
      from: '2026-12-01T00:00:00.000Z',
      notebooks: ['train.ipynb'],
      runIds: ['run-a', 'run-b'],
      scope: 'epoch',
      size: 10
    });
    expect(points.points.map(p => [p.run_id, p.run_name, p.value])).toEqual([
      ['run-a', 'train run-a', 0.5]
    ]);
    expect(
      (
        await bob.thresholdPoints({
          user: 'alice',
          metric: 'loss',
          bounds: { gt: 1 },
          size: 10
        })
      ).points.map(p => p.run_id)
    ).toEqual(['run-b']);
    const nonfinite = await alice.nonfiniteRuns({ user: 'bob', size: 10 });
    expect(nonfinite.runs.map(r => [r.run_id, r.value, r.step])).toEqual([
      ['run-a', 'NaN', 7]
    ]);
    expect((await bob.nonfiniteRuns({ user: 'bob', size: 10 })).runs).toEqual(
      []
    );
    const counts = await alice.errorCounts({ user: 'bob', size: 10 });
    expect(counts.runs.map(r => [r.run_id, r.errors])).toEqual([['run-a', 2]]);
    expect(counts.total).toBe(1);
    await expect(
      alice.errorCounts({ user: 'alice', size: 10, after: 'bm9wZQ' })
    ).rejects.toThrow(/cursor/);
  });

  it('groups the caller’s warnings and errors only, forwarding levels and filters', async () => {
    await start();
    const alice = client('alice-token');
    const bob = client('bob-token');
    const aliceBatch = runBatch('run-a', 'alice');
    aliceBatch.documents.push(
      {
        ...event('run-a', 4, 'alice', 'Loss became NaN at step 7'),
        log: { level: 'error' }
      },
      {
        ...event('run-a', 5, 'alice', 'Loss became NaN at step 9'),
        log: { level: 'error' }
      }
    );
    await alice.write(aliceBatch);
    const bobBatch = runBatch('run-b', 'bob');
    bobBatch.documents.push({
      ...event('run-b', 4, 'bob', 'Disk full on /data'),
      log: { level: 'error' }
    });
    await bob.write(bobBatch);
    const answer = await alice.problems({
      user: 'bob',
      levels: ['error'],
      notebooks: ['train.ipynb'],
      from: '2026-12-01T00:00:00.000Z',
      size: 10
    });
    expect(
      answer.templates.map(item => [item.template, item.count, item.runs])
    ).toEqual([['Loss became NaN at step <*>', 2, ['run-a']]]);
    expect(answer).toMatchObject({ events: 2, sampled: false });
    expect(
      (await alice.problems({ user: 'alice', levels: ['warning'], size: 10 }))
        .templates
    ).toEqual([]);
    expect(
      (
        await bob.problems({
          user: 'bob',
          levels: ['warning', 'error'],
          size: 1
        })
      ).templates.map(item => item.example)
    ).toEqual(['Disk full on /data']);
  });

  it("refuses and counts records for another user's run id, however high their version", async () => {
    await start();
    const alice = client('alice-token');
    const bob = client('bob-token');
    await bob.write(runBatch('run-b', 'bob', 3));
    const forged = runBatch('run-b', 'bob', 1_000_000);
    forged.documents = [event('run-b', 99, 'bob', 'loss became 42')];
    const result = await alice.write(forged);
    expect(result.created).toBe(0);
    expect(result.rejected).toHaveLength(3);
    expect(
      result.rejected.every(item =>
        /run run-b belongs to another user/.test(item.reason)
      )
    ).toBe(true);
    const run = await bob.getRun('run-b');
    expect(run?.last_metrics).toEqual({ loss: 3 });
    expect(run?.user).toBe('bob');
    expect(
      (await store.logs({ runId: 'run-b', size: 10, order: 'asc' })).total
    ).toBe(3);
    expect(logLines.join('\n')).toMatch(
      /refused 3 item\(s\) from alice for runs of other users/
    );
    const status = (await (
      await fetch(`${url}api/v1/status`, {
        headers: { Authorization: 'token alice-token' }
      })
    ).json()) as { hub: { usage: { refusedForeignRun: number } } };
    expect(status.hub.usage.refusedForeignRun).toBe(3);
  });

  it('refuses requests without a user token, and asks the hub once per token for a while', async () => {
    await start();
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: 'token nobody' },
      { Authorization: 'token service-token' }
    ];
    for (const headers of attempts) {
      const response = await fetch(`${url}api/v1/runs`, { headers });
      expect([401, 403]).toContain(response.status);
    }
    const unknown = await fetch(`${url}api/v1/runs`, {
      headers: { Authorization: 'token nobody' }
    });
    expect(
      ((await unknown.json()) as { error: { message: string } }).error.message
    ).toMatch(/JupyterHub does not know this token/);
    const before = hub.asked();
    const alice = client('alice-token');
    for (let index = 0; index < 5; index += 1) {
      await alice.searchRuns({ size: 1 });
    }
    expect(hub.asked() - before).toBe(1);
    await expect(
      client('nobody').write(runBatch('run-x', 'x'))
    ).rejects.toThrow(/refused this server's JupyterHub token \(401\)/);
  });

  it('cuts a flooding user by quota with 429 and when to retry, while another user still writes', async () => {
    await start({ docsPerSecond: 5, burstDocs: 10, bytesPerDay: 0 });
    const alice = client('alice-token');
    const bob = client('bob-token');
    await alice.write(runBatch('run-a', 'alice'));
    let refusal: unknown;
    try {
      for (let seq = 10; seq < 30; seq += 1) {
        await alice.write({
          documents: [event('run-a', seq, 'alice', 'spam')],
          points: [],
          runs: []
        });
      }
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StoreUnavailableError);
    expect(String(refusal)).toMatch(
      /more than 5 documents\/s \(TFLOG_HUB_QUOTA_DOCS_PER_S\)/
    );
    expect((refusal as StoreUnavailableError).statusCode).toBe(429);
    expect(
      (refusal as StoreUnavailableError).retryAfterMs
    ).toBeGreaterThanOrEqual(1000);
    expect(await bob.write(runBatch('run-b', 'bob'))).toMatchObject({
      created: 5
    });
  });

  it('writes full batches in turn and drops one whose sender gave up waiting', async () => {
    // The store holds every write until released, so the first one keeps
    // the only slot and the next waits for its turn.
    const releases: (() => void)[] = [];
    const held = Object.create(store) as IStore;
    held.write = (batch: IWriteBatch): Promise<IWriteResult> =>
      new Promise(resolve => releases.push(() => resolve(store.write(batch))));
    await start(undefined, new HubWriteQueue(1, 0), held);
    const first = client('alice-token').write(runBatch('run-a', 'alice'));
    await waitUntil(() => releases.length === 1);
    const impatient = new HubStore({ url, token: 'bob-token', timeoutMs: 300 });
    await expect(impatient.write(runBatch('run-b', 'bob'))).rejects.toThrow(
      StoreUnavailableError
    );
    const hubStatus = async (token: string) =>
      (
        (await (
          await fetch(`${url}api/v1/status`, {
            headers: { Authorization: `token ${token}` }
          })
        ).json()) as {
          hub: {
            writes: Record<string, number>;
            usage: Record<string, number>;
          };
        }
      ).hub;
    const status = async () => (await hubStatus('alice-token')).writes;
    await waitUntil(async () => (await status()).abandoned === 1);
    // Not stored, so not charged: bob's service sends it again and pays then.
    expect((await hubStatus('bob-token')).usage).toMatchObject({
      documents: 0,
      bytesToday: 0
    });
    expect(await status()).toEqual({
      maxInFlight: 1,
      waiting: 0,
      abandoned: 1,
      refused: 0,
      writeMs: null
    });
    releases[0]();
    expect(await first).toMatchObject({ created: 5 });
    // bob's batch was never handed to the store: his service sends it again.
    expect(releases).toHaveLength(1);
    expect(await store.getRun('run-b')).toBeNull();
  });

  it('refuses a full batch at once with 503 and Retry-After when its wait would outlast its sender', async () => {
    const releases: (() => void)[] = [];
    const held = Object.create(store) as IStore;
    held.write = (batch: IWriteBatch): Promise<IWriteResult> =>
      new Promise(resolve => releases.push(() => resolve(store.write(batch))));
    await start(undefined, new HubWriteQueue(1, 0, { maxWaitMs: 50 }), held);
    const alice = client('alice-token');
    // Five writes of at least 100 ms: the hub's estimate of a full batch's write.
    for (let index = 0; index < 5; index += 1) {
      const write = alice.write(runBatch(`run-a${index}`, 'alice'));
      await waitUntil(() => releases.length === index + 1);
      await new Promise(resolve => setTimeout(resolve, 100));
      releases[index]();
      await write;
    }
    // One more waits 100 ms behind another for its turn: batches are seen
    // to wait (so the estimate is acted on), and it stays in flight.
    const before = alice.write(runBatch('run-a5', 'alice'));
    await waitUntil(() => releases.length === 6);
    const inFlight = alice.write(runBatch('run-a6', 'alice'));
    await new Promise(resolve => setTimeout(resolve, 100));
    releases[5]();
    await before;
    await waitUntil(() => releases.length === 7);

    let refusal: unknown;
    try {
      await client('bob-token').write(runBatch('run-b', 'bob'));
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(StoreUnavailableError);
    expect((refusal as StoreUnavailableError).statusCode).toBe(503);
    expect((refusal as StoreUnavailableError).retryAfterMs).toBe(1000);
    expect(String(refusal)).toMatch(
      /the cluster is behind: bob's batch would wait about 1 s for its turn/
    );
    const hubStatus = (await (
      await fetch(`${url}api/v1/status`, {
        headers: { Authorization: 'token bob-token' }
      })
    ).json()) as {
      hub: { writes: Record<string, number>; usage: Record<string, number> };
    };
    expect(hubStatus.hub.writes).toMatchObject({ refused: 1, waiting: 0 });
    expect(hubStatus.hub.writes.writeMs).toBeGreaterThanOrEqual(100);
    // Not stored, not charged: bob's service sends it again after Retry-After.
    expect(hubStatus.hub.usage).toMatchObject({ documents: 0, bytesToday: 0 });
    expect(releases).toHaveLength(7);
    releases[6]();
    expect(await inFlight).toMatchObject({ created: 5 });
    expect(await store.getRun('run-b')).toBeNull();
  });

  it("refuses an item whose id names another run, so no user can take another user's ids", async () => {
    await start();
    const alice = client('alice-token');
    const bob = client('bob-token');
    // Bob knows alice's run id and takes the ids her documents will have.
    const squatting = runBatch('run-b', 'bob');
    squatting.documents = squatting.documents.map((document, at) => ({
      ...document,
      _id: `run-a:${at + 1}`
    }));
    squatting.points[0]._id = 'run-a:3:loss';
    const refused = await bob.write(squatting);
    expect(refused.rejected.map(item => [item.kind, item.id])).toEqual([
      ['document', 'run-a:1'],
      ['document', 'run-a:2'],
      ['document', 'run-a:3'],
      ['point', 'run-a:3:loss']
    ]);
    expect(refused.rejected[0].reason).toMatch(
      /_id must start with its run id and ':'/
    );
    const stored = await alice.write(runBatch('run-a', 'alice'));
    expect(stored).toMatchObject({ created: 5, duplicates: 0, rejected: [] });
    expect(
      (await store.logs({ runId: 'run-a', size: 10, order: 'asc' })).lines.map(
        line => line.message
      )
    ).toEqual(['line 1 of run-a', 'line 2 of run-a', 'line 3 of run-a']);
  });

  it('refuses items of the wrong shape one by one and a body that is not a batch as a whole', async () => {
    await start();
    const alice = client('alice-token');
    const batch = runBatch('run-a', 'alice');
    (batch.points[0] as unknown as Record<string, unknown>).scope = 'weekly';
    (batch.documents[1] as unknown as Record<string, unknown>).message = 42;
    const result = await alice.write(batch);
    expect(result.created).toBe(3);
    expect(result.rejected.map(item => [item.kind, item.reason])).toEqual([
      ['document', 'invalid document: message must be a string'],
      [
        'point',
        'invalid point: scope must be epoch, batch, log or system, and source a string'
      ]
    ]);
    const notBatch = await fetch(`${url}api/v1/ingest`, {
      method: 'POST',
      headers: {
        Authorization: 'token alice-token',
        'Content-Type': 'application/json'
      },
      body: '{"documents": 1}'
    });
    expect(notBatch.status).toBe(400);
    const big = runBatch('run-a', 'alice');
    big.documents[0].message = 'x'.repeat(70 * 1024);
    await expect(alice.write(big)).rejects.toThrow(StoreQueryError);
    await expect(alice.write(big)).rejects.toThrow(
      /is over 65536 bytes|at most 65536/
    );
  });

  it('has no event stream of its own', async () => {
    await start();
    const response = await fetch(`${url}api/v1/events`, {
      headers: {
        Authorization: 'token alice-token',
        Accept: 'text/event-stream'
      }
    });
    expect(response.status).toBe(501);
  });
});
