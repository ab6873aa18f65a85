/**
 * Read-your-writes for live charts. Elasticsearch makes a stored document
 * searchable only after the next index refresh (about a second), so a chart
 * that asks for new points right after the "stored" event would miss them.
 * The shipping service keeps what it just stored here for a short while,
 * and the API merges it into the store's answers. Only the service that
 * ships fills it; a standby service's stays empty.
 */
import { seriesIn } from '../store/series-common';
import { compareSeriesKeys, downsample } from '../store/series-common';
import type {
  ISeries,
  ISeriesPoint,
  ISeriesQuery,
  IWriteBatch
} from '../store/store';
import type { IMetricPoint, IRunSummary } from '../types';

export interface IRecentLimits {
  /** How long points are kept after they were stored, in ms. */
  windowMs: number;
  /** Points kept per run at most; the oldest go first. */
  maxPointsPerRun: number;
  /** Runs kept at most; the least recently written go first. */
  maxRuns: number;
}

/** Well past Elasticsearch's 1 s refresh, even on a loaded cluster. */
export const DEFAULT_RECENT_LIMITS: IRecentLimits = {
  windowMs: 30000,
  maxPointsPerRun: 20000,
  maxRuns: 100
};

interface IRecentPoint {
  /** When the store acknowledged it (service clock), for the window. */
  storedAt: number;
  point: IMetricPoint;
}

interface IRecentRun {
  points: IRecentPoint[];
  summary: IRunSummary | null;
  /** The summary's version: the last spool seq folded into it. */
  version: number;
  lastWrite: number;
}

/**
 * How long after a read of its series a run counts as watched: a live chart
 * reads again after each batch of its run, so an open chart stays watched.
 */
export const WATCH_WINDOW_MS = 30000;

/** What the API reads; the pipeline writes through `add`. */
export interface IRecentReader {
  points(runId: string): IMetricPoint[];
  summary(runId: string): IRunSummary | null;
}

export class RecentData implements IRecentReader {
  private readonly limits: IRecentLimits;
  private readonly now: () => number;
  /** In order of last write: the first entry is the one evicted. */
  private readonly runs = new Map<string, IRecentRun>();
  /** When each run's series was last read, in order of that read. */
  private readonly readAt = new Map<string, number>();

  constructor(
    limits: IRecentLimits = DEFAULT_RECENT_LIMITS,
    now: () => number = Date.now
  ) {
    this.limits = limits;
    this.now = now;
  }

  /** Takes a batch the store has acknowledged. */
  add(batch: IWriteBatch): void {
    const storedAt = this.now();
    for (const point of batch.points) {
      this.touch(point.run_id, storedAt).points.push({ storedAt, point });
    }
    for (const summary of batch.runs) {
      const version =
        batch.runVersions?.[summary.run_id] ?? Number.NEGATIVE_INFINITY;
      const run = this.touch(summary.run_id, storedAt);
      if (run.summary === null || version >= run.version) {
        run.summary = summary;
        run.version = version;
      }
    }
    for (const run of this.runs.values()) {
      const excess = run.points.length - this.limits.maxPointsPerRun;
      if (excess > 0) {
        run.points.splice(0, excess);
      }
    }
    while (this.runs.size > this.limits.maxRuns) {
      const oldest = this.runs.keys().next().value as string;
      this.runs.delete(oldest);
    }
    this.expire();
  }

  /** A run's points stored moments ago; the read marks the run watched. */
  points(runId: string): IMetricPoint[] {
    this.markWatched(runId);
    this.expire();
    return this.runs.get(runId)?.points.map(entry => entry.point) ?? [];
  }

  summary(runId: string): IRunSummary | null {
    this.expire();
    return this.runs.get(runId)?.summary ?? null;
  }

  /** Whether a run's series was read within WATCH_WINDOW_MS: its lines ship first. */
  isWatched(runId: string): boolean {
    const at = this.readAt.get(runId);
    return at !== undefined && this.now() - at <= WATCH_WINDOW_MS;
  }

  /** Forgets everything (the service stopped shipping). */
  clear(): void {
    this.runs.clear();
    this.readAt.clear();
  }

