/**
 * One metric chart: a vega view embedded once (again only when its look
 * changes: axis, legend, theme), whose dataset grows by changesets. The
 * node's data attributes say what the dataset holds, for tests and
 * benchmarks (docs/frontend.md, "DOM contract").
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { View } from 'vega';
import type { Result } from 'vega-embed';

import {
  axisTitle,
  chartSpec,
  chartSummary,
  DATASET,
  HOVER_PARAM,
  NUMBER_FORMAT_FUNCTION,
  READOUT_SIGNAL
} from '../chartSpec';
import { formatDuration, formatMetric, formatNumber } from '../format';
import { hoveredX, IReadout, readoutAt, readoutStops } from '../readout';
import type { IChartRow, SeriesRole } from '../model/series';
import { IThemeColours, vegaConfig } from '../theme';
import type { SeriesAxis } from '../tokens';
import { h } from './dom';
import { defaultBundle } from './text';

export interface IChartStyle {
  axis: SeriesAxis;
  roles: SeriesRole[];
  colour: string;
  colours: IThemeColours;
  /** When the run started (epoch ms), for the readout's elapsed time; null when unknown. */
  runStarted?: number | null;
}

const CHART_HEIGHT = 150;
const FALLBACK_WIDTH = 300;

let chartLibrary: Promise<typeof import('vega-embed')> | null = null;

/**
 * vega-embed, loaded once. The charts panel starts this when shown, so the
 * first point of a run is not drawn only after the library was fetched and
 * parsed; a failed load is tried again by the next caller.
 */
export function loadChartLibrary(): Promise<typeof import('vega-embed')> {
  if (chartLibrary === null) {
    chartLibrary = import('vega-embed').catch(error => {
      chartLibrary = null;
      throw error;
    });
  }
  return chartLibrary;
}

export class ChartWidget extends Widget {
  constructor(options: {
    metric: string;
    style: IChartStyle;
    renderer?: 'canvas' | 'svg';
    trans?: TranslationBundle;
  }) {
    super();
    this._trans = options.trans ?? defaultBundle();
    this.metric = options.metric;
    this._style = options.style;
    this._renderer = options.renderer ?? 'canvas';
    this.addClass('jp-tflog-chart');
    this.node.dataset.metric = options.metric;
    this.node.dataset.points = '0';
    this.node.setAttribute('role', 'figure');
    // The keyboard moves the readout: arrows, Home, End; Escape hides it.
    this.node.tabIndex = 0;
    this.node.setAttribute(
      'aria-keyshortcuts',
      'ArrowLeft ArrowRight Home End Escape'
    );
    this._plot = document.createElement('div');
    this._plot.className = 'jp-tflog-chart-plot';
    this._readout = h('div', {
      class: 'jp-tflog-readout',
      'aria-live': 'polite'
    });
    this._readout.hidden = true;
    this._message = document.createElement('div');
    this._message.className = 'jp-tflog-chart-error';
    this._message.setAttribute('role', 'alert');
    this._message.hidden = true;
    this.node.append(this._plot, this._readout, this._message);
    this.node.addEventListener('keydown', this._onKeyDown);
    this.node.addEventListener('blur', this._onBlur);
    this._updateLabel();
    this._enqueue(() => this._embed());
  }

  readonly metric: string;

  /** Settles when every change asked for so far is drawn (or has failed). */
  get drawn(): Promise<void> {
    return this._queue;
  }

  /** The readout shown now (hover or keyboard), or null. */
  get readout(): IReadout | null {
    return this._readoutValue;
  }

  /**
   * Show the readout at `x` (null hides it): each series' nearest value,
   * the crosshair at x. The hover calls this through vega's signal.
   */
  showReadout(x: number | null): void {
    const readout =
      x === null
        ? null
        : readoutAt(this._rows, x, this._style.runStarted ?? null);
    this._readoutValue = readout;
    this._renderReadout(readout);
    const view = this._result?.view;
    if (view && view.signal(READOUT_SIGNAL) !== (readout?.x ?? null)) {
      view.signal(READOUT_SIGNAL, readout?.x ?? null);
      view.runAsync().catch(error => this._showError(error));
    }
  }

