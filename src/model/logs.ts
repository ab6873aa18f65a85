/**
 * The logs view's state: a run's log lines (or the lines of all the user's
 * runs), filtered by level and text, a page at a time with the service's
 * cursors, optionally opened around a time with the nearest line
 * highlighted.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ILogPage, ITflogClient, ITflogDocument } from '../tokens';

export const OPEN_LOGS_COMMAND = 'tflog:open-logs';

/** The arguments of `tflog:open-logs`. */
export interface IOpenLogsArgs {
  /** The run; absent: every run of the user (search across runs). */
  runId?: string;
  /** ISO time: the lines around it, the nearest highlighted. */
  at?: string;
  levels?: string[];
  text?: string;
  /** A line (`_id`) to highlight, when it is among those shown. */
  lineId?: string;
}

/** Log levels, least severe first, as the API takes them. */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'];

export const LOGS_PAGE_SIZE = 100;

/** The levels from `minimum` up (`warning` → warning, error, critical); every level for ''. */
export function levelsFrom(minimum: string): string[] {
  const index = LOG_LEVELS.indexOf(minimum);
  return index <= 0 ? [] : LOG_LEVELS.slice(index);
}

/** The line logged nearest to `at` (the earlier on a tie); null when there is none. */
export function nearestLine(
  lines: readonly ITflogDocument[],
  at: string
): ITflogDocument | null {
  const time = Date.parse(at);
  if (!Number.isFinite(time)) {
    return null;
  }
  let best: ITflogDocument | null = null;
  let bestDistance = Infinity;
  for (const line of lines) {
    const distance = Math.abs(Date.parse(line['@timestamp']) - time);
    if (distance < bestDistance) {
      best = line;
      bestDistance = distance;
    }
  }
  return best;
}

/** What is asked of the service. */
export interface ILogsQuery {
  /** null: all the user's runs. */
  runId: string | null;
  /** Empty: every level. */
  levels: string[];
  text: string;
  /** The first page is the lines around this time; null: from the start. */
  at: string | null;
}

export class LogsModel implements IDisposable {
  constructor(options: {
    client: ITflogClient;
    args?: IOpenLogsArgs;
    pageSize?: number;
  }) {
    this._client = options.client;
    this._pageSize = options.pageSize ?? LOGS_PAGE_SIZE;
    const args = options.args ?? {};
    this._runId = args.runId ?? null;
    this._query = {
      runId: this._runId,
      levels: args.levels ?? [],
      text: args.text ?? '',
      at: args.at ?? null
    };
    this._lineId = args.lineId ?? null;
  }

  /** The run the view was opened for (null: all runs). */
  get runId(): string | null {
    return this._runId;
  }

  get query(): Readonly<ILogsQuery> {
    return this._query;
  }

  get lines(): readonly ITflogDocument[] {
    return this._lines;
  }

  /** Lines that match, over all pages. */
  get total(): number {
    return this._total;
  }

  /** 0 for the first page. */
  get pageIndex(): number {
    return this._pageIndex;
  }

  get hasNext(): boolean {
    return this._next !== undefined;
  }

  get hasPrevious(): boolean {
    return this._pageIndex > 0;
  }

  /** The `_id` of the line highlighted (nearest to `at`, or the one asked for). */
  get highlighted(): string | null {
    return this._highlighted;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): Error | null {
    return this._error;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Open again with new arguments (the command ran again for this view). */
  open(args: IOpenLogsArgs): Promise<void> {
    this._query = {
      runId: this._runId,
      levels: args.levels ?? this._query.levels,
      text: args.text ?? this._query.text,
      at: args.at ?? null
    };
    this._lineId = args.lineId ?? null;
    return this._first();
  }

  setLevels(levels: string[]): Promise<void> {
    this._query = { ...this._query, levels: [...levels] };
    return this._first();
  }

  /** Search: the matching lines from the start (the time asked for is let go). */
  setText(text: string): Promise<void> {
    this._query = { ...this._query, text: text.trim(), at: null };
    this._lineId = null;
    return this._first();
  }

  /** Search the view's run only, or all the user's runs. */
  setAllRuns(allRuns: boolean): Promise<void> {
    const runId = allRuns ? null : this._runId;
    this._query = { ...this._query, runId, at: null };
    this._lineId = null;
    return this._first();
  }

  /** The first page of the current query. */
  load(): Promise<void> {
    return this._first();
  }

  next(): Promise<void> {
    if (this._next === undefined) {
      return Promise.resolve();
    }
    this._cursors[this._pageIndex + 1] = this._next;
    return this._read(this._pageIndex + 1);
  }

  previous(): Promise<void> {
    if (this._pageIndex === 0) {
      return Promise.resolve();
    }
    return this._read(this._pageIndex - 1);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _first(): Promise<void> {
    this._cursors = [undefined];
    return this._read(0);
  }

  private async _read(pageIndex: number): Promise<void> {
    const request = ++this._request;
    const query = this._query;
    const after = this._cursors[pageIndex];
    this._loading = true;
    this._changed.emit();
    let page: ILogPage;
    try {
      page = await this._ask(query, after);
    } catch (error) {
      if (request === this._request && !this._isDisposed) {
        this._loading = false;
        this._error = error instanceof Error ? error : new Error(String(error));
        this._changed.emit();
      }
      return;
    }
    if (request !== this._request || this._isDisposed) {
      return;
    }
    this._loading = false;
    this._error = null;
    this._pageIndex = pageIndex;
    this._lines = page.lines;
    this._total = page.total;
    this._next = page.next;
    this._highlighted = this._highlight(query, after);
    this._changed.emit();
  }

  private _ask(query: ILogsQuery, after: string | undefined) {
    const common = {
      levels: query.levels.length > 0 ? query.levels : undefined,
      text: query.text === '' ? undefined : query.text,
      size: this._pageSize,
      after
    };
    if (query.runId === null) {
      return this._client.searchLogs(common);
    }
    // The lines around a time are the first page only: the pages after it follow its cursor.
    const at = after === undefined && query.at !== null ? query.at : undefined;
    return this._client.logs(query.runId, { ...common, at });
  }

  private _highlight(
    query: ILogsQuery,
    after: string | undefined
  ): string | null {
    if (this._lineId !== null) {
      const line = this._lines.find(
        candidate => candidate._id === this._lineId
      );
      if (line) {
        return line._id;
      }
    }
    if (after === undefined && query.at !== null) {
      return nearestLine(this._lines, query.at)?._id ?? null;
    }
    return null;
  }

  private readonly _client: ITflogClient;
  private readonly _pageSize: number;
  private readonly _runId: string | null;
  private _query: ILogsQuery;
  private _lineId: string | null;
  private _lines: readonly ITflogDocument[] = [];
  private _total = 0;
  private _next: string | undefined = undefined;
  /** The cursor of each page read so far (undefined: the first page). */
  private _cursors: (string | undefined)[] = [undefined];
  private _pageIndex = 0;
  private _highlighted: string | null = null;
  private _loading = false;
  private _error: Error | null = null;
  /** Answers to older requests are dropped. */
  private _request = 0;
  private _isDisposed = false;
  private readonly _changed = new Signal<this, void>(this);
}
