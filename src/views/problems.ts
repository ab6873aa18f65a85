/**
 * "Problems across my runs" in the History view's Queries tab: the
 * templates of the user's warnings and errors with their count, levels,
 * first and last time seen and runs; a row opens the run of its newest
 * example (double click or Enter).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { DisposableSet } from '@lumino/disposable';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { exampleRun, ProblemLevels, ProblemsModel } from '../model/problems';
import { requestErrorText } from '../requestText';
import type { ILogTemplate } from '../tokens';
import { h, listen, setText } from './dom';
import { listenToRunRows } from './historyCells';

const LEVELS: ProblemLevels[] = ['all', 'warning', 'error'];

export class ProblemsView extends Widget {
  constructor(options: {
    model: ProblemsModel;
    trans: TranslationBundle;
    onOpenRun: (runId: string) => void;
  }) {
    super();
    this.model = options.model;
    this._trans = options.trans;
    const trans = this._trans;
    this.addClass('jp-tflog-problems');
    this._levels = h(
      'select',
      { class: 'jp-mod-styled', 'data-field': 'problem-levels' },
      LEVELS.map(level =>
        h('option', { value: level }, [this._levelLabel(level)])
      )
    );
    this._notebook = h('input', {
      type: 'text',
      class: 'jp-mod-styled',
      'data-field': 'problem-notebook',
      placeholder: trans.__('all notebooks'),
      spellcheck: 'false'
    });
    const read = h(
      'button',
      { type: 'submit', class: 'jp-Button jp-mod-styled jp-mod-accept' },
      [trans.__('Group')]
    );
    this._form = h('form', { class: 'jp-tflog-history-query-form' }, [
      h('label', {}, [h('span', {}, [trans.__('Levels')]), this._levels]),
      h('label', {}, [h('span', {}, [trans.__('Notebook')]), this._notebook]),
      read
    ]);
    this._summary = h('p', { class: 'jp-tflog-problems-summary' });
    this._message = h('div', {
      class: 'jp-tflog-history-message',
      role: 'alert'
    });
    this._body = h('tbody');
    this._table = h(
      'table',
      { class: 'jp-tflog-history-query-table jp-tflog-problems-table' },
      [
        h('thead', {}, [
          h(
            'tr',
            {},
            [
              trans.__('Message template'),
              trans.__('Count'),
              trans.__('Levels'),
              trans.__('First seen'),
              trans.__('Last seen'),
              trans.__('Runs')
            ].map(title => h('th', { scope: 'col' }, [title]))
          )
        ]),
        this._body
      ]
    );
    this.node.append(
      h('h2', { class: 'jp-tflog-problems-title' }, [
        trans.__('Problems across my runs')
      ]),
      h('p', { class: 'jp-tflog-problems-help' }, [
        trans.__(
          'Warnings and errors of all your runs, grouped by message: numbers, ids and quoted values are shown as <*>. Double-click a row (or press Enter) to open the run of its newest example.'
        )
      ]),
      this._form,
      this._message,
      this._summary,
      h('div', { class: 'jp-tflog-history-table-scroll' }, [this._table])
    );
    this._listeners = new DisposableSet();
    this._listeners.add(
      listen(this._form, 'submit', event => {
        event.preventDefault();
        void this._load();
      })
    );
    this._listeners.add(listenToRunRows(this._body, options.onOpenRun));
    this.model.changed.connect(this._render, this);
    this._render();
  }

  readonly model: ProblemsModel;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._listeners.dispose();
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  /** Read once when first shown; the Group button reads again. */
  protected onAfterShow(msg: Message): void {
    if (this.model.templates === null && !this.model.loading) {
      void this._load();
    }
  }

  protected onAfterAttach(msg: Message): void {
    if (this.isVisible) {
      this.onAfterShow(msg);
    }
  }

  private _load(): Promise<void> {
    const value = this._levels.value;
    const levels = LEVELS.find(level => level === value) ?? 'all';
    return this.model.load(levels, this._notebook.value);
  }

  private _levelLabel(level: ProblemLevels): string {
    switch (level) {
      case 'all':
        return this._trans.__('Warnings and errors');
      case 'warning':
        return this._trans.__('Warnings');
      case 'error':
        return this._trans.__('Errors');
    }
  }

  private _render(): void {
    const trans = this._trans;
    const model = this.model;
    const templates = model.templates ?? [];
    this.node.dataset.loading = model.loading ? 'true' : 'false';
    this._body.replaceChildren(...templates.map(item => this._row(item)));
    if (this._body.rows[0]) {
      this._body.rows[0].tabIndex = 0;
    }
    this._table.hidden = templates.length === 0;
    let summary = '';
    if (model.templates !== null && !model.loading) {
      // Two counts, each with its plural: the records are worded first.
      const records = trans._n('%1 record', '%1 records', model.events);
      summary =
        templates.length === 0
          ? trans.__('No warnings or errors in your runs.')
          : model.sampled
            ? trans._n(
                '%1 template from the newest %2 (older ones were left out).',
                '%1 templates from the newest %2 (older ones were left out).',
                templates.length,
                records
              )
            : trans._n(
                '%1 template from %2.',
                '%1 templates from %2.',
                templates.length,
                records
              );
    }
    setText(this._summary, summary);
    this._summary.hidden = summary === '';
    const message =
      model.error === null ? '' : requestErrorText(trans, model.error);
    setText(this._message, message);
    this._message.hidden = message === '';
  }

  private _row(item: ILogTemplate): HTMLTableRowElement {
    const trans = this._trans;
    const time = (iso: string): string => new Date(iso).toLocaleString();
    const runId = exampleRun(item);
    const row = h(
      'tr',
      {
        class: 'jp-tflog-history-query-row jp-tflog-problems-row',
        'data-run-id': runId ?? undefined,
        title: trans.__('Example: %1', item.example)
      },
      [
        h('td', { class: 'jp-tflog-problems-template' }, [item.template]),
        h('td', {}, [String(item.count)]),
        h(
          'td',
          {},
          item.levels.map(level =>
            h('span', { class: 'jp-tflog-problems-level' }, [level])
          )
        ),
        h('td', {}, [time(item.first_seen)]),
        h('td', {}, [time(item.last_seen)]),
        h('td', {}, [String(item.run_count)])
      ]
    );
    row.tabIndex = -1;
    return row;
  }

  private readonly _trans: TranslationBundle;
  private readonly _listeners: DisposableSet;
  private readonly _levels: HTMLSelectElement;
  private readonly _notebook: HTMLInputElement;
  private readonly _form: HTMLFormElement;
  private readonly _summary: HTMLParagraphElement;
  private readonly _message: HTMLDivElement;
  private readonly _table: HTMLTableElement;
  private readonly _body: HTMLTableSectionElement;
}
