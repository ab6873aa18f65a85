/**
 * `tflog prune`: deletes what the retention period (TFLOG_RETENTION_DAYS)
 * has expired in Elasticsearch, for clusters where ILM does not: daily
 * indices by the date in their name, and run summaries (on every cluster:
 * the runs index is one index, which no age-based policy can thin).
 * Request bodies come from store/es-prune (pure).
 */
import { errors, type Client, type estypes } from '@elastic/elasticsearch';

import { redactUrl } from './common/urlCredentials';
import type { IElasticsearchConfig } from './config';
import { createElasticsearchClient } from './store/elasticsearch';
import { mapElasticsearchError } from './store/es-errors';
import { describeCause } from './store/es-queries';
import { indexNames, type IIndexNames } from './store/es-mappings';
import {
  buildDailyIndexListing,
  buildExpiredRollupsListing,
  buildExpiredRunsListing,
  expiredDailyIndices,
  inGroups,
  parseDailyIndexListing,
  pruneCutoff,
  type IPruneCutoff
} from './store/es-prune';

/** Expired run summaries a dry run names at most. */
const LISTED_RUNS = 20;
/** Run summaries deleted per bulk request. */
const RUNS_PAGE = 1000;

export interface IPruneOptions {
  config: IElasticsearchConfig;
  /** List what would be deleted; delete nothing. */
  dryRun: boolean;
  /** Told each line of the report. */
  write: (line: string) => void;
  /** The clock (tests); default now. */
  nowMs?: number;
  /** A client made elsewhere (tests); default one from the configuration. */
  client?: Client;
}

export interface IPruneReport {
  /** False when nothing expires (TFLOG_RETENTION_DAYS=0). */
  retention: boolean;
  ilm: boolean;
  cutoff?: IPruneCutoff;
  /** Expired daily indices prune deletes (or would, in a dry run). */
  indices: string[];
  /** Expired by name, left to their ILM policy. */
  managed: string[];
  /** Expired run summaries found. */
  runs: number;
  /** Run summaries deleted (0 in a dry run). */
  runsDeleted: number;
  /** Curve summaries deleted (0 in a dry run). */
  rollupsDeleted: number;
}

export async function prune(options: IPruneOptions): Promise<IPruneReport> {
  const { config, dryRun, write } = options;
  const location = config.urls.map(redactUrl).join(', ');
  const client = options.client ?? createElasticsearchClient(config);
  const call = async <T>(what: string, request: () => Promise<T>) => {
    try {
      return await request();
    } catch (error) {
      throw mapElasticsearchError(error, what, location);
    }
  };
  const report: IPruneReport = {
    retention: config.retentionDays > 0,
    ilm: false,
    indices: [],
    managed: [],
    runs: 0,
    runsDeleted: 0,
    rollupsDeleted: 0
  };
  try {
    if (!report.retention) {
      write('TFLOG_RETENTION_DAYS is 0: nothing expires, nothing is deleted');
      return report;
    }
    const names = indexNames(config.indexPrefix);
    const cutoff = pruneCutoff(
      config.retentionDays,
      options.nowMs ?? Date.now()
    );
    report.cutoff = cutoff;
    report.ilm = await hasIlm(client, location);
    write(
      `${dryRun ? 'dry run: ' : ''}Elasticsearch at ${location} (${report.ilm ? 'with ILM' : 'no ILM'}), prefix ${config.indexPrefix}, retention ${config.retentionDays} days: daily indices of days before ${cutoff.day}, run summaries not updated since ${cutoff.time}`
    );

    const listing = await call('listing the daily indices', () =>
      client.indices.getSettings(buildDailyIndexListing(names))
    );
    const { expired, managed } = expiredDailyIndices(
      parseDailyIndexListing(config.indexPrefix, listing),
      cutoff,
      report.ilm
    );
    report.indices = expired.map(item => item.index);
    report.managed = managed.map(item => item.index);
    write(
      `${dryRun ? 'would delete' : 'deleting'} ${report.indices.length} expired daily ${plural(report.indices.length, 'index', 'indices')}${report.indices.length > 0 ? ':' : ''}`
    );
    for (const index of report.indices) {
      write(`  ${index}`);
    }
    if (report.managed.length > 0) {
      write(
        `left to ILM: ${report.managed.length} expired daily ${plural(report.managed.length, 'index', 'indices')} with a lifecycle policy (deleted by age, not by name)`
      );
    }
    if (!dryRun) {
      for (const group of inGroups(report.indices)) {
        await call(`deleting ${group.join(', ')}`, () =>
          client.indices.delete({ index: group })
        );
      }
    }

    const runs = await expiredRuns(client, names, cutoff, location);
    report.runs = runs.total;
    write(
      `${dryRun ? 'would delete' : 'deleting'} ${runs.total} run ${plural(runs.total, 'summary', 'summaries')} not updated since ${cutoff.time}${dryRun && runs.total > 0 ? ':' : ''}`
    );
    if (dryRun) {
      for (const run of runs.listed) {
        write(`  ${run}`);
      }
      if (runs.total > runs.listed.length) {
        write(`  … and ${runs.total - runs.listed.length} more`);
      }
    } else if (runs.total > 0) {
      report.runsDeleted = await deleteExpired(
        client,
        {
          index: names.runs,
          what: 'run summaries',
          listing: size => buildExpiredRunsListing(names, cutoff, size)
        },
        location
      );
    }
    // The curve summaries of points gone with their daily indices.
    if (!dryRun) {
      report.rollupsDeleted = await deleteExpired(
        client,
        {
          index: names.rollups,
          what: 'curve summaries',
          listing: size => buildExpiredRollupsListing(names, cutoff, size)
        },
        location
      );
      write(
        `deleted ${report.rollupsDeleted} curve ${plural(report.rollupsDeleted, 'summary', 'summaries')} whose last point is older than ${cutoff.time}`
      );
    }
    write(
      dryRun
        ? `dry run: nothing deleted (${report.indices.length} ${plural(report.indices.length, 'index', 'indices')} and ${report.runs} run ${plural(report.runs, 'summary', 'summaries')} would be)`
        : `deleted ${report.indices.length} ${plural(report.indices.length, 'index', 'indices')} and ${report.runsDeleted} run ${plural(report.runsDeleted, 'summary', 'summaries')}`
    );
    return report;
  } finally {
    if (!options.client) {
      await client.close();
    }
  }
}

