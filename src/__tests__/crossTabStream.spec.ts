import {
  CrossTabEventSource,
  crossTabFactory,
  crossTabName
} from '../model/crossTabStream';
import type {
  IChannelLike,
  ICrossTabOptions,
  ILockManagerLike
} from '../model/crossTabStream';
import { EventSourcePool } from '../model/eventSourcePool';
import { EVENTS_URL, FakeEventSource, panelAndAlerts } from './fakes';

const URL_A = EVENTS_URL;

interface IHeldLock {
  tab: FakeTab;
  release: () => void;
}

interface IWaiting {
  tab: FakeTab;
  signal: AbortSignal;
  callback: () => Promise<void>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * One browser profile: locks and channels shared by its tabs, with their
 * asynchronous delivery (a lock is granted, a message heard, in a later task).
 */
class FakeBrowser {
  readonly channels = new Set<FakeChannel>();
  readonly held = new Map<string, IHeldLock>();
  readonly queues = new Map<string, IWaiting[]>();

  tab(): FakeTab {
    return new FakeTab(this);
  }

  tabs(count: number): FakeTab[] {
    return Array.from({ length: count }, () => this.tab());
  }

  request(tab: FakeTab, name: string, waiting: Omit<IWaiting, 'tab'>): void {
    const queue = this.queues.get(name) ?? [];
    this.queues.set(name, queue);
    const entry = { ...waiting, tab };
    queue.push(entry);
    waiting.signal.addEventListener('abort', () => {
      const at = queue.indexOf(entry);
      if (at >= 0) {
        queue.splice(at, 1);
        entry.reject(new DOMException('aborted', 'AbortError'));
      }
    });
    setTimeout(() => this.grant(name));
  }

  grant(name: string): void {
    const queue = this.queues.get(name) ?? [];
    if (this.held.has(name) || queue.length === 0) {
      return;
    }
    const next = queue.shift() as IWaiting;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        this.held.delete(name);
        setTimeout(() => this.grant(name));
      }
    };
    this.held.set(name, { tab: next.tab, release });
    next.callback().then(
      value => {
        release();
        next.resolve(value);
      },
      (error: unknown) => {
        release();
        next.reject(error);
      }
    );
  }

  /** Who holds a lock now. */
  holder(name: string): FakeTab | undefined {
    return this.held.get(name)?.tab;
  }
}

class FakeChannel implements IChannelLike {
  constructor(
    readonly browser: FakeBrowser,
    readonly tab: FakeTab,
    readonly name: string
  ) {
    browser.channels.add(this);
  }

  onmessage: ((event: MessageEvent) => void) | null = null;
  closed = false;

  postMessage(message: unknown): void {
    if (this.closed) {
      throw new Error('posted on a closed channel');
    }
    const copy: unknown = structuredClone(message);
    for (const other of this.browser.channels) {
      if (other !== this && other.name === this.name) {
        setTimeout(() => {
          if (!other.closed) {
            other.onmessage?.(new MessageEvent('message', { data: copy }));
          }
        });
      }
    }
  }

  close(): void {
    this.closed = true;
    this.browser.channels.delete(this);
  }
}

/** One tab: its real streams, and what the browser frees when it goes. */
class FakeTab {
  constructor(readonly browser: FakeBrowser) {}

  readonly sources: FakeEventSource[] = [];
  readonly warnings: unknown[][] = [];

  get options(): ICrossTabOptions {
    const browser = this.browser;
    const locks: ILockManagerLike = {
      request: (name, options, callback) =>
        new Promise((resolve, reject) =>
          browser.request(this, name, {
            signal: options.signal,
            callback,
            resolve,
            reject
          })
        )
    };
    return {
      create: url => {
        const source = new FakeEventSource(url);
        this.sources.push(source);
        return source;
      },
      locks,
      channel: name => new FakeChannel(browser, this, name)
    };
  }

  open(url = URL_A): CrossTabEventSource {
    return new CrossTabEventSource(url, this.options);
  }

