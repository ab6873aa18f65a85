// Percentiles of latency samples, and merging figures into
// bench/results/latest.json without touching other benchmarks' keys.
import { existsSync, readFileSync, writeFileSync } from 'fs';

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values, p) {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const round = value => (value === null ? null : Math.round(value * 10) / 10);

/** p50, p95, p99, mean, min, max and count of latencies in milliseconds. */
export function summarise(values) {
  const mean =
    values.length === 0
      ? null
      : values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    mean: round(mean),
    min: round(values.length === 0 ? null : Math.min(...values)),
    max: round(values.length === 0 ? null : Math.max(...values)),
    n: values.length
  };
}

/**
 * Replaces every key of `results` that starts with `prefix` by `entries`
 * (flat dotted keys, as the other benchmarks write them) and keeps the file
 * sorted by key.
 */
export function mergeResults(file, prefix, entries) {
  const current = existsSync(file)
    ? JSON.parse(readFileSync(file, 'utf-8'))
    : {};
  const merged = Object.fromEntries(
    Object.entries(current).filter(([key]) => !key.startsWith(prefix))
  );
  Object.assign(merged, entries);
  const sorted = Object.fromEntries(
    Object.keys(merged)
      .sort()
      .map(key => [key, merged[key]])
  );
  writeFileSync(file, JSON.stringify(sorted, null, 2) + '\n');
}

/** Flat `<name>.<stat>` keys of a summary. */
export function flatten(name, summary) {
  return Object.fromEntries(
    Object.entries(summary).map(([stat, value]) => [`${name}.${stat}`, value])
  );
}

/** One line of a printed table: each cell right-aligned to its width. */
export function tableRow(cells, widths) {
  return cells
    .map((cell, index) => String(cell).padStart(widths[index]))
    .join('  ');
}
