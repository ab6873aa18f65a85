/**
 * One metric chart: a vega view embedded once (again only when its look
 * changes: axis, legend, theme), whose dataset grows by changesets. The
 * node's data attributes say what the dataset holds, for tests and
 * benchmarks (docs/frontend.md, "DOM contract").
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { View } from 'vega';

import {
  axisTitle,
  brushRange,
  chartSpec,
  chartSummary,
  DATASET,
  LOG_MARKER_MARK,
  MARKERS_DATASET,
  ZOOM_PARAM
} from '../chartSpec';
import { formatDuration, formatNumber } from '../format';
import { ILogMarker, markersFor } from '../model/logMarkers';
import type { IChartRow, SeriesRole } from '../model/series';
import { requestErrorText } from '../requestText';
import type { IThemeColours } from '../theme';
import type { ITflogDocument, SeriesAxis } from '../tokens';
import { h } from './dom';
import { IReadoutLook, loadChartLibrary, VegaChart } from './vegaChart';

export interface IChartStyle {
  axis: SeriesAxis;
  roles: SeriesRole[];
  colour: string;
  colours: IThemeColours;
  /** When the run started (epoch ms), for the readout's elapsed time; null when unknown. */
  runStarted?: number | null;
  /** y on a log scale (values at or below zero are not drawn). */
  logScale?: boolean;
  /** The curves are smoothed: the raw values are drawn faint behind. */
  smoothed?: boolean;
  /** The plot's height in px (MIN_CHART_HEIGHT when not given). */
  height?: number;
}

/** What a chart can ask of the run it belongs to. */
export interface IChartLinks {
  /**
   * Finer rows for a zoomed x range (the service thins that range only);
   * without it, zooming only narrows the rows held.
   */
  loadDetail?: (range: readonly [number, number]) => Promise<IChartRow[]>;
  /** Open the run's logs around a time (ISO), highlighting a line when given. */
  openLogs?: (at: string, lineId?: string) => void;
}

/** Pointer moves shorter than this (px) between press and release are clicks, not drags. */
const DRAG_MIN_PIXELS = 4;

/** A click waits this long for a second one (a double-click resets the zoom). */
const CLICK_DELAY_MS = 300;

/** A chart's plot is never lower than this (px), nor taller than MAX_CHART_HEIGHT. */
export const MIN_CHART_HEIGHT = 150;
export const MAX_CHART_HEIGHT = 320;
const FALLBACK_WIDTH = 300;

function plotHeight(style: IChartStyle): number {
  return style.height ?? MIN_CHART_HEIGHT;
}

