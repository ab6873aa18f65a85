/**
 * The History view's runs table: filters above, the runs of one page with
 * the columns chosen, the pager below. Column headers sort; a checkbox (or
 * Space) selects a run to compare; a double click (or Enter) opens it in
 * the Training panel. Arrow keys, Home and End move between rows.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { DisposableSet } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import {
  formatDuration,
  formatMetric,
  formatNumber,
  runElapsedMs,
  runLabel,
  runNonFinite
} from '../format';
import { HistoryModel, MAX_COMPARED_RUNS } from '../model/historyModel';
import {
  bestValue,
  FIXED_COLUMNS,
  formatKeyValues,
  HistoryColumn,
  IHistoryFilters,
  metricOf,
  parseKeyValues,
  runSortOf
} from '../model/historyView';
import { requestErrorText } from '../requestText';
import type { IRunSummary, RunStatus } from '../tokens';
import { h, listen, setText } from './dom';
import {
  focusRow,
  fromLocalInput,
  moveRowFocus,
  openRunOnEnter,
  rowOf,
  runBadges,
  toLocalInput
} from './historyCells';
import { Pager } from './pager';
import { statusText } from './text';

const STATUSES: RunStatus[] = [
  'running',
  'finished',
  'failed',
  'interrupted',
  'stopped'
];

/** A column's header text. */
export function columnTitle(
  trans: TranslationBundle,
  column: HistoryColumn
): string {
  switch (column) {
    case 'status':
      return trans.__('Status');
    case 'name':
      return trans.__('Name');
    case 'notebook':
      return trans.__('Notebook');
    case 'started':
      return trans.__('Started');
    case 'duration':
      return trans.__('Duration');
    case 'health':
      return trans.__('Health');
  }
  const key = column.slice(column.indexOf(':') + 1);
  if (column.startsWith('tag:')) {
    return trans.__('%1 (tag)', key);
  }
  if (column.startsWith('hparam:')) {
    return trans.__('%1 (hparam)', key);
  }
  if (column.startsWith('last:')) {
    return trans.__('%1 (final)', key);
  }
  return trans.__('%1 (best)', key);
}

/** The text of a cell that is not the status. */
function cellText(
  run: IRunSummary,
  column: HistoryColumn,
  now: number
): string {
  switch (column) {
    case 'status':
      return '';
    case 'name':
      return runLabel(run);
    case 'notebook':
      return run.notebook ?? '';
    case 'started':
      return new Date(run.started).toLocaleString();
    case 'duration':
      return formatDuration(runElapsedMs(run, now));
    case 'health':
      return run.health ? String(Math.round(run.health.score)) : '';
  }
  const key = column.slice(column.indexOf(':') + 1);
  if (column.startsWith('tag:')) {
    return run.tags[key] ?? '';
  }
  if (column.startsWith('hparam:')) {
    const value = run.hparams[key];
    return value === undefined || value === null
      ? ''
      : typeof value === 'number'
        ? formatNumber(value)
        : String(value);
  }
  if (column.startsWith('last:')) {
    const value = run.last_metrics[key];
    return value === undefined ? '' : formatMetric(value);
  }
  const best = bestValue(run, key);
  return best === undefined ? '' : formatNumber(best);
}

export class HistoryRunsView extends Widget {
  constructor(options: {
    model: HistoryModel;
    trans: TranslationBundle;
    /** Opens a run in the Training panel. */
    onOpenRun: (runId: string) => void;
  }) {
    super();
    this.model = options.model;
    this._trans = options.trans;
    this._onOpenRun = options.onOpenRun;
    this.addClass('jp-tflog-history-runs');
    const trans = this._trans;

    this._filters = this._createFilters();
    this._message = h('div', {
      class: 'jp-tflog-history-message',
      role: 'alert'
    });
    this._head = h('thead');
    this._body = h('tbody');
    this._empty = h('p', { class: 'jp-tflog-history-empty' });
    this._table = h(
      'table',
      {
        class: 'jp-tflog-history-table',
        role: 'grid',
        'aria-multiselectable': 'true',
        'aria-label': trans.__('Runs')
      },
      [this._head, this._body]
    );
    this._pager = new Pager({
      trans,
      tag: 'div',
      buttonStyle: 'jp-mod-styled',
      classes: {
        node: 'jp-tflog-history-pager',
        previous: 'jp-tflog-history-previous',
        next: 'jp-tflog-history-next',
        range: 'jp-tflog-history-total'
      },
      onPrevious: () => void this.model.previousPage(),
      onNext: () => void this.model.nextPage()
    });
    this.node.append(
      this._filters,
      this._message,
      h('div', { class: 'jp-tflog-history-table-scroll' }, [
        this._table,
        this._empty
      ]),
      this._pager.node
    );

    this._listeners = DisposableSet.from([
      this._pager,
      listen(this._head, 'click', this._onHeadClick),
      listen(this._body, 'click', this._onBodyClick),
      listen(this._body, 'dblclick', this._onBodyDoubleClick),
      listen(this._body, 'keydown', this._onBodyKeyDown)
    ]);
    this.model.changed.connect(this._render, this);
    this._render();
  }

