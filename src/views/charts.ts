/**
 * The charts of the run being shown, one per base metric, kept in step with
 * the run model: resets rebuild the list of charts, inserts go to the
 * charts they belong to.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { formatNumber } from '../format';
import { LogMarkers } from '../model/logMarkers';
import type { IOpenLogsArgs } from '../model/logs';
import type { IChartData, IChartsChange, RunModel } from '../model/runModel';
import type { IChartRow } from '../model/series';
import { constantValue, sameValue } from '../model/viewDefaults';
import type { IThemeColours } from '../theme';
import {
  ChartWidget,
  IChartLinks,
  IChartStyle,
  MAX_CHART_HEIGHT,
  MIN_CHART_HEIGHT
} from './chart';
import { h, setText } from './dom';
import { defaultBundle } from './text';
import { loadChartLibrary } from './vegaChart';

export class ChartsPanel extends Panel {
  constructor(options: {
    colours: IThemeColours;
    renderer?: 'canvas' | 'svg';
    trans?: TranslationBundle;
    /** Opens the logs view (a click on a point or a marker). */
    openLogs?: (args: IOpenLogsArgs) => void;
  }) {
    super();
    this._trans = options.trans ?? defaultBundle();
    this._openLogs = options.openLogs ?? null;
    this.addClass('jp-tflog-charts');
    this._colours = options.colours;
    this._renderer = options.renderer;
    // A widget of its own, first in the layout, so chart order stays index + 1.
    this._message = new Widget({ node: h('p') });
    this._message.addClass('jp-tflog-charts-empty');
    this.addWidget(this._message);
    // Series that never change, as values rather than flat charts.
    this._constants = new Widget({
      node: h('dl', {
        'aria-label': this._trans.__('Constant values')
      })
    });
    this._constants.addClass('jp-tflog-constants');
    this.addWidget(this._constants);
    // What the step axis draws for a Keras fit.
    this._axisNote = new Widget({ node: h('p') });
    this._axisNote.addClass('jp-tflog-axis-note');
    this.addWidget(this._axisNote);
  }

  setRunModel(runModel: RunModel | null): void {
    this._runModel?.chartsChanged.disconnect(this._onChartsChanged, this);
    this._runModel?.errorChanged.disconnect(this._updateMessage, this);
    this._runModel = runModel;
    runModel?.chartsChanged.connect(this._onChartsChanged, this);
    runModel?.errorChanged.connect(this._updateMessage, this);
    this._markers?.dispose();
    this._markers = runModel
      ? new LogMarkers({ client: runModel.client, runId: runModel.runId })
      : null;
    this._markers?.changed.connect(this._showMarkers, this);
    this._markersReadAt = 0;
    for (const chart of this._charts.values()) {
      // Another run: its own x range, and its own warnings.
      chart.zoomTo(null);
    }
    this._showMarkers();
    this._rebuild();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._markersTimer !== null) {
      clearTimeout(this._markersTimer);
    }
    this._markers?.dispose();
    super.dispose();
  }

  /** The theme changed: charts re-embed with its colours. */
  setColours(colours: IThemeColours): void {
    this._colours = colours;
    this._restyleAll();
  }

  /** Every chart has drawn what it was given (for tests). */
  get drawn(): Promise<void> {
    return Promise.all([...this._charts.values()].map(c => c.drawn)).then(
      () => undefined
    );
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._fitHeight();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    loadChartLibrary().catch(error =>
      console.warn(
        'tflog: cannot load the chart library yet; each chart tries again when it draws',
        error
      )
    );
  }

  private _onChartsChanged(_: RunModel, change: IChartsChange): void {
    this._readMarkersSoon();
    if (change.reset) {
      this._rebuild();
      return;
    }
    // A constant that changed, or a chart that turned out constant: shown anew.
    const moved = [...change.inserted].some(([metric, rows]) =>
      this._changesKind(metric, rows)
    );
    if (moved) {
      this._rebuild();
      return;
    }
    for (const [metric, rows] of change.inserted) {
      this._charts.get(metric)?.insert(rows);
      this._rowCounts.set(
        metric,
        (this._rowCounts.get(metric) ?? 0) + rows.length
      );
    }
  }

  /**
   * Whether new rows move a metric between a value and a chart. Cheap on
   * the live path: only a constant's new rows are compared, and only a
   * chart of fewer than two rows (which may turn out constant) is read whole.
   */
  private _changesKind(metric: string, rows: readonly IChartRow[]): boolean {
    const constant = this._constantValues.get(metric);
    if (constant !== undefined) {
      return !rows.every(
        row => row.raw !== null && sameValue(row.raw, constant)
      );
    }
    if ((this._rowCounts.get(metric) ?? 0) >= 2) {
      return false;
    }
    const data = this._runModel?.charts.find(chart => chart.metric === metric);
    return data !== undefined && constantValue(data.rows) !== null;
  }

  private _rebuild(): void {
    const runModel = this._runModel;
    const all = runModel?.charts ?? [];
    const constants = all.filter(data => constantValue(data.rows) !== null);
    const charts = all.filter(data => constantValue(data.rows) === null);
    this._renderConstants(constants);
    this._rowCounts = new Map(
      charts.map(data => [data.metric, data.rows.length])
    );
    const wanted = new Set(charts.map(chart => chart.metric));
    for (const [metric, chart] of this._charts) {
      if (!wanted.has(metric)) {
        chart.dispose();
        this._charts.delete(metric);
      }
    }
    charts.forEach((data, index) => {
      const style = this._style(index, data.roles);
      let chart = this._charts.get(data.metric);
      if (chart) {
        chart.setStyle(style);
      } else {
        chart = new ChartWidget({
          metric: data.metric,
          style,
          renderer: this._renderer,
          trans: this._trans,
          links: this._links(data.metric)
        });
        chart.setMarkerLines(this._markers?.lines ?? []);
        this._charts.set(data.metric, chart);
      }
      this.insertWidget(index + FIXED_WIDGETS, chart);
      chart.reset(data.rows);
    });
    this._updateMessage();
    this._renderAxisNote();
    this._fitHeight();
  }

  /**
   * The charts' height for the room the section leaves them below the
   * controls, the constants and the notes: chosen again when the section
   * is resized and when charts come or go.
   */
  private _fitHeight(): void {
    const section = this.parent?.node;
    const first = [...this._charts.values()].find(chart => chart.isVisible);
    if (!section || !first) {
      return;
    }
    const sectionBottom =
      section.getBoundingClientRect().top +
      section.clientHeight -
      parseFloat(getComputedStyle(section).paddingBottom || '0');
    const chartsTop = first.node.getBoundingClientRect().top;
    const columns = getComputedStyle(this.node)
      .gridTemplateColumns.split(' ')
      .filter(track => track !== '').length;
    const height = chartHeightFor(
      sectionBottom - chartsTop,
      this._charts.size,
      columns
    );
    if (height !== this._height) {
      this._height = height;
      this._restyleAll();
    }
  }

  /** One line per constant series: its name and value. */
  private _renderConstants(constants: IChartData[]): void {
    this._constantValues = new Map(
      constants.map(data => [data.metric, constantValue(data.rows) ?? NaN])
    );
    this._constants.node.replaceChildren(
      ...constants.map(data => {
        const value = formatNumber(
          this._constantValues.get(data.metric) ?? NaN
        );
        return h(
          'div',
          {
            class: 'jp-tflog-constant',
            'data-metric': data.metric,
            title: this._trans.__(
              '%1 stayed at %2 for the whole run',
              data.metric,
              value
            )
          },
          [
            h('dt', {}, [data.metric]),
            h('dd', {}, [value]),
            h('dd', { class: 'jp-tflog-constant-note' }, [
              this._trans.__('constant')
            ])
          ]
        );
      })
    );
    this._constants.setHidden(constants.length === 0);
  }

  /** On the step axis, a Keras fit's training values are running averages: said so. */
  private _renderAxisNote(): void {
    const runModel = this._runModel;
    const shown =
      runModel !== null &&
      runModel.axis === 'step' &&
      runModel.hasEpochEnds &&
      this._charts.size > 0;
    setText(
      this._axisNote.node,
      shown
        ? this._trans.__(
            'Step axis: Keras reports training values as running averages within each epoch, reset when an epoch starts; the Epoch axis shows each epoch’s final values.'
          )
        : ''
    );
    this._axisNote.setHidden(!shown);
  }

  private _updateMessage(): void {
    const runModel = this._runModel;
    const charts = runModel?.charts ?? [];
    let message = '';
    if (runModel && charts.length === 0 && this._constantValues.size === 0) {
      message = runModel.loading
        ? this._trans.__('Loading…')
        : runModel.error
          ? ''
          : noCurveMessage(runModel, this._trans);
    }
    setText(this._message.node, message);
    this._message.setHidden(message === '');
  }

  private _restyleAll(): void {
    const charts = (this._runModel?.charts ?? []).filter(
      data => !this._constantValues.has(data.metric)
    );
    charts.forEach((data, index) => {
      this._charts.get(data.metric)?.setStyle(this._style(index, data.roles));
    });
  }

  private _style(index: number, roles: IChartStyle['roles']): IChartStyle {
    const palette = this._colours.palette;
    return {
      axis: this._runModel?.axis ?? 'step',
      roles,
      colour: palette[index % palette.length],
      colours: this._colours,
      runStarted: this._runStarted(),
      logScale: this._runModel?.view.logScale ?? false,
      smoothed: (this._runModel?.view.smoothing ?? 0) > 0,
      height: this._height
    };
  }

  /** What a chart asks of the run shown now (charts outlive a change of run). */
  private _links(metric: string): IChartLinks {
    return {
      loadDetail: range =>
        this._runModel?.detail(metric, range) ?? Promise.resolve([]),
      openLogs: (at, lineId) => {
        const runId = this._runModel?.runId;
        if (runId !== undefined && this._openLogs) {
          this._openLogs({ runId, at, lineId });
        }
      }
    };
  }

  /** Every chart marks the run's problem lines. */
  private _showMarkers(): void {
    const lines = this._markers?.lines ?? [];
    for (const chart of this._charts.values()) {
      chart.setMarkerLines(lines);
    }
  }

  /**
   * New values came: read the run's problem lines again, at most every
   * MARKERS_INTERVAL_MS (a warning is stored with the values around it).
   */
  private _readMarkersSoon(): void {
    if (this._markersTimer !== null || !this._markers) {
      return;
    }
    const wait = Math.max(
      0,
      this._markersReadAt + MARKERS_INTERVAL_MS - Date.now()
    );
    this._markersTimer = setTimeout(() => {
      this._markersTimer = null;
      this._markersReadAt = Date.now();
      void this._markers?.refresh();
    }, wait);
  }

  private readonly _trans: TranslationBundle;
  private _runStarted(): number | null {
    const started = this._runModel?.summary?.started;
    const time = started === undefined ? NaN : Date.parse(started);
    return Number.isFinite(time) ? time : null;
  }

  private _runModel: RunModel | null = null;
  private readonly _openLogs: ((args: IOpenLogsArgs) => void) | null;
  private _markers: LogMarkers | null = null;
  private _markersTimer: ReturnType<typeof setTimeout> | null = null;
  private _markersReadAt = 0;
  private _colours: IThemeColours;
  private readonly _renderer: 'canvas' | 'svg' | undefined;
  private readonly _charts = new Map<string, ChartWidget>();
  private readonly _message: Widget;
  private readonly _constants: Widget;
  private readonly _axisNote: Widget;
  /** Metrics shown as a value, and that value. */
  private _constantValues = new Map<string, number>();
  /** Rows held by each chart drawn. */
  private _rowCounts = new Map<string, number>();
  /** Each chart's plot height, for the room there is. */
  private _height = MIN_CHART_HEIGHT;
}

