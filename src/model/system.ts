/**
 * The kernel's system and GPU samples (series of scope 'system', such as
 * `system.cpu_percent` or `gpu0.power_w`): telling them apart from the
 * run's training metrics, what each one measures, and whether the run's
 * kernel saw a GPU. They have no step or epoch: they are drawn against time.
 */
import type { ISeries } from '../tokens';

/** The count of GPUs the first sample gave ('system.gpu_count'). */
export const GPU_COUNT_SERIES = 'system.gpu_count';

export function isSystemSeries(series: Pick<ISeries, 'scope'>): boolean {
  return series.scope === 'system';
}

/** The run's series: training metrics and system samples, each in their order. */
export function splitSystemSeries(series: ISeries[]): {
  training: ISeries[];
  system: ISeries[];
} {
  return {
    training: series.filter(item => !isSystemSeries(item)),
    system: series.filter(isSystemSeries)
  };
}

/**
 * How many GPUs the run's kernel sampled: 0 when it saw none ("no GPU"),
 * null when the run has no system samples to tell (sampling off, a kernel
 * before system metrics, or a series list without that series).
 */
export function sampledGpuCount(series: ISeries[]): number | null {
  const count = series.find(
    item => isSystemSeries(item) && item.name === GPU_COUNT_SERIES
  );
  const value = count?.points.find(point => point.y !== null)?.y;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** What a system series measures, for a label: the device and the metric with its unit. */
export interface ISystemMetric {
  /** 'process' for the kernel process, 'gpu' for one GPU. */
  device: 'process' | 'gpu';
  /** The GPU's number (`gpu0` is 0); absent for the process. */
  index?: number;
  /** The metric without its unit: `cpu`, `rss`, `utilization`, `memory_used`, `tf_memory`… */
  metric: string;
  /** `%`, `MiB`, `°C`, `W`, or '' for a count. */
  unit: string;
}

const UNITS: [suffix: string, unit: string][] = [
  ['_percent', '%'],
  ['_mb', 'MiB'],
  ['_c', '°C'],
  ['_w', 'W']
];

/** `gpu1.power_w` → GPU 1, power, W; null for a name that is not a system sample's. */
export function systemMetric(name: string): ISystemMetric | null {
  const match = /^(system|gpu(\d+))\.([a-z][a-z0-9_]*)$/.exec(name);
  if (match === null) {
    return null;
  }
  const [, device, index, full] = match;
  const [suffix, unit] = UNITS.find(([end]) => full.endsWith(end)) ?? ['', ''];
  const metric = full.slice(0, full.length - suffix.length);
  if (device === 'system') {
    return { device: 'process', metric, unit };
  }
  return { device: 'gpu', index: Number(index), metric, unit };
}
