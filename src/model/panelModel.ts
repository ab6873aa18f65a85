/**
 * State of the Training panel: the service's status, the run lists of the
 * current notebook and of all the user's notebooks, and the run being shown
 * (by default the newest run of the current notebook, followed as new runs
 * start). It follows updates only while the panel is visible.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  IRunEvent,
  IRunSummary,
  IServiceStatus,
  ITflogClient,
  ITflogSettings
} from '../tokens';
import {
  EventSourceFactory,
  LiveMode,
  LiveUpdates,
  ResyncReason
} from './liveUpdates';
import { IRunViewOptions, RunModel } from './runModel';

/** How often the status line is refreshed. */
export const STATUS_POLL_MS = 5000;

/**
 * After the panel is shown, the run lists are read once more this much
 * later: the events of a run stored just before (while the panel did not
 * follow the stream) are not replayed, and a store that refreshes its index
 * (Elasticsearch, every second) may not list that run at the first read.
 */
export const CATCH_UP_MS = 2000;

/** Run lists are re-read at most this often, however many events arrive. */
export const RUNS_REFRESH_MIN_MS = 1000;

/**
 * While a listed run is running, the lists are read again when they have
 * not been for this long: a run's end may have been stored after the
 * lists were last read (a store that refreshes its index later, an event
 * stream that dropped), and no event follows a run's last one.
 */
export const RUNS_WHILE_RUNNING_MS = 10000;

/** Runs per list. */
export const RUN_LIST_SIZE = 20;

/** Runs learned from their events and not listed yet, kept at most. */
const MAX_ANNOUNCED_RUNS = 100;

export class PanelModel implements IDisposable {
  constructor(options: {
    client: ITflogClient;
    settings: ITflogSettings;
    createEventSource?: EventSourceFactory;
    statusPollMs?: number;
  }) {
    this._client = options.client;
    this._settings = options.settings;
    this._statusPollMs = options.statusPollMs ?? STATUS_POLL_MS;
    this._live = new LiveUpdates({
      url: options.client.eventsUrl(),
      intervalMs: options.settings.refreshIntervalMs,
      createEventSource: options.createEventSource
    });
    this._live.runUpdated.connect(this._onRunUpdated, this);
    this._live.resync.connect(this._onResync, this);
    this._live.modeChanged.connect(
      (_, mode) => this._liveModeChanged.emit(mode),
      this
    );
  }

  get settings(): Readonly<ITflogSettings> {
    return this._settings;
  }

  get status(): IServiceStatus | null {
    return this._status;
  }

  /** Why the status could not be read, or null. */
  get statusError(): Error | null {
    return this._statusError;
  }

  get notebookPath(): string | null {
    return this._notebookPath;
  }

  get notebookRuns(): readonly IRunSummary[] {
    return this._notebookRuns;
  }

  get allRuns(): readonly IRunSummary[] {
    return this._allRuns;
  }

  get runsError(): Error | null {
    return this._runsError;
  }

  /** True once both run lists have been read at least once. */
  get runsLoaded(): boolean {
    return this._runsLoaded;
  }

  get runModel(): RunModel | null {
    return this._runModel;
  }

  /** Whether the shown run follows the newest run of the notebook. */
  get followLatest(): boolean {
    return this._followLatest;
  }

