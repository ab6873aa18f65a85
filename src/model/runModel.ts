/**
 * The curves of one run: loaded once, then extended with only the points
 * after the last x already held (`series?after=`), so charts insert new rows
 * instead of redrawing. A reload happens only when it must: a new metric
 * appears, a better series of a metric appears (exact callback values after
 * parsed ones), a curve outgrows twice the point budget (the service thins
 * it again), or the axis or point budget changes.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  IRunSummary,
  IRankedSeries,
  ISeries,
  ISeriesPoint,
  ITflogClient,
  SeriesAxis,
  XAxisChoice
} from '../tokens';
import { FoldedCalls } from './foldedCalls';
import {
  Ema,
  IChartRow,
  metricBase,
  orderCharts,
  SeriesRole,
  selectSeries,
  seriesKey,
  toRows
} from './series';
import { autoAxis } from './viewDefaults';

/** How a run is drawn. */
export interface IRunViewOptions {
  /** The axis chosen; `auto` is resolved per run (see `RunModel.axis`). */
  axis: XAxisChoice;
  smoothing: number;
  maxPoints: number;
  /** Chart filter and order (see orderCharts). */
  metrics: string[];
  /** y on a log scale (drawing only: the data stays the same). */
  logScale?: boolean;
}

/** The data of one chart: a base metric with its train and validation series. */
export interface IChartData {
  metric: string;
  rows: IChartRow[];
  roles: SeriesRole[];
}

export interface IChartsChange {
  /** True when charts must be rebuilt from `RunModel.charts`. */
  reset: boolean;
  /** With reset false: rows appended to each chart, by metric. */
  inserted: Map<string, IChartRow[]>;
}

/** A series being followed. */
interface ITrackedSeries {
  key: string;
  name: string;
  rank: number;
  points: ISeriesPoint[];
  rows: IChartRow[];
  lastX: number;
  ema: Ema;
}

export class RunModel implements IDisposable {
  constructor(options: {
    client: ITflogClient;
    runId: string;
    view: IRunViewOptions;
    summary?: IRunSummary | null;
  }) {
    this._client = options.client;
    this.runId = options.runId;
    this._view = { ...options.view };
    this._summary = options.summary ?? null;
    this._axis = initialAxis(this._view.axis, this._summary);
  }

  readonly runId: string;

  get summary(): IRunSummary | null {
    return this._summary;
  }

  get view(): Readonly<IRunViewOptions> {
    return this._view;
  }

  /** The axis drawn: the one chosen, or what `auto` stands for with this run's data. */
  get axis(): SeriesAxis {
    return this._axis;
  }

  /**
   * Whether the run has epoch-end values (a Keras fit): on the step axis its
   * training values are then running averages within each epoch.
   */
  get hasEpochEnds(): boolean {
    return this._hasEpochEnds;
  }

  /** The last request's error, or null once a request succeeds. */
  get error(): Error | null {
    return this._error;
  }