  private markWatched(runId: string): void {
    const now = this.now();
    // Re-inserted so that the oldest read comes first, and is dropped first.
    this.readAt.delete(runId);
    this.readAt.set(runId, now);
    for (const [id, at] of this.readAt) {
      if (now - at <= WATCH_WINDOW_MS) {
        break;
      }
      this.readAt.delete(id);
    }
  }

  /** Runs held now, for tests and status. */
  get runCount(): number {
    return this.runs.size;
  }

  private touch(runId: string, storedAt: number): IRecentRun {
    let run = this.runs.get(runId);
    if (run) {
      // Re-inserted so that the map stays in order of last write.
      this.runs.delete(runId);
    } else {
      run = {
        points: [],
        summary: null,
        version: Number.NEGATIVE_INFINITY,
        lastWrite: storedAt
      };
    }
    run.lastWrite = storedAt;
    this.runs.set(runId, run);
    return run;
  }

  private expire(): void {
    const cutoff = this.now() - this.limits.windowMs;
    for (const [runId, run] of this.runs) {
      if (run.lastWrite < cutoff) {
        this.runs.delete(runId);
        continue;
      }
      const keep = run.points.findIndex(entry => entry.storedAt >= cutoff);
      if (keep > 0) {
        run.points.splice(0, keep);
      }
    }
  }
}

/**
 * The store's series with the recent points it does not have yet, filtered
 * like the store filters (run, names, scope, axis, after) and thinned with
 * the stores' own `downsample` when the union exceeds maxPoints.
 */
export function mergeSeries(
  stored: readonly ISeries[],
  recent: readonly IMetricPoint[],
  query: ISeriesQuery
): ISeries[] {
  const fresh = seriesIn(recent, {
    ...query,
    maxPoints: Number.POSITIVE_INFINITY
  });
  if (fresh.length === 0) {
    return stored.slice();
  }
  const merged = new Map<string, ISeries>();
  for (const series of stored) {
    merged.set(seriesId(series), series);
  }
  for (const series of fresh) {
    const id = seriesId(series);
    const known = merged.get(id);
    if (!known) {
      merged.set(id, thinned(series, series.points, false, query));
      continue;
    }
    const seen = new Set(known.points.map(pointIdentity));
    const added = series.points.filter(
      point => !seen.has(pointIdentity(point))
    );
    if (added.length > 0) {
      const points = [...known.points, ...added].sort(compareSeriesPoints);
      merged.set(id, thinned(known, points, known.downsampled, query));
    }
  }
  return [...merged.values()].sort(compareSeriesKeys);
}

/**
 * The newer of the stored and the cached summary. The cache holds what
 * this service, the only writer, stored last, so on equal `updated` times
 * it is at least as new as the store's copy.
 */
export function newerSummary(
  stored: IRunSummary | null,
  cached: IRunSummary | null
): IRunSummary | null {
  if (!stored || !cached) {
    return stored ?? cached;
  }
  return Date.parse(cached.updated) >= Date.parse(stored.updated)
    ? cached
    : stored;
}

function thinned(
  key: ISeries,
  points: ISeriesPoint[],
  alreadyThinned: boolean,
  query: ISeriesQuery
): ISeries {
  const result = downsample(points, query.maxPoints, query.axis);
  return {
    name: key.name,
    scope: key.scope,
    source: key.source,
    points: result.points,
    downsampled: alreadyThinned || result.downsampled
  };
}

function seriesId(series: ISeries): string {
  return JSON.stringify([series.name, series.scope, series.source]);
}

/**
 * Within one series a point is its x and time; value and non-finite mark
 * are added so that two distinct points logged in the same millisecond on
 * the same x (batch points on the epoch axis) are never merged into one.
 */
function pointIdentity(point: ISeriesPoint): string {
  return JSON.stringify([
    point.x,
    Date.parse(point.time),
    point.y,
    point.nonfinite ?? null
  ]);
}

function compareSeriesPoints(a: ISeriesPoint, b: ISeriesPoint): number {
  return a.x - b.x || Date.parse(a.time) - Date.parse(b.time);
}
