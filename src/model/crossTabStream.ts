/**
 * One event stream per URL for the whole browser, not one per tab. Every
 * open EventSource holds one of the six HTTP/1.1 connections a browser keeps
 * to a server over all its tabs (Jupyter Server speaks HTTP/1.1 only), so six
 * JupyterLab tabs with a stream each left no connection for anything else.
 *
 * The tabs following a URL queue for a Web Lock named after it. The tab
 * holding the lock leads: it opens the real EventSource and repeats its
 * state and events on a BroadcastChannel of the same name; the others hear
 * the channel. A tab that stops following (or closes) gives the lock up and
 * the next tab in line opens its own stream, whose `ready` makes every tab
 * re-read what it shows, as after any reconnection. A tab joining late asks
 * the leader for its state and its last `ready`.
 *
 * Both APIs are same-origin only and Web Locks need a secure context
 * (HTTPS, or a loopback host): elsewhere each tab keeps its own stream.
 */
import {
  CLOSED,
  closeQuietly,
  CONNECTING,
  isReady,
  OPEN,
  type EventSourceFactory,
  type IEventSourceLike
} from './eventSource';

/** The part of the Web Locks API used here (tests pass a fake). */
export interface ILockManagerLike {
  request(
    name: string,
    options: { signal: AbortSignal },
    callback: () => Promise<void>
  ): Promise<unknown>;
}

