/**
 * What `tflog prune` deletes, as pure functions (no client here): expired
 * daily indices, chosen by the date in their name, and run summaries not
 * updated within the retention period. prune.ts runs them against a cluster.
 */
import type { estypes } from '@elastic/elasticsearch';

import { dayName, type IIndexNames } from './es-mappings';

const DAY_MS = 86_400_000;
/** `<prefix>logs-YYYY.MM.DD` or `<prefix>metrics-YYYY.MM.DD`, after the prefix. */
const DAILY_SUFFIX = /^(logs|metrics)-(\d{4})\.(\d{2})\.(\d{2})$/;

export interface IDailyIndex {
  index: string;
  kind: 'logs' | 'metrics';
  /** `YYYY.MM.DD`, from the name. */
  day: string;
  /** The ILM policy the index names (`index.lifecycle.name`), if any. */
  policy?: string;
}

export interface IPruneCutoff {
  /** Daily indices of days before this one (`YYYY.MM.DD`) have expired. */
  day: string;
  /** Run summaries last updated before this time (ISO) have expired. */
  time: string;
}

/**
 * The limits of `retentionDays` at `nowMs`: an index of day D holds events
 * written on D, so it expires once D is more than `retentionDays` days
 * before today; a run summary once its last update is that old.
 */
export function pruneCutoff(
  retentionDays: number,
  nowMs: number
): IPruneCutoff {
  const limit = nowMs - retentionDays * DAY_MS;
  return { day: dayName(limit), time: new Date(limit).toISOString() };
}

/**
 * The daily index `index` names, or null when it is not one of this
 * prefix's (another prefix's `tflog-test-logs-…` is not `tflog-`'s) or its
 * date is not a real day.
 */
export function parseDailyIndex(
  prefix: string,
  index: string
): Omit<IDailyIndex, 'policy'> | null {
  if (!index.startsWith(prefix)) {
    return null;
  }
  const match = DAILY_SUFFIX.exec(index.slice(prefix.length));
  if (!match) {
    return null;
  }
  const [, kind, year, month, day] = match;
  const time = Date.UTC(Number(year), Number(month) - 1, Number(day));
  if (dayName(time) !== `${year}.${month}.${day}`) {
    return null;
  }
  return {
    index,
    kind: kind as 'logs' | 'metrics',
    day: `${year}.${month}.${day}`
  };
}

/** The settings request that lists the daily indices and their policies. */
export function buildDailyIndexListing(
  names: IIndexNames
): estypes.IndicesGetSettingsRequest {
  return {
    index: [names.logsPattern, names.metricsPattern],
    // Every index has a uuid: a filter of only the policy would leave out
    // the indices without one.
    name: ['index.uuid', 'index.lifecycle.name'],
    flat_settings: true,
    expand_wildcards: 'all',
    allow_no_indices: true,
    ignore_unavailable: true
  };
}

/** The daily indices of `prefix` in a GET _settings answer, oldest first. */
export function parseDailyIndexListing(
  prefix: string,
  response: estypes.IndicesGetSettingsResponse
): IDailyIndex[] {
  const found: IDailyIndex[] = [];
  for (const [index, state] of Object.entries(response)) {
    const daily = parseDailyIndex(prefix, index);
    if (daily === null) {
      continue;
    }
    const settings = (state.settings ?? {}) as Record<string, unknown>;
    const policy = settings['index.lifecycle.name'];
    found.push(
      typeof policy === 'string' && policy !== '' ? { ...daily, policy } : daily
    );
  }
  return found.sort((a, b) =>
    a.day === b.day ? a.index.localeCompare(b.index) : a.day < b.day ? -1 : 1
  );
}

export interface IExpiredIndices {
  /** Expired and not in ILM's hands: prune deletes these. */
  expired: IDailyIndex[];
  /** Expired by name, but an ILM policy deletes them (by their age). */
  managed: IDailyIndex[];
}

/**
 * Daily indices of days before `cutoff.day`. Where the cluster has ILM, an
 * index that names a policy is left to it; without ILM, every expired one
 * is prune's.
 */
export function expiredDailyIndices(
  indices: IDailyIndex[],
  cutoff: IPruneCutoff,
  ilm: boolean
): IExpiredIndices {
  const result: IExpiredIndices = { expired: [], managed: [] };
  for (const index of indices) {
    if (index.day >= cutoff.day) {
      continue;
    }
    if (ilm && index.policy !== undefined) {
      result.managed.push(index);
    } else {
      result.expired.push(index);
    }
  }
  return result;
}

/** Run summaries not updated since the cutoff. */
export function expiredRunsQuery(
  cutoff: IPruneCutoff
): estypes.QueryDslQueryContainer {
  return { range: { updated: { lt: cutoff.time } } };
}

/** The expired run summaries to show in a dry run, oldest first. */
export function buildExpiredRunsListing(
  names: IIndexNames,
  cutoff: IPruneCutoff,
  size: number
): estypes.SearchRequest {
  return {
    index: names.runs,
    query: expiredRunsQuery(cutoff),
    sort: [{ updated: { order: 'asc' } }],
    size,
    track_total_hits: true,
    _source: ['run_id', 'updated']
  };
}

/** Curve summaries (es-rollups.ts) whose last point is older than the cutoff, oldest first. */
export function buildExpiredRollupsListing(
  names: IIndexNames,
  cutoff: IPruneCutoff,
  size: number
): estypes.SearchRequest {
  return {
    index: names.rollups,
    query: { range: { last_time: { lt: cutoff.time } } },
    sort: [{ last_time: { order: 'asc' } }],
    size,
    _source: false
  };
}

/** Index names in groups short enough for one request line each. */
export function inGroups(indices: string[], size = 50): string[][] {
  const groups: string[][] = [];
  for (let start = 0; start < indices.length; start += size) {
    groups.push(indices.slice(start, start + size));
  }
  return groups;
}
