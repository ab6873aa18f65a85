/**
 * Server-Sent Events for the panel: one `data:` line of JSON per event, a
 * comment line as heartbeat so idle proxies keep the stream open. There is
 * no replay: a client that reconnects re-reads what it shows.
 */
import type { IncomingMessage, ServerResponse } from 'http';

import type { ApiEvent, IEventCounters } from '../wire';
import { ApiError } from './errors';

export type { ApiEvent, IRunUpdate } from '../wire';

/** How long a client may lag before it is dropped (it reconnects and re-reads). */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Reconnection delay suggested to EventSource clients. */
const RETRY_MS = 3000;

/**
 * Retry-After of a stream refused for the client limit: the panel polls
 * meanwhile and opens a new stream after 30 s.
 */
const FULL_RETRY_AFTER_SECONDS = 30;

export class EventHub {
  private readonly _clients = new Set<ServerResponse>();
  private _heartbeat: NodeJS.Timeout | null = null;
  private _sent = 0;
  private _dropped = 0;
  private _refused = 0;

  constructor(
    private readonly _heartbeatMs: number,
    private readonly _apiVersion: number,
    /** Streams open at once at most; each holds a connection and a buffer. */
    private readonly _maxClients: number
  ) {}

  get counters(): IEventCounters {
    return {
      clients: this._clients.size,
      sent: this._sent,
      dropped: this._dropped,
      refused: this._refused
    };
  }

  /**
   * Turn a response into an event stream and keep it until the client
   * leaves; throws a 503 (before anything is written) when `maxClients`
   * streams are open.
   */
  attach(request: IncomingMessage, response: ServerResponse): void {
    if (this._clients.size >= this._maxClients) {
      this._refused++;
      throw new ApiError(
        503,
        'too_many_streams',
        `too many event streams: at most ${this._maxClients} event streams may be open at once (TFLOG_MAX_EVENT_CLIENTS); try again in ${FULL_RETRY_AFTER_SECONDS} s`,
        { retryAfterSeconds: FULL_RETRY_AFTER_SECONDS }
      );
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      // Tells buffering reverse proxies (nginx) to pass events through at once.
      'X-Accel-Buffering': 'no'
    });
    response.write(`retry: ${RETRY_MS}\n\n`);
    this._clients.add(response);
    const forget = (): void => this._forget(response);
    request.on('close', forget);
    response.on('close', forget);
    response.on('error', forget);
    this._write(
      response,
      frame({ type: 'ready', api_version: this._apiVersion })
    );
    this._startHeartbeat();
  }

  publish(event: ApiEvent): void {
    const text = frame(event);
    for (const client of this._clients) {
      if (this._write(client, text)) {
        this._sent++;
      }
    }
  }

  /** End every stream (server shutdown). */
  closeAll(): void {
    for (const client of this._clients) {
      // Close the connection too, so the server's close() need not wait for it.
      client.end(() => client.destroy());
    }
    this._clients.clear();
    this._stopHeartbeat();
  }

  /** Write unless the client lags too far behind, in which case drop it. */
  private _write(client: ServerResponse, text: string): boolean {
    if (client.writableLength > MAX_BUFFERED_BYTES) {
      this._dropped++;
      this._forget(client);
      client.destroy();
      return false;
    }
    client.write(text);
    return true;
  }

  private _forget(client: ServerResponse): void {
    this._clients.delete(client);
    if (this._clients.size === 0) {
      this._stopHeartbeat();
    }
  }

  private _startHeartbeat(): void {
    if (this._heartbeat) {
      return;
    }
    this._heartbeat = setInterval(() => {
      for (const client of this._clients) {
        this._write(client, ': heartbeat\n\n');
      }
    }, this._heartbeatMs);
    // Heartbeats alone must not keep the process alive.
    this._heartbeat.unref();
  }

  private _stopHeartbeat(): void {
    if (this._heartbeat) {
      clearInterval(this._heartbeat);
      this._heartbeat = null;
    }
  }
}

/** One SSE event: a single `data:` line (JSON never contains a raw newline). */
export function frame(event: ApiEvent): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}