  /** True until the first load has finished (successfully or not). */
  get loading(): boolean {
    return !this._loaded;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get summaryChanged(): ISignal<this, IRunSummary | null> {
    return this._summaryChanged;
  }

  get chartsChanged(): ISignal<this, IChartsChange> {
    return this._chartsChanged;
  }

  get errorChanged(): ISignal<this, Error | null> {
    return this._errorChanged;
  }

  /** The charts to draw, in display order. */
  get charts(): IChartData[] {
    const byBase = new Map<string, ITrackedSeries[]>();
    for (const tracked of this._series.values()) {
      const { base } = metricBase(tracked.name);
      byBase.set(base, [...(byBase.get(base) ?? []), tracked]);
    }
    return orderCharts(byBase.keys(), this._view.metrics).map(metric => {
      const members = byBase.get(metric) ?? [];
      const roles = [
        ...new Set(members.map(member => metricBase(member.name).role))
      ].sort() as SeriesRole[];
      return {
        metric,
        rows: members.flatMap(member => member.rows),
        roles
      };
    });
  }

  /** Load everything again. */
  load(): Promise<void> {
    this._needsFullLoad = true;
    return this.refresh();
  }

  /**
   * Fetch what is new. Calls while a request is under way are folded into
   * one more request after it.
   */
  refresh(): Promise<void> {
    return this._refreshes.run();
  }

  /** Change how the run is drawn; reloads only when the data must change. */
  setView(view: Partial<IRunViewOptions>): void {
    const next = { ...this._view, ...view };
    const refetch =
      next.axis !== this._view.axis || next.maxPoints !== this._view.maxPoints;
    if (next.axis !== this._view.axis) {
      this._axis = initialAxis(next.axis, this._summary);
    }
    const restyle =
      next.smoothing !== this._view.smoothing ||
      (next.logScale ?? false) !== (this._view.logScale ?? false) ||
      next.metrics.join('\n') !== this._view.metrics.join('\n');
    this._view = next;
    if (refetch) {
      this._generation++;
      this._series.clear();
      this._chartsChanged.emit({ reset: true, inserted: new Map() });
      void this.load();
    } else if (restyle) {
      for (const tracked of this._series.values()) {
        tracked.ema = new Ema(next.smoothing);
        tracked.rows = toRows(tracked.name, tracked.points, tracked.ema);
      }
      this._chartsChanged.emit({ reset: true, inserted: new Map() });
    }
  }

  /** The client the run is read through (the charts read its logs with it). */
  get client(): ITflogClient {
    return this._client;
  }

  /**
   * The rows of one chart for an x range only (a zoom): the service thins
   * that range to the point budget, so it has finer detail than the whole
   * curve. Smoothing starts again at the range's first point.
   */
  async detail(
    metric: string,
    range: readonly [number, number]
  ): Promise<IChartRow[]> {
    const axis = this._axis;
    const names = [...this._series.values()]
      .map(tracked => tracked.name)
      .filter(name => metricBase(name).base === metric);
    if (names.length === 0) {
      return [];
    }
    const [from, to] =
      axis === 'time'
        ? range.map(x => new Date(x).toISOString())
        : [range[0], range[1]];
    const response = await this._client.series(this.runId, {
      axis,
      maxPoints: this._view.maxPoints,
      names,
      from,
      to
    });
    return selectSeries(response.series)
      .filter(series => names.includes(series.name))
      .flatMap(series =>
        toRows(series.name, series.points, new Ema(this._view.smoothing))
      );
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._series.clear();
    Signal.clearData(this);
  }

  private async _fetch(): Promise<void> {
    const generation = this._generation;
    const full = this._needsFullLoad || this._series.size === 0;
    this._needsFullLoad = false;
    try {
      if (full) {
        await this._fullLoad(generation);
      } else {
        await this._incrementalLoad(generation);
      }
      if (generation === this._generation) {
        this._setError(null);
      }
    } catch (error) {
      if (generation === this._generation && !this._isDisposed) {
        this._needsFullLoad = full;
        this._setError(
          error instanceof Error ? error : new Error(String(error))
        );
      }
    } finally {
      this._loaded = true;
    }
  }

  private async _fullLoad(
    generation: number,
    axisSettled = false
  ): Promise<void> {
    const { maxPoints } = this._view;
    const axis = this._axis;
    const response = await this._client.series(this.runId, {
      axis,
      maxPoints
    });
    if (generation !== this._generation || this._isDisposed) {
      return;
    }
    this._hasEpochEnds = autoAxis(response.series) === 'epoch';
    if (
      !axisSettled &&
      this._moveAutoAxis(response.series, true, response.run)
    ) {
      // Once at most: the answer on the new axis settles it.
      return this._fullLoad(generation, true);
    }
    this._series.clear();
    for (const series of selectSeries(response.series)) {
      this._series.set(series.name, this._track(series));
    }
    this._setSummary(response.run);
    // Loaded before the views hear of it: they tell "Loading…" by it.
    this._loaded = true;
    this._chartsChanged.emit({ reset: true, inserted: new Map() });
  }

  private async _incrementalLoad(generation: number): Promise<void> {
    const { maxPoints } = this._view;
    const axis = this._axis;
    // The slowest series decides: points the others already have are dropped below.
    const after = Math.min(
      ...[...this._series.values()].map(tracked => tracked.lastX)
    );
    if (!Number.isFinite(after)) {
      return this._fullLoad(generation);
    }
    const response = await this._client.series(this.runId, {
      axis,
      maxPoints,
      after: axis === 'time' ? new Date(after).toISOString() : after
    });
    if (generation !== this._generation || this._isDisposed) {
      return;
    }
    this._setSummary(response.run);
    this._hasEpochEnds =
      this._hasEpochEnds || autoAxis(response.series) === 'epoch';
    // The first epoch of a Keras fit has ended: `auto` moves to the epoch axis.
    if (
      this._needsReload(response.series) ||
      this._moveAutoAxis(response.series, false)
    ) {
      return this._fullLoad(generation);
    }
    const inserted = new Map<string, IChartRow[]>();
    let outgrown = false;
    for (const series of response.series) {
      const tracked = this._series.get(series.name);
      if (!tracked || tracked.key !== seriesKey(series)) {
        continue;
      }
      const fresh = series.points.filter(point => point.x > tracked.lastX);
      if (fresh.length === 0) {
        continue;
      }
      const rows = toRows(tracked.name, fresh, tracked.ema);
      tracked.points.push(...fresh);
      tracked.rows.push(...rows);
      tracked.lastX = maxX(fresh, tracked.lastX);
      outgrown = outgrown || tracked.points.length > 2 * maxPoints;
      const { base } = metricBase(tracked.name);
      inserted.set(base, [...(inserted.get(base) ?? []), ...rows]);
    }
    if (outgrown) {
      return this._fullLoad(generation);
    }
    if (inserted.size > 0) {
      this._chartsChanged.emit({ reset: false, inserted });
    }
  }

  /** A metric not seen yet, or a better series of a known one. */
  private _needsReload(series: IRankedSeries[]): boolean {
    return selectSeries(series).some(best => {
      const tracked = this._series.get(best.name);
      return !tracked || best.rank > tracked.rank;
    });
  }

  /**
   * With `auto`, follow the data to the axis it stands for; true when that
   * moved. A partial answer (`series?after=`) may lack the epoch-end values
   * the run has: it only ever moves towards epochs. A whole answer with no
   * series on the step axis, of a run that has reached an epoch, moves to
   * epochs too: values logged by epoch only (`tflog.log(..., epoch=e)`)
   * have no step.
   */
  private _moveAutoAxis(
    series: ISeries[],
    whole: boolean,
    run: IRunSummary | null = null
  ): boolean {
    const loggedByEpoch =
      whole &&
      series.length === 0 &&
      run !== null &&
      run.last_epoch !== null &&
      run.last_epoch !== undefined;
    const wanted = loggedByEpoch ? 'epoch' : autoAxis(series);
    if (
      this._view.axis !== 'auto' ||
      wanted === this._axis ||
      (!whole && wanted !== 'epoch')
    ) {
      return false;
    }
    this._axis = wanted;
    return true;
  }

  private _track(series: IRankedSeries): ITrackedSeries {
    const ema = new Ema(this._view.smoothing);
    const points = series.points.slice();
    return {
      key: seriesKey(series),
      name: series.name,
      rank: series.rank,
      points,
      rows: toRows(series.name, points, ema),
      lastX: maxX(points, -Infinity),
      ema
    };
  }

  private _setSummary(summary: IRunSummary): void {
    this._summary = summary;
    this._summaryChanged.emit(summary);
  }

  private _setError(error: Error | null): void {
    if (error === this._error) {
      return;
    }
    this._error = error;
    this._errorChanged.emit(error);
  }

  private readonly _client: ITflogClient;
  private _view: IRunViewOptions;
  private _axis: SeriesAxis;
  private _hasEpochEnds = false;
  private _summary: IRunSummary | null;
  private _series = new Map<string, ITrackedSeries>();
  private _error: Error | null = null;
  private _loaded = false;
  private readonly _refreshes = new FoldedCalls(
    () => this._fetch(),
    () => this._isDisposed
  );
  private _needsFullLoad = true;
  /** Bumped when the axis or budget changes: answers to older requests are dropped. */
  private _generation = 0;
  private _isDisposed = false;
  private _summaryChanged = new Signal<this, IRunSummary | null>(this);
  private _chartsChanged = new Signal<this, IChartsChange>(this);
  private _errorChanged = new Signal<this, Error | null>(this);
}

function maxX(points: ISeriesPoint[], start: number): number {
  let max = start;
  for (const point of points) {
    if (point.x > max) {
      max = point.x;
    }
  }
  return max;
}

/**
 * The first axis asked for: the one chosen; for `auto`, epochs when the run
 * is known to have reached an epoch (the answer then settles it), else steps.
 */
function initialAxis(
  choice: XAxisChoice,
  summary: IRunSummary | null
): SeriesAxis {
  if (choice !== 'auto') {
    return choice;
  }
  return summary?.last_epoch !== null && summary?.last_epoch !== undefined
    ? 'epoch'
    : 'step';
}
