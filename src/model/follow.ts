/**
 * Keeps a view of runs current while one of them is still running: it is
 * read again every few seconds while it is shown, less often while the
 * service does not answer, and not at all once every run shown has ended.
 * The comparison and the History view each have one.
 *
 * A timer rather than the service's event stream: each open stream holds one
 * of the few connections a browser keeps to the server (the panel and the
 * alerts hold theirs), and such a view is one request however many of its
 * runs moved.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

/** Between two reads of a view with a running run. */
export const FOLLOW_INTERVAL_MS = 5000;

/** The longest pause after failed reads. */
export const FOLLOW_MAX_INTERVAL_MS = 60000;

export class RunningFollower implements IDisposable {
  constructor(options: {
    /** Read the view again in place; rejects when the read failed. */
    read: () => Promise<void>;
    /** Whether a run shown is still running. */
    isRunning: () => boolean;
    /** Whether the view is on screen now. */
    isShown: () => boolean;
    /** Names the poll (for debugging). */
    name: string;
    intervalMs?: number;
    maxIntervalMs?: number;
  }) {
    const { read, isRunning, isShown } = options;
    const interval = options.intervalMs ?? FOLLOW_INTERVAL_MS;
    this._interval = interval;
    this._poll = new Poll({
      auto: false,
      name: options.name,
      frequency: {
        interval,
        max: Math.max(
          interval,
          options.maxIntervalMs ?? FOLLOW_MAX_INTERVAL_MS
        ),
        backoff: true
      },
      // A rejection makes the poll wait longer before the next read.
      factory: read,
      // Read only while shown, in a visible browser tab, with a run running.
      standby: () => !isShown() || !isRunning() || 'when-hidden'
    });
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Begin following: the first read comes one interval from now. */
  start(): void {
    void this._poll.schedule({ interval: this._interval, phase: 'started' });
  }

  dispose(): void {
    this._poll.dispose();
  }

  private readonly _interval: number;
  private readonly _poll: Poll;
}
