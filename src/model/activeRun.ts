/**
 * The run in progress, for the status bar: read every few seconds while the
 * page is visible (one small request: the running runs), the notebook in
 * focus first.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IRunSummary, ITflogClient } from '../tokens';

/** How often the running runs are read. */
export const ACTIVE_RUN_POLL_MS = 5000;

/** Running runs read at once; more at a time are unlikely for one user. */
const RUNNING_RUNS_READ = 20;

/** A running run of the notebook in focus, else the newest running run; null when none. */
export function pickActiveRun(
  runs: readonly IRunSummary[],
  notebookPath: string | null
): IRunSummary | null {
  const running = runs.filter(run => run.status === 'running');
  return (
    running.find(
      run => notebookPath !== null && run.notebook === notebookPath
    ) ??
    running[0] ??
    null
  );
}

export class ActiveRunModel implements IDisposable {
  constructor(options: { client: ITflogClient; pollMs?: number }) {
    this._client = options.client;
    this._pollMs = options.pollMs ?? ACTIVE_RUN_POLL_MS;
  }

  /** The run shown, or null when none is running. */
  get run(): IRunSummary | null {
    return this._run;
  }

  /** The run shown changed, or its summary did. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Read now and then every pollMs while the page is visible. */
  start(): void {
    if (this._timer !== null || this._isDisposed) {
      return;
    }
    void this.refresh();
    this._timer = setInterval(() => {
      if (document.visibilityState !== 'hidden') {
        void this.refresh();
      }
    }, this._pollMs);
  }

  setNotebookPath(path: string | null): void {
    if (path !== this._notebookPath) {
      this._notebookPath = path;
      this._show(pickActiveRun(this._running, path));
    }
  }

  async refresh(): Promise<void> {
    try {
      const page = await this._client.runs({
        status: ['running'],
        size: RUNNING_RUNS_READ
      });
      this._failing = false;
      this._running = page.runs;
    } catch (error) {
      // A service restart: the last answer stays until the next read.
      if (!this._failing) {
        console.warn('tflog: cannot read the running runs', error);
      }
      this._failing = true;
      return;
    }
    if (!this._isDisposed) {
      this._show(pickActiveRun(this._running, this._notebookPath));
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
    Signal.clearData(this);
  }

  private _show(run: IRunSummary | null): void {
    const before = this._run;
    this._run = run;
    if (before?.run_id !== run?.run_id || before?.updated !== run?.updated) {
      this._changed.emit();
    }
  }

  private readonly _client: ITflogClient;
  private readonly _pollMs: number;
  private _notebookPath: string | null = null;
  private _running: IRunSummary[] = [];
  private _run: IRunSummary | null = null;
  private _failing = false;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _isDisposed = false;
  private readonly _changed = new Signal<this, void>(this);
}
