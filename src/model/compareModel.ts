/**
 * The state of one run comparison: the runs and the drawn metric's series
 * as read from the service in one request (`GET /compare`), and what is
 * shown of them: metric, x axis, smoothing, log scale and legend. Views
 * listen to `changed`.
 */
import { ISignal, Signal } from '@lumino/signaling';
import pLimit from 'p-limit';

import type { ICompareRun, ITflogClient, SeriesAxis } from '../tokens';
import {
  CompareAxis,
  ComparedRunError,
  compareRows,
  ICompareRow,
  IComparedRun,
  IOutcomeRow,
  LegendKey,
  legendKeys,
  metricUnion,
  outcomeTable,
  runLabels,
  serviceAxis
} from './compareData';
import { selectSeries } from './series';

/** What a comparison shows; a link or the command sets any of them. */
export interface ICompareView {
  metric: string | null;
  axis: CompareAxis;
  /** EMA weight, 0 (raw) to 0.99. */
  smoothing: number;
  logScale: boolean;
  legend: LegendKey;
}

export const DEFAULT_COMPARE_VIEW: ICompareView = {
  metric: null,
  axis: 'step',
  smoothing: 0,
  logScale: false,
  legend: 'name'
};

/** Series requests in flight at once when every series of every run is read (an export). */
export const SERIES_CONCURRENCY = 4;

/** Points per series asked of the service (it thins longer ones). */
export const COMPARE_MAX_POINTS = 1000;

export class CompareModel {
  constructor(options: {
    client: ITflogClient;
    runIds: readonly string[];
    view?: Partial<ICompareView>;
    concurrency?: number;
    maxPoints?: number;
  }) {
    this._client = options.client;
    this.runIds = [...options.runIds];
    this._view = { ...DEFAULT_COMPARE_VIEW, ...options.view };
    this._view.smoothing = clampSmoothing(this._view.smoothing);
    this._concurrency = options.concurrency ?? SERIES_CONCURRENCY;
    this._maxPoints = options.maxPoints ?? COMPARE_MAX_POINTS;
    this._runs = this.runIds.map(runId => emptyRun(runId));
  }

  readonly runIds: readonly string[];

  /** Emitted when the runs or the view change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get view(): Readonly<ICompareView> {
    return this._view;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** The runs in the order asked for, read or not. */
  get runs(): readonly IComparedRun[] {
    return this._runs;
  }

  /** The union of the runs' metrics. */
  get metrics(): string[] {
    return metricUnion(this._runs);
  }

  /**
   * The metric drawn: the one chosen when a run has it, else the one the
   * service chose (the runs' first), else the first.
   */
  get metric(): string | null {
    const metrics = this.metrics;
    const wanted = this._view.metric;
    if (wanted !== null && metrics.includes(wanted)) {
      return wanted;
    }
    return this._runsMetric ?? metrics[0] ?? null;
  }

  get legendKeys(): LegendKey[] {
    return legendKeys(this._runs);
  }

  /** The legend label of each run, by run id. */
  get labels(): Map<string, string> {
    return runLabels(this._runs, this._view.legend);
  }

  /**
   * True when the series held are those of the metric and axis shown:
   * after a change of metric or between step, epoch and time, until the
   * series for it arrive.
   */
  get current(): boolean {
    return (
      this._runsAxis === serviceAxis(this._view.axis) &&
      this._runsMetric === this.metric
    );
  }

  /** The rows of the metric drawn; none while the runs are read for another axis. */
  rows(): ICompareRow[] {
    const metric = this.metric;
    return metric === null || !this.current
      ? []
      : compareRows(
          this._runs,
          metric,
          this._view.axis,
          this._view.smoothing,
          this.labels
        );
  }

  outcomes(): IOutcomeRow[] {
    return outcomeTable(this._runs, this.metrics);
  }

  /**
   * Change what is shown; the series are read again only when the metric
   * drawn or the service's axis changes (both time axes share one).
   */
  setView(change: Partial<ICompareView>): void {
    const previousAxis = serviceAxis(this._view.axis);
    this._view = { ...this._view, ...change };
    this._view.smoothing = clampSmoothing(this._view.smoothing);
    this._changed.emit();
    if (
      serviceAxis(this._view.axis) !== previousAxis ||
      (this._runsAxis !== null && this.metric !== this._runsMetric)
    ) {
      void this.load();
    }
  }

