/**
 * The Training panel's System section: the active run's system and GPU
 * samples (series of scope 'system') grouped by device into small time-axis
 * charts, read again every 10 s while the run is running.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import type { IRunSummary, ISeries, ITflogClient } from '../tokens';
import type { IChartRow, SeriesRole } from './series';
import { sampledGpuCount, systemMetric } from './system';

/** How often a running run's samples are read again (the kernel's default interval). */
export const SYSTEM_REFRESH_MS = 10_000;

/** Points per system series: a small chart needs no more. */
export const SYSTEM_MAX_POINTS = 300;

/** One chart: a metric of one device, with its partner (memory total beside used) dashed. */
export interface ISystemChart {
  /** Unique in the section: `gpu0.memory`. */
  key: string;
  /** The chart's y title with its unit: `GPU 0 memory (MiB)`. */
  label: string;
  roles: SeriesRole[];
  rows: IChartRow[];
}

/** The charts of one device: the kernel process, or one GPU. */
export interface ISystemGroup {
  /** `process`, `gpu0`, `gpu1`… */
  key: string;
  title: string;
  charts: ISystemChart[];
}

export interface ISystemView {
  /** False when the run has no system samples (sampling off, or an older kernel). */
  sampled: boolean;
  /** GPUs the kernel sampled; 0: none; null: not told. */
  gpuCount: number | null;
  groups: ISystemGroup[];
}

/** A metric drawn dashed in its partner's chart: the total beside the used memory. */
const PARTNERS: Record<string, string> = {
  memory_total: 'memory_used',
  tf_memory_peak: 'tf_memory'
};

function metricTitle(metric: string, trans: TranslationBundle): string {
  switch (metric) {
    case 'cpu':
      return trans.__('CPU');
    case 'rss':
      return trans.__('RSS');
    case 'max_rss':
      return trans.__('Peak RSS');
    case 'utilization':
      return trans.__('Utilisation');
    case 'memory_used':
      return trans.__('Memory used / total');
    case 'temperature':
      return trans.__('Temperature');
    case 'power':
      return trans.__('Power');
    case 'tf_memory':
      return trans.__('TensorFlow memory / peak');
    default:
      return metric.replace(/_/g, ' ');
  }
}

/** Where a metric's chart stands among its device's (unknown ones last, by name). */
const METRIC_ORDER = [
  'cpu',
  'rss',
  'max_rss',
  'utilization',
  'memory_used',
  'temperature',
  'power',
  'tf_memory'
];

function metricRank(metric: string): number {
  const index = METRIC_ORDER.indexOf(metric);
  return index < 0 ? METRIC_ORDER.length : index;
}

function seriesRows(series: ISeries): IChartRow[] {
  return series.points.map(point => ({
    series: series.name,
    role: 'train',
    x: point.x,
    y: point.y,
    raw: point.y,
    nonfinite: point.nonfinite ?? null,
    time: Date.parse(point.time)
  }));
}

/** The section's charts from a run's system series (other series are ignored). */
export function systemView(
  series: ISeries[],
  trans: TranslationBundle
): ISystemView {
  const samples = series.filter(item => item.scope === 'system');
  const groups = new Map<string, ISystemGroup>();
  const charts = new Map<string, ISystemChart & { rank: number }>();
  for (const item of samples) {
    const metric = systemMetric(item.name);
    if (metric === null || metric.unit === '') {
      // Counts (gpu_count) are said in words, not drawn.
      continue;
    }
    const deviceKey =
      metric.device === 'process' ? 'process' : `gpu${metric.index}`;
    let group = groups.get(deviceKey);
    if (!group) {
      group = {
        key: deviceKey,
        title:
          metric.device === 'process'
            ? trans.__('Kernel process')
            : trans.__('GPU %1', metric.index ?? 0),
        charts: []
      };
      groups.set(deviceKey, group);
    }
    const partnerOf = PARTNERS[metric.metric];
    const chartMetric = partnerOf ?? metric.metric;
    const role: SeriesRole = partnerOf ? 'validation' : 'train';
    const key = `${deviceKey}.${chartMetric}`;
    let chart = charts.get(key);
    if (!chart) {
      const title = metricTitle(chartMetric, trans);
      chart = {
        key,
        label:
          metric.device === 'process'
            ? trans.__('%1 (%2)', title, metric.unit)
            : trans.__('GPU %1 %2 (%3)', metric.index ?? 0, title, metric.unit),
        roles: [],
        rows: [],
        rank: metricRank(chartMetric)
      };
      charts.set(key, chart);
      group.charts.push(chart);
    }
    if (!chart.roles.includes(role)) {
      chart.roles.push(role);
    }
    chart.rows.push(...seriesRows(item).map(row => ({ ...row, role })));
  }
  const ordered = [...groups.values()].sort((a, b) =>
    a.key === 'process'
      ? -1
      : b.key === 'process'
        ? 1
        : a.key.localeCompare(b.key, undefined, { numeric: true })
  );
  return {
    sampled: samples.length > 0,
    gpuCount: sampledGpuCount(series),
    groups: ordered.map(group => ({
      ...group,
      charts: group.charts
        .map(chart => chart as ISystemChart & { rank: number })
        .sort((a, b) => a.rank - b.rank || a.key.localeCompare(b.key))
        .map(({ key, label, roles, rows }) => ({
          key,
          label,
          roles: roles.sort(),
          rows
        }))
    }))
  };
}

