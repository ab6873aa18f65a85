/**
 * The runs matching the History view's filters as rows for a
 * hyperparameter search, with the columns of `%tflog export`: who and when,
 * the health score, `best.<metric>` (lowest for a loss, else highest),
 * `hparam.<name>`, `tag.<name>` and `final.<name>` (the last values).
 */
import { lowerIsBetter } from '../metricDirection';
import type { IRunQuery, IRunSummary, ITflogClient } from '../tokens';
import { csvField, ExportFormat } from './compareExport';
import type { IHistoryFilters } from './historyView';

/** Runs read at most for one export. */
export const MAX_EXPORTED_RUNS = 10_000;

/** Runs per request (the API's largest page). */
export const EXPORT_PAGE_SIZE = 1000;

const BASE_COLUMNS = [
  'run_id',
  'name',
  'notebook',
  'status',
  'started',
  'ended',
  'duration_s',
  'health_score'
] as const;

const GROUPS = ['best.', 'hparam.', 'tag.', 'final.'] as const;

export type ExportValue = string | number | boolean | null;

export type RunRow = Record<string, ExportValue>;

function durationSeconds(started: string, ended: string | null): number | null {
  const start = Date.parse(started);
  const end = Date.parse(ended ?? '');
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    return null;
  }
  return Math.round(end - start) / 1000;
}

/** One run summary as a flat row. */
export function runRow(run: IRunSummary): RunRow {
  const row: RunRow = {
    run_id: run.run_id,
    name: run.name,
    notebook: run.notebook,
    status: run.status,
    started: run.started,
    ended: run.ended,
    duration_s: durationSeconds(run.started, run.ended),
    health_score: run.health?.score ?? null
  };
  const metrics = new Set([
    ...Object.keys(run.min_metrics ?? {}),
    ...Object.keys(run.max_metrics ?? {})
  ]);
  for (const metric of [...metrics].sort()) {
    const values = lowerIsBetter(metric) ? run.min_metrics : run.max_metrics;
    const best = values?.[metric];
    if (best !== undefined) {
      row[`best.${metric}`] = best;
    }
  }
  const add = (
    prefix: string,
    values: Record<string, ExportValue> | undefined
  ): void => {
    for (const name of Object.keys(values ?? {}).sort()) {
      row[prefix + name] = values?.[name] ?? null;
    }
  };
  add('hparam.', run.hparams);
  add('tag.', run.tags);
  add('final.', run.last_metrics);
  return row;
}

/** The rows' columns: the fixed ones, then each group's by name. */
export function runColumns(rows: readonly RunRow[]): string[] {
  const present = new Set(rows.flatMap(row => Object.keys(row)));
  const columns: string[] = [...BASE_COLUMNS];
  for (const prefix of GROUPS) {
    columns.push(
      ...[...present].filter(name => name.startsWith(prefix)).sort()
    );
  }
  return columns;
}

function cellValue(value: ExportValue | undefined): string | number | null {
  if (value === undefined || value === null) {
    return null;
  }
  return typeof value === 'boolean' ? String(value) : value;
}

/** CSV (RFC 4180, CRLF) with text cells kept from running as formulas. */
export function runsToCsv(rows: readonly RunRow[]): string {
  const columns = runColumns(rows);
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) {
    lines.push(
      columns.map(column => csvField(cellValue(row[column]))).join(',')
    );
  }
  return lines.join('\r\n') + '\r\n';
}

/** A JSON array of the rows, each with only its own columns (as `%tflog export` writes). */
export function runsToJson(rows: readonly RunRow[]): string {
  return JSON.stringify(rows, null, 1) + '\n';
}

export function runsExport(
  rows: readonly RunRow[],
  format: ExportFormat
): string {
  return format === 'csv' ? runsToCsv(rows) : runsToJson(rows);
}

/**
 * Every run matching the filters, page after page, newest first, up to
 * `limit`; `truncated` says more matched.
 */
export async function readAllRuns(
  client: Pick<ITflogClient, 'runs'>,
  filters: IHistoryFilters,
  limit = MAX_EXPORTED_RUNS
): Promise<{ runs: IRunSummary[]; total: number; truncated: boolean }> {
  const runs: IRunSummary[] = [];
  let after: string | undefined;
  let total = 0;
  do {
    const query: IRunQuery = {
      ...filters,
      size: Math.min(EXPORT_PAGE_SIZE, limit - runs.length),
      after
    };
    const page = await client.runs(query);
    total = page.total;
    runs.push(...page.runs);
    after = page.runs.length > 0 ? page.next : undefined;
  } while (after !== undefined && runs.length < limit);
  return {
    runs: runs.slice(0, limit),
    total,
    truncated: total > Math.min(runs.length, limit)
  };
}
