/**
 * The comparison view: controls (metric, x axis, smoothing, log scale,
 * legend), the runs that could not be read, the chart, and a table of
 * final and best values per metric, run beside run.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { formatMetric } from '../format';
import {
  COMPARE_AXES,
  CompareAxis,
  ComparedRunError,
  isCompareAxis,
  isLegendKey,
  LegendKey,
  runName
} from '../model/compareData';
import type { CompareModel } from '../model/compareModel';
import { requestErrorText } from '../requestText';
import type { IThemeColours } from '../theme';
import { CompareChart } from './compareChart';
import { h, setText } from './dom';
import { defaultBundle } from './text';

export function compareAxisLabel(
  trans: TranslationBundle,
  axis: CompareAxis
): string {
  switch (axis) {
    case 'step':
      return trans.__('Step');
    case 'epoch':
      return trans.__('Epoch');
    case 'relative':
      return trans.__('Relative time');
    case 'wall':
      return trans.__('Wall time');
  }
}

/** Why a compared run could not be read, in the user's language. */
export function comparedRunErrorText(
  trans: TranslationBundle,
  error: ComparedRunError
): string {
  return error.reason === 'not_found'
    ? trans.__('the service has no such run of yours')
    : requestErrorText(trans, error.error);
}

function legendLabel(trans: TranslationBundle, key: LegendKey): string {
  if (key === 'name') {
    return trans.__('Run name');
  }
  const [kind, ...rest] = key.split(':');
  return kind === 'tag'
    ? trans.__('Tag %1', rest.join(':'))
    : trans.__('Hyperparameter %1', rest.join(':'));
}

export class CompareView extends Panel {
  constructor(options: {
    model: CompareModel;
    colours: IThemeColours;
    trans?: TranslationBundle;
    renderer?: 'canvas' | 'svg';
  }) {
    super();
    this.model = options.model;
    this._colours = options.colours;
    this._trans = options.trans ?? defaultBundle();
    this.addClass('jp-tflog-compare');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Run comparison'));
    this.node.dataset.runIds = this.model.runIds.join(',');

    this._controls = this._createControls();
    this._status = h('div', {
      class: 'jp-tflog-compare-status',
      'aria-live': 'polite'
    });
    this._errors = h('ul', { class: 'jp-tflog-compare-error', role: 'alert' });
    this._errors.hidden = true;
    this.addWidget(
      new Widget({
        node: h('div', { class: 'jp-tflog-compare-header' }, [
          this._controls,
          this._status,
          this._errors
        ])
      })
    );
    this._chart = new CompareChart({
      trans: this._trans,
      renderer: options.renderer
    });
    this.addWidget(this._chart);
    this._table = h('table', { class: 'jp-tflog-compare-table' });
    this.addWidget(
      new Widget({
        node: h('div', { class: 'jp-tflog-compare-table-wrap' }, [
          h('h3', { class: 'jp-tflog-compare-table-title' }, [
            this._trans.__('Final and best values')
          ]),
          this._table
        ])
      })
    );
    this.model.changed.connect(this._render, this);
    this._render();
  }

  readonly model: CompareModel;

  get chart(): CompareChart {
    return this._chart;
  }