  /** Changes of look re-embed the chart with the rows it holds. */
  setStyle(style: IChartStyle): void {
    const same =
      style.axis === this._style.axis &&
      style.colour === this._style.colour &&
      style.colours === this._style.colours &&
      style.roles.join() === this._style.roles.join();
    this._style = style;
    if (!same) {
      this._enqueue(() => this._embed());
    }
  }

  /** Replace every row. */
  reset(rows: readonly IChartRow[]): void {
    this._rows = rows.slice();
    this._drawnAll = false;
    this._enqueue(() => this._sync());
  }

  /** Append rows: only they are sent to vega. */
  insert(rows: readonly IChartRow[]): void {
    if (rows.length === 0) {
      return;
    }
    this._rows.push(...rows);
    this._enqueue(() => this._sync());
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.node.removeEventListener('keydown', this._onKeyDown);
    this.node.removeEventListener('blur', this._onBlur);
    this._finalize();
    super.dispose();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._scheduleResize();
  }

  protected onAfterShow(msg: Message): void {
    this._scheduleResize();
  }

  protected onAfterAttach(msg: Message): void {
    this._scheduleResize();
  }

  private _scheduleResize(): void {
    const width = this._plot.clientWidth;
    if (width <= 0 || width === this._width) {
      return;
    }
    this._width = width;
    this._enqueue(async () => {
      if (this._result) {
        await this._result.view.width(width).runAsync();
      }
    });
  }

  private async _embed(): Promise<void> {
    const { default: embed, vega } = await loadChartLibrary();
    if (this.isDisposed) {
      return;
    }
    // Axis labels in the panel's number format (chartSpec's labelExpr).
    vega.expressionFunction(NUMBER_FORMAT_FUNCTION, formatNumber);
    this._finalize();
    this._width = this._plot.clientWidth || this._width || FALLBACK_WIDTH;
    const spec = chartSpec({
      metric: this.metric,
      axis: this._style.axis,
      roles: this._style.roles,
      colour: this._style.colour,
      colours: this._style.colours,
      width: this._width,
      height: CHART_HEIGHT,
      trans: this._trans
    });
    // The rows held now go in with the spec; later ones arrive as changesets.
    const rows = copyRows(this._rows);
    spec.data = { name: DATASET, values: rows };
    const result = await embed(this._plot, spec, {
      mode: 'vega-lite',
      actions: false,
      renderer: this._renderer,
      config: vegaConfig(this._style.colours),
      // Warnings are about empty layers (no NaN yet): real errors still show.
      logLevel: vega.Error
    });
    if (this.isDisposed) {
      result.finalize();
      return;
    }
    this._result = result;
    result.view.addSignalListener(HOVER_PARAM, this._onHover);
    this._drawnAll = true;
    this._drawnCount = rows.length;
    await this._sync();
    this._report(result.view);
  }

