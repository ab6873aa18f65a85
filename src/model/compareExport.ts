/**
 * A comparison (or one run) as CSV or JSON: one row per run, metric and
 * point, raw values (never smoothed), x in the comparison's axis.
 */
import type { NonFinite, SeriesScope } from '../tokens';
import { CompareAxis, IComparedRun, metricUnion, runName } from './compareData';

export type ExportFormat = 'csv' | 'json';

export function isExportFormat(value: unknown): value is ExportFormat {
  return value === 'csv' || value === 'json';
}

/** The x column's name: what x is on that axis, in which unit. */
export const X_COLUMN: Record<CompareAxis, string> = {
  step: 'step',
  epoch: 'epoch',
  relative: 'elapsed_s',
  wall: 'time_ms'
};

export interface IExportRow {
  run_id: string;
  run_name: string;
  metric: string;
  scope: SeriesScope;
  /** Step, epoch, seconds since the run's start or epoch milliseconds (see X_COLUMN). */
  x: number;
  /** When the value was logged, ISO 8601. */
  time: string;
  /** Null when the value was not finite. */
  value: number | null;
  nonfinite: NonFinite | null;
}

/**
 * Every point of every metric of every run, runs in the order given,
 * metrics in the comparison's order. A run whose start is unknown has no
 * rows on the relative axis.
 */
export function exportRows(
  runs: readonly IComparedRun[],
  axis: CompareAxis
): IExportRow[] {
  const metrics = metricUnion(runs);
  const rows: IExportRow[] = [];
  for (const run of runs) {
    const started = Date.parse(run.summary?.started ?? '');
    if (axis === 'relative' && !Number.isFinite(started)) {
      continue;
    }
    for (const metric of metrics) {
      const series = run.series.find(candidate => candidate.name === metric);
      for (const point of series?.points ?? []) {
        const finite = point.y !== null && Number.isFinite(point.y);
        rows.push({
          run_id: run.runId,
          run_name: runName(run),
          metric,
          scope: series?.scope ?? 'log',
          x: axis === 'relative' ? (point.x - started) / 1000 : point.x,
          time: point.time,
          value: finite ? point.y : null,
          nonfinite: finite ? null : (point.nonfinite ?? 'NaN')
        });
      }
    }
  }
  return rows;
}

const COLUMNS = [
  'run_id',
  'run_name',
  'metric',
  'scope',
  'x',
  'time',
  'value',
  'nonfinite'
] as const;

/** What a spreadsheet reads as the start of a formula in a text cell. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180: a field with a comma, quote or line break is quoted, quotes
 * doubled. Text that a spreadsheet would run as a formula (a run named
 * `=HYPERLINK(…)`) starts with `'` so it stays text; numbers stay numbers.
 */
export function csvField(value: string | number | null): string {
  if (value === null) {
    return '';
  }
  const text =
    typeof value === 'string' && FORMULA_START.test(value)
      ? `'${value}`
      : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header line; lines end with CRLF as RFC 4180 says. */
export function toCsv(rows: readonly IExportRow[], axis: CompareAxis): string {
  const header = COLUMNS.map(column =>
    column === 'x' ? X_COLUMN[axis] : column
  );
  const lines = [header.join(',')];
  for (const row of rows) {
    lines.push(COLUMNS.map(column => csvField(row[column])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

/** A JSON array of objects with the CSV's columns (x under its axis' name). */
export function toJson(rows: readonly IExportRow[], axis: CompareAxis): string {
  const objects = rows.map(row => {
    const object: Record<string, string | number | null> = {};
    for (const column of COLUMNS) {
      object[column === 'x' ? X_COLUMN[axis] : column] = row[column];
    }
    return object;
  });
  return JSON.stringify(objects, null, 1) + '\n';
}

/** A file name for an export: letters, digits, dot, dash and underscore only. */
export function exportFileName(stem: string, format: ExportFormat): string {
  const safe = stem.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${safe || 'tflog'}.${format}`;
}