/** The part of BroadcastChannel used here (tests pass a fake). */
export interface IChannelLike {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

export interface ICrossTabOptions {
  /** Opens the real stream, in the leading tab. */
  create: EventSourceFactory;
  locks: ILockManagerLike;
  channel: (name: string) => IChannelLike;
}

/** What tabs tell each other on a URL's channel. */
type TabMessage =
  | { kind: 'hello'; from: string }
  | { kind: 'welcome'; to: string; readyState: number; ready: string | null }
  | { kind: 'open' }
  | { kind: 'error'; readyState: number }
  | { kind: 'event'; data: string };

/** The name of a URL's lock and channel. */
export function crossTabName(url: string): string {
  return `jp-tflog-events ${url}`;
}

/**
 * A factory of streams shared across tabs where the browser can (Web Locks
 * and BroadcastChannel), else `create` itself.
 */
export function crossTabFactory(
  create: EventSourceFactory
): EventSourceFactory {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (
    locks === undefined ||
    typeof BroadcastChannel !== 'function' ||
    typeof AbortController !== 'function'
  ) {
    return create;
  }
  const options: ICrossTabOptions = {
    create,
    locks,
    channel: name => new BroadcastChannel(name)
  };
  return url => new CrossTabEventSource(url, options);
}

let lastId = 0;

/** One tab's view of a URL's stream: the real one while it leads, else the leader's, heard over the channel. */
export class CrossTabEventSource implements IEventSourceLike {
  constructor(
    readonly url: string,
    private readonly _options: ICrossTabOptions
  ) {
    lastId += 1;
    this._id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${lastId}`;
    const name = crossTabName(url);
    this._channel = _options.channel(name);
    this._channel.onmessage = event => this._onTabMessage(event.data);
    _options.locks
      .request(name, { signal: this._abort.signal }, () => this._lead())
      .catch((error: unknown) => this._onLockFailed(error));
    // A leader, if there is one, answers with its state.
    this._post({ kind: 'hello', from: this._id });
  }

  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  get readyState(): number {
    return this._closed ? CLOSED : this._readyState;
  }

  /** `waiting` (hearing the leader), `leading` or, without the lock, `alone`. */
  get role(): 'waiting' | 'leading' | 'alone' {
    return this._role;
  }

  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    this.onopen = null;
    this.onmessage = null;
    this.onerror = null;
    this._abort.abort();
    this._closeSource();
    this._channel.onmessage = null;
    this._channel.close();
    this._release?.();
  }

  /** Holds the lock, and the real stream, until closed. */
  private _lead(): Promise<void> {
    if (this._closed) {
      return Promise.resolve();
    }
    return new Promise<void>(resolve => {
      this._release = resolve;
      this._role = 'leading';
      this._open();
    });
  }

  /** Without the lock (an error other than giving up the wait), this tab keeps a stream of its own. */
  private _onLockFailed(error: unknown): void {
    if (this._closed) {
      return;
    }
    console.warn(
      'tflog: cannot share the event stream with other tabs; this tab opens its own',
      error
    );
    this._role = 'alone';
    this._open();
  }

  private _open(): void {
    this._closeSource();
    // Until the new stream says otherwise, this tab no longer hears the old leader.
    this._lastReady = null;
    let source: IEventSourceLike;
    try {
      source = this._options.create(this.url);
    } catch (error) {
      // As a stream that gave up: its followers try again after their pause.
      console.warn('tflog: cannot open the event stream', error);
      this._readyState = CLOSED;
      this.onerror?.(new Event('error'));
      this._post({ kind: 'error', readyState: CLOSED });
      return;
    }
    this._source = source;
    this._readyState = source.readyState;
    source.onopen = event => {
      this._readyState = OPEN;
      this.onopen?.(event);
      this._post({ kind: 'open' });
    };
    source.onmessage = event => {
      const data = String(event.data);
      this._readyState = OPEN;
      if (isReady(data)) {
        this._lastReady = data;
      }
      this.onmessage?.(event);
      this._post({ kind: 'event', data });
    };
    source.onerror = event => {
      this._readyState = source.readyState;
      // A new connection (EventSource reconnects by itself) sends `ready` again.
      this._lastReady = null;
      this.onerror?.(event);
      this._post({ kind: 'error', readyState: source.readyState });
    };
  }

  private _onTabMessage(message: unknown): void {
    if (this._closed || !isTabMessage(message)) {
      return;
    }
    if (this._role !== 'waiting') {
      // Leading: only newcomers' questions matter; the rest is this tab's own
      // stream, or a former leader's last words.
      if (message.kind === 'hello' && this._role === 'leading') {
        this._post({
          kind: 'welcome',
          to: message.from,
          readyState: this._readyState,
          ready: this._lastReady
        });
      }
      return;
    }
    // The leader's messages come in the order it sent them: a welcome tells
    // what this tab has not heard yet, if anything.
    switch (message.kind) {
      case 'welcome':
        if (message.to !== this._id) {
          return;
        }
        if (message.readyState === OPEN) {
          this._heardOpen();
        } else if (message.readyState !== this._readyState) {
          this._readyState = message.readyState;
          if (message.readyState === CLOSED) {
            this.onerror?.(new Event('error'));
          }
        }
        if (message.ready !== null && this._lastReady === null) {
          this._heardEvent(message.ready);
        }
        return;
      case 'open':
        this._heardOpen();
        return;
      case 'event':
        this._heardOpen();
        this._heardEvent(message.data);
        return;
      case 'error':
        this._readyState = message.readyState;
        this._lastReady = null;
        this.onerror?.(new Event('error'));
        return;
      case 'hello':
        return;
    }
  }

  private _heardOpen(): void {
    if (this._readyState !== OPEN) {
      this._readyState = OPEN;
      this.onopen?.(new Event('open'));
    }
  }

  private _heardEvent(data: string): void {
    if (isReady(data)) {
      this._lastReady = data;
    }
    this.onmessage?.(new MessageEvent('message', { data }));
  }

  private _post(message: TabMessage): void {
    if (this._closed || this._role === 'alone') {
      return;
    }
    this._channel.postMessage(message);
  }

  private _closeSource(): void {
    const source = this._source;
    if (source !== null) {
      closeQuietly(source);
      this._source = null;
    }
  }

  private readonly _id: string;
  private readonly _channel: IChannelLike;
  private readonly _abort = new AbortController();
  private _source: IEventSourceLike | null = null;
  private _readyState = CONNECTING;
  private _lastReady: string | null = null;
  private _release: (() => void) | null = null;
  private _role: 'waiting' | 'leading' | 'alone' = 'waiting';
  private _closed = false;
}

function isTabMessage(message: unknown): message is TabMessage {
  if (typeof message !== 'object' || message === null) {
    return false;
  }
  const candidate = message as Record<string, unknown>;
  switch (candidate.kind) {
    case 'hello':
      return typeof candidate.from === 'string';
    case 'welcome':
      return (
        typeof candidate.to === 'string' &&
        typeof candidate.readyState === 'number' &&
        (candidate.ready === null || typeof candidate.ready === 'string')
      );
    case 'open':
      return true;
    case 'error':
      return typeof candidate.readyState === 'number';
    case 'event':
      return typeof candidate.data === 'string';
    default:
      return false;
  }
}
