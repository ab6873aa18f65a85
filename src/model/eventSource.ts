/**
 * The part of EventSource the live updates use, its states, and what the
 * modules that wrap a stream (liveUpdates, eventSourcePool, crossTabStream)
 * share. Tests pass fakes of this shape.
 */

export interface IEventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  close(): void;
}

export type EventSourceFactory = (url: string) => IEventSourceLike;

/** EventSource's readyState values, spelt out so tests need no EventSource global. */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSED = 2;

/** Closes a stream without letting it call its handlers again. */
export function closeQuietly(source: IEventSourceLike): void {
  source.onopen = null;
  source.onmessage = null;
  source.onerror = null;
  source.close();
}

/** Whether `data` is the stream's `ready` event. */
export function isReady(data: string): boolean {
  // Most events are `run` events: they are not parsed for this.
  if (!data.includes('ready')) {
    return false;
  }
  try {
    const parsed: unknown = JSON.parse(data);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      (parsed as { type?: unknown }).type === 'ready'
    );
  } catch {
    return false;
  }
}
