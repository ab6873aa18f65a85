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
      maxWaitMs: 1500,
      now: () => clock
    });
    const started: string[] = [];
    /** One full batch of alice written in `ms`. */
    const writeTaking = async (ms: number) => {
      const each = pendingWrite(started, `a${started.length}`);
      const answer = queue.run('alice', 500, each.write);
      clock += ms;
      each.finish();
      await answer;
      await settle();
    };
    // Nothing is refused before five write times are known; one slow write
    // (the day's indices created) does not move the median.
    await writeTaking(10000);
    for (let index = 0; index < 3; index += 1) {
      await writeTaking(600);
    }
    expect(queue.status().writeMs).toBeNull();
    expect(queue.expectedWaitMs('carol')).toBeNull();
    await writeTaking(600);
    expect(queue.status().writeMs).toBe(600);

    // b1 in flight, b2, d1 and e1 waiting: carol's batch would come after
    // all four (users in turn), four writes of 600 ms. But no batch has
    // waited long yet: the queue may move faster than a few slow writes say.
    started.length = 0;
    const bob = ['b1', 'b2'].map(name => pendingWrite(started, name));
    const others = ['d1', 'e1'].map(name => pendingWrite(started, name));
    const answers = [
      ...bob.map(each => queue.run('bob', 500, each.write)),
      queue.run('dave', 500, others[0].write),
      queue.run('erin', 500, others[1].write)
    ];
    expect(queue.expectedWaitMs('carol')).toBe(2400);
    expect(queue.waitedMs()).toBe(0);
    const early = pendingWrite(started, 'c0');
    answers.push(queue.run('carol', 500, early.write));
    expect(queue.status()).toMatchObject({ refused: 0, waiting: 4 });

    // b1 took 2 s, so b2 starts after waiting 2 s: batches are seen to wait.
    // Frank's, behind b2 in flight and d1, e1 and c0, is refused at once.
    clock += 2000;
    bob[0].finish();
    await settle();
    expect(queue.waitedMs()).toBe(2000);
    expect(queue.expectedWaitMs('frank')).toBe(2400);
    const frank = pendingWrite(started, 'f1');
    const refused = queue.run('frank', 500, frank.write);
    await expect(refused).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(refused).rejects.toMatchObject({
      statusCode: 503,
      retryAfterMs: 1650,
      message: expect.stringMatching(
        /frank's batch would wait about 2 s for its turn; send it again in 2 s/
      )
    });
    expect(queue.status()).toMatchObject({ refused: 1, waiting: 3 });
    // A live run's small batch still goes at once.
    const live = pendingWrite(started, 'live');
    const liveAnswer = queue.run('frank', 20, live.write);
    expect(started).toEqual(['b1', 'b2', 'live']);
    live.finish();
    await expect(liveAnswer).resolves.toBe('live');

    // Once the queue is shorter a batch is taken again.
    for (const write of [bob[1], others[0], others[1]]) {
      clock += 400;
      write.finish();
      await settle();
    }
    expect(queue.expectedWaitMs('frank')).toBe(600); // c0 in flight
    const accepted = pendingWrite(started, 'f2');
    answers.push(queue.run('frank', 500, accepted.write));
    expect(queue.status()).toMatchObject({ refused: 1, waiting: 1 });
    early.finish();
    await settle();
    accepted.finish();
    await expect(Promise.all(answers)).resolves.toEqual([
      'b1',
      'b2',
      'd1',
      'e1',
      'c0',
      'f2'
    ]);
    expect(started).not.toContain('f1');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s', limit => {
    expect(() => new HubWriteQueue(limit)).toThrow(
      /whole number of at least 1/
    );
  });
});
