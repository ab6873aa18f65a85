/**
 * A list of runs (this notebook's, or all the user's). Keyboard: one item is
 * in the tab order (roving focus), arrows and Home/End move, Enter or Space
 * shows the run; a click does the same.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import {
  formatDuration,
  formatMetric,
  runElapsedMs,
  runLabel,
  runNonFinite
} from '../format';
import { notebookName, runFacts } from '../runContext';
import type { IRunSummary } from '../tokens';
import { h } from './dom';
import { factChip } from './runHeader';
import { defaultBundle, nonFiniteBadge, statusText } from './text';

export type RunListScope = 'notebook' | 'all';

/** Tags and hyperparameters on a list row (the header shows them all). */
const FACTS_PER_ROW = 4;

export class RunList extends Widget {
  constructor(options: {
    scope: RunListScope;
    title: string;
    onSelect: (runId: string) => void;
    trans?: TranslationBundle;
  }) {
    super();
    this._trans = options.trans ?? defaultBundle();
    this.scope = options.scope;
    this._onSelect = options.onSelect;
    this.addClass('jp-tflog-runs-section');
    const headingId = `jp-tflog-runs-heading-${options.scope}`;
    this._empty = h('p', { class: 'jp-tflog-runs-empty' });
    this._list = h('ul', {
      class: 'jp-tflog-runs',
      'data-scope': options.scope,
      role: 'listbox',
      'aria-labelledby': headingId
    });
    this._subtitle = h('span', { class: 'jp-tflog-runs-subtitle' });
    this.node.append(
      h('h3', { class: 'jp-tflog-runs-heading', id: headingId }, [
        options.title,
        this._subtitle
      ]),
      this._empty,
      this._list
    );
    this._list.addEventListener('click', this._onClick);
    this._list.addEventListener('keydown', this._onKeyDown);
  }

  readonly scope: RunListScope;

  /** Quiet: an empty list says nothing (the panel's empty state speaks for it). */
  setQuiet(quiet: boolean): void {
    this._quiet = quiet;
    this._empty.hidden = this._empty.hidden || quiet;
    if (!quiet) {
      this._empty.hidden = this._list.childElementCount > 0;
    }
  }

  /** Words after the heading, e.g. the notebook's name; '' for none. */
  setSubtitle(text: string): void {
    const shown = text === '' ? '' : ` · ${text}`;
    if (this._subtitle.textContent !== shown) {
      this._subtitle.textContent = shown;
    }
  }

  /** Show these runs; `emptyText` when there are none. */
  setRuns(
    runs: readonly IRunSummary[],
    selectedId: string | null,
    emptyText: string
  ): void {
    const focusedId =
      document.activeElement instanceof HTMLElement &&
      this._list.contains(document.activeElement)
        ? (document.activeElement.dataset.runId ?? null)
        : null;
    const items = runs.map(run => this._item(run, run.run_id === selectedId));
    this._list.replaceChildren(...items);
    const focusable =
      items.find(item => item.dataset.runId === focusedId) ??
      items.find(item => item.getAttribute('aria-selected') === 'true') ??
      items[0];
    if (focusable) {
      focusable.tabIndex = 0;
      if (focusedId !== null) {
        focusable.focus();
      }
    }
    this._empty.textContent = emptyText;
    this._empty.hidden = runs.length > 0 || this._quiet;
    this._list.hidden = runs.length === 0;
  }

  dispose(): void {
    this._list.removeEventListener('click', this._onClick);
    this._list.removeEventListener('keydown', this._onKeyDown);
    super.dispose();
  }

  private _item(run: IRunSummary, selected: boolean): HTMLLIElement {
    const loss = run.last_metrics.loss;
    const when = new Date(run.started).toLocaleString();
    const details = [
      this.scope === 'all' ? notebookName(run.notebook) : null,
      when,
      formatDuration(runElapsedMs(run, Date.now())),
      loss !== undefined ? this._trans.__('loss %1', formatMetric(loss)) : null
    ].filter((part): part is string => !!part);
    const facts = runFacts(run, FACTS_PER_ROW);
    const status = statusText(this._trans, run.status);
    const nonFinite = runNonFinite(run);
    const badge =
      nonFinite === null ? null : nonFiniteBadge(this._trans, nonFinite);
    const item = h(
      'li',
      {
        class: 'jp-tflog-run-item',
        'data-run-id': run.run_id,
        'data-run-status': run.status,
        'data-run-nonfinite': nonFinite ?? undefined,
        role: 'option',
        'aria-selected': selected ? 'true' : 'false',
        'aria-label': [
          runLabel(run),
          status,
          badge,
          ...details,
          ...facts.map(fact => `${fact.key}=${fact.value}`)
        ]
          .filter(part => !!part)
          .join(', ')
      },
      [
        h('span', { class: 'jp-tflog-run-item-name' }, [runLabel(run)]),
        h('span', { class: 'jp-tflog-run-item-badges' }, [
          h(
            'span',
            {
              class: `jp-tflog-run-item-status jp-tflog-status-${run.status}${
                nonFinite === null ? '' : ' jp-tflog-mod-nonfinite'
              }`
            },
            [status]
          ),
          badge === null
            ? null
            : h('span', { class: 'jp-tflog-badge-nonfinite' }, [badge])
        ]),
        h('span', { class: 'jp-tflog-run-item-details' }, [
          details.join(' · ')
        ]),
        facts.length === 0
          ? null
          : h(
              'ul',
              { class: 'jp-tflog-run-item-context' },
              facts.map(fact => factChip(fact))
            )
      ]
    );
    item.tabIndex = -1;
    item.title = run.run_id;
    return item;
  }

  private _onClick = (event: MouseEvent): void => {
    const item = this._itemOf(event.target);
    if (item) {
      this._choose(item);
    }
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    const item = this._itemOf(event.target);
    if (!item) {
      return;
    }
    const items = [...this._list.children] as HTMLLIElement[];
    const index = items.indexOf(item);
    let next: HTMLLIElement | undefined;
    switch (event.key) {
      case 'Enter':
      case ' ':
        event.preventDefault();
        this._choose(item);
        return;
      case 'ArrowDown':
        next = items[Math.min(index + 1, items.length - 1)];
        break;
      case 'ArrowUp':
        next = items[Math.max(index - 1, 0)];
        break;
      case 'Home':
        next = items[0];
        break;
      case 'End':
        next = items[items.length - 1];
        break;
      default:
        return;
    }
    event.preventDefault();
    this._moveFocus(items, next);
  };

  private _choose(item: HTMLLIElement): void {
    const runId = item.dataset.runId;
    if (runId) {
      this._moveFocus([...this._list.children] as HTMLLIElement[], item);
      this._onSelect(runId);
    }
  }

  private _moveFocus(items: HTMLLIElement[], target?: HTMLLIElement): void {
    if (!target) {
      return;
    }
    for (const other of items) {
      other.tabIndex = other === target ? 0 : -1;
    }
    target.focus();
  }

  private _itemOf(target: EventTarget | null): HTMLLIElement | null {
    if (!(target instanceof Element)) {
      return null;
    }
    const item = target.closest('.jp-tflog-run-item');
    return item instanceof HTMLLIElement && this._list.contains(item)
      ? item
      : null;
  }

  private readonly _trans: TranslationBundle;
  private readonly _subtitle: HTMLSpanElement;
  private _quiet = false;
  private readonly _onSelect: (runId: string) => void;
  private readonly _list: HTMLUListElement;
  private readonly _empty: HTMLParagraphElement;
}
