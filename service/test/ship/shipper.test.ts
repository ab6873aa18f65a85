import { DeliveryAbortedError } from '../../src/common/backoff';
import { Shipper } from '../../src/ship/shipper';
import { StatusTracker } from '../../src/ship/status';
import type { IWriteBatch } from '../../src/store/store';
import { FALLBACK_ERROR_TYPE } from '../../src/ship/fallback';
import {
  fakeParser,
  FakeStore,
  logRecord,
  memoryLogger,
  metricsRecord,
  startRecord
} from './fakes';

function batchOf(): IWriteBatch {
  const state = fakeParser.newRunState('run-1');
  const parsed = [
    startRecord(),
    logRecord(1, 'a'),
    metricsRecord(2, 0, { loss: 0.5, acc: 0.9 })
  ].map(record => fakeParser.parseRecord(record, state));
  return {
    documents: parsed.flatMap(item => item.documents),
    points: parsed.flatMap(item => item.points),
    runs: []
  };
}

describe('Shipper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function setUp() {
    const store = new FakeStore();
    const status = new StatusTracker({ spoolDir: '/s', stateDir: '/t' });
    status.state = 'running';
    const { logger, lines } = memoryLogger();
    const shipper = new Shipper({
      store,
      logger,
      status,
      backoff: { initialMs: 100, maxMs: 30000 },
      random: () => 1
    });
    return { store, status, shipper, lines };
  }

  it('retries a failing store with growing delays until it accepts', async () => {
    const { store, status, shipper } = setUp();
    store.failNext = 4;
    const delivered = shipper.deliver(batchOf(), new AbortController().signal);
    await jest.advanceTimersByTimeAsync(0);
    expect(store.calls).toHaveLength(1);
    expect(status.state).toBe('retrying');
    await jest.advanceTimersByTimeAsync(100); // retry 1 after 100 ms
    expect(store.calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(199);
    expect(store.calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1); // retry 2 after 200 ms
    expect(store.calls).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(400 + 800);
    const report = await delivered;
    expect(store.calls).toHaveLength(5);
    expect(report).toMatchObject({ created: 5, attempts: 5 });
    expect(status.counters.retries).toBe(4);
    expect(status.snapshot().lastError?.message).toMatch(/connection refused/);
    expect(status.state).toBe('running');
    expect(store.documents.size).toBe(3);
  });

  it('sends again only the items answered 429', async () => {
    const { store, status, shipper } = setUp();
    let refusals = 2;
    store.itemPolicy = (kind, id) => {
      if (id === 'run-1:1' && refusals > 0) {
        refusals -= 1;
        return '429';
      }
      return 'ok';
    };
    const delivered = shipper.deliver(batchOf(), new AbortController().signal);
    await jest.advanceTimersByTimeAsync(100 + 200);
    const report = await delivered;
    expect(
      store.calls.map(call => call.documents.map(document => document._id))
    ).toEqual([['run-1:0', 'run-1:1', 'run-1:2'], ['run-1:1'], ['run-1:1']]);
    expect(store.calls[1].points).toEqual([]);
    expect(report.created).toBe(5);
    expect(status.counters.retries).toBe(2);
  });

  it('counts a refused event, reports it, and stores a stand-in with the same id', async () => {
    const { store, status, shipper, lines } = setUp();
    let refused = false;
    store.itemPolicy = (kind, id) => {
      if (id === 'run-1:1' && !refused) {
        refused = true;
        return 'reject';
      }
      return 'ok';
    };
    const report = await shipper.deliver(
      batchOf(),
      new AbortController().signal
    );
    expect(report).toMatchObject({ rejected: 1, fallbacks: 1, created: 5 });
    expect(status.counters.rejected).toBe(1);
    expect(status.counters.fallbackDocuments).toBe(1);
    expect(status.snapshot().lastRejection?.message).toMatch(
      /run-1:1.*mapper_parsing_exception/
    );
    expect(lines.join('\n')).toMatch(/ERROR .*refused document run-1:1/);
    const standIn = store.documents.get('run-1:1');
    expect(standIn?.error?.type).toBe(FALLBACK_ERROR_TYPE);
    expect(standIn?.message).toBe('a');
  });

  it('gives up on an item whose stand-in is refused too, without blocking', async () => {
    const { store, status, shipper } = setUp();
    store.itemPolicy = (kind, id) => (id === 'run-1:1' ? 'reject' : 'ok');
    const report = await shipper.deliver(
      batchOf(),
      new AbortController().signal
    );
    expect(report.rejected).toBe(2);
    expect(status.counters.rejected).toBe(2);
    expect(store.documents.has('run-1:1')).toBe(false);
    expect(store.documents.size).toBe(2);
  });

  it('splits a batch refused as a whole until the refused item is alone, stores the rest and a stand-in for it', async () => {
    const { store, status, shipper, lines } = setUp();
    store.itemPolicy = (kind, id) =>
      kind === 'point' && id === 'run-1:2:loss' ? 'refuse-request' : 'ok';
    const report = await shipper.deliver(
      batchOf(),
      new AbortController().signal
    );
    expect(store.documents.size + store.points.size).toBe(5);
    expect(store.points.has('run-1:2:acc')).toBe(true);
    expect(store.points.has('run-1:2:loss')).toBe(false);
    const standIn = store.documents.get('run-1:2:loss');
    expect(standIn?.error?.type).toBe(FALLBACK_ERROR_TYPE);
    expect(standIn?.error?.message).toMatch(/id is too long/);
    expect(standIn?.message).toMatch(/loss.*0\.5/);
    expect(standIn?.tflog.run_id).toBe('run-1');
    expect(report).toMatchObject({ rejected: 1, fallbacks: 1 });
    expect(status.counters.rejected).toBe(1);
    expect(lines.join('\n')).toMatch(
      /refused a batch of 5 item\(s\) as a whole/
    );
  });

  it('keeps retrying, and sets nothing aside, when the store refuses every request', async () => {
    const { store, status, shipper } = setUp();
    store.refuseEveryRequest = true;
    const delivered = shipper.deliver(batchOf(), new AbortController().signal);
    await jest.advanceTimersByTimeAsync(100 + 200 + 400);
    expect(status.state).toBe('retrying');
    expect(store.documents.size + store.points.size).toBe(0);
    expect(status.counters.rejected).toBe(0);
    store.refuseEveryRequest = false;
    await jest.advanceTimersByTimeAsync(30000);
    const report = await delivered;
    expect(report.rejected).toBe(0);
    expect(report.fallbacks).toBe(0);
    expect(store.documents.size).toBe(3);
    expect(store.points.size).toBe(2);
    expect(
      [...store.documents.values()].every(document => !document.error)
    ).toBe(true);
    expect(status.state).toBe('running');
  });

  it('stores a stand-in event carrying a refused point', async () => {
    const { store, shipper } = setUp();
    store.itemPolicy = (kind, id) =>
      kind === 'point' && id === 'run-1:2:acc' ? 'reject' : 'ok';
    const report = await shipper.deliver(
      batchOf(),
      new AbortController().signal
    );
    expect(report).toMatchObject({ rejected: 1, fallbacks: 1, created: 5 });
    const standIn = store.documents.get('run-1:2:acc');
    expect(standIn?.error?.type).toBe(FALLBACK_ERROR_TYPE);
    expect(standIn?.message).toMatch(/acc.*0\.9/);
    expect(standIn?.tflog.epoch).toBe(0);
    expect(standIn?.message).toMatch(/epoch 0/);
  });

  it('waits out items refused until an admin acts (write block) and stores them after', async () => {
    const { store, status, shipper } = setUp();
    let blocked = true;
    store.itemPolicy = kind =>
      kind === 'document' && blocked ? 'blocked' : 'ok';
    const delivered = shipper.deliver(batchOf(), new AbortController().signal);
    await jest.advanceTimersByTimeAsync(100 + 200 + 400 + 800);
    expect(store.documents.size).toBe(0);
    expect(store.points.size).toBe(2);
    expect(status.state).toBe('retrying');
    expect(status.snapshot().lastError?.message).toMatch(
      /cluster_block_exception/
    );
    blocked = false;
    await jest.advanceTimersByTimeAsync(30000);
    const report = await delivered;
    expect(report.rejected).toBe(0);
    expect(store.documents.size).toBe(3);
    expect(status.counters.rejected).toBe(0);
    expect(status.state).toBe('running');
  });

  it('stops retrying when the service shuts down', async () => {
    const { store, shipper } = setUp();
    store.failNext = 1000;
    const controller = new AbortController();
    const delivered = shipper.deliver(batchOf(), controller.signal);
    await jest.advanceTimersByTimeAsync(1000);
    controller.abort();
    await expect(delivered).rejects.toBeInstanceOf(DeliveryAbortedError);
  });
});
