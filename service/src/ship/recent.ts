/**
 * Read-your-writes for live charts. Elasticsearch makes a stored document
 * searchable only after the next index refresh (about a second), and under
 * load a bulk request waits behind other writers' (several users' services
 * share one cluster), so a chart that waited for either would lag. The
 * shipping service keeps a run's points here from the moment they are
 * sealed into a batch (the spool already holds them, so a crash replays
 * them, and the batch is retried until stored) until a while after the
 * store acknowledged them, and the API merges them into the store's
 * answers. Every sealed point is therefore in this cache or searchable: a
 * chart that reads on from its last step never skips one. Only the service
 * that ships fills it; a standby service's stays empty.
 */
import { encodeCursor } from '../store/cursor';
import { runMatchesFilters } from '../store/run-filter';
import {
  compareSeriesKeys,
  downsample,
  seriesIn
} from '../store/series-common';
import type {
  IRunPage,
  IRunQuery,
  ISeries,
  ISeriesPoint,
  ISeriesQuery,
  IWriteBatch
} from '../store/store';
import type { IMetricPoint, IRunSummary } from '../types';

export interface IRecentLimits {
  /** How long points are kept after they were stored, in ms. */
  windowMs: number;
  /**
   * Stored points kept per run at most; the oldest go first. Points not
   * stored yet are always kept (the pipeline bounds how many are sealed).
   */
  maxPointsPerRun: number;
  /** Runs kept at most; the least recently written without unstored points go first. */
  maxRuns: number;
}

/** Well past Elasticsearch's 1 s refresh, even on a loaded cluster. */
export const DEFAULT_RECENT_LIMITS: IRecentLimits = {
  windowMs: 30000,
  maxPointsPerRun: 20000,
  maxRuns: 100
};

interface IRecentPoint {
  /** When the store acknowledged it (service clock), for the window; null until then. */
  storedAt: number | null;
  point: IMetricPoint;
}

interface IUnstoredBatch {
  points: IRecentPoint[];
  runIds: Set<string>;
}

interface IRecentRun {
  /** In the order they were sealed. */
  points: IRecentPoint[];
  /** How many of them the store has not acknowledged yet. */
  unstoredPoints: number;
  /** Batches holding its points or summary that the store has not acknowledged yet. */
  unstoredBatches: number;
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

/** What the API reads; the pipeline writes through `sealed` and `stored`. */
export interface IRecentReader {
  points(runId: string): IMetricPoint[];
  summary(runId: string): IRunSummary | null;
  /** Every cached summary, by run id (at most `maxRuns`). */
  summaries(): Map<string, IRunSummary>;
}

export class RecentData implements IRecentReader {
  private readonly limits: IRecentLimits;
  private readonly now: () => number;
  /** In order of last write: the first entry is the one evicted. */
  private readonly runs = new Map<string, IRecentRun>();
  /** When each run's series was last read, in order of that read. */
  private readonly readAt = new Map<string, number>();
  /** Each batch sealed and not acknowledged yet: its points and runs. */
  private readonly unstored = new Map<IWriteBatch, IUnstoredBatch>();

  constructor(
    limits: IRecentLimits = DEFAULT_RECENT_LIMITS,
    now: () => number = Date.now
  ) {
    this.limits = limits;
    this.now = now;
  }

