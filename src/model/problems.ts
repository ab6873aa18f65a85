/**
 * "Problems across my runs": the user's warnings and errors grouped into
 * message templates (`GET /problems`), most frequent first, each with the
 * run its newest example came from.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { ILogTemplate, IProblemsQuery, ITflogClient } from '../tokens';

export type ProblemLevels = 'all' | 'warning' | 'error';

/** Templates asked for: the API's default page. */
export const PROBLEM_TEMPLATES = 50;

/** The query for a levels choice and a notebook ('' or blank: all). */
export function problemsQuery(
  levels: ProblemLevels,
  notebook: string
): IProblemsQuery {
  const query: IProblemsQuery = { size: PROBLEM_TEMPLATES };
  if (levels !== 'all') {
    query.levels = [levels];
  }
  if (notebook.trim() !== '') {
    query.notebook = notebook.trim();
  }
  return query;
}

/** The run a template's row opens: the newest it appeared in (its example's). */
export function exampleRun(template: ILogTemplate): string | null {
  return template.runs[0] ?? null;
}

export class ProblemsModel {
  constructor(options: { client: Pick<ITflogClient, 'problems'> }) {
    this._client = options.client;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Null until read. */
  get templates(): readonly ILogTemplate[] | null {
    return this._templates;
  }

  /** Only the newest records were grouped (the service's cap). */
  get sampled(): boolean {
    return this._sampled;
  }

  /** Records grouped. */
  get events(): number {
    return this._events;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): Error | null {
    return this._error;
  }

  /** Read the templates for these filters; an older answer is dropped. */
  async load(levels: ProblemLevels = 'all', notebook = ''): Promise<void> {
    const request = ++this._request;
    this._loading = true;
    this._changed.emit();
    try {
      const answer = await this._client.problems(
        problemsQuery(levels, notebook)
      );
      if (this._disposed || request !== this._request) {
        return;
      }
      this._templates = answer.templates;
      this._sampled = answer.sampled;
      this._events = answer.events;
      this._error = null;
    } catch (error) {
      if (this._disposed || request !== this._request) {
        return;
      }
      this._templates = null;
      this._error = error instanceof Error ? error : new Error(String(error));
    }
    this._loading = false;
    this._changed.emit();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    Signal.clearData(this);
  }

  private readonly _client: Pick<ITflogClient, 'problems'>;
  private readonly _changed = new Signal<this, void>(this);
  private _templates: readonly ILogTemplate[] | null = null;
  private _sampled = false;
  private _events = 0;
  private _loading = false;
  private _error: Error | null = null;
  private _request = 0;
  private _disposed = false;
}
