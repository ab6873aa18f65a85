/**
 * State of the History view's runs table: the view (filters, sort, columns),
 * the page of runs read with the API's cursors, and the runs selected to
 * compare. Requests that an answer no longer fits (the filters changed
 * since) are dropped.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IRunPage, IRunSummary, ITflogClient, SortOrder } from '../tokens';
import {
  ChosenColumn,
  defaultOrder,
  HistoryColumn,
  HistoryTab,
  IHistoryFilters,
  IHistoryView,
  runSortOf
} from './historyView';

/** Runs the compare view takes at most. */
export const MAX_COMPARED_RUNS = 20;

export class HistoryModel implements IDisposable {
  constructor(options: {
    client: ITflogClient;
    view: IHistoryView;
    /** Columns when the view names none (the settings'). */
    defaultColumns: ChosenColumn[];
    pageSize: number;
  }) {
    this._client = options.client;
    this._view = options.view;
    this._defaultColumns = options.defaultColumns;
    this._pageSize = options.pageSize;
  }

  get view(): Readonly<IHistoryView> {
    return this._view;
  }

  /** The chosen columns shown: the view's, else the settings'. */
  get columns(): readonly ChosenColumn[] {
    return this._view.columns ?? this._defaultColumns;
  }

  get pageSize(): number {
    return this._pageSize;
  }

  get runs(): readonly IRunSummary[] {
    return this._runs;
  }

  /** Runs that match the filters, on every page; null until read. */
  get total(): number | null {
    return this._total;
  }

  /** 0 for the first page. */
  get pageIndex(): number {
    return this._cursors.length - 1;
  }

  get hasNextPage(): boolean {
    return this._next !== undefined;
  }

  get hasPreviousPage(): boolean {
    return this._cursors.length > 1;
  }

  get loading(): boolean {
    return this._loading;
  }

  /** Why the runs could not be read, or null. */
  get error(): Error | null {
    return this._error;
  }

  get selected(): ReadonlySet<string> {
    return this._selected;
  }

