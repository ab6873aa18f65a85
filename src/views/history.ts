/**
 * The History view (`.jp-tflog-history`): two tabs, **Runs** (the runs
 * table) and **Queries** (queries across runs), and the column chooser's
 * dialog body. The plugin puts it in a MainAreaWidget with its toolbar.
 */
import type { Dialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Panel, TabPanel, Widget } from '@lumino/widgets';

import type { HistoryModel } from '../model/historyModel';
import type { HistoryQueriesModel } from '../model/historyQueries';
import { ChosenColumn, isChosenColumn } from '../model/historyView';
import { h } from './dom';
import { HistoryQueriesView } from './historyQueries';
import { columnTitle, HistoryRunsView } from './historyRuns';

export class HistoryView extends TabPanel {
  constructor(options: {
    model: HistoryModel;
    queries: HistoryQueriesModel;
    trans: TranslationBundle;
    /** Opens a run in the Training panel. */
    onOpenRun: (runId: string) => void;
    /** Shown below the queries in their tab (Problems across my runs). */
    problems?: Widget;
  }) {
    super();
    this.model = options.model;
    this.queries = options.queries;
    const trans = options.trans;
    this.addClass('jp-tflog-history');
    this.runsView = new HistoryRunsView({
      model: this.model,
      trans,
      onOpenRun: options.onOpenRun
    });
    this.runsView.title.label = trans.__('Runs');
    this.queriesView = new HistoryQueriesView({
      model: this.queries,
      trans,
      onOpenRun: options.onOpenRun
    });
    if (options.problems) {
      const tab = new Panel();
      tab.addClass('jp-tflog-history-queries-tab');
      tab.addWidget(this.queriesView);
      tab.addWidget(options.problems);
      this.queriesTab = tab;
    } else {
      this.queriesTab = this.queriesView;
    }
    this.queriesTab.title.label = trans.__('Queries');
    this.addWidget(this.runsView);
    this.addWidget(this.queriesTab);
    this.tabBar.addClass('jp-tflog-history-tabs');
    this.currentIndex = this.model.view.tab === 'queries' ? 1 : 0;
    this.currentChanged.connect(this._onTabChanged, this);
  }

  readonly model: HistoryModel;
  readonly queries: HistoryQueriesModel;
  readonly runsView: HistoryRunsView;
  readonly queriesView: HistoryQueriesView;
  /** The Queries tab: the queries view, or a panel of it and the problems. */
  readonly queriesTab: Widget;

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.currentChanged.disconnect(this._onTabChanged, this);
    super.dispose();
    this.model.dispose();
    this.queries.dispose();
  }

  private _onTabChanged(): void {
    this.model.setTab(
      this.currentWidget === this.queriesTab ? 'queries' : 'runs'
    );
  }
}

/**
 * The column chooser: a checkbox per column offered, in order, and a field
 * to add one by name (`tag:KEY`, `hparam:KEY`, `last:METRIC`, `best:METRIC`).
 */
export class ColumnChooser
  extends Widget
  implements Dialog.IBodyWidget<ChosenColumn[]>
{
  constructor(options: {
    trans: TranslationBundle;
    offered: readonly ChosenColumn[];
    chosen: readonly ChosenColumn[];
  }) {
    super();
    const trans = options.trans;
    this.addClass('jp-tflog-history-columns');
    this._list = h('ul', {
      class: 'jp-tflog-history-columns-list',
      'aria-label': trans.__('Columns')
    });
    for (const column of options.offered) {
      this._add(trans, column, options.chosen.includes(column));
    }
    this._extra = h('input', {
      type: 'text',
      class: 'jp-mod-styled jp-tflog-history-columns-extra',
      placeholder: trans.__('tag:KEY, hparam:KEY, last:METRIC or best:METRIC'),
      spellcheck: 'false',
      'aria-label': trans.__('Add columns')
    });
    this.node.append(
      this._list,
      h('label', { class: 'jp-tflog-history-columns-add' }, [
        h('span', {}, [trans.__('Add columns (comma-separated)')]),
        this._extra
      ])
    );
  }

  getValue(): ChosenColumn[] {
    const checked = [
      ...this._list.querySelectorAll<HTMLInputElement>('input:checked')
    ]
      .map(input => input.value)
      .filter(isChosenColumn);
    const extra = this._extra.value
      .split(',')
      .map(part => part.trim())
      .filter(isChosenColumn);
    return [...new Set([...checked, ...extra])];
  }

  private _add(
    trans: TranslationBundle,
    column: ChosenColumn,
    checked: boolean
  ): void {
    const input = h('input', { type: 'checkbox', value: column });
    input.checked = checked;
    this._list.append(
      h('li', {}, [h('label', {}, [input, ' ', columnTitle(trans, column)])])
    );
  }

  private readonly _list: HTMLUListElement;
  private readonly _extra: HTMLInputElement;
}