/** Whether the cluster has ILM (a refusal of GET _ilm/status says not). */
async function hasIlm(client: Client, location: string): Promise<boolean> {
  try {
    await client.ilm.getStatus();
    return true;
  } catch (error) {
    if (
      error instanceof errors.ResponseError &&
      [400, 404, 405, 410].includes(error.statusCode ?? 0)
    ) {
      return false;
    }
    throw mapElasticsearchError(error, 'checking ILM', location);
  }
}

/** How many run summaries expired, and the oldest few as `run (updated …)`. */
async function expiredRuns(
  client: Client,
  names: IIndexNames,
  cutoff: IPruneCutoff,
  location: string
): Promise<{ total: number; listed: string[] }> {
  try {
    const found = await client.search<{ run_id?: string; updated?: string }>(
      buildExpiredRunsListing(names, cutoff, LISTED_RUNS)
    );
    const total = found.hits.total;
    return {
      total: typeof total === 'number' ? total : (total?.value ?? 0),
      listed: found.hits.hits.map(
        hit =>
          `${hit._source?.run_id ?? hit._id ?? '?'} (updated ${hit._source?.updated ?? '?'})`
      )
    };
  } catch (error) {
    if (error instanceof errors.ResponseError && error.statusCode === 404) {
      // No runs index yet: nothing to prune there.
      return { total: 0, listed: [] };
    }
    throw mapElasticsearchError(
      error,
      'listing expired run summaries',
      location
    );
  }
}

/** What expires in one index: its documents listed oldest first, a page of `size`. */
interface IExpiring {
  index: string;
  /** In messages: 'run summaries', 'curve summaries'. */
  what: string;
  listing(size: number): estypes.SearchRequest;
}

/**
 * Deletes expired documents a page at a time by id, with a bulk request
 * (no _delete_by_query, which some clusters lack), until none is left.
 * Returns how many were deleted.
 */
async function deleteExpired(
  client: Client,
  expiring: IExpiring,
  location: string
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await client
      .search(expiring.listing(RUNS_PAGE))
      .catch((error: unknown) => {
        if (error instanceof errors.ResponseError && error.statusCode === 404) {
          // No such index (yet): nothing to delete there.
          return null;
        }
        throw mapElasticsearchError(
          error,
          `listing expired ${expiring.what}`,
          location
        );
      });
    const ids = (page?.hits.hits ?? []).flatMap(hit =>
      hit._id === undefined ? [] : [hit._id]
    );
    if (ids.length === 0) {
      return deleted;
    }
    const answer = await client
      .bulk({
        operations: ids.map(id => ({
          delete: { _index: expiring.index, _id: id }
        })),
        refresh: true
      })
      .catch((error: unknown) => {
        throw mapElasticsearchError(
          error,
          `deleting expired ${expiring.what}`,
          location
        );
      });
    const refused = answer.items
      .map(item => item.delete)
      .filter(
        item => item !== undefined && item.status >= 300 && item.status !== 404
      );
    deleted += ids.length - refused.length;
    if (refused.length > 0) {
      throw new Error(
        `deleting expired ${expiring.what}: ${refused.length} refused, e.g. ${refused[0]?._id ?? '?'}: ${describeCause(refused[0]?.error)}`
      );
    }
  }
}

function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}