/**
 * A chart's height beyond its plot (px): the legend above, the x axis's
 * labels and title below, margins and notes.
 */
export const CHART_CHROME = 72;

/**
 * The plot height that lets `charts` charts, in a grid of `columns`, fill
 * `room` px: each row of the grid gets an equal share less its chrome,
 * between MIN_CHART_HEIGHT and MAX_CHART_HEIGHT (fewer charts, taller);
 * the smallest when the room is not known.
 */
export function chartHeightFor(
  room: number,
  charts: number,
  columns: number
): number {
  const rows = Math.ceil(charts / Math.max(1, columns));
  if (!(room > 0) || rows === 0) {
    return MIN_CHART_HEIGHT;
  }
  const share = Math.floor(room / rows) - CHART_CHROME;
  return Math.min(MAX_CHART_HEIGHT, Math.max(MIN_CHART_HEIGHT, share));
}

/** The run's problem lines are read again at most this often. */
const MARKERS_INTERVAL_MS = 2000;

/** The message, the constants and the axis note come before the charts. */
const FIXED_WIDGETS = 3;

/**
 * Why a run shows no curve: no values yet, or values that have no x on the
 * chosen axis (epoch-end metrics carry no step).
 */
export function noCurveMessage(
  runModel: RunModel,
  trans: TranslationBundle = defaultBundle()
): string {
  const values = Object.keys(runModel.summary?.last_metrics ?? {});
  if (values.length > 0 && runModel.axis === 'step') {
    return trans._n(
      '%2 has no step (values logged per epoch): choose Epoch or Time as the x axis above.',
      '%2 have no step (values logged per epoch): choose Epoch or Time as the x axis above.',
      values.length,
      values.join(', ')
    );
  }
  const status = runModel.summary?.status;
  if (status !== undefined && status !== 'running') {
    return trans.__('This run logged no metrics.');
  }
  return trans.__(
    'No metrics yet: curves appear with the first logged values.'
  );
}
