/**
 * The comparison chart: one vega view (embedded again only when its look
 * changes: metric, axis, runs, log scale, theme; new values arrive as a
 * changeset), its legend, and a readout that lists every run's value at
 * the x nearest the pointer or the keyboard. The view is finalized on
 * dispose.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import type { Result } from 'vega-embed';

import { DATASET, HOVER_PARAM, READOUT_SIGNAL } from '../chartSpec';
import { formatDuration, formatMetric, formatNumber } from '../format';
import type { CompareAxis, ICompareRow } from '../model/compareData';
import { hoveredX, IReadout, readoutAt, readoutStops } from '../readout';
import type { IThemeColours } from '../theme';
import { embedChart, loadChartLibrary } from './chart';
import { compareAxisTitle, compareSpec, runStrokes } from './compareSpec';
import { h } from './dom';
import { defaultBundle } from './text';

export interface ICompareChartStyle {
  metric: string;
  axis: CompareAxis;
  /** Legend labels in run order, with the id of the run each names. */
  runs: { runId: string; label: string }[];
  colours: IThemeColours;
  logScale: boolean;
  smoothed: boolean;
}

const CHART_HEIGHT = 320;
const FALLBACK_WIDTH = 600;

export class CompareChart extends Widget {
  constructor(options: {
    renderer?: 'canvas' | 'svg';
    trans?: TranslationBundle;
  }) {
    super();
    this._trans = options.trans ?? defaultBundle();
    this._renderer = options.renderer ?? 'canvas';
    this.addClass('jp-tflog-compare-chart');
    this.node.dataset.points = '0';
    this._figure = h('div', {
      class: 'jp-tflog-compare-figure',
      role: 'figure',
      tabindex: '0',
      'aria-keyshortcuts': 'ArrowLeft ArrowRight Home End Escape'
    });
    this._plot = h('div', { class: 'jp-tflog-compare-plot' });
    this._readout = h('div', {
      class: 'jp-tflog-compare-readout',
      'aria-live': 'polite'
    });
    this._readout.hidden = true;
    this._figure.append(this._plot, this._readout);
    this._legend = h('ul', {
      class: 'jp-tflog-compare-legend',
      'aria-label': this._trans.__('Runs')
    });
    this._message = h('div', {
      class: 'jp-tflog-compare-chart-error',
      role: 'alert'
    });
    this._message.hidden = true;
    this.node.append(this._legend, this._figure, this._message);
    this._figure.addEventListener('keydown', this._onKeyDown);
    this._figure.addEventListener('blur', this._onBlur);
  }

  /** Settles when everything asked for so far is drawn (or has failed). */
  get drawn(): Promise<void> {
    return this._queue;
  }

  get readout(): IReadout | null {
    return this._readoutValue;
  }

  /** Draw `rows` in `style`: a new look embeds again, the same look takes a changeset. */
  draw(style: ICompareChartStyle, rows: readonly ICompareRow[]): void {
    const key = styleKey(style);
    const embed = key !== this._styleKey;
    this._style = style;
    this._styleKey = key;
    this._rows = rows.slice();
    this._renderLegend(style);
    this._updateLabel();
    this.node.dataset.metric = style.metric;
    this.node.dataset.axis = style.axis;
    this._enqueue(() => (embed ? this._embed() : this._replaceRows()));
  }