  /** The tab is closed: the browser drops its connections, channels and locks, running none of its code. */
  kill(): void {
    for (const source of this.sources) {
      source.onopen = null;
      source.onmessage = null;
      source.onerror = null;
      source.close();
    }
    for (const channel of [...this.browser.channels]) {
      if (channel.tab === this) {
        channel.close();
      }
    }
    for (const held of this.browser.held.values()) {
      if (held.tab === this) {
        held.release();
      }
    }
    for (const queue of this.browser.queues.values()) {
      for (let at = queue.length - 1; at >= 0; at -= 1) {
        if (queue[at].tab === this) {
          queue.splice(at, 1);
        }
      }
    }
  }
}

/** What one tab's source hears. */
function listen(source: CrossTabEventSource) {
  const heard = { messages: [] as string[], errors: [] as number[], opens: 0 };
  source.onmessage = event => heard.messages.push(String(event.data));
  source.onerror = () => heard.errors.push(source.readyState);
  source.onopen = () => {
    heard.opens += 1;
  };
  return heard;
}

const READY = JSON.stringify({ type: 'ready', api_version: 1 });
const run = (id: string) => JSON.stringify({ type: 'run', run_id: id });

/** Lets the browser's tasks run (fake timers run a 0 ms timer set while they run 1 ms later). */
async function settle(): Promise<void> {
  for (let round = 0; round < 5; round += 1) {
    await jest.advanceTimersByTimeAsync(1);
  }
}

