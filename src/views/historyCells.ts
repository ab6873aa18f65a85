/**
 * Pieces the History view's tables share: a run's status badge as in the
 * Training panel's lists, time inputs, and how a row is moved to and opened
 * with the keyboard.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { DisposableSet, IDisposable } from '@lumino/disposable';

import { runNonFinite } from '../format';
import type { IRunSummary, RunStatus } from '../tokens';
import { h, listen } from './dom';
import { nonFiniteBadge, statusText } from './text';

/** A status badge with the panel's colours; a NaN badge beside it when the run logged one. */
export function statusBadges(
  trans: TranslationBundle,
  status: RunStatus,
  nonFinite: string | null
): HTMLSpanElement {
  return h('span', { class: 'jp-tflog-history-badges' }, [
    h(
      'span',
      {
        class: `jp-tflog-run-item-status jp-tflog-status-${status}${
          nonFinite === null ? '' : ' jp-tflog-mod-nonfinite'
        }`
      },
      [statusText(trans, status)]
    ),
    nonFinite === null
      ? null
      : h('span', { class: 'jp-tflog-badge-nonfinite' }, [
          nonFiniteBadge(trans, nonFinite)
        ])
  ]);
}

export function runBadges(
  trans: TranslationBundle,
  run: IRunSummary
): HTMLSpanElement {
  return statusBadges(trans, run.status, runNonFinite(run));
}

/** An ISO time as a `datetime-local` input shows it (local time, minutes). */
export function toLocalInput(iso: string | undefined): string {
  if (iso === undefined) {
    return '';
  }
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) {
    return '';
  }
  const pad = (value: number): string => value.toString().padStart(2, '0');
  return (
    `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())}` +
    `T${pad(time.getHours())}:${pad(time.getMinutes())}`
  );
}

/** A `datetime-local` input's value as an ISO time; undefined when empty or invalid. */
export function fromLocalInput(value: string): string | undefined {
  if (value === '') {
    return undefined;
  }
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/**
 * Rows of a table body that the keyboard walks: one row in the tab order,
 * arrow keys, Home and End move it. Returns the row moved to, or null when
 * the key is not a move.
 */
export function moveRowFocus(
  body: HTMLTableSectionElement,
  row: HTMLTableRowElement,
  key: string
): HTMLTableRowElement | null {
  const rows = [...body.rows];
  const index = rows.indexOf(row);
  let next: HTMLTableRowElement | undefined;
  switch (key) {
    case 'ArrowDown':
      next = rows[Math.min(index + 1, rows.length - 1)];
      break;
    case 'ArrowUp':
      next = rows[Math.max(index - 1, 0)];
      break;
    case 'Home':
      next = rows[0];
      break;
    case 'End':
      next = rows[rows.length - 1];
      break;
    default:
      return null;
  }
  if (next) {
    focusRow(body, next);
  }
  return next ?? null;
}

/** Enter on a row opens its run (`data-run-id`); returns whether the key was Enter. */
export function openRunOnEnter(
  row: HTMLTableRowElement,
  event: KeyboardEvent,
  openRun: (runId: string) => void
): boolean {
  if (event.key !== 'Enter') {
    return false;
  }
  event.preventDefault();
  const runId = row.dataset.runId;
  if (runId) {
    openRun(runId);
  }
  return true;
}

/** Makes `row` the one row of `body` in the tab order, and focuses it. */
export function focusRow(
  body: HTMLTableSectionElement,
  row: HTMLTableRowElement
): void {
  for (const other of body.rows) {
    other.tabIndex = other === row ? 0 : -1;
  }
  row.focus();
}

/** The row of `body` an event happened in, or null. */
export function rowOf(
  body: HTMLTableSectionElement,
  target: EventTarget | null
): HTMLTableRowElement | null {
  if (!(target instanceof Element)) {
    return null;
  }
  const row = target.closest('tr');
  return row instanceof HTMLTableRowElement && body.contains(row) ? row : null;
}

/**
 * The rows of `body` as the query tables use them: a click focuses a row,
 * a double click or Enter opens its run (`data-run-id`), the arrows, Home
 * and End move the focus. Disposing the result removes the listeners.
 */
export function listenToRunRows(
  body: HTMLTableSectionElement,
  openRun: (runId: string) => void
): IDisposable {
  return DisposableSet.from([
    listen(body, 'click', event => {
      const row = rowOf(body, event.target);
      if (row) {
        focusRow(body, row);
      }
    }),
    listen(body, 'dblclick', event => {
      const runId = rowOf(body, event.target)?.dataset.runId;
      if (runId) {
        openRun(runId);
      }
    }),
    listen(body, 'keydown', event => {
      const row = rowOf(body, event.target);
      if (!row || openRunOnEnter(row, event, openRun)) {
        return;
      }
      if (moveRowFocus(body, row, event.key)) {
        event.preventDefault();
      }
    })
  ]);
}