  showReadout(x: number | null): void {
    const readout = x === null ? null : readoutAt(this._rows, x, null);
    this._readoutValue = readout;
    this._renderReadout(readout);
    const view = this._result?.view;
    if (view && view.signal(READOUT_SIGNAL) !== (readout?.x ?? null)) {
      view.signal(READOUT_SIGNAL, readout?.x ?? null);
      view.runAsync().catch(error => this._showError(error));
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._figure.removeEventListener('keydown', this._onKeyDown);
    this._figure.removeEventListener('blur', this._onBlur);
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
    const style = this._style;
    if (style === null) {
      return;
    }
    await loadChartLibrary();
    if (this.isDisposed) {
      return;
    }
    this._finalize();
    this._width = this._plot.clientWidth || this._width || FALLBACK_WIDTH;
    const spec = compareSpec({
      metric: style.metric,
      axis: style.axis,
      labels: style.runs.map(run => run.label),
      colours: style.colours,
      logScale: style.logScale,
      smoothed: style.smoothed,
      width: this._width,
      height: CHART_HEIGHT,
      trans: this._trans
    });
    spec.data = { name: DATASET, values: copyRows(this._rows) };
    const result = await embedChart(this._plot, spec, {
      renderer: this._renderer,
      colours: style.colours
    });
    if (this.isDisposed) {
      result.finalize();
      return;
    }
    this._result = result;
    result.view.addSignalListener(HOVER_PARAM, this._onHover);
    this._report();
  }

  private async _replaceRows(): Promise<void> {
    const view = this._result?.view;
    if (!view) {
      return this._embed();
    }
    const { vega } = await loadChartLibrary();
    const changes = vega
      .changeset()
      .remove(() => true)
      .insert(copyRows(this._rows));
    await view.change(DATASET, changes).runAsync();
    this._report();
  }

  /** Say on the node what is drawn (docs/frontend.md, "DOM contract"). */
  private _report(): void {
    if (this.isDisposed) {
      return;
    }
    this.node.dataset.points = String(this._rows.length);
    this.node.dataset.runs = String(
      new Set(this._rows.map(row => row.runId)).size
    );
    this.node.dataset.nonfinite = String(
      this._rows.filter(row => row.nonfinite !== null).length
    );
    this._message.hidden = true;
  }

  private _enqueue(task: () => Promise<void>): void {
    this._queue = this._queue
      .then(() => (this.isDisposed ? undefined : task()))
      .catch(error => this._showError(error));
  }

  private _showError(error: unknown): void {
    console.error('tflog: cannot draw the comparison', error);
    if (this.isDisposed) {
      return;
    }
    this._message.textContent = this._trans.__(
      'Cannot draw the comparison: %1',
      error instanceof Error ? error.message : String(error)
    );
    this._message.hidden = false;
  }

  private _renderLegend(style: ICompareChartStyle): void {
    const strokes = runStrokes(style.runs.length, style.colours.palette);
    const drawn = new Set(this._rows.map(row => row.runId));
    this._legend.replaceChildren(
      ...style.runs.map((run, index) => {
        const swatch = h('span', {
          class: 'jp-tflog-compare-swatch',
          'aria-hidden': 'true'
        });
        const stroke = strokes[index];
        swatch.style.borderTopColor = stroke.colour;
        swatch.style.borderTopStyle = stroke.dash[1] ? 'dashed' : 'solid';
        return h(
          'li',
          {
            class: drawn.has(run.runId)
              ? 'jp-tflog-compare-legend-item'
              : 'jp-tflog-compare-legend-item jp-tflog-mod-empty',
            'data-run-id': run.runId,
            title: drawn.has(run.runId)
              ? run.label
              : this._trans.__('%1: no %2 values', run.label, style.metric)
          },
          [
            swatch,
            h('span', { class: 'jp-tflog-compare-legend-label' }, [run.label])
          ]
        );
      })
    );
  }

  private _updateLabel(): void {
    const style = this._style;
    if (style === null) {
      return;
    }
    const last = new Map<string, ICompareRow>();
    for (const row of this._rows) {
      const previous = last.get(row.series);
      if (!previous || row.x >= previous.x) {
        last.set(row.series, row);
      }
    }
    const parts = [...last.values()].map(
      row =>
        `${row.series} ${row.raw === null ? (row.nonfinite ?? 'NaN') : formatMetric(row.raw)}`
    );
    this._figure.setAttribute(
      'aria-label',
      parts.length === 0
        ? this._trans.__('%1 by run: no values', style.metric)
        : this._trans.__(
            '%1 by run, last values: %2',
            style.metric,
            parts.join('; ')
          )
    );
  }

  private _xText(x: number): string {
    const axis = this._style?.axis ?? 'step';
    switch (axis) {
      case 'wall':
        return new Date(x).toLocaleString();
      case 'relative':
        return this._trans.__('%1 since start', formatDuration(x * 1000));
      default:
        return `${compareAxisTitle(this._trans, axis)} ${formatNumber(x)}`;
    }
  }

  private _renderReadout(readout: IReadout | null): void {
    this._readout.hidden = readout === null;
    if (readout === null) {
      this._readout.replaceChildren();
      return;
    }
    const runIds = new Map(this._rows.map(row => [row.series, row.runId]));
    this._readout.replaceChildren(
      h('div', { class: 'jp-tflog-compare-readout-x' }, [
        this._xText(readout.x)
      ]),
      ...readout.values.map(value =>
        h(
          'div',
          {
            class: 'jp-tflog-compare-readout-row',
            'data-run-id': runIds.get(value.series)
          },
          [
            h('span', { class: 'jp-tflog-compare-readout-name' }, [
              value.series
            ]),
            h(
              'span',
              {
                class:
                  value.raw === null
                    ? 'jp-tflog-compare-readout-value jp-tflog-nonfinite'
                    : 'jp-tflog-compare-readout-value'
              },
              [
                value.raw === null
                  ? (value.nonfinite ?? 'NaN')
                  : formatMetric(value.raw),
                value.x === readout.x ? '' : ` (${this._xText(value.x)})`
              ]
            )
          ]
        )
      )
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
    const last = stops.length - 1;
    let next: number | null;
    switch (event.key) {
      case 'ArrowRight':
        next = stops[index < 0 ? last : Math.min(index + 1, last)];
        break;
      case 'ArrowLeft':
        next = stops[index < 0 ? last : Math.max(index - 1, 0)];
        break;
      case 'Home':
        next = stops[0];
        break;
      case 'End':
        next = stops[last];
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

  private _finalize(): void {
    if (this._result) {
      this._result.view.removeSignalListener(HOVER_PARAM, this._onHover);
      this._result.finalize();
      this._result = null;
    }
  }

  private readonly _trans: TranslationBundle;
  private readonly _renderer: 'canvas' | 'svg';
  private readonly _figure: HTMLDivElement;
  private readonly _plot: HTMLDivElement;
  private readonly _readout: HTMLDivElement;
  private readonly _legend: HTMLUListElement;
  private readonly _message: HTMLDivElement;
  private _style: ICompareChartStyle | null = null;
  private _styleKey = '';
  private _rows: ICompareRow[] = [];
  private _readoutValue: IReadout | null = null;
  private _result: Result | null = null;
  private _width = 0;
  private _queue: Promise<void> = Promise.resolve();
}

/** What needs a new embed when it changes: everything but the rows. */
function styleKey(style: ICompareChartStyle): string {
  return JSON.stringify([
    style.metric,
    style.axis,
    style.runs.map(run => run.label),
    style.colours,
    style.logScale,
    style.smoothed
  ]);
}

/** vega marks the objects it ingests: each view gets its own copies. */
function copyRows(rows: readonly ICompareRow[]): ICompareRow[] {
  return rows.map(row => ({ ...row }));
}