  /**
   * Read the runs and the drawn metric's series for the axis, all in one
   * request. A run the service does not have (or not for this user) is
   * marked `not_found`; when the request fails, every run keeps its error.
   */
  async load(): Promise<void> {
    const generation = ++this._generation;
    const axis = serviceAxis(this._view.axis);
    this._loading = true;
    this._changed.emit();
    let runs: IComparedRun[];
    let metric: string | null = null;
    try {
      ({ runs, metric } = await this._read(axis));
    } catch (error) {
      const failure = failed(error);
      runs = this.runIds.map(runId => ({ ...emptyRun(runId), error: failure }));
    }
    if (generation !== this._generation || this._disposed) {
      return;
    }
    this._runs = runs;
    this._runsAxis = axis;
    this._runsMetric = metric;
    this._refreshError = null;
    this._loading = false;
    this._changed.emit();
  }

  /** True while a run compared is still running: its curve still grows. */
  get running(): boolean {
    return this._runs.some(run => run.summary?.status === 'running');
  }

  /** Why the last re-read failed (what is shown is older); null when it did not. */
  get refreshError(): Error | null {
    return this._refreshError;
  }

  /** Read again (`refresh`) for a follower: rejects when the read failed. */
  async follow(): Promise<void> {
    await this.refresh();
    if (this._refreshError !== null) {
      throw this._refreshError;
    }
  }

  /**
   * Read the runs again for what is shown, keeping it on screen until the
   * answer is in (nothing to do while a full read is under way). When the
   * request fails, what is shown stays and `refreshError` says why.
   */
  async refresh(): Promise<void> {
    if (this._loading || this._runsAxis === null) {
      return;
    }
    const generation = ++this._generation;
    const axis = this._runsAxis;
    try {
      const { runs, metric } = await this._read(axis);
      if (generation !== this._generation || this._disposed) {
        return;
      }
      this._runs = runs;
      this._runsMetric = metric;
      this._refreshError = null;
    } catch (error) {
      if (generation !== this._generation || this._disposed) {
        return;
      }
      this._refreshError = asError(error);
    }
    this._changed.emit();
  }

  /**
   * Every series of every run on the comparison's axis (for an export of
   * all metrics), a few requests at a time; a run that cannot be read
   * keeps its error (the export tells which runs it lacks).
   */
  async readAllSeries(): Promise<IComparedRun[]> {
    const axis = serviceAxis(this._view.axis);
    const limit = pLimit(this._concurrency);
    return Promise.all(
      this.runIds.map(runId =>
        limit(async (): Promise<IComparedRun> => {
          try {
            const answer = await this._client.series(runId, {
              axis,
              maxPoints: this._maxPoints
            });
            const series = selectSeries(answer.series);
            return {
              runId,
              summary: answer.run,
              metrics: series.map(line => line.name),
              series,
              error: null
            };
          } catch (error) {
            return { ...emptyRun(runId), error: failed(error) };
          }
        })
      )
    );
  }

  dispose(): void {
    this._disposed = true;
    Signal.clearData(this);
  }

  /** One `GET /compare` for the runs, the drawn metric and `axis`. */
  private async _read(
    axis: SeriesAxis
  ): Promise<{ runs: IComparedRun[]; metric: string | null }> {
    const wanted = this._view.metric ?? this._runsMetric;
    const answer = await this._client.compare({
      runIds: this.runIds,
      axis,
      maxPoints: this._maxPoints,
      ...(wanted === null ? {} : { metric: wanted })
    });
    const runs = this.runIds.map((runId): IComparedRun => {
      const found = answer.runs.find(
        (entry: ICompareRun) => entry.run_id === runId
      );
      return found?.run
        ? {
            runId,
            summary: found.run,
            metrics: found.metrics,
            series: found.series === null ? [] : [found.series],
            error: null
          }
        : { ...emptyRun(runId), error: { reason: 'not_found' } };
    });
    return { runs, metric: answer.metric };
  }

  private readonly _client: ITflogClient;
  private readonly _concurrency: number;
  private readonly _maxPoints: number;
  private _view: ICompareView;
  private _runs: IComparedRun[];
  /** The service axis the runs held were read for; null before the first read. */
  private _runsAxis: SeriesAxis | null = null;
  /** The metric the series held are of (the service's choice); null when none. */
  private _runsMetric: string | null = null;
  private _loading = false;
  private _refreshError: Error | null = null;
  private _generation = 0;
  private _disposed = false;
  private readonly _changed = new Signal<this, void>(this);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function failed(error: unknown): ComparedRunError {
  return { reason: 'failed', error: asError(error) };
}

function emptyRun(runId: string): IComparedRun {
  return { runId, summary: null, metrics: [], series: [], error: null };
}

/** Smoothing as the settings allow it: 0 to 0.99, 0 for anything else. */
export function clampSmoothing(value: number): number {
  return Number.isFinite(value) ? Math.min(0.99, Math.max(0, value)) : 0;
}