export class ChartWidget extends VegaChart {
  constructor(options: {
    metric: string;
    style: IChartStyle;
    renderer?: 'canvas' | 'svg';
    trans?: TranslationBundle;
    links?: IChartLinks;
  }) {
    super({
      renderer: options.renderer,
      trans: options.trans,
      classes: {
        plot: 'jp-tflog-chart-plot',
        readout: 'jp-tflog-readout',
        message: 'jp-tflog-chart-error'
      },
      fallbackWidth: FALLBACK_WIDTH
    });
    this._links = options.links ?? {};
    this.metric = options.metric;
    this._style = options.style;
    this.addClass('jp-tflog-chart');
    this.node.dataset.metric = options.metric;
    this.node.setAttribute('role', 'figure');
    // The keyboard moves the readout: arrows, Home, End; Escape hides it.
    this.node.tabIndex = 0;
    this.node.setAttribute(
      'aria-keyshortcuts',
      'ArrowLeft ArrowRight Home End Escape Enter'
    );
    this._resetZoom = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal jp-tflog-zoom-reset',
        type: 'button',
        title: this.trans.__(
          'Show the whole x range again (or double-click the chart)'
        )
      },
      [this.trans.__('Reset zoom')]
    );
    this._resetZoom.hidden = true;
    this._resetZoom.addEventListener('click', () => this.zoomTo(null));
    this.node.append(
      this.plot,
      this.readoutNode,
      this._resetZoom,
      this.message
    );
    this.moveReadoutWithKeys(this.node);
    this.plot.addEventListener('pointerdown', this._onPointerDown);
    this.plot.addEventListener('dblclick', this._onDoubleClick);
    this._updateLabel();
    this.enqueue(() => this._embed());
  }

  readonly metric: string;

  /** The x range shown while zoomed, or null. */
  get zoom(): readonly [number, number] | null {
    return this._zoom;
  }

  /** The log markers drawn now. */
  get markers(): readonly ILogMarker[] {
    return this._markers;
  }

  /**
   * Show only x from `range[0]` to `range[1]` (null: all of it), with finer
   * rows for that range when the run can give them. New rows that arrive
   * meanwhile are kept and shown when the zoom is reset.
   */
  zoomTo(range: readonly [number, number] | null): void {
    const same =
      range === this._zoom ||
      (range !== null &&
        this._zoom !== null &&
        range[0] === this._zoom[0] &&
        range[1] === this._zoom[1]);
    if (same) {
      return;
    }
    this._zoom = range === null ? null : [range[0], range[1]];
    this._detail = null;
    this._showZoom();
    this.enqueue(() => this._embed());
    this._loadDetail();
  }

  /** The run's problem lines, drawn as markers where they happened. */
  setMarkerLines(lines: readonly ITflogDocument[]): void {
    this._markerLines = lines;
    this.enqueue(() => this._syncMarkers());
  }

  /** Changes of look re-embed the chart with the rows it holds. */
  setStyle(style: IChartStyle): void {
    const same =
      style.axis === this._style.axis &&
      style.colour === this._style.colour &&
      style.colours === this._style.colours &&
      (style.logScale ?? false) === (this._style.logScale ?? false) &&
      (style.smoothed ?? false) === (this._style.smoothed ?? false) &&
      style.roles.join() === this._style.roles.join();
    const axisChanged = style.axis !== this._style.axis;
    const heightChanged = plotHeight(style) !== plotHeight(this._style);
    this._style = style;
    if (axisChanged && this._zoom !== null) {
      // A range of steps means nothing on the time axis.
      this._zoom = null;
      this._detail = null;
      this._showZoom();
    }
    if (!same) {
      this.enqueue(() => this._embed());
    } else if (heightChanged) {
      // Only the room changed: the drawn view is resized, not embedded again.
      this.enqueue(async () => {
        await this.view?.height(plotHeight(this._style)).runAsync();
      });
    }
  }

  /** Replace every row (while zoomed, the range's detail is read again). */
  reset(rows: readonly IChartRow[]): void {
    this._rows = rows.slice();
    this._drawnAll = false;
    this.enqueue(() => this._sync());
    if (this._zoom !== null) {
      this._loadDetail();
    }
  }

  /** Append rows: only they are sent to vega. */
  insert(rows: readonly IChartRow[]): void {
    if (rows.length === 0) {
      return;
    }
    this._rows.push(...rows);
    this.enqueue(() => this._sync());
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.plot.removeEventListener('pointerdown', this._onPointerDown);
    this.plot.removeEventListener('dblclick', this._onDoubleClick);
    window.removeEventListener('pointerup', this._onPointerUp);
    this._cancelClick();
    super.dispose();
  }

  protected readoutRows(): IChartRow[] {
    return this._shownRows();
  }

  protected readoutStart(): number | null {
    return this._style.runStarted ?? null;
  }

  /** While zoomed, the keyboard stays within the range shown. */
  protected keyStops(): number[] {
    const zoom = this._zoom;
    return super
      .keyStops()
      .filter(x => zoom === null || (x >= zoom[0] && x <= zoom[1]));
  }

  /** Enter opens the logs around the readout's point. */
  protected openReadout(): boolean {
    this._openLogsAtReadout();
    return true;
  }

  protected readoutLook(): IReadoutLook {
    const trans = this.trans;
    const axis = this._style.axis;
    const logScale = this._style.logScale === true;
    const xText = (x: number): string =>
      axis === 'time'
        ? new Date(x).toLocaleTimeString()
        : `${axisTitle(trans, axis)} ${formatNumber(x)}`;
    return {
      classPrefix: 'jp-tflog-readout',
      x: xText,
      where: readout =>
        [
          xText(readout.x),
          ...(readout.elapsedMs === null
            ? []
            : [trans.__('%1 elapsed', formatDuration(readout.elapsedMs))])
        ].join(' · '),
      rowAttributes: value => ({ 'data-series': value.series }),
      note: value =>
        logScale && value.raw !== null && value.raw <= 0
          ? trans.__('not drawn: the log scale has no place for it')
          : null
    };
  }

  protected drawFailure(reason: string): { log: string; message: string } {
    return {
      log: `tflog: cannot draw the ${this.metric} chart`,
      message: this.trans.__('Cannot draw %1: %2', this.metric, reason)
    };
  }

  protected finalizeView(): void {
    this.view?.removeEventListener('click', this._onViewClick);
    super.finalizeView();
  }

  private async _embed(): Promise<void> {
    let shown: IChartRow[] = [];
    let drawnCount = 0;
    const view = await this.embedView(width => {
      const spec = chartSpec({
        metric: this.metric,
        axis: this._style.axis,
        roles: this._style.roles,
        colour: this._style.colour,
        colours: this._style.colours,
        width,
        height: plotHeight(this._style),
        logScale: this._style.logScale,
        smoothed: this._style.smoothed,
        xDomain: this._zoom,
        trans: this.trans
      });
      // The rows held now go in with the spec; later ones arrive as changesets.
      shown = this._shownRows();
      const rows = copyRows(shown);
      drawnCount = rows.length;
      spec.data = { name: DATASET, values: rows };
      return spec;
    }, this._style.colours);
    if (view === null) {
      return;
    }
    view.addEventListener('click', this._onViewClick);
    this._drawnAll = true;
    this._drawnSource = shown;
    this._drawnCount = drawnCount;
    this._drawnMarkers = [];
    await this._sync();
    await this._syncMarkers();
    this._report(view);
  }

  /** The rows in the dataset: the zoomed range's detail once read, else every row held. */
  private _shownRows(): IChartRow[] {
    return this._zoom !== null && this._detail !== null
      ? this._detail
      : this._rows;
  }

  /** Read the zoomed range's finer rows, and show them if the zoom is still the same. */
  private _loadDetail(): void {
    const range = this._zoom;
    const loadDetail = this._links.loadDetail;
    if (range === null || !loadDetail) {
      return;
    }
    loadDetail(range)
      .then(rows => {
        if (this.isDisposed || this._zoom !== range) {
          return;
        }
        this._detail = rows;
        this._drawnAll = false;
        this.enqueue(() => this._sync());
      })
      .catch(error => {
        // The rows held still show the range, only not in finer detail.
        console.warn(`tflog: cannot read the ${this.metric} range`, error);
        if (!this.isDisposed && this._zoom === range) {
          this.message.textContent = this.trans.__(
            'Cannot read this range in finer detail: %1',
            requestErrorText(this.trans, error)
          );
          this.message.hidden = false;
        }
      });
  }

  /** The zoom's button and data attributes (the DOM contract). */
  private _showZoom(): void {
    const zoom = this._zoom;
    this._resetZoom.hidden = zoom === null;
    if (zoom === null) {
      delete this.node.dataset.zoomFrom;
      delete this.node.dataset.zoomTo;
    } else {
      this.node.dataset.zoomFrom = String(zoom[0]);
      this.node.dataset.zoomTo = String(zoom[1]);
    }
  }

  /** Place the problem lines on the rows shown, and replace the markers drawn. */
  private async _syncMarkers(): Promise<void> {
    const view = this.view;
    const markers = markersFor(
      this._markerLines,
      this._style.axis,
      this._shownRows()
    );
    this._markers = markers;
    this.node.dataset.markers = String(markers.length);
    if (!view || sameMarkers(markers, this._drawnMarkers)) {
      return;
    }
    const { vega } = await loadChartLibrary();
    this._drawnMarkers = markers;
    await view
      .change(
        MARKERS_DATASET,
        vega
          .changeset()
          .remove(() => true)
          .insert(markers.map(marker => ({ ...marker })))
      )
      .runAsync();
  }

  /**
   * Bring the dataset up to `_rows`: the rows not sent yet, or all of them
   * after a reset or a new embed. Every queued task ends here, so the order
   * of resets, inserts and embeds cannot duplicate rows.
   */
  private async _sync(): Promise<void> {
    const view = this.view;
    if (!view) {
      return;
    }
    const { vega } = await loadChartLibrary();
    const changes = vega.changeset();
    const shown = this._shownRows();
    if (!this._drawnAll || shown !== this._drawnSource) {
      changes.remove(() => true).insert(copyRows(shown));
    } else if (this._drawnCount < shown.length) {
      changes.insert(copyRows(shown.slice(this._drawnCount)));
    } else {
      return;
    }
    this._drawnAll = true;
    this._drawnSource = shown;
    this._drawnCount = shown.length;
    await view.change(DATASET, changes).runAsync();
    // Markers without a step sit at the nearest point in time: the points moved.
    await this._syncMarkers();
    if (!this.isDisposed && this.view === view) {
      this._report(view);
    }
  }

  /** Say on the node what the dataset holds (the DOM contract). */
  private _report(view: View): void {
    const data = view.data(DATASET) as IChartRow[];
    let lastX = -Infinity;
    let nonFinite = 0;
    for (const row of data) {
      lastX = Math.max(lastX, row.x);
      if (row.nonfinite !== null) {
        nonFinite++;
      }
    }
    this.node.dataset.points = String(data.length);
    this.node.dataset.nonfinite = String(nonFinite);
    if (Number.isFinite(lastX)) {
      this.node.dataset.lastX = String(lastX);
    } else {
      delete this.node.dataset.lastX;
    }
    this.message.hidden = true;
    this._updateLabel();
  }

  private _updateLabel(): void {
    this.node.setAttribute(
      'aria-label',
      chartSummary(this.metric, this._style.axis, this._rows, this.trans)
    );
  }

  /** The logs around the readout's point: the time its value was logged. */
  private _openLogsAtReadout(): void {
    const readout = this.readout;
    if (readout !== null) {
      this._openLogsAt(readout.x);
    }
  }

  /** The logs around the point at `x`: the time its value was logged. */
  private _openLogsAt(x: number): void {
    const openLogs = this._links.openLogs;
    if (!openLogs) {
      return;
    }
    const time = this._shownRows().find(
      row => row.x === x && row.time !== undefined
    )?.time;
    if (time !== undefined && Number.isFinite(time)) {
      openLogs(new Date(time).toISOString());
    }
  }

  private _onPointerDown = (event: PointerEvent): void => {
    this._pressedX = event.clientX;
    this._dragged = false;
    window.addEventListener('pointerup', this._onPointerUp);
  };

  /** The end of a drag across the chart: zoom to the brushed x range. */
  private _onPointerUp = (event: PointerEvent): void => {
    window.removeEventListener('pointerup', this._onPointerUp);
    const start = this._pressedX;
    this._pressedX = null;
    if (start === null || Math.abs(event.clientX - start) < DRAG_MIN_PIXELS) {
      return;
    }
    this._dragged = true;
    const range = brushRange(this.view?.signal(ZOOM_PARAM));
    if (range !== null) {
      this.zoomTo(range);
    }
  };

  private _onDoubleClick = (): void => {
    this._cancelClick();
    this.zoomTo(null);
  };

  /**
   * A click on a marker opens its line; on a curve, the lines around that
   * point. It waits CLICK_DELAY_MS: the clicks of a double-click (reset
   * zoom) open nothing.
   */
  private _onViewClick = (_: unknown, item: unknown): void => {
    if (this._dragged) {
      this._dragged = false;
      return;
    }
    const openLogs = this._links.openLogs;
    if (!openLogs) {
      return;
    }
    const marker = markerOf(item);
    const readout = this.readout;
    this._cancelClick();
    this._clickTimer = setTimeout(() => {
      this._clickTimer = null;
      if (this.isDisposed) {
        return;
      }
      if (marker) {
        openLogs(marker.time, marker.lineId);
      } else if (readout !== null) {
        this._openLogsAt(readout.x);
      }
    }, CLICK_DELAY_MS);
  };

  private _cancelClick(): void {
    if (this._clickTimer !== null) {
      clearTimeout(this._clickTimer);
      this._clickTimer = null;
    }
  }

  private readonly _links: IChartLinks;
  private _style: IChartStyle;
  private _rows: IChartRow[] = [];
  /** The zoomed x range, and its finer rows once read. */
  private _zoom: [number, number] | null = null;
  private _detail: IChartRow[] | null = null;
  private readonly _resetZoom: HTMLButtonElement;
  /** Where the pointer went down (clientX), until it goes up. */
  private _pressedX: number | null = null;
  /** The last press was a drag (a zoom): the click that follows is not a click. */
  private _dragged = false;
  private _clickTimer: ReturnType<typeof setTimeout> | null = null;
  private _markerLines: readonly ITflogDocument[] = [];
  private _markers: ILogMarker[] = [];
  private _drawnMarkers: ILogMarker[] = [];
  /** The rows array in the view, and how many of it, valid while `_drawnAll`. */
  private _drawnSource: IChartRow[] | null = null;
  private _drawnCount = 0;
  private _drawnAll = false;
}

/** The marker under a click: vega's scenegraph item of the markers' mark. */
function markerOf(item: unknown): ILogMarker | null {
  if (typeof item !== 'object' || item === null) {
    return null;
  }
  const { mark, datum } = item as {
    mark?: { name?: unknown };
    datum?: unknown;
  };
  if (mark?.name !== LOG_MARKER_MARK || typeof datum !== 'object') {
    return null;
  }
  const marker = datum as Partial<ILogMarker> | null;
  return marker &&
    typeof marker.time === 'string' &&
    typeof marker.lineId === 'string'
    ? (marker as ILogMarker)
    : null;
}

function sameMarkers(a: readonly ILogMarker[], b: readonly ILogMarker[]) {
  return (
    a.length === b.length &&
    a.every(
      (marker, i) =>
        marker.lineId === b[i].lineId &&
        marker.lines === b[i].lines &&
        marker.x === b[i].x
    )
  );
}

/** vega marks the objects it ingests: each view gets its own copies. */
function copyRows(rows: readonly IChartRow[]): IChartRow[] {
  return rows.map(row => ({ ...row }));
}
