/**
 * The logs view: a main-area widget listing log lines (time, level, kind,
 * run, message) with a level filter, text search, a choice between the
 * run's lines and all the user's runs, and paging. Messages are text, never
 * markup, with terminal codes removed.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { stripAnsi } from '../format';
import { levelsFrom, LOG_LEVELS, LogsModel } from '../model/logs';
import { requestErrorText } from '../requestText';
import type { ITflogDocument } from '../tokens';
import { h, setText } from './dom';
import { Pager } from './pager';
import { defaultBundle } from './text';

/** Typing waits this long before the search is sent. */
const SEARCH_DELAY_MS = 300;

/** Levels with a colour of their own; any other level reads as `info`. */
const BADGE_LEVELS = new Set(['debug', 'info', 'warning', 'error', 'critical']);

/** The id of a run's logs view (all runs: `tflog-logs-all`). */
export function logsWidgetId(runId: string | null): string {
  return `tflog-logs-${runId ?? 'all'}`;
}

export class LogsView extends Widget {
  constructor(options: { model: LogsModel; trans?: TranslationBundle }) {
    super();
    this.model = options.model;
    this._trans = options.trans ?? defaultBundle();
    this.addClass('jp-tflog-logs');
    this.node.tabIndex = -1;
    const trans = this._trans;
    this._error = h('div', { class: 'jp-tflog-logs-error', role: 'alert' });
    this._error.hidden = true;
    this._empty = h('p', { class: 'jp-tflog-logs-empty' });
    this._empty.hidden = true;
    this._list = h('ol', {
      class: 'jp-tflog-logs-lines',
      'aria-label': trans.__('Log lines')
    });
    // The controls wrap on a narrow tab instead of folding into a menu.
    this._controls = h('div', {
      class: 'jp-tflog-logs-controls',
      role: 'toolbar',
      'aria-label': trans.__('Log lines')
    });
    const body = h('div', { class: 'jp-tflog-logs-body' }, [
      this._error,
      this._empty,
      this._list
    ]);
    this.node.append(this._controls, body);
    this._createControls();
    this.model.changed.connect(this._render, this);
    this._render();
  }

  readonly model: LogsModel;

  /** The controls: level, search, scope, paging. */
  private _createControls(): void {
    const trans = this._trans;
    const query = this.model.query;
    const minimum =
      LOG_LEVELS.find(
        level => levelsFrom(level).join() === query.levels.join()
      ) ?? '';
    const level = h(
      'select',
      { class: 'jp-tflog-logs-level', 'aria-label': trans.__('Level') },
      [
        h('option', { value: '' }, [trans.__('All levels')]),
        h('option', { value: 'info' }, [trans.__('Info and worse')]),
        h('option', { value: 'warning' }, [trans.__('Warnings and worse')]),
        h('option', { value: 'error' }, [trans.__('Errors and worse')])
      ]
    );
    level.value = minimum === 'debug' ? '' : minimum;
    level.addEventListener('change', () => {
      void this.model.setLevels(levelsFrom(level.value));
    });
    this._search = h('input', {
      class: 'jp-tflog-logs-search jp-mod-styled',
      type: 'search',
      placeholder: trans.__('Search the messages'),
      'aria-label': trans.__('Search the messages')
    });
    this._search.value = query.text;
    this._search.addEventListener('input', this._onSearchInput);
    this._search.addEventListener('keydown', this._onSearchKey);
    this._controls.append(
      h('label', { class: 'jp-tflog-logs-level-label' }, [
        trans.__('Level') + ' ',
        level
      ]),
      this._search
    );
    if (this.model.runId !== null) {
      this._allRuns = h('input', {
        class: 'jp-tflog-logs-all-runs',
        type: 'checkbox'
      });
      this._allRuns.addEventListener('change', () => {
        void this.model.setAllRuns(this._allRuns?.checked ?? false);
      });
      this._controls.append(
        h('label', { class: 'jp-tflog-logs-all-runs-label' }, [
          this._allRuns,
          ' ' + trans.__('All my runs')
        ])
      );
    }
    this._pager = new Pager({
      trans,
      tag: 'span',
      buttonStyle: 'jp-mod-minimal',
      classes: {
        node: 'jp-tflog-logs-paging',
        previous: 'jp-tflog-logs-previous',
        next: 'jp-tflog-logs-next',
        range: 'jp-tflog-logs-range'
      },
      onPrevious: () => void this.model.previous(),
      onNext: () => void this.model.next()
    });
    this._controls.append(this._pager.node);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._searchTimer !== null) {
      clearTimeout(this._searchTimer);
    }
    this._pager?.dispose();
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _onSearchInput = (): void => {
    if (this._searchTimer !== null) {
      clearTimeout(this._searchTimer);
    }
    this._searchTimer = setTimeout(() => this._searchNow(), SEARCH_DELAY_MS);
  };

