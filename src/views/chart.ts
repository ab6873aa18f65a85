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
  chartSpec,
  chartSummary,
  DATASET,
  NUMBER_FORMAT_FUNCTION
} from '../chartSpec';
import { formatNumber } from '../format';
import type { IChartRow, SeriesRole } from '../model/series';
import { IThemeColours, vegaConfig } from '../theme';
import type { SeriesAxis } from '../tokens';
import { defaultBundle } from './text';

export interface IChartStyle {
  axis: SeriesAxis;
  roles: SeriesRole[];
  colour: string;
  colours: IThemeColours;
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
    this.node.setAttribute('role', 'img');
    this._plot = document.createElement('div');
    this._plot.className = 'jp-tflog-chart-plot';
    this._message = document.createElement('div');
    this._message.className = 'jp-tflog-chart-error';
    this._message.setAttribute('role', 'alert');
    this._message.hidden = true;
    this.node.append(this._plot, this._message);
    this._updateLabel();
    this._enqueue(() => this._embed());
  }

  readonly metric: string;

  /** Settles when every change asked for so far is drawn (or has failed). */
  get drawn(): Promise<void> {
    return this._queue;
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

  private _finalize(): void {
    if (this._result) {
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
