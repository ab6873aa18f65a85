/**
 * The Training panel's System section: the run's CPU, memory and GPU
 * samples as small time-axis charts grouped by device, or a line saying
 * why there are none.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import type { ISystemChart, SystemModel } from '../model/systemModel';
import { requestErrorText } from '../requestText';
import type { IThemeColours } from '../theme';
import { ChartWidget, IChartStyle } from './chart';
import { h } from './dom';

export class SystemSection extends Panel {
  constructor(options: {
    model: SystemModel;
    colours: IThemeColours;
    trans: TranslationBundle;
    renderer?: 'canvas' | 'svg';
  }) {
    super();
    this.model = options.model;
    this._colours = options.colours;
    this._trans = options.trans;
    this._renderer = options.renderer ?? 'canvas';
    this.addClass('jp-tflog-system');
    this._message = new Widget({
      node: h('div', { class: 'jp-tflog-system-message', role: 'status' })
    });
    this.addWidget(this._message);
    this.model.changed.connect(this._render, this);
    this._render();
  }

  readonly model: SystemModel;

  /** Every chart has drawn what it was given (for tests). */
  get drawn(): Promise<void> {
    return Promise.all(
      [...this._charts.values()].map(chart => chart.drawn)
    ).then(() => undefined);
  }

  setColours(colours: IThemeColours): void {
    this._colours = colours;
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    this._charts.clear();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    this.model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    this.model.setActive(false);
  }

  protected onAfterAttach(msg: Message): void {
    this.model.setActive(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setActive(false);
  }

  private _render(): void {
    const trans = this._trans;
    const view = this.model.view;
    const error = this.model.error;
    let message = '';
    if (this.model.runId === null) {
      message = trans.__('No run is shown.');
    } else if (error !== null) {
      message = trans.__(
        'Could not read the system metrics: %1',
        requestErrorText(trans, error)
      );
    } else if (view === null) {
      message = trans.__('Loading system metrics…');
    } else if (!view.sampled) {
      message = trans.__(
        'No system samples: sampling is off for this run. Turn it on with `%%tflog --system-interval 10` or the TFLOG_SYSTEM_INTERVAL environment variable (seconds; 0 turns it off).'
      );
    } else if (view.gpuCount === 0) {
      message = trans.__('No GPU on this kernel');
    }
    this._message.node.textContent = message;
    this._message.setHidden(message === '');

    const groups = view?.groups ?? [];
    const wanted = new Set(
      groups.flatMap(group => group.charts.map(chart => chart.key))
    );
    for (const [key, chart] of this._charts) {
      if (!wanted.has(key)) {
        chart.dispose();
        this._charts.delete(key);
      }
    }
    for (const [key, heading] of this._headings) {
      if (!groups.some(group => group.key === key)) {
        heading.dispose();
        this._headings.delete(key);
      }
    }
    let index = 1;
    groups.forEach(group => {
      let heading = this._headings.get(group.key);
      if (!heading) {
        heading = new Widget({
          node: h('h3', { class: 'jp-tflog-system-device' }, [group.title])
        });
        heading.node.dataset.device = group.key;
        this._headings.set(group.key, heading);
      }
      this.insertWidget(index++, heading);
      group.charts.forEach((data, chartIndex) => {
        const chart = this._chart(data, chartIndex);
        this.insertWidget(index++, chart);
        chart.reset(data.rows);
      });
    });
  }

  private _chart(data: ISystemChart, index: number): ChartWidget {
    const palette = this._colours.palette;
    const style: IChartStyle = {
      axis: 'time',
      roles: data.roles,
      colour: palette[index % palette.length],
      colours: this._colours
    };
    let chart = this._charts.get(data.key);
    if (chart) {
      chart.setStyle(style);
    } else {
      chart = new ChartWidget({
        metric: data.label,
        style,
        renderer: this._renderer,
        trans: this._trans
      });
      chart.addClass('jp-tflog-system-chart');
      chart.node.dataset.systemChart = data.key;
      this._charts.set(data.key, chart);
    }
    return chart;
  }

  private _colours: IThemeColours;
  private readonly _trans: TranslationBundle;
  private readonly _renderer: 'canvas' | 'svg';
  private readonly _message: Widget;
  private readonly _charts = new Map<string, ChartWidget>();
  private readonly _headings = new Map<string, Widget>();
}