/**
 * The system samples of the run shown: read when the run changes, and every
 * SYSTEM_REFRESH_MS while it is running and the section is shown.
 */
export class SystemModel {
  constructor(options: {
    trans: TranslationBundle;
    /** Timers, replaced in tests. */
    setInterval?: (callback: () => void, ms: number) => number;
    clearInterval?: (handle: number) => void;
  }) {
    this._trans = options.trans;
    this._setInterval =
      options.setInterval ??
      ((callback, ms) => window.setInterval(callback, ms));
    this._clearInterval =
      options.clearInterval ?? (handle => window.clearInterval(handle));
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** What to show; null before the first answer or without a run. */
  get view(): ISystemView | null {
    return this._view;
  }

  get error(): Error | null {
    return this._error;
  }

  get runId(): string | null {
    return this._runId;
  }

  /** Show this run's samples (null: none). */
  setRun(
    client: ITflogClient | null,
    runId: string | null,
    summary: IRunSummary | null
  ): void {
    const same = runId === this._runId && client === this._client;
    this._client = client;
    this._runId = runId;
    this._running = summary?.status === 'running';
    if (!same) {
      this._view = null;
      this._error = null;
      this._generation += 1;
      this._changed.emit();
      void this.load();
    }
    this._schedule();
  }

  /** A summary update: a run that stopped is read once more for its last samples. */
  setSummary(summary: IRunSummary | null): void {
    const wasRunning = this._running;
    this._running = summary?.status === 'running';
    if (wasRunning && !this._running) {
      void this.load();
    }
    this._schedule();
  }

  /** Read again only while shown. */
  setActive(active: boolean): void {
    const wasActive = this._active;
    this._active = active;
    if (active && !wasActive && this._running) {
      void this.load();
    }
    this._schedule();
  }

  async load(): Promise<void> {
    const client = this._client;
    const runId = this._runId;
    if (client === null || runId === null) {
      return;
    }
    const generation = this._generation;
    try {
      const answer = await client.series(runId, {
        axis: 'time',
        scope: 'system',
        maxPoints: SYSTEM_MAX_POINTS
      });
      if (generation !== this._generation || this._disposed) {
        return;
      }
      this._view = systemView(answer.series, this._trans);
      this._error = null;
    } catch (error) {
      if (generation !== this._generation || this._disposed) {
        return;
      }
      this._error = error instanceof Error ? error : new Error(String(error));
    }
    this._changed.emit();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._stopTimer();
    Signal.clearData(this);
  }

  private _schedule(): void {
    const wanted =
      this._active && this._running && this._runId !== null && !this._disposed;
    if (wanted && this._timer === null) {
      this._timer = this._setInterval(
        () => void this.load(),
        SYSTEM_REFRESH_MS
      );
    } else if (!wanted) {
      this._stopTimer();
    }
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      this._clearInterval(this._timer);
      this._timer = null;
    }
  }

  private readonly _trans: TranslationBundle;
  private readonly _setInterval: (callback: () => void, ms: number) => number;
  private readonly _clearInterval: (handle: number) => void;
  private readonly _changed = new Signal<this, void>(this);
  private _client: ITflogClient | null = null;
  private _runId: string | null = null;
  private _running = false;
  private _active = false;
  private _disposed = false;
  private _timer: number | null = null;
  private _generation = 0;
  private _view: ISystemView | null = null;
  private _error: Error | null = null;
}
