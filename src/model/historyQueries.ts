/**
 * The History view's queries across runs: values of a metric past a
 * threshold (`points`), runs that produced a non-finite value and where
 * (`nonfinite`), and errors and warnings per run (`errors`). One query's
 * answer is held at a time; "More" reads its next page.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  IMetricHit,
  INonfiniteRun,
  IRunErrorCount,
  ITflogClient,
  ThresholdOperator
} from '../tokens';

export type HistoryQueryKind = 'points' | 'nonfinite' | 'errors';

/** The time range and notebook every query takes. */
interface IQueryScope {
  /** ISO times. */
  from?: string;
  to?: string;
  notebook?: string;
}

export type HistoryQuery =
  | (IQueryScope & {
      kind: 'points';
      metric: string;
      operator: ThresholdOperator;
      value: number;
    })
  | (IQueryScope & { kind: 'nonfinite'; metric?: string })
  | (IQueryScope & { kind: 'errors' });

export type HistoryQueryRows =
  | { kind: 'points'; rows: IMetricHit[] }
  | { kind: 'nonfinite'; rows: INonfiniteRun[] }
  | { kind: 'errors'; rows: IRunErrorCount[] };

/** Rows asked for per page. */
export const QUERY_PAGE_SIZE = 100;

export class HistoryQueriesModel implements IDisposable {
  constructor(options: { client: ITflogClient }) {
    this._client = options.client;
  }

  get query(): HistoryQuery | null {
    return this._query;
  }

  get result(): HistoryQueryRows | null {
    return this._result;
  }

  get hasMore(): boolean {
    return this._next !== undefined;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): Error | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Run a query: its first page replaces what was shown. */
  run(query: HistoryQuery): Promise<void> {
    this._query = query;
    this._result = null;
    this._next = undefined;
    return this._read(query, undefined);
  }

  /** The next page of the query shown, added below its rows. */
  more(): Promise<void> {
    if (this._query === null || this._next === undefined) {
      return Promise.resolve();
    }
    return this._read(this._query, this._next);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private async _read(
    query: HistoryQuery,
    after: string | undefined
  ): Promise<void> {
    const request = ++this._request;
    this._loading = true;
    this._error = null;
    this._changed.emit();
    try {
      const { page, next } = await this._page(query, after);
      if (this._isDisposed || request !== this._request) {
        return;
      }
      this._result = appendRows(this._result, page);
      this._next = next;
    } catch (error) {
      if (this._isDisposed || request !== this._request) {
        return;
      }
      this._error = error instanceof Error ? error : new Error(String(error));
    }
    this._loading = false;
    this._changed.emit();
  }

  private async _page(
    query: HistoryQuery,
    after: string | undefined
  ): Promise<{ page: HistoryQueryRows; next: string | undefined }> {
    const scope = {
      from: query.from,
      to: query.to,
      notebook: query.notebook,
      size: QUERY_PAGE_SIZE,
      after
    };
    switch (query.kind) {
      case 'points': {
        const answer = await this._client.points({
          ...scope,
          metric: query.metric,
          operator: query.operator,
          value: query.value
        });
        return {
          page: { kind: 'points', rows: answer.points },
          next: answer.next
        };
      }
      case 'nonfinite': {
        const answer = await this._client.nonfinite({
          ...scope,
          metric: query.metric
        });
        return {
          page: { kind: 'nonfinite', rows: answer.runs },
          next: answer.next
        };
      }
      case 'errors': {
        const answer = await this._client.errorCounts(scope);
        return {
          page: { kind: 'errors', rows: answer.runs },
          next: answer.next
        };
      }
    }
  }

  private readonly _client: ITflogClient;
  private _query: HistoryQuery | null = null;
  private _result: HistoryQueryRows | null = null;
  private _next: string | undefined = undefined;
  private _loading = false;
  private _error: Error | null = null;
  private _request = 0;
  private _isDisposed = false;
  private readonly _changed = new Signal<this, void>(this);
}

/** `page` below `shown` when both answer the same query kind, else `page`. */
function appendRows(
  shown: HistoryQueryRows | null,
  page: HistoryQueryRows
): HistoryQueryRows {
  if (shown === null || shown.kind !== page.kind) {
    return page;
  }
  switch (page.kind) {
    case 'points':
      return {
        kind: 'points',
        rows: [...(shown as typeof page).rows, ...page.rows]
      };
    case 'nonfinite':
      return {
        kind: 'nonfinite',
        rows: [...(shown as typeof page).rows, ...page.rows]
      };
    case 'errors':
      return {
        kind: 'errors',
        rows: [...(shown as typeof page).rows, ...page.rows]
      };
  }
}
