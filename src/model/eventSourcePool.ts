/**
 * One connection per event stream URL for the whole page. The panel and the
 * alerts each follow the service's events; each EventSource holds one of
 * the few HTTP/1.1 connections a browser keeps to a server (six in
 * Chromium and Firefox, counted over all tabs), and Jupyter Server speaks
 * HTTP/1.1 only: with two streams per tab, three JupyterLab tabs used them
 * all and every other request of those tabs waited. So every follower on
 * the page gets a view of one shared EventSource.
 */
import {
  CLOSED,
  closeQuietly,
  isReady,
  type EventSourceFactory,
  type IEventSourceLike
} from './eventSource';

/** One real stream and the views on it. */
interface IShared {
  readonly url: string;
  readonly source: IEventSourceLike;
  readonly views: Set<SharedView>;
  /** The stream's `ready` event since it last (re)connected, for views that come later. */
  ready: MessageEvent | null;
}

export class EventSourcePool {
  constructor(private readonly _create: EventSourceFactory) {}

  /** A view on the page's stream for `url`, opening one when there is none (or it gave up). */
  readonly open: EventSourceFactory = url => {
    let shared = this._streams.get(url);
    if (shared === undefined || shared.source.readyState === CLOSED) {
      shared = this._connect(url);
    }
    const view = new SharedView(shared, released => this._release(released));
    shared.views.add(view);
    const ready = shared.ready;
    if (ready !== null) {
      // The stream was open before this view: it hears `ready` as a new
      // stream would, and reads what it shows.
      setTimeout(() => view.deliver(ready));
    }
    return view;
  };

  /** Real streams open now (for tests and status). */
  get openStreams(): number {
    return this._streams.size;
  }

  private _connect(url: string): IShared {
    const previous = this._streams.get(url);
    if (previous !== undefined) {
      this._streams.delete(url);
      previous.source.close();
    }
    const source = this._create(url);
    const shared: IShared = { url, source, views: new Set(), ready: null };
    source.onopen = event => shared.views.forEach(view => view.onopen?.(event));
    source.onmessage = event => {
      if (isReady(String(event.data))) {
        shared.ready = event;
      }
      shared.views.forEach(view => view.deliver(event));
    };
    source.onerror = event => {
      // A new connection (EventSource reconnects by itself) sends `ready` again.
      shared.ready = null;
      shared.views.forEach(view => view.onerror?.(event));
    };
    this._streams.set(url, shared);
    return shared;
  }

  private _release(view: SharedView): void {
    const shared = view.shared;
    shared.views.delete(view);
    if (shared.views.size === 0 && this._streams.get(shared.url) === shared) {
      this._streams.delete(shared.url);
      closeQuietly(shared.source);
    }
  }

  private readonly _streams = new Map<string, IShared>();
}

/** What one follower sees: the shared stream's state and events, until it closes its view. */
class SharedView implements IEventSourceLike {
  constructor(
    readonly shared: IShared,
    private readonly _onClose: (view: SharedView) => void
  ) {}

  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;

  get readyState(): number {
    return this._closed ? CLOSED : this.shared.source.readyState;
  }

  deliver(event: MessageEvent): void {
    if (!this._closed) {
      this.onmessage?.(event);
    }
  }

  close(): void {
    if (this._closed) {
      return;
    }
    this._closed = true;
    this.onopen = null;
    this.onmessage = null;
    this.onerror = null;
    this._onClose(this);
  }

  private _closed = false;
}
