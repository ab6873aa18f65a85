/**
 * The kernel's system and GPU samples: `metrics` records of scope 'system'
 * (`system.cpu_percent`, `system.rss_mb`, `gpu0.utilization_percent`,
 * `gpu0.power_w`, …). Each gives metric points of scope and source
 * 'system', at no step of training, and no event: a sample every few
 * seconds would bury the run's own lines. Only the run's first sample,
 * which says how GPUs are read or why there is none, also gives one event
 * ("no GPU" for the panel and for whoever reads the run's log later).
 */
import type { IMetricsRecord, IParsedRecord, ISystemInfo } from '../types';
import { buildDocument, buildPoints } from './documents';
import { runDocumentSpec } from './recordFields';
import { IRunState } from './state';
import { MAX_METRICS_PER_EVENT, MetricBag, parseRecordValue } from './values';

/** Scope and source of system points. */
export const SYSTEM_SCOPE = 'system';
export const SYSTEM_SOURCE = 'system';

export function systemRecord(
  record: IMetricsRecord,
  state: IRunState,
  time: number
): IParsedRecord {
  const metrics = new MetricBag();
  let overCap = 0;
  const values: Record<string, unknown> =
    typeof record.values === 'object' && record.values !== null
      ? record.values
      : {};
  for (const [name, raw] of Object.entries(values)) {
    const value = parseRecordValue(raw);
    if (value !== null && !metrics.add(name, value)) {
      overCap += 1;
    }
  }
  // The points carry the record's id, time, run and user like any other
  // record's; the document they are read from is not stored.
  const carrier = buildDocument(state, {
    ...runDocumentSpec(record, state, time, 'metrics'),
    dataset: 'tflog.metrics',
    metrics
  });
  const result: IParsedRecord = {
    documents: [],
    points: buildPoints(carrier, SYSTEM_SCOPE, SYSTEM_SOURCE)
  };
  const info = infoOf(record.system);
  if (info !== null) {
    result.documents.push(
      buildDocument(state, {
        ...runDocumentSpec(record, state, time, 'log'),
        dataset: 'tflog.metrics',
        message: systemMessage(info)
      })
    );
  }
  if (overCap > 0) {
    result.capped = [
      `system record ${carrier._id}: ${overCap} value(s) over the ${MAX_METRICS_PER_EVENT}-metric cap, not stored`
    ];
  }
  return result;
}

function infoOf(value: unknown): ISystemInfo | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as ISystemInfo)
    : null;
}

function numberOf(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** "System metrics every 10 s; 1 GPU through nvml (driver …): NVIDIA H200", or "…; no GPU: why". */
export function systemMessage(info: ISystemInfo): string {
  const interval = numberOf(info.interval);
  const head =
    interval === null
      ? 'System metrics'
      : `System metrics every ${Number(interval.toPrecision(6))} s`;
  const count = numberOf(info.gpu_count) ?? 0;
  if (count <= 0) {
    const why =
      typeof info.no_gpu === 'string' && info.no_gpu !== ''
        ? `: ${info.no_gpu}`
        : '';
    return `${head}; no GPU${why}`;
  }
  const source =
    typeof info.gpu_source === 'string' ? ` through ${info.gpu_source}` : '';
  const driver =
    typeof info.driver === 'string' ? ` (driver ${info.driver})` : '';
  const names = Array.isArray(info.gpus)
    ? info.gpus.filter(name => typeof name === 'string').join(', ')
    : '';
  return `${head}; ${count} GPU${count === 1 ? '' : 's'}${source}${driver}${names ? `: ${names}` : ''}`;
}
