/**
 * The History view's queries across runs: values of a metric above or
 * below a number in a time range, the runs that produced NaN and at which
 * step, and errors per run. Each answer is a table whose rows open their
 * run in the Training panel (double click or Enter).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { DisposableSet } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import { formatNumber } from '../format';
import type {
  HistoryQuery,
  HistoryQueryKind,
  HistoryQueriesModel,
  HistoryQueryRows
} from '../model/historyQueries';
import { requestErrorText } from '../requestText';
import type { IMetricHit, INonfiniteRun, ThresholdOperator } from '../tokens';
import { h, listen, setText } from './dom';
import { fromLocalInput, listenToRunRows, statusBadges } from './historyCells';
import { nonFiniteBadge } from './text';

const KINDS: HistoryQueryKind[] = ['points', 'nonfinite', 'errors'];
const OPERATORS: ThresholdOperator[] = ['gt', 'gte', 'lt', 'lte'];

export class HistoryQueriesView extends Widget {
  constructor(options: {
    model: HistoryQueriesModel;
    trans: TranslationBundle;
    onOpenRun: (runId: string) => void;
  }) {
    super();
    this.model = options.model;
    this._trans = options.trans;
    this.addClass('jp-tflog-history-queries');
    const trans = this._trans;

    this._kind = h(
      'select',
      { class: 'jp-mod-styled', 'data-field': 'kind' },
      KINDS.map(kind => h('option', { value: kind }, [this._kindLabel(kind)]))
    );
    this._metric = h('input', {
      type: 'text',
      class: 'jp-mod-styled',
      'data-field': 'metric',
      value: 'loss',
      spellcheck: 'false'
    });
    this._operator = h(
      'select',
      { class: 'jp-mod-styled', 'data-field': 'operator' },
      OPERATORS.map(operator =>
        h('option', { value: operator }, [this._operatorLabel(operator)])
      )
    );
    this._value = h('input', {
      type: 'number',
      step: 'any',
      class: 'jp-mod-styled',
      'data-field': 'value'
    });
    this._from = h('input', {
      type: 'datetime-local',
      class: 'jp-mod-styled',
      'data-field': 'from'
    });
    this._to = h('input', {
      type: 'datetime-local',
      class: 'jp-mod-styled',
      'data-field': 'to'
    });
    this._notebook = h('input', {
      type: 'text',
      class: 'jp-mod-styled',
      'data-field': 'notebook',
      placeholder: trans.__('all notebooks'),
      spellcheck: 'false'
    });
    const field = (
      label: string,
      input: HTMLElement,
      className = ''
    ): HTMLLabelElement =>
      h('label', { class: `jp-tflog-history-filter ${className}`.trim() }, [
        h('span', { class: 'jp-tflog-history-filter-label' }, [label]),
        input
      ]);
    const run = h(
      'button',
      {
        type: 'submit',
        class:
          'jp-Button jp-mod-styled jp-mod-accept jp-tflog-history-query-run'
      },
      [trans.__('Run query')]
    );
    this._form = h('form', { class: 'jp-tflog-history-query-form' }, [
      field(trans.__('Query'), this._kind),
      field(trans.__('Metric'), this._metric, 'jp-tflog-history-query-metric'),
      field(
        trans.__('Comparison'),
        this._operator,
        'jp-tflog-history-query-threshold'
      ),
      field(trans.__('Value'), this._value, 'jp-tflog-history-query-threshold'),
      field(trans.__('From'), this._from),
      field(trans.__('Before'), this._to),
      field(trans.__('Notebook'), this._notebook),
      run
    ]);
    this._message = h('div', {
      class: 'jp-tflog-history-message',
      role: 'alert'
    });
    this._head = h('thead');
    this._body = h('tbody');
    this._table = h('table', { class: 'jp-tflog-history-query-table' }, [
      this._head,
      this._body
    ]);
    this._empty = h('p', { class: 'jp-tflog-history-empty' });
    this._more = h(
      'button',
      {
        type: 'button',
        class: 'jp-Button jp-mod-styled jp-tflog-history-more'
      },
      [trans.__('More')]
    );
    this.node.append(
      this._form,
      this._message,
      h('div', { class: 'jp-tflog-history-table-scroll' }, [
        this._table,
        this._empty
      ]),
      h('div', { class: 'jp-tflog-history-pager' }, [this._more])
    );

    this._listeners = DisposableSet.from([
      listen(this._form, 'submit', this._onSubmit),
      listen(this._kind, 'change', this._showFields),
      listen(this._more, 'click', this._onMore),
      listenToRunRows(this._body, options.onOpenRun)
    ]);
    this.model.changed.connect(this._render, this);
    this._showFields();
    this._render();
  }

  readonly model: HistoryQueriesModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    this._listeners.dispose();
    super.dispose();
  }

  private _kindLabel(kind: HistoryQueryKind): string {
    const trans = this._trans;
    switch (kind) {
      case 'points':
        return trans.__('Values of a metric above or below a number');
      case 'nonfinite':
        return trans.__('Runs that produced NaN, and at which step');
      case 'errors':
        return trans.__('Errors per run');
    }
  }

  private _operatorLabel(operator: ThresholdOperator): string {
    const trans = this._trans;
    switch (operator) {
      case 'gt':
        return trans.__('above');
      case 'gte':
        return trans.__('at least');
      case 'lt':
        return trans.__('below');
      case 'lte':
        return trans.__('at most');
    }
  }

  /** Metric and threshold only where the query takes them. */
  private _showFields = (): void => {
    const kind = this._kind.value as HistoryQueryKind;
    for (const element of this._form.querySelectorAll<HTMLElement>(
      '.jp-tflog-history-query-threshold'
    )) {
      element.hidden = kind !== 'points';
    }
    const metric = this._form.querySelector<HTMLElement>(
      '.jp-tflog-history-query-metric'
    );
    if (metric) {
      metric.hidden = kind === 'errors';
    }
    this._metric.placeholder =
      kind === 'nonfinite' ? this._trans.__('all metrics') : '';
  };

  /** The query the form describes, or a message saying what is missing. */
  private _readForm(): HistoryQuery | string {
    const trans = this._trans;
    const kind = this._kind.value as HistoryQueryKind;
    const scope = {
      from: fromLocalInput(this._from.value),
      to: fromLocalInput(this._to.value),
      notebook: this._notebook.value.trim() || undefined
    };
    const metric = this._metric.value.trim();
    switch (kind) {
      case 'points': {
        const value = this._value.valueAsNumber;
        if (metric === '') {
          return trans.__('Name the metric to compare.');
        }
        if (!Number.isFinite(value)) {
          return trans.__('Give the number to compare the values with.');
        }
        return {
          ...scope,
          kind,
          metric,
          operator: this._operator.value as ThresholdOperator,
          value
        };
      }
      case 'nonfinite':
        return { ...scope, kind, metric: metric || undefined };
      case 'errors':
        return { ...scope, kind };
    }
  }

  private _onSubmit = (event: Event): void => {
    event.preventDefault();
    const query = this._readForm();
    if (typeof query === 'string') {
      this._formError = query;
      this._render();
      return;
    }
    this._formError = '';
    void this.model.run(query);
  };

  private _onMore = (): void => {
    void this.model.more();
  };

  private _render(): void {
    const model = this.model;
    const trans = this._trans;
    const result = model.result;
    this._table.dataset.queryKind = result?.kind ?? '';
    this.node.dataset.loading = model.loading ? 'true' : 'false';
    if (result) {
      this._head.replaceChildren(
        h(
          'tr',
          {},
          this._headers(result.kind).map(title =>
            h('th', { scope: 'col' }, [title])
          )
        )
      );
      const rows = this._rows(result);
      this._body.replaceChildren(...rows);
      if (rows[0]) {
        rows[0].tabIndex = 0;
      }
    } else {
      this._head.replaceChildren();
      this._body.replaceChildren();
    }
    this._table.hidden = !result || result.rows.length === 0;
    setText(
      this._empty,
      result && result.rows.length === 0 && !model.loading
        ? trans.__('Nothing matches this query.')
        : ''
    );
    this._empty.hidden = this._empty.textContent === '';
    const message =
      this._formError ||
      (model.error === null ? '' : requestErrorText(trans, model.error));
    setText(this._message, message);
    this._message.hidden = message === '';
    this._more.hidden = !model.hasMore;
    this._more.disabled = model.loading;
  }

  private _headers(kind: HistoryQueryKind): string[] {
    const trans = this._trans;
    switch (kind) {
      case 'points':
      case 'nonfinite':
        return [
          trans.__('Run'),
          trans.__('Notebook'),
          trans.__('Metric'),
          trans.__('Value'),
          trans.__('Step'),
          trans.__('Epoch'),
          trans.__('Time')
        ];
      case 'errors':
        return [
          trans.__('Run'),
          trans.__('Status'),
          trans.__('Notebook'),
          trans.__('Started'),
          trans.__('Errors'),
          trans.__('Warnings')
        ];
    }
  }

  private _rows(result: HistoryQueryRows): HTMLTableRowElement[] {
    const trans = this._trans;
    const time = (iso: string): string => new Date(iso).toLocaleString();
    const count = (value: number | null): string =>
      value === null ? '' : String(value);
    const row = (runId: string, cells: (string | Node)[]) => {
      const tr = h(
        'tr',
        {
          class: 'jp-tflog-history-query-row',
          'data-run-id': runId,
          title: runId
        },
        cells.map(cell => h('td', {}, [cell]))
      );
      tr.tabIndex = -1;
      return tr;
    };
    // A metric's value (a hit, or a run's first non-finite one): the same columns.
    const point = (hit: IMetricHit | INonfiniteRun, value: string | Node) =>
      row(hit.run_id, [
        hit.run_name ?? hit.run_id,
        hit.notebook ?? '',
        hit.metric,
        value,
        count(hit.step),
        count(hit.epoch),
        time(hit.time)
      ]);
    switch (result.kind) {
      case 'points':
        return result.rows.map(hit => point(hit, formatNumber(hit.value)));
      case 'nonfinite':
        return result.rows.map(run =>
          point(
            run,
            h('span', { class: 'jp-tflog-badge-nonfinite' }, [
              nonFiniteBadge(trans, run.value)
            ])
          )
        );
      case 'errors':
        return result.rows.map(run =>
          row(run.run_id, [
            run.name ?? run.run_id,
            statusBadges(trans, run.status, null),
            run.notebook ?? '',
            time(run.started),
            String(run.errors),
            String(run.warnings)
          ])
        );
    }
  }

  private readonly _trans: TranslationBundle;
  private readonly _listeners: DisposableSet;
  private readonly _form: HTMLFormElement;
  private readonly _kind: HTMLSelectElement;
  private readonly _metric: HTMLInputElement;
  private readonly _operator: HTMLSelectElement;
  private readonly _value: HTMLInputElement;
  private readonly _from: HTMLInputElement;
  private readonly _to: HTMLInputElement;
  private readonly _notebook: HTMLInputElement;
  private readonly _message: HTMLDivElement;
  private readonly _table: HTMLTableElement;
  private readonly _head: HTMLTableSectionElement;
  private readonly _body: HTMLTableSectionElement;
  private readonly _empty: HTMLParagraphElement;
  private readonly _more: HTMLButtonElement;
  private _formError = '';
}
