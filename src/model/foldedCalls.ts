/**
 * One read at a time: calls while a read is under way are folded into one
 * more read after it, so the last call always sees fresh data without a
 * queue of requests piling up.
 */
export class FoldedCalls {
  constructor(
    private readonly _task: () => Promise<void>,
    private readonly _isDisposed: () => boolean
  ) {}

  /** Start the task, or fold this call into the run after the current one. */
  run(): Promise<void> {
    if (this._isDisposed()) {
      return Promise.resolve();
    }
    if (this._inFlight) {
      this._pending = true;
      return this._inFlight;
    }
    this._inFlight = this._task().finally(() => {
      this._inFlight = null;
      if (this._pending && !this._isDisposed()) {
        this._pending = false;
        void this.run();
      }
    });
    return this._inFlight;
  }

  private _inFlight: Promise<void> | null = null;
  private _pending = false;
}