  /** True after a selection past MAX_COMPARED_RUNS was refused, until one is unselected. */
  get selectionFull(): boolean {
    return this._selectionFull;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Emitted whenever anything above changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the view (filters, sort, columns, tab) changes. */
  get viewChanged(): ISignal<this, IHistoryView> {
    return this._viewChanged;
  }

  /** New filters: back to the first page. */
  setFilters(filters: IHistoryFilters): void {
    this._setView({ ...this._view, filters });
    void this._readFirstPage();
  }

  /**
   * Sort by a column: a new column sorts in its default order (the best or
   * newest first), the same one again reverses it. Columns the API cannot
   * sort by are ignored.
   */
  sortBy(column: HistoryColumn): void {
    if (runSortOf(column) === null) {
      return;
    }
    const order: SortOrder =
      column === this._view.sort
        ? this._view.order === 'asc'
          ? 'desc'
          : 'asc'
        : defaultOrder(column);
    this._setView({ ...this._view, sort: column, order });
    void this._readFirstPage();
  }

  setColumns(columns: ChosenColumn[]): void {
    this._setView({ ...this._view, columns: [...columns] });
    this._changed.emit();
  }

  /** The settings' columns, shown while the view names none. */
  setDefaultColumns(columns: ChosenColumn[]): void {
    this._defaultColumns = [...columns];
    this._changed.emit();
  }

  setTab(tab: HistoryTab): void {
    if (tab !== this._view.tab) {
      this._setView({ ...this._view, tab });
    }
  }

  setPageSize(pageSize: number): void {
    if (pageSize !== this._pageSize) {
      this._pageSize = pageSize;
      void this._readFirstPage();
    }
  }

  /** Read the first page again. */
  refresh(): Promise<void> {
    return this._readFirstPage();
  }

  /** Read the page the current one is, again. */
  reload(): Promise<void> {
    return this._read(this._cursors);
  }

  /** True while a run on the page is still running. */
  get running(): boolean {
    return this._runs.some(run => run.status === 'running');
  }

  /**
   * Read the page shown again in place, for a follower: the rows stay until
   * the answer is in (nothing to do while another read is under way). When
   * it fails the rows stay, `error` says why, and it rejects.
   */
  async follow(): Promise<void> {
    if (this._loading) {
      return;
    }
    return this._read(this._cursors, true);
  }

  nextPage(): Promise<void> {
    if (this._next === undefined) {
      return Promise.resolve();
    }
    return this._read([...this._cursors, this._next]);
  }

  previousPage(): Promise<void> {
    if (this._cursors.length <= 1) {
      return Promise.resolve();
    }
    return this._read(this._cursors.slice(0, -1));
  }

  /**
   * Select or unselect a run to compare. Past MAX_COMPARED_RUNS the run is
   * not selected and `selectionFull` says so; returns whether it is selected.
   */
  toggleSelected(runId: string): boolean {
    if (this._selected.has(runId)) {
      this._selected.delete(runId);
      this._selectionFull = false;
      this._changed.emit();
      return false;
    }
    if (this._selected.size >= MAX_COMPARED_RUNS) {
      this._selectionFull = true;
      this._changed.emit();
      return false;
    }
    this._selected.add(runId);
    this._changed.emit();
    return true;
  }

  clearSelection(): void {
    this._selected.clear();
    this._selectionFull = false;
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _setView(view: IHistoryView): void {
    this._view = view;
    this._viewChanged.emit(view);
  }

  private _readFirstPage(): Promise<void> {
    return this._read([undefined]);
  }

  /**
   * Read the page at the end of `cursors` (undefined: the first page).
   * `quiet` (a follower's re-read of the same page): no loading state, and
   * a failure keeps the rows and rejects.
   */
  private async _read(
    cursors: (string | undefined)[],
    quiet = false
  ): Promise<void> {
    const request = ++this._request;
    if (!quiet) {
      this._loading = true;
      this._changed.emit();
    }
    let failure: Error | null = null;
    try {
      const page = await this._readPage(cursors);
      if (this._isDisposed || request !== this._request) {
        return;
      }
      this._runs = page.runs;
      this._total = page.total;
      this._next = page.next;
      this._cursors = cursors;
      this._error = null;
    } catch (error) {
      if (this._isDisposed || request !== this._request) {
        return;
      }
      failure = asError(error);
      this._error = failure;
      if (!quiet) {
        // No rows that the filters shown did not select.
        this._runs = [];
        this._total = null;
        this._next = undefined;
        this._cursors = cursors;
      }
    }
    this._loading = false;
    this._changed.emit();
    if (failure !== null && quiet) {
      throw failure;
    }
  }

  /** One page of runs for the view, at the end of `cursors`. */
  private _readPage(cursors: (string | undefined)[]): Promise<IRunPage> {
    const { filters, sort, order } = this._view;
    // The API's own order (newest first) is asked for without naming it.
    const byDefault = sort === 'started' && order === 'desc';
    return this._client.runs({
      ...filters,
      sort: byDefault ? undefined : (runSortOf(sort) ?? undefined),
      order: byDefault ? undefined : order,
      size: this._pageSize,
      after: cursors[cursors.length - 1]
    });
  }

  private readonly _client: ITflogClient;
  private _view: IHistoryView;
  private _defaultColumns: ChosenColumn[];
  private _pageSize: number;
  private _runs: readonly IRunSummary[] = [];
  private _total: number | null = null;
  /** The cursor of each page read so far up to the current one. */
  private _cursors: (string | undefined)[] = [undefined];
  private _next: string | undefined = undefined;
  private _loading = false;
  private _error: Error | null = null;
  private _request = 0;
  private readonly _selected = new Set<string>();
  private _selectionFull = false;
  private _isDisposed = false;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _viewChanged = new Signal<this, IHistoryView>(this);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
