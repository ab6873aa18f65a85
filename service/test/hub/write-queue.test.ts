import { HubWriteQueue } from '../../src/hub/write-queue';
import { StoreUnavailableError } from '../../src/store/store';

/** A write that ends when told to, noting when it started. */
function pendingWrite(started: string[], name: string) {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    write: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(name),
    fail: (error: Error) => fail(error)
  };
}

/** Lets settled writes hand their slot on. */
const settle = () => new Promise(resolve => setImmediate(resolve));

describe('HubWriteQueue', () => {
  it('writes at most the limit of full batches at once, the next as one ends', async () => {
    const queue = new HubWriteQueue(2, 100);
    const started: string[] = [];
    const writes = ['a1', 'a2', 'a3'].map(name => pendingWrite(started, name));
    const answers = writes.map(each => queue.run('alice', 500, each.write));
    expect(started).toEqual(['a1', 'a2']);
    expect(queue.status().waiting).toBe(1);
    writes[1].finish();
    await expect(answers[1]).resolves.toBe('a2');
    await settle();
    expect(started).toEqual(['a1', 'a2', 'a3']);
    expect(queue.status().waiting).toBe(0);
    writes[0].finish();
    writes[2].finish();
    await expect(Promise.all(answers)).resolves.toEqual(['a1', 'a2', 'a3']);
  });

  it('writes a small batch at once, whatever waits', async () => {
    const queue = new HubWriteQueue(1, 100);
    const started: string[] = [];
    const full = pendingWrite(started, 'full');
    const waiting = pendingWrite(started, 'waiting');
    const live = pendingWrite(started, 'live');
    void queue.run('alice', 1000, full.write);
    void queue.run('alice', 1000, waiting.write);
    const answer = queue.run('bob', 100, live.write);
    expect(started).toEqual(['full', 'live']);
    live.finish();
    await expect(answer).resolves.toBe('live');
    expect(queue.status().waiting).toBe(1);
    full.finish();
    waiting.finish();
  });

  it('takes the users in turn, each user’s batches in order', async () => {
    const queue = new HubWriteQueue(1, 0);
    const started: string[] = [];
    const writes = new Map<string, ReturnType<typeof pendingWrite>>();
    for (const [user, name] of [
      ['alice', 'alice-0'],
      ['alice', 'alice-1'],
      ['alice', 'alice-2'],
      ['alice', 'alice-3'],
      ['bob', 'bob-1'],
      ['carol', 'carol-1'],
      ['bob', 'bob-2']
    ]) {
      const write = pendingWrite(started, name);
      writes.set(name, write);
      void queue.run(user, 10, write.write);
    }
    // One at a time: each ends when it is the last started, and the next starts.
    for (let round = 0; round < writes.size; round += 1) {
      expect(started).toHaveLength(round + 1);
      writes.get(started[round])?.finish();
      await settle();
    }
    expect(started).toEqual([
      'alice-0',
      'alice-1',
      'bob-1',
      'carol-1',
      'alice-2',
      'bob-2',
      'alice-3'
    ]);
  });

  it('hands a failed write’s error to its sender only and goes on', async () => {
    const queue = new HubWriteQueue(1, 0);
    const started: string[] = [];
    const failing = pendingWrite(started, 'failing');
    const next = pendingWrite(started, 'next');
    const failed = queue.run('alice', 10, failing.write);
    const answer = queue.run('bob', 10, next.write);
    failing.fail(new Error('refused'));
    await expect(failed).rejects.toThrow('refused');
    await settle();
    expect(started).toEqual(['failing', 'next']);
    next.finish();
    await expect(answer).resolves.toBe('next');
  });

  it('drops a waiting batch whose sender gives up, and only that one', async () => {
    const queue = new HubWriteQueue(1, 0);
    const started: string[] = [];
    const running = pendingWrite(started, 'running');
    const given = pendingWrite(started, 'given-up');
    const next = pendingWrite(started, 'next');
    const sender = new AbortController();
    void queue.run('alice', 10, running.write);
    const givenUp = queue.run('bob', 10, given.write, sender.signal);
    const answer = queue.run('carol', 10, next.write);
    sender.abort();
    await expect(givenUp).rejects.toThrow(StoreUnavailableError);
    expect(queue.status()).toEqual({
      maxInFlight: 1,
      waiting: 1,
      abandoned: 1
    });
    running.finish();
    await settle();
    expect(started).toEqual(['running', 'next']);
    next.finish();
    await expect(answer).resolves.toBe('next');
  });

  it('writes a started batch although its sender gives up, and one already given up never', async () => {
    const queue = new HubWriteQueue(1, 0);
    const started: string[] = [];
    const running = pendingWrite(started, 'running');
    const sender = new AbortController();
    const answer = queue.run('alice', 10, running.write, sender.signal);
    sender.abort();
    running.finish();
    await expect(answer).resolves.toBe('running');
    const late = pendingWrite(started, 'late');
    await expect(
      queue.run('bob', 10, late.write, sender.signal)
    ).rejects.toThrow(/closed the request before its batch's turn came/);
    expect(started).toEqual(['running']);
    expect(queue.status().abandoned).toBe(1);
  });

  it('starts waiting batches when the limit is raised', () => {
    const queue = new HubWriteQueue(1, 0);
    const started: string[] = [];
    const writes = ['a', 'b', 'c'].map(name => pendingWrite(started, name));
    for (const write of writes) {
      void queue.run('alice', 10, write.write);
    }
    expect(started).toEqual(['a']);
    queue.maxLargeInFlight = 3;
    expect(started).toEqual(['a', 'b', 'c']);
    writes.forEach(write => write.finish());
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', limit => {
    expect(() => new HubWriteQueue(limit)).toThrow(
      /whole number of at least 1/
    );
  });
});