  /**
   * Takes a batch as it is sealed, before it is stored: its points are
   * served at once and kept until `stored(batch)` and the window after it.
   */
  sealed(batch: IWriteBatch): void {
    const now = this.now();
    const unstored: IUnstoredBatch = { points: [], runIds: new Set() };
    // A batch's points come run by run: each run is touched once per stretch.
    let current: IRecentRun | undefined;
    let currentId = '';
    for (const point of batch.points) {
      const entry: IRecentPoint = { storedAt: null, point };
      if (current === undefined || currentId !== point.run_id) {
        currentId = point.run_id;
        current = this.touch(currentId, now);
      }
      current.points.push(entry);
      current.unstoredPoints += 1;
      unstored.points.push(entry);
      unstored.runIds.add(point.run_id);
    }
    for (const summary of batch.runs) {
      const version =
        batch.runVersions?.[summary.run_id] ?? Number.NEGATIVE_INFINITY;
      const run = this.touch(summary.run_id, now);
      if (run.summary === null || version >= run.version) {
        run.summary = summary;
        run.version = version;
      }
      unstored.runIds.add(summary.run_id);
    }
    for (const runId of unstored.runIds) {
      (this.runs.get(runId) as IRecentRun).unstoredBatches += 1;
    }
    this.unstored.set(batch, unstored);
    this.trim();
    this.expire();
  }

  /** The store acknowledged a batch given to `sealed`: its window starts. */
  stored(batch: IWriteBatch): void {
    const unstored = this.unstored.get(batch);
    if (unstored === undefined) {
      // Sealed before a clear().
      return;
    }
    this.unstored.delete(batch);
    const now = this.now();
    const storedPerRun = new Map<string, number>();
    for (const entry of unstored.points) {
      entry.storedAt = now;
      const runId = entry.point.run_id;
      storedPerRun.set(runId, (storedPerRun.get(runId) ?? 0) + 1);
    }
    for (const runId of unstored.runIds) {
      const run = this.runs.get(runId);
      if (run) {
        run.unstoredPoints -= storedPerRun.get(runId) ?? 0;
        run.unstoredBatches -= 1;
        this.touch(runId, now);
      }
    }
    this.trim();
    this.expire();
  }

  /** Takes a batch sealed and stored at once. */
  add(batch: IWriteBatch): void {
    this.sealed(batch);
    this.stored(batch);
  }

  /** A run's points sealed or stored moments ago; the read marks the run watched. */
  points(runId: string): IMetricPoint[] {
    this.markWatched(runId);
    this.expire();
    return this.runs.get(runId)?.points.map(entry => entry.point) ?? [];
  }

  summary(runId: string): IRunSummary | null {
    this.expire();
    return this.runs.get(runId)?.summary ?? null;
  }