describe('CrossTabEventSource', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    FakeEventSource.created = [];
  });
  afterEach(() => jest.useRealTimers());

  it('opens one real stream for all tabs; the others hear its state and events', async () => {
    const browser = new FakeBrowser();
    const [first, second] = [browser.tab(), browser.tab()];
    const leader = first.open();
    const leaderHeard = listen(leader);
    await settle();
    expect(leader.role).toBe('leading');
    expect(first.sources).toHaveLength(1);
    const real = first.sources[0];
    real.readyState = 1;
    real.onopen?.(new Event('open'));
    real.send(READY);

    // A tab coming later asks the leader, and hears `ready` as a new stream's.
    const follower = second.open();
    const heard = listen(follower);
    await settle();
    expect(follower.role).toBe('waiting');
    expect(second.sources).toHaveLength(0);
    expect(follower.readyState).toBe(1);
    expect(heard.opens).toBe(1);
    expect(heard.messages).toEqual([READY]);

    real.send(run('r1'));
    await settle();
    expect(heard.messages).toEqual([READY, run('r1')]);
    expect(leaderHeard.messages).toEqual([READY, run('r1')]);
    expect(FakeEventSource.created).toHaveLength(1);
  });

  it('passes the stream to the next tab when the leader stops following, and when its tab is closed', async () => {
    const browser = new FakeBrowser();
    const [first, second, third] = browser.tabs(3);
    const leader = first.open();
    await settle();
    const next = second.open();
    const last = third.open();
    const nextHeard = listen(next);
    const lastHeard = listen(last);
    await settle();
    expect(next.role).toBe('waiting');

    leader.close();
    expect(first.sources[0].closed).toBe(true);
    await settle();
    expect(next.role).toBe('leading');
    expect(browser.holder(crossTabName(URL_A))).toBe(second);
    expect(second.sources).toHaveLength(1);
    // The new stream's `ready` makes every tab re-read.
    second.sources[0].send(READY);
    await settle();
    expect(nextHeard.messages).toEqual([READY]);
    expect(lastHeard.messages).toEqual([READY]);

    // Closing the tab frees its lock without a word on the channel.
    second.kill();
    await settle();
    expect(last.role).toBe('leading');
    expect(third.sources).toHaveLength(1);
    third.sources[0].send(run('r2'));
    expect(lastHeard.messages).toEqual([READY, run('r2')]);
    expect(FakeEventSource.created).toHaveLength(3);
  });

  it('tells the other tabs when the stream drops and when it gives up', async () => {
    const browser = new FakeBrowser();
    const [first, second] = [browser.tab(), browser.tab()];
    const leader = first.open();
    await settle();
    const follower = second.open();
    const heard = listen(follower);
    const real = first.sources[0];
    real.send(READY);
    await settle();

    // Reconnecting by itself.
    real.fail(false);
    await settle();
    expect(heard.errors).toEqual([0]);
    expect(follower.readyState).toBe(0);
    real.send(READY);
    await settle();
    expect(follower.readyState).toBe(1);
    expect(heard.messages).toEqual([READY, READY]);

    // Given up: each tab closes and tries again later.
    real.fail(true);
    await settle();
    expect(heard.errors).toEqual([0, 2]);
    expect(leader.readyState).toBe(2);

    // A tab joining now hears that the stream gave up, not a stale `ready`.
    const late = browser.tab().open();
    const lateHeard = listen(late);
    await settle();
    expect(lateHeard.messages).toEqual([]);
    expect(lateHeard.errors).toEqual([2]);
  });

  it('withdraws a closed tab from the line: it never opens a stream', async () => {
    const browser = new FakeBrowser();
    const [first, second, third] = browser.tabs(3);
    const leader = first.open();
    await settle();
    const quitter = second.open();
    const stayer = third.open();
    await settle();
    quitter.close();
    await settle();
    leader.close();
    await settle();
    expect(second.sources).toHaveLength(0);
    expect(stayer.role).toBe('leading');
    expect(third.sources).toHaveLength(1);
    expect(quitter.readyState).toBe(2);
  });

  it('keeps a stream of its own when the lock cannot be had', async () => {
    const tab = new FakeBrowser().tab();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const options: ICrossTabOptions = {
      ...tab.options,
      locks: {
        request: () =>
          Promise.reject(new DOMException('denied', 'SecurityError'))
      }
    };
    const source = new CrossTabEventSource(URL_A, options);
    const heard = listen(source);
    await settle();
    expect(source.role).toBe('alone');
    expect(tab.sources).toHaveLength(1);
    tab.sources[0].send(READY);
    expect(heard.messages).toEqual([READY]);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('cannot share the event stream'),
      expect.any(DOMException)
    );
    warn.mockRestore();
  });

  it('reports a stream that cannot be opened as one that gave up', async () => {
    const tab = new FakeBrowser().tab();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const options: ICrossTabOptions = {
      ...tab.options,
      create: () => {
        throw new SyntaxError('bad URL');
      }
    };
    const source = new CrossTabEventSource(URL_A, options);
    const heard = listen(source);
    await settle();
    expect(source.role).toBe('leading');
    expect(source.readyState).toBe(2);
    expect(heard.errors).toEqual([2]);
    warn.mockRestore();
  });

  it('ignores messages on the channel that are not its own kind', async () => {
    const browser = new FakeBrowser();
    const tab = browser.tab();
    const leader = tab.open();
    await settle();
    const follower = browser.tab().open();
    const heard = listen(follower);
    await settle();
    const stranger = new FakeChannel(
      browser,
      browser.tab(),
      crossTabName(URL_A)
    );
    for (const junk of [
      'text',
      null,
      { kind: 'event', data: 5 },
      { kind: 'welcome', to: 7 },
      { kind: 'shout' }
    ]) {
      stranger.postMessage(junk);
    }
    await settle();
    expect(heard).toEqual({ messages: [], errors: [], opens: 0 });
    expect(leader.role).toBe('leading');
  });

  it('is left out where the browser has no Web Locks', () => {
    const create = (url: string) => new FakeEventSource(url);
    expect('locks' in navigator).toBe(false);
    expect(crossTabFactory(create)).toBe(create);
  });

  it('serves the panel and the alerts of two tabs from one connection', async () => {
    const browser = new FakeBrowser();
    const tabs = [browser.tab(), browser.tab()].map(tab => {
      const options = tab.options;
      const pool = new EventSourcePool(
        url => new CrossTabEventSource(url, options)
      );
      const followers = panelAndAlerts(pool.open);
      followers.forEach(({ live }) => live.start());
      return { tab, followers };
    });
    await settle();
    expect(FakeEventSource.created).toHaveLength(1);
    const real = FakeEventSource.created[0];
    real.send(READY);
    real.send(run('r1'));
    await settle();
    for (const { followers } of tabs) {
      for (const { live, runs } of followers) {
        expect(live.mode).toBe('events');
        expect(runs).toEqual(['r1']);
      }
    }
    for (const { followers } of tabs) {
      followers.forEach(({ live }) => live.dispose());
    }
    await settle();
    expect(real.closed).toBe(true);
    expect(browser.held.size).toBe(0);
    expect(browser.channels.size).toBe(0);
  });
});