  private _onSearchKey = (event: KeyboardEvent): void => {
    if (event.key === 'Enter') {
      event.preventDefault();
      this._searchNow();
    }
  };

  private _searchNow(): void {
    if (this._searchTimer !== null) {
      clearTimeout(this._searchTimer);
      this._searchTimer = null;
    }
    const text = this._search?.value.trim() ?? '';
    if (text !== this.model.query.text) {
      void this.model.setText(text);
    }
  }

  private _render(): void {
    const model = this.model;
    const trans = this._trans;
    this.node.dataset.loading = String(model.loading);
    this._error.hidden = model.error === null;
    setText(
      this._error,
      model.error === null
        ? ''
        : trans.__(
            'Cannot read the logs: %1',
            requestErrorText(trans, model.error)
          )
    );
    const allRuns = model.query.runId === null;
    this._list.replaceChildren(
      ...model.lines.map(line => this._renderLine(line, allRuns))
    );
    const empty =
      !model.loading && model.error === null && model.lines.length === 0;
    this._empty.hidden = !empty;
    setText(
      this._empty,
      empty
        ? model.query.text !== ''
          ? trans.__('No line matches “%1”.', model.query.text)
          : trans.__('No log lines.')
        : ''
    );
    this._pager?.update({
      hasPrevious: model.hasPrevious,
      hasNext: model.hasNext,
      loading: model.loading,
      text:
        model.lines.length === 0
          ? ''
          : trans._n(
              'Page %2 · %1 line matches',
              'Page %2 · %1 lines match',
              model.total,
              model.pageIndex + 1
            )
    });
    if (this._allRuns) {
      this._allRuns.checked = allRuns;
    }
    const highlighted = this._list.querySelector('.jp-tflog-mod-highlighted');
    if (highlighted && typeof highlighted.scrollIntoView === 'function') {
      highlighted.scrollIntoView({ block: 'center' });
    }
  }

  private _renderLine(line: ITflogDocument, allRuns: boolean): HTMLElement {
    const level = line.log.level.toLowerCase();
    const badge = BADGE_LEVELS.has(level) ? level : 'info';
    const time = new Date(line['@timestamp']);
    const highlighted = line._id === this.model.highlighted;
    const item = h(
      'li',
      {
        class: highlighted
          ? 'jp-tflog-log-line jp-tflog-mod-highlighted'
          : 'jp-tflog-log-line',
        'data-line-id': line._id,
        'data-level': level,
        'aria-current': highlighted ? 'true' : undefined
      },
      [
        h(
          'time',
          {
            class: 'jp-tflog-log-time',
            datetime: line['@timestamp'],
            title: time.toLocaleString()
          },
          [Number.isFinite(time.getTime()) ? time.toLocaleTimeString() : '']
        ),
        h('span', { class: `jp-tflog-log-level jp-tflog-log-level-${badge}` }, [
          level
        ]),
        h('span', { class: 'jp-tflog-log-kind' }, [line.tflog.kind]),
        allRuns
          ? h('span', { class: 'jp-tflog-log-run', title: line.tflog.run_id }, [
              line.tflog.run_name ?? line.tflog.run_id
            ])
          : null,
        // Text only: a message is whatever the training printed.
        h('span', { class: 'jp-tflog-log-message' }, [stripAnsi(line.message)])
      ]
    );
    return item;
  }

  private readonly _trans: TranslationBundle;
  private readonly _error: HTMLDivElement;
  private readonly _empty: HTMLParagraphElement;
  private readonly _list: HTMLOListElement;
  private readonly _controls: HTMLDivElement;
  private _search: HTMLInputElement | null = null;
  private _allRuns: HTMLInputElement | null = null;
  private _pager: Pager | null = null;
  private _searchTimer: ReturnType<typeof setTimeout> | null = null;
}

/** A logs view in the main area. */
export function createLogsWidget(options: {
  model: LogsModel;
  trans?: TranslationBundle;
  icon?: LabIcon;
}): MainAreaWidget<LogsView> {
  const trans = options.trans ?? defaultBundle();
  const content = new LogsView({ model: options.model, trans });
  const widget = new MainAreaWidget({ content });
  widget.id = logsWidgetId(options.model.runId);
  widget.addClass('jp-tflog-logs-widget');
  // The view has its own controls.
  widget.toolbar.hide();
  widget.title.closable = true;
  if (options.icon) {
    widget.title.icon = options.icon;
  }
  const setTitle = (): void => {
    const model = options.model;
    const runName =
      model.runId === null
        ? null
        : (model.lines.find(line => line.tflog.run_id === model.runId)?.tflog
            .run_name ?? model.runId);
    widget.title.label =
      runName === null
        ? trans.__('Logs: all runs')
        : trans.__('Logs: %1', runName);
    widget.title.caption = widget.title.label;
  };
  options.model.changed.connect(setTitle, widget);
  setTitle();
  return widget;
}