  /**
   * Bring the dataset up to `_rows`: the rows not sent yet, or all of them
   * after a reset or a new embed. Every queued task ends here, so the order
   * of resets, inserts and embeds cannot duplicate rows.
   */
  private async _sync(): Promise<void> {
    const view = this._result?.view;
    if (!view) {
      return;
    }
    const { vega } = await loadChartLibrary();
    const changes = vega.changeset();
    if (!this._drawnAll) {
      changes.remove(() => true).insert(copyRows(this._rows));
    } else if (this._drawnCount < this._rows.length) {
      changes.insert(copyRows(this._rows.slice(this._drawnCount)));
    } else {
      return;
    }
    this._drawnAll = true;
    this._drawnCount = this._rows.length;
    await view.change(DATASET, changes).runAsync();
    if (!this.isDisposed && this._result?.view === view) {
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
    this._message.hidden = true;
    this._updateLabel();
  }

  private _enqueue(task: () => Promise<void>): void {
    this._queue = this._queue
      .then(() => (this.isDisposed ? undefined : task()))
      .catch(error => this._showError(error));
  }

  private _showError(error: unknown): void {
    console.error(`tflog: cannot draw the ${this.metric} chart`, error);
    if (this.isDisposed) {
      return;
    }
    this._message.textContent = this._trans.__(
      'Cannot draw %1: %2',
      this.metric,
      error instanceof Error ? error.message : String(error)
    );
    this._message.hidden = false;
  }

  private _updateLabel(): void {
    this.node.setAttribute(
      'aria-label',
      chartSummary(this.metric, this._style.axis, this._rows, this._trans)
    );
  }

  private _onHover = (_: string, value: unknown): void => {
    this.showReadout(hoveredX(value));
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    const stops = readoutStops(this._rows);
    if (stops.length === 0) {
      return;
    }
    const current = this._readoutValue?.x;
    const index = current === undefined ? -1 : stops.indexOf(current);
    let next: number | null;
    switch (event.key) {
      case 'ArrowRight':
        next =
          stops[
            index < 0 ? stops.length - 1 : Math.min(index + 1, stops.length - 1)
          ];
        break;
      case 'ArrowLeft':
        next = stops[index < 0 ? stops.length - 1 : Math.max(index - 1, 0)];
        break;
      case 'Home':
        next = stops[0];
        break;
      case 'End':
        next = stops[stops.length - 1];
        break;
      case 'Escape':
        next = null;
        break;
      default:
        return;
    }
    event.preventDefault();
    this.showReadout(next);
  };

  private _onBlur = (): void => {
    this.showReadout(null);
  };

  private _renderReadout(readout: IReadout | null): void {
    this._readout.hidden = readout === null;
    if (readout === null) {
      this._readout.replaceChildren();
      return;
    }
    const trans = this._trans;
    const axis = this._style.axis;
    const where: string[] = [
      axis === 'time'
        ? new Date(readout.x).toLocaleTimeString()
        : `${axisTitle(trans, axis)} ${formatNumber(readout.x)}`
    ];
    if (readout.elapsedMs !== null) {
      where.push(trans.__('%1 elapsed', formatDuration(readout.elapsedMs)));
    }
    this._readout.replaceChildren(
      h('div', { class: 'jp-tflog-readout-x' }, [where.join(' · ')]),
      ...readout.values.map(value =>
        h(
          'div',
          { class: 'jp-tflog-readout-row', 'data-series': value.series },
          [
            h('span', { class: 'jp-tflog-readout-name' }, [value.series]),
            h(
              'span',
              {
                class:
                  value.raw === null
                    ? 'jp-tflog-readout-value jp-tflog-nonfinite'
                    : 'jp-tflog-readout-value'
              },
              [
                value.raw === null
                  ? (value.nonfinite ?? 'NaN')
                  : formatMetric(value.raw),
                value.x === readout.x
                  ? ''
                  : ` (${axis === 'time' ? new Date(value.x).toLocaleTimeString() : `${axisTitle(trans, axis)} ${formatNumber(value.x)}`})`
              ]
            )
          ]
        )
      )
    );
  }

  private _finalize(): void {
    if (this._result) {
      this._result.view.removeSignalListener(HOVER_PARAM, this._onHover);
      // Stops the view's timers and listeners (view.finalize()) and removes embed's own.
      this._result.finalize();
      this._result = null;
    }
  }

  private readonly _trans: TranslationBundle;
  private _style: IChartStyle;
  private readonly _renderer: 'canvas' | 'svg';
  private readonly _plot: HTMLDivElement;
  private readonly _message: HTMLDivElement;
  private readonly _readout: HTMLDivElement;
  private _readoutValue: IReadout | null = null;
  private _rows: IChartRow[] = [];
  /** Rows of `_rows` already in the view, valid while `_drawnAll`. */
  private _drawnCount = 0;
  private _drawnAll = false;
  private _result: Result | null = null;
  private _width = 0;
  private _queue: Promise<void> = Promise.resolve();
}

/** vega marks the objects it ingests: each view gets its own copies. */
function copyRows(rows: readonly IChartRow[]): IChartRow[] {
  return rows.map(row => ({ ...row }));
}