  /** The theme changed: draw again in its colours. */
  setColours(colours: IThemeColours): void {
    this._colours = colours;
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _createControls(): HTMLElement {
    const trans = this._trans;
    this._metricSelect = h('select', {
      class: 'jp-tflog-compare-metric jp-mod-styled'
    });
    this._metricSelect.addEventListener('change', () =>
      this.model.setView({ metric: this._metricSelect.value })
    );
    this._axisSelect = h(
      'select',
      { class: 'jp-tflog-compare-axis jp-mod-styled' },
      COMPARE_AXES.map(axis =>
        h('option', { value: axis }, [compareAxisLabel(trans, axis)])
      )
    );
    this._axisSelect.addEventListener('change', () => {
      const axis = this._axisSelect.value;
      if (isCompareAxis(axis)) {
        this.model.setView({ axis });
      }
    });
    this._smoothing = h('input', {
      class: 'jp-tflog-compare-smoothing',
      type: 'range',
      min: '0',
      max: '0.99',
      step: '0.01'
    });
    this._smoothingValue = h('output', {
      class: 'jp-tflog-compare-smoothing-value'
    });
    this._smoothing.addEventListener('input', () =>
      this.model.setView({ smoothing: Number(this._smoothing.value) })
    );
    this._logScale = h('input', {
      class: 'jp-tflog-compare-log',
      type: 'checkbox'
    });
    this._logScale.addEventListener('change', () =>
      this.model.setView({ logScale: this._logScale.checked })
    );
    this._legendSelect = h('select', {
      class: 'jp-tflog-compare-legend-key jp-mod-styled'
    });
    this._legendSelect.addEventListener('change', () => {
      const legend = this._legendSelect.value;
      if (isLegendKey(legend)) {
        this.model.setView({ legend });
      }
    });
    const control = (text: string, input: HTMLElement, extra?: HTMLElement) =>
      h('label', { class: 'jp-tflog-compare-control' }, [
        h('span', { class: 'jp-tflog-compare-control-label' }, [text]),
        input,
        extra
      ]);
    return h('div', { class: 'jp-tflog-compare-controls' }, [
      control(trans.__('Metric'), this._metricSelect),
      control(trans.__('X axis'), this._axisSelect),
      control(trans.__('Smoothing'), this._smoothing, this._smoothingValue),
      control(trans.__('Log scale'), this._logScale),
      control(trans.__('Legend'), this._legendSelect)
    ]);
  }

  private _render(): void {
    const model = this.model;
    const view = model.view;
    const trans = this._trans;
    const metric = model.metric;

    replaceOptions(
      this._metricSelect,
      model.metrics.map(name => [name, name])
    );
    this._metricSelect.value = metric ?? '';
    this._metricSelect.disabled = metric === null;
    this._axisSelect.value = view.axis;
    this._smoothing.value = String(view.smoothing);
    this._smoothing.setAttribute('aria-valuetext', view.smoothing.toFixed(2));
    setText(this._smoothingValue, view.smoothing.toFixed(2));
    this._logScale.checked = view.logScale;
    const legendKeys = model.legendKeys;
    replaceOptions(
      this._legendSelect,
      legendKeys.map(key => [key, legendLabel(trans, key)])
    );
    this._legendSelect.value = legendKeys.includes(view.legend)
      ? view.legend
      : 'name';

    const read = model.runs.filter(run => run.summary !== null).length;
    this.node.dataset.loading = String(model.loading);
    setText(this._status, this._statusText(read));
    const failed = model.runs.flatMap(run =>
      run.error === null ? [] : [{ runId: run.runId, error: run.error }]
    );
    this._errors.hidden = failed.length === 0;
    this._errors.replaceChildren(
      ...failed.map(run =>
        h('li', { 'data-run-id': run.runId }, [
          trans.__(
            'Run %1 cannot be shown: %2',
            run.runId,
            comparedRunErrorText(trans, run.error)
          )
        ])
      )
    );

    if (metric !== null) {
      const labels = model.labels;
      this._chart.draw(
        {
          metric,
          axis: view.axis,
          runs: model.runs
            .filter(run => run.summary !== null)
            .map(run => ({
              runId: run.runId,
              label: labels.get(run.runId) ?? run.runId
            })),
          colours: this._colours,
          logScale: view.logScale,
          smoothed: view.smoothing > 0
        },
        model.rows()
      );
    }
    this._chart.node.hidden = metric === null;
    this._renderTable();
  }

  private _statusText(read: number): string {
    const model = this.model;
    const trans = this._trans;
    if (model.loading) {
      return trans._n(
        'Reading %1 run…',
        'Reading %1 runs…',
        model.runIds.length
      );
    }
    if (model.refreshError !== null) {
      return trans.__(
        'Cannot read the runs again (shown as read before): %1',
        requestErrorText(trans, model.refreshError)
      );
    }
    if (model.metric === null && read > 0) {
      return trans.__('These runs have no metrics yet.');
    }
    const running = model.runs.filter(
      run => run.summary?.status === 'running'
    ).length;
    return running > 0
      ? trans._n(
          'Following %1 running run: read again every few seconds.',
          'Following %1 running runs: read again every few seconds.',
          running
        )
      : '';
  }

  private _renderTable(): void {
    const trans = this._trans;
    const runs = this.model.runs.filter(run => run.summary !== null);
    const labels = this.model.labels;
    const head = h('thead', {}, [
      h('tr', {}, [
        h('th', { scope: 'col', rowspan: '2' }, [trans.__('Metric')]),
        ...runs.map(run =>
          h(
            'th',
            { scope: 'colgroup', colspan: '2', 'data-run-id': run.runId },
            [labels.get(run.runId) ?? runName(run)]
          )
        )
      ]),
      h(
        'tr',
        {},
        runs.flatMap(() => [
          h('th', { scope: 'col' }, [trans.__('final')]),
          h('th', { scope: 'col' }, [trans.__('best')])
        ])
      )
    ]);
    const body = h(
      'tbody',
      {},
      this.model.outcomes().map(row => {
        // The best run of the metric is marked, so it stands out in a wide table.
        const bests = runs
          .map(run => row.runs.get(run.runId)?.best ?? null)
          .filter((value): value is number => value !== null);
        const winner =
          bests.length > 1
            ? row.lowerIsBetter
              ? Math.min(...bests)
              : Math.max(...bests)
            : null;
        return h('tr', { 'data-metric': row.metric }, [
          h(
            'th',
            {
              scope: 'row',
              title: row.lowerIsBetter
                ? trans.__('best: lowest')
                : trans.__('best: highest')
            },
            [row.metric]
          ),
          ...runs.flatMap(run => {
            const outcome = row.runs.get(run.runId);
            const final = outcome?.final ?? null;
            const best = outcome?.best ?? null;
            return [
              h(
                'td',
                {
                  class:
                    typeof final === 'string'
                      ? 'jp-tflog-compare-final jp-tflog-nonfinite'
                      : 'jp-tflog-compare-final',
                  'data-run-id': run.runId
                },
                [final === null ? '—' : formatMetric(final)]
              ),
              h(
                'td',
                {
                  class:
                    best !== null && best === winner
                      ? 'jp-tflog-compare-best jp-tflog-mod-winner'
                      : 'jp-tflog-compare-best',
                  'data-run-id': run.runId
                },
                [best === null ? '—' : formatMetric(best)]
              )
            ];
          })
        ]);
      })
    );
    this._table.replaceChildren(head, body);
  }

  private readonly _trans: TranslationBundle;
  private _colours: IThemeColours;
  private readonly _controls: HTMLElement;
  private readonly _status: HTMLDivElement;
  private readonly _errors: HTMLUListElement;
  private readonly _chart: CompareChart;
  private readonly _table: HTMLTableElement;
  private _metricSelect!: HTMLSelectElement;
  private _axisSelect!: HTMLSelectElement;
  private _smoothing!: HTMLInputElement;
  private _smoothingValue!: HTMLOutputElement;
  private _logScale!: HTMLInputElement;
  private _legendSelect!: HTMLSelectElement;
}

/** Replace a select's options only when they changed, so focus and scrolling stay. */
function replaceOptions(
  select: HTMLSelectElement,
  options: [value: string, text: string][]
): void {
  const same =
    select.options.length === options.length &&
    options.every(
      ([value, text], index) =>
        select.options[index].value === value &&
        select.options[index].text === text
    );
  if (!same) {
    select.replaceChildren(
      ...options.map(([value, text]) => h('option', { value }, [text]))
    );
  }
}

/** Offers `content` as a file download named `fileName`. */
export function downloadFile(
  content: string,
  fileName: string,
  mimeType: string
): void {
  const url = URL.createObjectURL(new Blob([content], { type: mimeType }));
  const anchor = h('a', { href: url, download: fileName });
  anchor.hidden = true;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The browser has the file once the click is handled; the URL can go after.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
