/**
 * Keeps a comparison current while one of its runs is still running: it is
 * read again every few seconds while it is shown, less often while the
 * service does not answer, and not at all once every run has ended.
 *
 * A timer rather than the service's event stream: each open stream holds one
 * of the few connections a browser keeps to the server (the panel and the
 * alerts hold theirs), and a comparison of up to 20 runs is one request
 * however many of them moved.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

import type { CompareModel } from './compareModel';

/** Between two reads of a comparison with a running run. */
export const FOLLOW_INTERVAL_MS = 5000;

/** The longest pause after failed reads. */
export const FOLLOW_MAX_INTERVAL_MS = 60000;

export class CompareFollower implements IDisposable {
  constructor(options: {
    model: CompareModel;
    /** Whether the comparison is on screen now. */
    isShown: () => boolean;
    intervalMs?: number;
    maxIntervalMs?: number;
  }) {
    const { model, isShown } = options;
    const interval = options.intervalMs ?? FOLLOW_INTERVAL_MS;
    this._interval = interval;
    this._poll = new Poll({
      auto: false,
      name: 'tflog:compare-follow',
      frequency: {
        interval,
        max: Math.max(
          interval,
          options.maxIntervalMs ?? FOLLOW_MAX_INTERVAL_MS
        ),
        backoff: true
      },
      factory: async () => {
        await model.refresh();
        if (model.refreshError !== null) {
          // A rejection makes the poll wait longer before the next read.
          throw new Error(model.refreshError);
        }
      },
      // Read only while shown, in a visible browser tab, with a run running.
      standby: () => !isShown() || !model.running || 'when-hidden'
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
