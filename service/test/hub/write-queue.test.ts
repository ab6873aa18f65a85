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
      abandoned: 1,
      refused: 0,
      writeMs: null
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

  it('refuses at once a full batch that would wait too long, saying when to come back', async () => {
    let clock = 0;
    const queue = new HubWriteQueue(1, 100, {
      maxWaitMs: 1000,
      now: () => clock
    });
    const started: string[] = [];
    // Before any write time is known, nothing is refused.
    const first = pendingWrite(started, 'a1');
    const waiting = ['b1', 'b2', 'b3'].map(name => pendingWrite(started, name));
    const firstAnswer = queue.run('alice', 500, first.write);
    const waitingAnswers = waiting.map(each =>
      queue.run('bob', 500, each.write)
    );
    expect(queue.expectedWaitMs('carol')).toBeNull();
    clock = 600;
    first.finish();
    await expect(firstAnswer).resolves.toBe('a1');
    await settle();
    expect(started).toEqual(['a1', 'b1']);
    expect(queue.status().writeMs).toBe(600);

    // b1 in flight and b2, b3 waiting: carol's batch would come after b1
    // and b2 (users in turn), two writes of 600 ms: refused.
    expect(queue.expectedWaitMs('carol')).toBe(1200);
    const carol = pendingWrite(started, 'c1');
    const refused = queue.run('carol', 500, carol.write);
    await expect(refused).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refused).rejects.toMatchObject({
      statusCode: 503,
      retryAfterMs: 1000,
      message: expect.stringMatching(/carol's batch would wait about 1 s/)
    });
    expect(queue.status()).toMatchObject({ refused: 1, waiting: 2 });
    // A live run's small batch still goes at once.
    const live = pendingWrite(started, 'live');
    const liveAnswer = queue.run('carol', 20, live.write);
    expect(started).toEqual(['a1', 'b1', 'live']);
    live.finish();
    await expect(liveAnswer).resolves.toBe('live');

    // A slower write moves the estimate a fifth of the way; once the
    // queue is shorter a batch is taken again.
    clock = 2600;
    waiting[0].finish();
    await settle();
    expect(queue.status().writeMs).toBe(880); // 600 + (2000 - 600) / 5
    clock = 3000;
    waiting[1].finish();
    await settle();
    expect(queue.expectedWaitMs('carol')).toBe(784); // b3 in flight
    const accepted = pendingWrite(started, 'c2');
    const acceptedAnswer = queue.run('carol', 500, accepted.write);
    expect(queue.status()).toMatchObject({ refused: 1, waiting: 1 });
    waiting[2].finish();
    await settle();
    accepted.finish();
    await expect(
      Promise.all([...waitingAnswers, acceptedAnswer])
    ).resolves.toEqual(['b1', 'b2', 'b3', 'c2']);
    expect(started).not.toContain('c1');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', limit => {
    expect(() => new HubWriteQueue(limit)).toThrow(
      /whole number of at least 1/
    );
  });
});