  readonly model: HistoryModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._render, this);
    this._listeners.dispose();
    super.dispose();
  }

  /** The filters form: applied on change, or Enter in a field. */
  private _createFilters(): HTMLFormElement {
    const trans = this._trans;
    const filters = this.model.view.filters;
    const field = (
      name: string,
      label: string,
      input: HTMLInputElement | HTMLSelectElement
    ): HTMLLabelElement => {
      input.classList.add('jp-mod-styled');
      input.dataset.filter = name;
      return h('label', { class: 'jp-tflog-history-filter' }, [
        h('span', { class: 'jp-tflog-history-filter-label' }, [label]),
        input
      ]);
    };
    const text = (
      name: string,
      value: string | undefined,
      placeholder: string,
      type = 'text'
    ): HTMLInputElement =>
      h('input', {
        type,
        value: value ?? '',
        placeholder,
        spellcheck: 'false'
      });
    const status = h('select', {}, [
      h('option', { value: '' }, [trans.__('Any')]),
      ...STATUSES.map(value =>
        h('option', { value }, [statusText(trans, value)])
      )
    ]);
    if (filters.status && filters.status.length > 1) {
      // Several statuses (from a link): one more option that keeps them.
      status.append(
        h('option', { value: filters.status.join(',') }, [
          filters.status.map(value => statusText(trans, value)).join(', ')
        ])
      );
    }
    status.value = filters.status?.join(',') ?? '';
    const form = h('form', { class: 'jp-tflog-history-filters' }, [
      field(
        'text',
        trans.__('Search'),
        text('text', filters.text, trans.__('name, notebook or tag'), 'search')
      ),
      field(
        'notebook',
        trans.__('Notebook'),
        text(
          'notebook',
          filters.notebook,
          trans.__('path, e.g. work/train.ipynb')
        )
      ),
      field('status', trans.__('Status'), status),
      field(
        'tags',
        trans.__('Tags'),
        text('tags', formatKeyValues(filters.tags), trans.__('key:value, …'))
      ),
      field(
        'hparams',
        trans.__('Hyperparameters'),
        text(
          'hparams',
          formatKeyValues(filters.hparams),
          trans.__('key:value, …')
        )
      ),
      field(
        'from',
        trans.__('Started from'),
        text('from', toLocalInput(filters.from), '', 'datetime-local')
      ),
      field(
        'to',
        trans.__('Started before'),
        text('to', toLocalInput(filters.to), '', 'datetime-local')
      )
    ]);
    form.addEventListener('submit', event => {
      event.preventDefault();
      this._applyFilters();
    });
    form.addEventListener('change', () => this._applyFilters());
    return form;
  }

  private _filterValue(name: string): string {
    const input = this._filters.querySelector<
      HTMLInputElement | HTMLSelectElement
    >(`[data-filter="${name}"]`);
    return input?.value.trim() ?? '';
  }

  private _applyFilters(): void {
    const trans = this._trans;
    const tags = parseKeyValues(this._filterValue('tags'));
    const hparams = parseKeyValues(this._filterValue('hparams'));
    const invalid = [...tags.invalid, ...hparams.invalid];
    if (invalid.length > 0) {
      this._filterError = trans.__(
        'Not key:value: %1. Write tags and hyperparameters as key:value, separated by commas.',
        invalid.join(', ')
      );
      this._render();
      return;
    }
    this._filterError = '';
    const filters: IHistoryFilters = {};
    const text = this._filterValue('text');
    const notebook = this._filterValue('notebook');
    const status = this._filterValue('status');
    const from = fromLocalInput(this._filterValue('from'));
    const to = fromLocalInput(this._filterValue('to'));
    if (text !== '') {
      filters.text = text;
    }
    if (notebook !== '') {
      filters.notebook = notebook;
    }
    const statuses = status
      .split(',')
      .filter((value): value is RunStatus =>
        STATUSES.includes(value as RunStatus)
      );
    if (statuses.length > 0) {
      filters.status = statuses;
    }
    if (Object.keys(tags.pairs).length > 0) {
      filters.tags = tags.pairs;
    }
    if (Object.keys(hparams.pairs).length > 0) {
      filters.hparams = hparams.pairs;
    }
    if (from !== undefined) {
      filters.from = from;
    }
    if (to !== undefined) {
      filters.to = to;
    }
    if (JSON.stringify(filters) !== JSON.stringify(this.model.view.filters)) {
      this.model.setFilters(filters);
    }
  }

  private get _columns(): HistoryColumn[] {
    return [...FIXED_COLUMNS, ...this.model.columns];
  }

  private _render(): void {
    const model = this.model;
    const trans = this._trans;
    const columns = this._columns;
    this._renderHead(columns);

    const focusedId =
      document.activeElement instanceof HTMLElement &&
      this._body.contains(document.activeElement)
        ? (document.activeElement.closest('tr')?.dataset.runId ?? null)
        : null;
    const now = Date.now();
    const rows = model.runs.map(run => this._row(run, columns, now));
    this._body.replaceChildren(...rows);
    const focusable =
      rows.find(row => row.dataset.runId === focusedId) ?? rows[0];
    if (focusable) {
      focusable.tabIndex = 0;
      if (focusedId !== null) {
        focusable.focus();
      }
    }
    this._table.setAttribute('aria-busy', model.loading ? 'true' : 'false');
    this.node.dataset.loading = model.loading ? 'true' : 'false';

    setText(
      this._empty,
      model.loading || model.error || model.runs.length > 0
        ? ''
        : trans.__('No runs match these filters.')
    );
    this._empty.hidden = this._empty.textContent === '';

    const messages: string[] = [];
    if (this._filterError) {
      messages.push(this._filterError);
    }
    if (model.error) {
      messages.push(requestErrorText(trans, model.error));
    }
    if (model.selectionFull) {
      messages.push(
        trans.__(
          'At most %1 runs can be compared: unselect one to select another.',
          MAX_COMPARED_RUNS
        )
      );
    }
    setText(this._message, messages.join(' '));
    this._message.hidden = messages.length === 0;

    const first = model.pageIndex * model.pageSize + 1;
    const last = first + model.runs.length - 1;
    this._pager.update({
      hasPrevious: model.hasPreviousPage,
      hasNext: model.hasNextPage,
      loading: model.loading,
      text:
        model.total === null
          ? ''
          : model.runs.length === 0
            ? trans.__('0 of %1', model.total)
            : trans.__('%1–%2 of %3', first, last, model.total)
    });
  }

  private _renderHead(columns: HistoryColumn[]): void {
    const trans = this._trans;
    // The sort button used last keeps the focus when the head is drawn again.
    const focusedColumn =
      document.activeElement instanceof HTMLElement &&
      this._head.contains(document.activeElement)
        ? (document.activeElement.dataset.column ?? null)
        : null;
    const { sort, order } = this.model.view;
    const selectHeader = h(
      'th',
      {
        class: 'jp-tflog-history-select-header',
        scope: 'col'
      },
      [
        h('span', { class: 'jp-tflog-history-visually-hidden' }, [
          trans.__('Compare')
        ])
      ]
    );
    const cells = columns.map(column => {
      const title = columnTitle(trans, column);
      const sortable = runSortOf(column) !== null;
      const sorted = column === sort;
      const th = h(
        'th',
        {
          scope: 'col',
          'data-column': column,
          'aria-sort': sorted
            ? order === 'asc'
              ? 'ascending'
              : 'descending'
            : undefined
        },
        [
          sortable
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'jp-tflog-history-sort',
                  'data-column': column,
                  title: trans.__('Sort by %1', title)
                },
                [
                  title,
                  sorted
                    ? h(
                        'span',
                        {
                          class: 'jp-tflog-history-sort-mark',
                          'aria-hidden': 'true'
                        },
                        [order === 'asc' ? ' ▲' : ' ▼']
                      )
                    : null
                ]
              )
            : title
        ]
      );
      return th;
    });
    this._head.replaceChildren(h('tr', {}, [selectHeader, ...cells]));
    if (focusedColumn !== null) {
      [
        ...this._head.querySelectorAll<HTMLButtonElement>(
          'button.jp-tflog-history-sort'
        )
      ]
        .find(button => button.dataset.column === focusedColumn)
        ?.focus();
    }
  }

  private _row(
    run: IRunSummary,
    columns: HistoryColumn[],
    now: number
  ): HTMLTableRowElement {
    const trans = this._trans;
    const selected = this.model.selected.has(run.run_id);
    const checkbox = h('input', {
      type: 'checkbox',
      class: 'jp-tflog-history-select',
      'aria-label': trans.__('Select %1 to compare', runLabel(run))
    });
    checkbox.checked = selected;
    checkbox.tabIndex = -1;
    const cells = columns.map(column => {
      const metric = metricOf(column);
      return h(
        'td',
        {
          'data-column': column,
          class: metric === null ? undefined : 'jp-tflog-history-number'
        },
        [
          column === 'status'
            ? runBadges(trans, run)
            : cellText(run, column, now)
        ]
      );
    });
    const row = h(
      'tr',
      {
        class: 'jp-tflog-history-row',
        'data-run-id': run.run_id,
        'data-run-status': run.status,
        'data-run-nonfinite': runNonFinite(run) ?? undefined,
        'aria-selected': selected ? 'true' : 'false',
        title: run.run_id
      },
      [h('td', { class: 'jp-tflog-history-select-cell' }, [checkbox]), ...cells]
    );
    row.tabIndex = -1;
    return row;
  }

  private _toggle(row: HTMLTableRowElement): void {
    const runId = row.dataset.runId;
    if (runId) {
      focusRow(this._body, row);
      this.model.toggleSelected(runId);
    }
  }

  private _onHeadClick = (event: MouseEvent): void => {
    if (!(event.target instanceof Element)) {
      return;
    }
    const button = event.target.closest<HTMLButtonElement>(
      'button.jp-tflog-history-sort'
    );
    const column = button?.dataset.column;
    if (column) {
      this.model.sortBy(column as HistoryColumn);
    }
  };

  private _onBodyClick = (event: MouseEvent): void => {
    const row = rowOf(this._body, event.target);
    if (!row) {
      return;
    }
    if (
      event.target instanceof HTMLInputElement &&
      event.target.type === 'checkbox'
    ) {
      // The model decides (at most 20): the checkbox shows what it decided.
      event.preventDefault();
      this._toggle(row);
      return;
    }
    focusRow(this._body, row);
  };

  private _onBodyDoubleClick = (event: MouseEvent): void => {
    const row = rowOf(this._body, event.target);
    const runId = row?.dataset.runId;
    if (
      runId &&
      !(
        event.target instanceof HTMLInputElement &&
        event.target.type === 'checkbox'
      )
    ) {
      this._onOpenRun(runId);
    }
  };

  private _onBodyKeyDown = (event: KeyboardEvent): void => {
    const row = rowOf(this._body, event.target);
    if (!row) {
      return;
    }
    if (openRunOnEnter(row, event, this._onOpenRun)) {
      return;
    }
    if (event.key === ' ') {
      event.preventDefault();
      this._toggle(row);
      return;
    }
    if (moveRowFocus(this._body, row, event.key)) {
      event.preventDefault();
    }
  };

  private readonly _trans: TranslationBundle;
  private readonly _listeners: DisposableSet;
  private readonly _onOpenRun: (runId: string) => void;
  private readonly _filters: HTMLFormElement;
  private readonly _message: HTMLDivElement;
  private readonly _table: HTMLTableElement;
  private readonly _head: HTMLTableSectionElement;
  private readonly _body: HTMLTableSectionElement;
  private readonly _empty: HTMLParagraphElement;
  private readonly _pager: Pager;
  private _filterError = '';
}
