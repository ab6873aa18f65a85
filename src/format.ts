/** Text for the panel: durations, sizes, metric values. */
import { metricBase } from './model/series';
import type { IRunSummary, MetricValue } from './tokens';

/** `1:02:03` or `2:03` (minutes:seconds) or `45s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (value: number): string => value.toString().padStart(2, '0');
  if (hours > 0) {
    return `${hours}:${pad(minutes)}:${pad(seconds)}`;
  }
  if (minutes > 0) {
    return `${minutes}:${pad(seconds)}`;
  }
  return `${seconds}s`;
}

/** How long a run has lasted: until now while running, else until it ended. */
export function runElapsedMs(run: IRunSummary, now: number): number {
  const started = Date.parse(run.started);
  const end =
    run.status === 'running'
      ? now
      : Date.parse(run.ended ?? run.updated) || Date.parse(run.updated);
  return Number.isFinite(started) && Number.isFinite(end) ? end - started : 0;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Metric values the same way everywhere: finite numbers through formatNumber. */
export function formatMetric(value: MetricValue): string {
  return typeof value === 'number' ? formatNumber(value) : value;
}

const SI_PREFIXES = ['', 'k', 'M', 'G', 'T'];

/**
 * A number for people, at most 4 significant digits: `0.0519`,
 * `1313.8`, `12.3k`, `4.57M`, `6.44e21`, `1.5e-5`. Never 15 digits, never
 * digit grouping (axis labels stay short).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) {
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  }
  if (value === 0) {
    return '0';
  }
  const magnitude = Math.abs(value);
  if (magnitude < 1e-3) {
    return scientific(value);
  }
  if (magnitude < 1000) {
    return trimNumber(value.toPrecision(4));
  }
  if (magnitude < 1e4) {
    return trimNumber(value.toFixed(1));
  }
  // SI prefixes up to tera, with 3 significant digits; 999,999 rounds to 1M, not 1000k.
  let exponent = Math.floor(Math.log10(magnitude) / 3);
  let scaled = Number((value / Math.pow(10, exponent * 3)).toPrecision(3));
  if (Math.abs(scaled) >= 1000) {
    exponent += 1;
    scaled = Number((value / Math.pow(10, exponent * 3)).toPrecision(3));
  }
  if (exponent >= SI_PREFIXES.length) {
    return scientific(value);
  }
  return `${scaled}${SI_PREFIXES[exponent]}`;
}

/** `6.44e21`, `-1.5e-5`: 3 significant digits, no `+`, no trailing zeros. */
function scientific(value: number): string {
  const [mantissa, exponent] = value.toExponential(2).split('e');
  return `${trimNumber(mantissa)}e${Number(exponent)}`;
}

/** `1.500` → `1.5`, `2.000` → `2`; integers and exponents untouched. */
function trimNumber(text: string): string {
  if (!text.includes('.') || text.includes('e')) {
    return text;
  }
  return text.replace(/\.?0+$/, '');
}

const ESC = String.fromCharCode(27);
const BEL = String.fromCharCode(7);
/** CSI sequences (colours, cursor moves), OSC sequences (titles, links), and two-byte escapes. */
const ANSI_PATTERN = new RegExp(
  [
    `${ESC}\\[[0-?]*[ -/]*[@-~]`,
    `${ESC}\\][^${BEL}${ESC}]*(?:${BEL}|${ESC}\\\\)`,
    `${ESC}[@-Z\\\\-_]`
  ].join('|'),
  'g'
);

/** Terminal colour and cursor codes removed, e.g. from an IPython traceback. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

/**
 * What a run's non-finite values were, for its badge: `NaN`, `Infinity` or
 * `-Infinity` when a last value is one, `NaN` when only the count says so;
 * null for a run whose values were all finite.
 */
export function runNonFinite(run: IRunSummary): string | null {
  for (const value of Object.values(run.last_metrics)) {
    if (typeof value !== 'number') {
      return value;
    }
  }
  return run.counts.nan > 0 ? 'NaN' : null;
}

/** A run's label in lists: its name, else its id. */
export function runLabel(run: IRunSummary): string {
  return run.name ?? run.run_id;
}

/** `loss`, `val_loss`, then the rest by name. */
export function orderedMetricNames(metrics: Record<string, unknown>) {
  const rank = (name: string): number =>
    name === 'loss' ? 0 : name === 'val_loss' ? 1 : 2;
  return Object.keys(metrics).sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b)
  );
}

/** One row of the last-values table: a base metric, its training and validation values. */
export interface ILastValuesRow {
  metric: string;
  train?: MetricValue;
  validation?: MetricValue;
}

/**
 * Last values as a metric × train/validation table: `loss` and `val_loss`
 * on one row, `loss` first, then by name.
 */
export function lastValuesTable(
  metrics: Record<string, MetricValue>
): ILastValuesRow[] {
  const rows = new Map<string, ILastValuesRow>();
  for (const [name, value] of Object.entries(metrics)) {
    const { base, role } = metricBase(name);
    const row = rows.get(base) ?? { metric: base };
    if (role === 'validation') {
      row.validation = value;
    } else {
      row.train = value;
    }
    rows.set(base, row);
  }
  return orderedMetricNames(Object.fromEntries(rows.entries())).map(
    base => rows.get(base) as ILastValuesRow
  );
}
