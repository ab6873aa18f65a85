/**
 * The charts of the run being shown, one per base metric, kept in step with
 * the run model: resets rebuild the list of charts, inserts go to the
 * charts they belong to.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { IChartsChange, RunModel } from '../model/runModel';
import type { IThemeColours } from '../theme';
import { ChartWidget, IChartStyle, loadChartLibrary } from './chart';
import { h, setText } from './dom';
import { defaultBundle } from './text';

export class ChartsPanel extends Panel {
  constructor(options: {
    colours: IThemeColours;
    renderer?: 'canvas' | 'svg';
    trans?: TranslationBundle;
  }) {
    super();
    this._trans = options.trans ?? defaultBundle();
    this.addClass('jp-tflog-charts');
    this._colours = options.colours;
    this._renderer = options.renderer;
    // A widget of its own, first in the layout, so chart order stays index + 1.
    this._message = new Widget({ node: h('p') });
    this._message.addClass('jp-tflog-charts-empty');
    this.addWidget(this._message);
  }

  setRunModel(runModel: RunModel | null): void {
    this._runModel?.chartsChanged.disconnect(this._onChartsChanged, this);
    this._runModel?.errorChanged.disconnect(this._updateMessage, this);
    this._runModel = runModel;
    runModel?.chartsChanged.connect(this._onChartsChanged, this);
    runModel?.errorChanged.connect(this._updateMessage, this);
    this._rebuild();
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
    if (change.reset) {
      this._rebuild();
      return;
    }
    for (const [metric, rows] of change.inserted) {
      this._charts.get(metric)?.insert(rows);
    }
  }

  private _rebuild(): void {
    const runModel = this._runModel;
    const charts = runModel?.charts ?? [];
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
          trans: this._trans
        });
        this._charts.set(data.metric, chart);
      }
      this.insertWidget(index + 1, chart);
      chart.reset(data.rows);
    });
    this._updateMessage();
  }

  private _updateMessage(): void {
    const runModel = this._runModel;
    const charts = runModel?.charts ?? [];
    let message = '';
    if (runModel && charts.length === 0) {
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
    const charts = this._runModel?.charts ?? [];
    charts.forEach((data, index) => {
      this._charts.get(data.metric)?.setStyle(this._style(index, data.roles));
    });
  }

  private _style(index: number, roles: IChartStyle['roles']): IChartStyle {
    const palette = this._colours.palette;
    return {
      axis: this._runModel?.view.axis ?? 'step',
      roles,
      colour: palette[index % palette.length],
      colours: this._colours,
      runStarted: this._runStarted()
    };
  }

  private readonly _trans: TranslationBundle;
  private _runStarted(): number | null {
    const started = this._runModel?.summary?.started;
    const time = started === undefined ? NaN : Date.parse(started);
    return Number.isFinite(time) ? time : null;
  }

  private _runModel: RunModel | null = null;
  private _colours: IThemeColours;
  private readonly _renderer: 'canvas' | 'svg' | undefined;
  private readonly _charts = new Map<string, ChartWidget>();
  private readonly _message: Widget;
}

/**
 * Why a run shows no curve: no values yet, or values that have no x on the
 * chosen axis (epoch-end metrics carry no step).
 */
export function noCurveMessage(
  runModel: RunModel,
  trans: TranslationBundle = defaultBundle()
): string {
  const values = Object.keys(runModel.summary?.last_metrics ?? {});
  if (values.length > 0 && runModel.view.axis === 'step') {
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
