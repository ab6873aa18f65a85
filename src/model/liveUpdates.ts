/**
 * Tells the panel when to re-read: on the service's Server-Sent Events
 * (`/api/v1/events`) when the stream is open, else by polling. EventSource
 * reconnects by itself after a dropped connection; when it gives up (an
 * answer that is not an event stream), a new one is tried after a pause.
 * There is no replay on the stream, so every (re)connection asks for a full
 * re-read.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ApiEvent, IAlert, IRunEvent } from '../tokens';
import { crossTabFactory } from './crossTabStream';
import {
  CLOSED,
  closeQuietly,
  type EventSourceFactory,
  type IEventSourceLike
} from './eventSource';
import { EventSourcePool } from './eventSourcePool';

export type { EventSourceFactory, IEventSourceLike } from './eventSource';

/**
 * - `off`: not following (panel hidden, or live updates turned off);
 * - `events`: the event stream is open;
 * - `polling`: the stream is not (yet) open, re-reading on a timer.
 */
export type LiveMode = 'off' | 'events' | 'polling';

export type ResyncReason = 'connected' | 'poll';

/**
 * The page's streams: every follower without a factory of its own shares one
 * per URL, itself shared with the browser's other tabs where it can be.
 */
const pagePool = new EventSourcePool(
  crossTabFactory(url => new EventSource(url, { withCredentials: true }))
);

export const defaultEventSourceFactory: EventSourceFactory = pagePool.open;

export class LiveUpdates implements IDisposable {
  constructor(options: {
    url: string;
    intervalMs: number;
    createEventSource?: EventSourceFactory;
    /** Pause before a new stream after EventSource gave up. */
    reconnectMs?: number;
  }) {
    this._url = options.url;
    this._intervalMs = options.intervalMs;
    this._createEventSource =
      options.createEventSource ?? defaultEventSourceFactory;
    this._reconnectMs = options.reconnectMs ?? 30000;
  }

  get mode(): LiveMode {
    return this._mode;
  }

  /** Messages on the stream that were not valid events. */
  get invalidMessages(): number {
    return this._invalidMessages;
  }

  /** New data of a run was stored. */
  get runUpdated(): ISignal<this, IRunEvent> {
    return this._runUpdated;
  }

  /** A rule found something wrong in a live run (event stream only). */
  get alertRaised(): ISignal<this, IAlert> {
    return this._alertRaised;
  }

  /** Re-read what is shown: the stream (re)connected, or a polling tick. */
  get resync(): ISignal<this, ResyncReason> {
    return this._resync;
  }

  get modeChanged(): ISignal<this, LiveMode> {
    return this._modeChanged;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  start(): void {
    if (this._isDisposed || this._mode !== 'off') {
      return;
    }
    this._setMode('polling');
    this._connect();
  }

  stop(): void {
    this._closeSource();
    this._clearTimer('_reconnectTimer');
    this._setMode('off');
  }

  setIntervalMs(intervalMs: number): void {
    this._intervalMs = intervalMs;
    if (this._mode === 'polling') {
      this._startPolling();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.stop();
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _connect(): void {
    this._closeSource();
    let source: IEventSourceLike;
    try {
      source = this._createEventSource(this._url);
    } catch (error) {
      console.warn('tflog: cannot open the event stream, polling', error);
      this._scheduleReconnect();
      return;
    }
    this._source = source;
    source.onmessage = event => this._onMessage(event);
    source.onerror = () => this._onError(source);
  }

  private _onMessage(event: MessageEvent): void {
    let data: ApiEvent;
    try {
      data = JSON.parse(String(event.data)) as ApiEvent;
    } catch (error) {
      this._invalidMessages++;
      if (this._invalidMessages === 1) {
        console.warn('tflog: ignoring an event that is not JSON', error);
      }
      return;
    }
    if (data.type === 'ready') {
      // The stream is open: polling stops, and what is shown is re-read once.
      this._setMode('events');
      this._resync.emit('connected');
    } else if (data.type === 'run' && typeof data.run_id === 'string') {
      this._runUpdated.emit(data);
    } else if (
      data.type === 'alert' &&
      typeof data.alert?.alert_id === 'string' &&
      typeof data.alert.run_id === 'string'
    ) {
      this._alertRaised.emit(data.alert);
    }
  }

  private _onError(source: IEventSourceLike): void {
    if (source !== this._source || this._mode === 'off') {
      return;
    }
    this._setMode('polling');
    if (source.readyState === CLOSED) {
      this._scheduleReconnect();
    }
  }

  private _scheduleReconnect(): void {
    this._closeSource();
    this._clearTimer('_reconnectTimer');
    this._reconnectTimer = setTimeout(() => {
      this._reconnectTimer = null;
      if (this._mode !== 'off') {
        this._connect();
      }
    }, this._reconnectMs);
  }

  private _setMode(mode: LiveMode): void {
    if (mode === 'polling') {
      this._startPolling();
    } else {
      this._clearTimer('_pollTimer');
    }
    if (mode !== this._mode) {
      this._mode = mode;
      this._modeChanged.emit(mode);
    }
  }

  private _startPolling(): void {
    this._clearTimer('_pollTimer');
    this._pollTimer = setInterval(
      () => this._resync.emit('poll'),
      this._intervalMs
    );
  }

  private _closeSource(): void {
    if (this._source) {
      closeQuietly(this._source);
      this._source = null;
    }
  }

  private _clearTimer(which: '_pollTimer' | '_reconnectTimer'): void {
    const timer = this[which];
    if (timer !== null) {
      clearTimeout(timer);
      this[which] = null;
    }
  }

  private readonly _url: string;
  private _intervalMs: number;
  private readonly _createEventSource: EventSourceFactory;
  private readonly _reconnectMs: number;
  private _source: IEventSourceLike | null = null;
  private _mode: LiveMode = 'off';
  private _pollTimer: ReturnType<typeof setInterval> | null = null;
  private _reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private _invalidMessages = 0;
  private _isDisposed = false;
  private _runUpdated = new Signal<this, IRunEvent>(this);
  private _alertRaised = new Signal<this, IAlert>(this);
  private _resync = new Signal<this, ResyncReason>(this);
  private _modeChanged = new Signal<this, LiveMode>(this);
}
