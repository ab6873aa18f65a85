/**
 * The comparison chart: one vega view (embedded again only when its look
 * changes: metric, axis, runs, log scale, theme; new values arrive as a
 * changeset), its legend, and a readout that lists every run's value at
 * the x nearest the pointer or the keyboard. The view is finalized on
 * dispose.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { View } from 'vega';

import { lastRows } from '../chartSpec';
import { formatDuration, formatMetric, formatNumber } from '../format';
import type { CompareAxis, ICompareRow } from '../model/compareData';
import type { IThemeColours } from '../theme';
import {
  COMPARE_DATASETS,
  compareAxisTitle,
  compareDatasets,
  compareSpec,
  ICompareDatasets,
  ICompareDrawnRow,
  readoutPoints,
  runStrokes
} from './compareSpec';
import { h } from './dom';
import { IReadoutLook, loadChartLibrary, VegaChart } from './vegaChart';

export interface ICompareChartStyle {
  metric: string;
  axis: CompareAxis;
  /** Legend labels in run order, with the id of the run each names. */
  runs: { runId: string; label: string }[];
  colours: IThemeColours;
  logScale: boolean;
  smoothed: boolean;
}

const DATASET_KEYS = Object.keys(COMPARE_DATASETS) as Array<
  keyof typeof COMPARE_DATASETS
>;

const CHART_HEIGHT = 320;
const FALLBACK_WIDTH = 600;

export class CompareChart extends VegaChart {
  constructor(options: {
    renderer?: 'canvas' | 'svg';
    trans?: TranslationBundle;
  }) {
    super({
      ...options,
      classes: {
        plot: 'jp-tflog-compare-plot',
        readout: 'jp-tflog-compare-readout',
        message: 'jp-tflog-compare-chart-error'
      },
      fallbackWidth: FALLBACK_WIDTH
    });
    this.addClass('jp-tflog-compare-chart');
    this._figure = h('div', {
      class: 'jp-tflog-compare-figure',
      role: 'figure',
      tabindex: '0',
      'aria-keyshortcuts': 'ArrowLeft ArrowRight Home End Escape'
    });
    this._figure.append(this.plot, this.readoutNode);
    this._legend = h('ul', {
      class: 'jp-tflog-compare-legend',
      'aria-label': this.trans.__('Runs')
    });
    this.node.append(this._legend, this._figure, this.message);
    this.moveReadoutWithKeys(this._figure);
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
    this.enqueue(() => (embed ? this._embed() : this._replaceRows()));
  }

  protected readoutRows(): ICompareRow[] {
    return this._rows;
  }

  protected readoutMoved(view: View, x: number | null): void {
    view.data(COMPARE_DATASETS.readout, readoutPoints(this._points, x));
  }

  protected readoutLook(): IReadoutLook {
    const runIds = new Map(this._rows.map(row => [row.series, row.runId]));
    return {
      classPrefix: 'jp-tflog-compare-readout',
      x: x => this._xText(x),
      where: readout => this._xText(readout.x),
      rowAttributes: value => ({ 'data-run-id': runIds.get(value.series) }),
      note: () => null
    };
  }

  protected drawFailure(reason: string): { log: string; message: string } {
    return {
      log: 'tflog: cannot draw the comparison',
      message: this.trans.__('Cannot draw the comparison: %1', reason)
    };
  }

  private async _embed(): Promise<void> {
    const style = this._style;
    if (style === null) {
      return;
    }
    const view = await this.embedView(width => {
      const spec = compareSpec({
        metric: style.metric,
        axis: style.axis,
        labels: style.runs.map(run => run.label),
        colours: style.colours,
        logScale: style.logScale,
        smoothed: style.smoothed,
        width,
        height: CHART_HEIGHT,
        trans: this.trans
      });
      const data = this._datasets(width);
      spec.datasets = Object.fromEntries(
        DATASET_KEYS.map(key => [COMPARE_DATASETS[key], data[key]])
      );
      return spec;
    }, style.colours);
    if (view !== null) {
      this._report();
    }
  }

  private async _replaceRows(): Promise<void> {
    const view = this.view;
    if (!view) {
      return this._embed();
    }
    const { vega } = await loadChartLibrary();
    const data = this._datasets(this.plotWidth);
    for (const key of DATASET_KEYS) {
      view.change(
        COMPARE_DATASETS[key],
        vega
          .changeset()
          .remove(() => true)
          .insert(data[key])
      );
    }
    await view.runAsync();
    this._report();
  }

  private _datasets(width: number): ICompareDatasets {
    const data = compareDatasets(this._rows, {
      logScale: this._style?.logScale ?? false,
      width,
      readoutX: this.readout?.x ?? null
    });
    this._points = data.points;
    return data;
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
    this.message.hidden = true;
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
              : this.trans.__('%1: no %2 values', run.label, style.metric)
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
    const parts = lastRows(this._rows).map(
      row =>
        `${row.series} ${row.raw === null ? (row.nonfinite ?? 'NaN') : formatMetric(row.raw)}`
    );
    this._figure.setAttribute(
      'aria-label',
      parts.length === 0
        ? this.trans.__('%1 by run: no values', style.metric)
        : this.trans.__(
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
        return this.trans.__('%1 since start', formatDuration(x * 1000));
      default:
        return `${compareAxisTitle(this.trans, axis)} ${formatNumber(x)}`;
    }
  }

  private readonly _figure: HTMLDivElement;
  private readonly _legend: HTMLUListElement;
  private _style: ICompareChartStyle | null = null;
  private _styleKey = '';
  private _rows: ICompareRow[] = [];
  /** The rows as drawn now: where the readout's points are picked from. */
  private _points: ICompareDrawnRow[] = [];
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