  get liveMode(): LiveMode {
    return this._live.mode;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get statusChanged(): ISignal<this, void> {
    return this._statusChanged;
  }

  get runsChanged(): ISignal<this, void> {
    return this._runsChanged;
  }

  get runModelChanged(): ISignal<this, RunModel | null> {
    return this._runModelChanged;
  }

  get liveModeChanged(): ISignal<this, LiveMode> {
    return this._liveModeChanged;
  }

  get settingsChanged(): ISignal<this, ITflogSettings> {
    return this._settingsChanged;
  }

  /** Follow updates while active (the panel is visible), stop while not. */
  setActive(active: boolean): void {
    if (active === this._active || this._isDisposed) {
      return;
    }
    this._active = active;
    if (active) {
      if (this._settings.liveUpdates) {
        this._live.start();
      }
      this._statusTimer = setInterval(
        () => void this.refreshStatus(),
        this._statusPollMs
      );
      void this.refresh();
      this._catchUpTimer = setTimeout(() => {
        this._catchUpTimer = null;
        void this.refreshRuns();
      }, CATCH_UP_MS);
    } else {
      this._live.stop();
      this._stopTimers();
    }
  }

  /** Re-read everything shown (the panel's refresh button, and on showing). */
  async refresh(): Promise<void> {
    await Promise.all([
      this.refreshStatus(),
      this.refreshRuns(),
      this._runModel?.refresh()
    ]);
  }

  async refreshStatus(): Promise<void> {
    try {
      this._status = await this._client.status();
      this._statusError = null;
    } catch (error) {
      this._statusError = asError(error);
    }
    if (!this._isDisposed) {
      this._statusChanged.emit();
    }
  }

  async refreshRuns(): Promise<void> {
    const path = this._notebookPath;
    try {
      const [notebookPage, allPage] = await Promise.all([
        path === null
          ? Promise.resolve(null)
          : this._client.runs({ notebook: path, size: RUN_LIST_SIZE }),
        this._client.runs({ size: RUN_LIST_SIZE })
      ]);
      if (this._isDisposed || path !== this._notebookPath) {
        return;
      }
      this._listedNotebookRuns = notebookPage?.runs ?? [];
      this._listedAllRuns = allPage.runs;
      for (const run of [...this._listedNotebookRuns, ...this._listedAllRuns]) {
        const read = this._announced.get(run.run_id);
        // The lists have caught up with what was read by id.
        if (read && !isNewer(read, run)) {
          this._announced.delete(run.run_id);
        }
      }
      this._mergeAnnounced();
      this._runsError = null;
    } catch (error) {
      if (this._isDisposed) {
        return;
      }
      this._runsError = asError(error);
    }
    this._runsLoaded = true;
    this._runsChanged.emit();
    this._follow();
    this._watchRunning();
  }

  /** The notebook in focus changed (null: no notebook open). */
  setNotebookPath(path: string | null): void {
    if (path === this._notebookPath) {
      return;
    }
    this._notebookPath = path;
    this._listedNotebookRuns = [];
    this._mergeAnnounced();
    this._followLatest = true;
    this._runsChanged.emit();
    void this.refreshRuns();
  }

  /** Show a run chosen in a list. Choosing the newest one follows new runs again. */
  selectRun(runId: string): void {
    const latest = this._latestRun();
    this._followLatest = latest !== null && latest.run_id === runId;
    this._showRun(runId);
  }

  updateSettings(settings: ITflogSettings): void {
    const previous = this._settings;
    this._settings = settings;
    if (previous.refreshIntervalMs !== settings.refreshIntervalMs) {
      this._live.setIntervalMs(settings.refreshIntervalMs);
    }
    if (previous.liveUpdates !== settings.liveUpdates && this._active) {
      if (settings.liveUpdates) {
        this._live.start();
      } else {
        this._live.stop();
      }
    }
    this._runModel?.setView(this._viewOptions());
    this._settingsChanged.emit(settings);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._stopTimers();
    this._live.dispose();
    this._runModel?.dispose();
    this._runModel = null;
    Signal.clearData(this);
  }

  private _latestRun(): IRunSummary | null {
    const runs =
      this._notebookPath === null ? this._allRuns : this._notebookRuns;
    return runs[0] ?? null;
  }

  /** While following, show the newest run as soon as the lists say there is one. */
  private _follow(): void {
    if (!this._followLatest) {
      return;
    }
    const latest = this._latestRun();
    const latestId = latest?.run_id ?? null;
    if (latestId !== (this._runModel?.runId ?? null)) {
      this._showRun(latestId);
    }
  }

  private _showRun(runId: string | null): void {
    if (runId !== null && runId === this._runModel?.runId) {
      return;
    }
    this._runModel?.dispose();
    this._runModel = null;
    if (runId !== null) {
      const summary =
        [...this._notebookRuns, ...this._allRuns].find(
          run => run.run_id === runId
        ) ?? null;
      this._runModel = new RunModel({
        client: this._client,
        runId,
        view: this._viewOptions(),
        summary
      });
    }
    this._runModelChanged.emit(this._runModel);
    void this._runModel?.load();
  }

  private _viewOptions(): IRunViewOptions {
    return {
      axis: this._settings.xAxis,
      smoothing: this._settings.smoothing,
      maxPoints: this._settings.maxPoints,
      metrics: this._settings.defaultMetrics,
      logScale: this._settings.logScale
    };
  }

  private _onRunUpdated(_: LiveUpdates, event: IRunEvent): void {
    if (event.run_id === this._runModel?.runId) {
      void this._runModel.refresh();
    }
    if (!this._isKnownRun(event.run_id) || this._listedStatusDiffers(event)) {
      void this._announce(event.run_id);
    }
    this._scheduleRunsRefresh();
  }

  /**
   * The event says a listed run's status changed (it ended): the lists
   * read right after it may not have it yet, and no event may follow.
   */
  private _listedStatusDiffers(event: IRunEvent): boolean {
    if (this._announcing.has(event.run_id)) {
      return false;
    }
    const shown = [...this._notebookRuns, ...this._allRuns].find(
      run => run.run_id === event.run_id
    );
    return shown !== undefined && shown.status !== event.status;
  }

  private _isKnownRun(runId: string): boolean {
    return (
      this._announced.has(runId) ||
      this._announcing.has(runId) ||
      this._listedAllRuns.some(run => run.run_id === runId) ||
      this._listedNotebookRuns.some(run => run.run_id === runId)
    );
  }

  /**
   * A run's first event comes long before a store that refreshes its index
   * (Elasticsearch: about a second) lists it, and so does a status change:
   * the run is read by id (the service answers that from what it just
   * stored) and shown in the lists, and followed, at once, until the lists
   * have it as new.
   */
  private async _announce(runId: string): Promise<void> {
    this._announcing.add(runId);
    try {
      const run = await this._client.run(runId);
      if (this._isDisposed) {
        return;
      }
      this._announced.set(runId, run);
      if (this._announced.size > MAX_ANNOUNCED_RUNS) {
        this._announced.delete(this._announced.keys().next().value as string);
      }
      this._mergeAnnounced();
      this._runsChanged.emit();
      if (this._runsLoaded) {
        this._follow();
      }
      this._watchRunning();
    } catch (error) {
      console.warn(
        `tflog: cannot read the new run ${runId}; the run lists show it once they are read again`,
        error
      );
    } finally {
      this._announcing.delete(runId);
    }
  }

  /**
   * The run lists: what the store listed, with the runs read by id that it
   * does not list yet or lists in an older state.
   */
  private _mergeAnnounced(): void {
    const announced = [...this._announced.values()];
    const path = this._notebookPath;
    this._notebookRuns =
      path === null
        ? []
        : withRuns(
            this._listedNotebookRuns,
            announced.filter(run => run.notebook === path)
          );
    this._allRuns = withRuns(this._listedAllRuns, announced);
  }

  private _onResync(_: LiveUpdates, reason: ResyncReason): void {
    if (reason === 'connected') {
      // No replay on the stream: whatever happened while disconnected is re-read.
      void this._runModel?.refresh();
      void this.refreshRuns();
      return;
    }
    const summary = this._runModel?.summary;
    if (this._runModel && (!summary || summary.status === 'running')) {
      void this._runModel.refresh();
    }
    this._scheduleRunsRefresh();
  }

  /** Leading-edge throttle: at once, then at most once per RUNS_REFRESH_MIN_MS. */
  private _scheduleRunsRefresh(): void {
    if (this._runsTimer !== null) {
      this._runsDirty = true;
      return;
    }
    void this.refreshRuns();
    this._runsTimer = setTimeout(() => {
      this._runsTimer = null;
      if (this._runsDirty && this._active) {
        this._runsDirty = false;
        this._scheduleRunsRefresh();
      }
    }, RUNS_REFRESH_MIN_MS);
  }

  /**
   * While a listed run is running, read the lists again once they have not
   * been read for RUNS_WHILE_RUNNING_MS; every read (events read them too)
   * starts the wait again, so a run that sends events costs nothing more.
   */
  private _watchRunning(): void {
    if (this._runningTimer !== null) {
      clearTimeout(this._runningTimer);
      this._runningTimer = null;
    }
    const running = [...this._notebookRuns, ...this._allRuns].some(
      run => run.status === 'running'
    );
    if (!running || !this._active || this._isDisposed) {
      return;
    }
    this._runningTimer = setTimeout(() => {
      this._runningTimer = null;
      if (this._active) {
        this._scheduleRunsRefresh();
      }
    }, RUNS_WHILE_RUNNING_MS);
  }

  private _stopTimers(): void {
    if (this._statusTimer !== null) {
      clearInterval(this._statusTimer);
      this._statusTimer = null;
    }
    if (this._runsTimer !== null) {
      clearTimeout(this._runsTimer);
      this._runsTimer = null;
    }
    if (this._runningTimer !== null) {
      clearTimeout(this._runningTimer);
      this._runningTimer = null;
    }
    if (this._catchUpTimer !== null) {
      clearTimeout(this._catchUpTimer);
      this._catchUpTimer = null;
    }
    this._runsDirty = false;
  }

  private readonly _client: ITflogClient;
  private _settings: ITflogSettings;
  private readonly _statusPollMs: number;
  private readonly _live: LiveUpdates;
  private _active = false;
  private _status: IServiceStatus | null = null;
  private _statusError: Error | null = null;
  private _notebookPath: string | null = null;
  private _notebookRuns: IRunSummary[] = [];
  private _allRuns: IRunSummary[] = [];
  /** The lists as the store answered them. */
  private _listedNotebookRuns: IRunSummary[] = [];
  private _listedAllRuns: IRunSummary[] = [];
  /** Runs read by id after their first event, until a list has them. */
  private _announced = new Map<string, IRunSummary>();
  private _announcing = new Set<string>();
  private _runsError: Error | null = null;
  private _runsLoaded = false;
  private _runModel: RunModel | null = null;
  private _followLatest = true;
  private _statusTimer: ReturnType<typeof setInterval> | null = null;
  private _catchUpTimer: ReturnType<typeof setTimeout> | null = null;
  private _runsTimer: ReturnType<typeof setTimeout> | null = null;
  private _runningTimer: ReturnType<typeof setTimeout> | null = null;
  private _runsDirty = false;
  private _isDisposed = false;
  private _statusChanged = new Signal<this, void>(this);
  private _runsChanged = new Signal<this, void>(this);
  private _runModelChanged = new Signal<this, RunModel | null>(this);
  private _liveModeChanged = new Signal<this, LiveMode>(this);
  private _settingsChanged = new Signal<this, ITflogSettings>(this);
}

/**
 * `listed` with the `extra` runs it lacks or holds in an older state, newest
 * first as the store sorts, at most RUN_LIST_SIZE.
 */
function withRuns(listed: IRunSummary[], extra: IRunSummary[]): IRunSummary[] {
  const extras = new Map(extra.map(run => [run.run_id, run]));
  let replaced = false;
  const merged = listed.map(run => {
    const read = extras.get(run.run_id);
    extras.delete(run.run_id);
    if (read && isNewer(read, run)) {
      replaced = true;
      return read;
    }
    return run;
  });
  const missing = [...extras.values()];
  if (!replaced && missing.length === 0) {
    return listed;
  }
  return [...merged, ...missing]
    .sort(
      (a, b) =>
        Date.parse(b.started) - Date.parse(a.started) ||
        a.run_id.localeCompare(b.run_id)
    )
    .slice(0, RUN_LIST_SIZE);
}

/** Whether summary `a` is a later state of its run than `b`. */
function isNewer(a: IRunSummary, b: IRunSummary): boolean {
  return Date.parse(a.updated) > Date.parse(b.updated);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