  summaries(): Map<string, IRunSummary> {
    this.expire();
    const found = new Map<string, IRunSummary>();
    for (const [runId, run] of this.runs) {
      if (run.summary) {
        found.set(runId, run.summary);
      }
    }
    return found;
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
    this.unstored.clear();
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

  private touch(runId: string, at: number): IRecentRun {
    let run = this.runs.get(runId);
    if (run) {
      // Re-inserted so that the map stays in order of last write.
      this.runs.delete(runId);
    } else {
      run = {
        points: [],
        unstoredPoints: 0,
        unstoredBatches: 0,
        summary: null,
        version: Number.NEGATIVE_INFINITY,
        lastWrite: at
      };
    }
    run.lastWrite = at;
    this.runs.set(runId, run);
    return run;
  }

  /**
   * Keeps each run's stored points and the runs within their limits. Points
   * not stored yet, and runs holding some, are never dropped: a chart would
   * miss them until the store has them.
   */
  private trim(): void {
    for (const run of this.runs.values()) {
      let excess =
        run.points.length - run.unstoredPoints - this.limits.maxPointsPerRun;
      if (excess > 0) {
        run.points = run.points.filter(entry => {
          if (excess > 0 && entry.storedAt !== null) {
            excess -= 1;
            return false;
          }
          return true;
        });
      }
    }
    for (const [runId, run] of this.runs) {
      if (this.runs.size <= this.limits.maxRuns) {
        break;
      }
      if (run.unstoredBatches === 0) {
        this.runs.delete(runId);
      }
    }
  }

  /**
   * Drops points stored more than the window ago, and runs with nothing
   * written for as long. Only a run's leading points are looked at (its
   * points are in the order they were sealed, so stored in about that
   * order): one stored out of order goes once those before it went.
   */
  private expire(): void {
    const cutoff = this.now() - this.limits.windowMs;
    for (const [runId, run] of this.runs) {
      if (run.unstoredBatches === 0 && run.lastWrite < cutoff) {
        this.runs.delete(runId);
        continue;
      }
      let leading = 0;
      while (leading < run.points.length) {
        const storedAt = run.points[leading].storedAt;
        if (storedAt !== null && storedAt >= cutoff) {
          break;
        }
        leading += 1;
      }
      if (leading > 0) {
        const unstored = run.points
          .slice(0, leading)
          .filter(entry => entry.storedAt === null);
        if (unstored.length < leading) {
          run.points = unstored.concat(run.points.slice(leading));
        }
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

/**
 * A page of runs as the store listed them, brought up to what this service
 * shipped since the store's last refresh. Each listed run is replaced by its
 * cached summary where that is newer (a run that just ended is listed as
 * ended), and leaves the page when that no longer matches the filters. On
 * the first page of the default order (newest first), a cached run the store
 * does not list yet (started less than a refresh ago) is added where it
 * sorts, when it matches the filters. Only where the list's order cannot
 * change with a run's progress (by start or name). A cached summary that
 * names another user than the store's, or than the query's, is not used:
 * the cache holds what the kernel claimed.
 */
export function freshenRunPage(
  page: IRunPage,
  query: Partial<IRunQuery>,
  cached: ReadonlyMap<string, IRunSummary>
): IRunPage {
  const by = query.sort?.key.by ?? 'started';
  if (by !== 'started' && by !== 'name') {
    return page;
  }
  let left = 0;
  const runs: IRunSummary[] = [];
  for (const listed of page.runs) {
    const fresh = cached.get(listed.run_id);
    const run =
      fresh !== undefined && fresh.user === listed.user
        ? (newerSummary(listed, fresh) ?? listed)
        : listed;
    if (run !== listed && !runMatchesFilters(run, query)) {
      left += 1;
      continue;
    }
    runs.push(run);
  }
  const freshened =
    left === 0 && runs.every((run, at) => run === page.runs[at])
      ? page
      : { ...page, runs, total: Math.max(0, page.total - left) };
  return query.sort === undefined && query.after === undefined
    ? withUnlisted(freshened, query, cached)
    : freshened;
}

/**
 * The first page of the default order with the cached runs the store did
 * not list that belong on it. Past `size`, the last runs move to the next
 * page, whose cursor then follows the new last run (both stores' cursors of
 * this order are its start in ms and its id).
 */
function withUnlisted(
  page: IRunPage,
  query: Partial<IRunQuery>,
  cached: ReadonlyMap<string, IRunSummary>
): IRunPage {
  const listed = new Set(page.runs.map(run => run.run_id));
  const last = page.runs[page.runs.length - 1];
  const unlisted = [...cached.values()].filter(
    run =>
      !listed.has(run.run_id) &&
      query.user !== undefined &&
      run.user === query.user &&
      !Number.isNaN(Date.parse(run.started)) &&
      runMatchesFilters(run, query) &&
      // Past the last run of a full page, it is on a later page.
      (page.next === undefined ||
        (last !== undefined && compareNewestFirst(run, last) < 0))
  );
  if (unlisted.length === 0) {
    return page;
  }
  const runs = [...page.runs, ...unlisted].sort(compareNewestFirst);
  const size = query.size ?? runs.length;
  const result: IRunPage = {
    ...page,
    runs: runs.slice(0, size),
    total: page.total + unlisted.length
  };
  if (runs.length > size) {
    const lastShown = runs[size - 1];
    result.next = encodeCursor([
      Date.parse(lastShown.started),
      lastShown.run_id
    ]);
  }
  return result;
}

/** The default order of run lists: started, newest first, then by id. */
function compareNewestFirst(a: IRunSummary, b: IRunSummary): number {
  return (
    Date.parse(b.started) - Date.parse(a.started) ||
    (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : 0)
  );
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
