/** Text for the panel: durations, sizes, metric values. */
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

export function formatMetric(value: MetricValue): string {
  if (typeof value !== 'number') {
    return value;
  }
  if (value === 0) {
    return '0';
  }
  const magnitude = Math.abs(value);
  return magnitude >= 1e5 || magnitude < 1e-3
    ? value.toExponential(3)
    : Number(value.toPrecision(4)).toString();
}

/** A run's label in lists: its name, else its id. */
export function runLabel(run: IRunSummary): string {
  return run.name ?? run.run_id;
}

/** `loss`, `val_loss`, then the rest by name. */
export function orderedMetricNames(metrics: Record<string, MetricValue>) {
  const rank = (name: string): number =>
    name === 'loss' ? 0 : name === 'val_loss' ? 1 : 2;
  return Object.keys(metrics).sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b)
  );
}
