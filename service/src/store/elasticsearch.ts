/**
 * The Elasticsearch store: one client per process, templates and the ILM
 * policy set up on init, bulk `create` for writes, search and aggregations
 * for queries. Request bodies come from es-queries/es-mappings (pure);
 * client errors are mapped in es-errors only.
 */
import { Client, errors, type ClientOptions } from '@elastic/elasticsearch';
import pLimit from 'p-limit';

import { redactUrl } from '../common/urlCredentials';
import type { IElasticsearchConfig } from '../config';
import type { ILogger } from '../common/logger';
import { describeError } from '../common/logger';
import type { IMetricPoint, IRunSummary } from '../types';
import { problemsAnswer } from './problem-templates';
import {
  buildErrorCountSearch,
  buildLogSearchAcross,
  buildNonfiniteSearch,
  buildProblemSearch,
  buildRunNames,
  buildThresholdSearch,
  parseErrorCountPage,
  parseLogSearchPage,
  parseNonfinitePage,
  parseProblemEvents,
  parseRunNames,
  parseThresholdPage,
  withRunNames,
  type IProblemSource
} from './es-findings';
import { EsRunOwners, runOwnersIndex } from './es-owners';
import { readComparison } from './es-compare';
import { RollupWriter } from './es-rollup-writer';
import { bulkWrite, largestWritePool, WRITE_POOL_FIELDS } from './es-bulk';
import { createdPoints, type IStoredRollup } from './es-rollups';
import {
  isAlreadyThere,
  mapElasticsearchError,
  mapSearchFailure
} from './es-errors';
import {
  dailyIndex,
  indexNames,
  indexTemplates,
  installedVersion,
  lifecyclePolicy,
  newerInstalled,
  POLICY_VERSION,
  ROLLUPS_MAPPINGS,
  ROLLUPS_SETTINGS,
  RUNS_MAPPINGS,
  runsLifecyclePolicy,
  TEMPLATE_VERSION,
  type IIndexNames,
  type ILifecycleDays,
  type IndexTemplateBody
} from './es-mappings';
import {
  buildBulkPlan,
  buildLogSearch,
  buildLogsAroundSearch,
  buildRunSearch,
  buildSeriesFetch,
  buildSeriesHistogram,
  buildSeriesInventory,
  buildStoredIdsSearch,
  fromStoredRun,
  interpretBulkResponse,
  parseLogPage,
  parseLogsAround,
  parseRunPage,
  parseSeriesFetch,
  parseSeriesHistogram,
  parseSeriesInventory,
  type ISeriesInventoryEntry,
  type RunTimes
} from './es-queries';
import {
  BUCKET_UNITS,
  bucketCount,
  bucketGrid,
  compareSeriesKeys,
  downsample
} from './series-common';
import type {
  ICompareQuery,
  ICompareResponse,
  IErrorCountPage,
  IErrorCountQuery,
  IMetricHitPage,
  INonfinitePage,
  INonfiniteQuery,
  IProblemQuery,
  IProblemsAnswer,
  IThresholdQuery,
  ILogPage,
  ILogQuery,
  ILogSearchQuery,
  IRunPage,
  IRunQuery,
  ISeries,
  ISeriesQuery,
  IStore,
  IStoreStatus,
  IWriteBatch,
  IRunOwnerStore,
  IWriteResult
} from './store';
import { StoreUnavailableError } from './store';

/** Series with at most this many points are fetched whole and thinned here. */
const FETCH_LIMIT = 10000;
/** Series listed per query at most (composite pages of 500). */
const MAX_INVENTORY_PAGES = 10;
/**
 * Series searches of one series query in flight at once at most: a run may
 * have thousands of series, and each is a search of its own.
 */
export const SERIES_SEARCH_CONCURRENCY = 6;
const STATUS_TIMEOUT_MS = 5000;
/** The fields of a bulk answer that interpretBulkResponse reads. */
const BULK_RESPONSE_FIELDS = 'items.*.status,items.*.error';
const OLDEST_SUPPORTED_MAJOR = 8;

export interface IElasticsearchStoreOptions {
  config: IElasticsearchConfig;
  logger: ILogger;
  /** A client made elsewhere (tests inject one with a fake Connection). */
  client?: Client;
}

export function createElasticsearchClient(
  config: IElasticsearchConfig,
  extra: Partial<ClientOptions> = {}
): Client {
  const options: ClientOptions = {
    nodes: config.urls,
    name: 'tflog',
    requestTimeout: config.requestTimeoutMs,
    // The shipper retries with its own backoff; queries get one quick retry.
    maxRetries: 1,
    tls: { rejectUnauthorized: config.verifyCerts },
    ...extra
  };
  if (config.caCerts !== undefined) {
    options.tls = { ...options.tls, ca: config.caCerts };
  }
  if (config.apiKey !== undefined) {
    options.auth = { apiKey: config.apiKey };
  } else if (config.username !== undefined && config.password !== undefined) {
    options.auth = { username: config.username, password: config.password };
  }
  return new Client(options);
}

export class ElasticsearchStore implements IStore {
  private readonly client: Client;
  private readonly names: IIndexNames;
  private readonly prefix: string;
  private readonly location: string;
  private readonly logger: ILogger;
  private readonly retentionDays: number;
  private readonly lifecycleDays: ILifecycleDays;
  private degraded: string[] = [];
  /** Age after which ILM makes daily indices read-only; 0 without ILM. */
  private readOnlyDays = 0;
  private version: string | undefined;
  private readonly rollups: RollupWriter;

  constructor(options: IElasticsearchStoreOptions) {
    this.client = options.client ?? createElasticsearchClient(options.config);
    this.prefix = options.config.indexPrefix;
    this.names = indexNames(this.prefix);
    this.location = options.config.urls.map(redactUrl).join(', ');
    this.logger = options.logger;
    this.retentionDays = options.config.retentionDays;
    this.lifecycleDays = {
      warmDays: options.config.warmDays,
      coldDays: options.config.coldDays,
      deleteDays: options.config.retentionDays
    };
    this.rollups = new RollupWriter(
      this.client,
      this.names.rollups,
      this.location,
      this.logger
    );
  }

  /** Run ownership on a hub (es-owners.ts), on this store's client. */
  runOwners(): IRunOwnerStore {
    return new EsRunOwners(
      this.client,
      runOwnersIndex(this.prefix),
      this.location
    );
  }

  async init(): Promise<void> {
    const info = await this.call('connecting', () => this.client.info());
    this.version = info.version.number;
    const major = Number.parseInt(this.version, 10);
    if (major < OLDEST_SUPPORTED_MAJOR) {
      throw new StoreUnavailableError(
        `Elasticsearch ${this.version} at ${this.location} is too old: 8.x or 9.x is required`
      );
    }
    const degraded: string[] = [];
    const lifecycle = await this.setUpLifecycle(degraded);
    this.readOnlyDays = lifecycle ? this.lifecycleDays.warmDays : 0;
    const templates = indexTemplates(this.prefix, lifecycle ?? {});
    const templatesPut = await this.putTemplates(templates, degraded);
    await this.createRunsIndex();
    await this.createRollupsIndex(degraded);
    if (templatesPut) {
      await this.updateRunsMapping(degraded);
    }
    if (lifecycle) {
      await this.attachRunsPolicy(lifecycle.runsPolicy, degraded);
    }
    await this.createTodaysIndices();
    this.degraded = degraded;
    for (const problem of degraded) {
      this.logger.warn(problem);
    }
    this.logger.info(
      `Elasticsearch ${this.version} at ${this.location} ready (indices ${this.names.logsPattern}, ${this.names.metricsPattern}, ${this.names.runs})`
    );
  }

  async write(batch: IWriteBatch): Promise<IWriteResult> {
    const plan = buildBulkPlan(
      batch,
      this.prefix,
      this.names,
      Date.now(),
      this.readOnlyDays
    );
    if (plan.items.length === 0) {
      return { created: 0, duplicates: 0, rejected: [] };
    }
    const response = await this.call('storing a batch', () =>
      // The answer shrinks to what is read of it: each item's status and
      // error, in request order (a filter keeps array order).
      bulkWrite(this.client, plan.operations, BULK_RESPONSE_FIELDS)
    );
    this.rollups.add(createdPoints(batch.points, plan.items, response));
    return interpretBulkResponse(plan, response);
  }

  /**
   * Bulk requests a node of the cluster indexes at once (the largest
   * write thread pool of its data nodes); null when no node says.
   */
  async writeThreads(): Promise<number | null> {
    const response = await this.call('reading the write thread pools', () =>
      this.client.nodes.info({
        metric: 'thread_pool',
        filter_path: WRITE_POOL_FIELDS
      })
    );
    return largestWritePool(response);
  }

  /** Resolves once the curve summaries of every write so far are stored. */
  async flushRollups(): Promise<void> {
    await this.rollups.flush();
  }

  async getRun(runId: string): Promise<IRunSummary | null> {
    try {
      const found = await this.client.get<Record<string, unknown>>({
        index: this.names.runs,
        id: runId
      });
      return found._source ? fromStoredRun(found._source) : null;
    } catch (error) {
      if (error instanceof errors.ResponseError && error.statusCode === 404) {
        return null;
      }
      throw mapElasticsearchError(error, 'reading a run', this.location);
    }
  }

  async storedIds(
    kind: 'documents' | 'points',
    ids: string[]
  ): Promise<Set<string>> {
    if (ids.length === 0) {
      return new Set();
    }
    const response = await this.call('looking up stored ids', () =>
      this.client.search(
        buildStoredIdsSearch(
          kind === 'documents'
            ? this.names.logsPattern
            : this.names.metricsPattern,
          ids
        )
      )
    );
    return new Set(response.hits.hits.map(hit => hit._id ?? ''));
  }

  async searchRuns(query: IRunQuery): Promise<IRunPage> {
    const request = buildRunSearch(query, this.names);
    const response = await this.call('listing runs', () =>
      this.client.search<Record<string, unknown>>(request)
    );
    return parseRunPage(response, query);
  }

  async series(query: ISeriesQuery): Promise<ISeries[]> {
    // The run's times let Elasticsearch skip the daily indices outside them;
    // an unknown run is searched everywhere, as before it had a summary.
    const run = (await this.getRun(query.runId)) ?? undefined;
    const entries = await this.seriesInventory(query, run);
    const limit = pLimit(SERIES_SEARCH_CONCURRENCY);
    try {
      // Promise.all keeps the entries' order and rejects on the first failure.
      const series = await Promise.all(
        entries.map(entry => limit(() => this.readSeries(query, entry, run)))
      );
      return series.sort(compareSeriesKeys);
    } catch (error) {
      // The answer is lost anyway: start none of the searches still queued.
      limit.clearQueue();
      throw error;
    }
  }

  async compare(query: ICompareQuery): Promise<ICompareResponse> {
    const reading = 'reading the compared series';
    return readComparison(
      query,
      this.names,
      {
        mget: request =>
          this.call('reading the compared runs', () =>
            this.client.mget<Record<string, unknown>>(request)
          ),
        search: request =>
          this.call('listing the compared series', () =>
            this.client.search(request)
          ),
        msearch: request =>
          this.call(reading, () => this.client.msearch<IMetricPoint>(request)),
        mgetRollups: request =>
          this.call('reading curve summaries', async () => {
            try {
              return await this.client.mget<IStoredRollup>(request);
            } catch (error) {
              if (isIndexMissing(error)) {
                // An admin removed it (or it could not be created): read points.
                return { docs: [] };
              }
              throw error;
            }
          })
      },
      failure => {
        throw mapSearchFailure(failure.status, failure.error, reading);
      }
    );
  }

  async logs(query: ILogQuery): Promise<ILogPage> {
    const at = query.at;
    if (at !== undefined) {
      const [before, from] = await Promise.all(
        (['before', 'from'] as const).map(side =>
          this.call('reading logs', () =>
            this.client.search<Record<string, unknown>>(
              buildLogsAroundSearch({ ...query, at }, side, this.names)
            )
          )
        )
      );
      return parseLogsAround(before, from, query);
    }
    const request = buildLogSearch(query, this.names);
    const response = await this.call('reading logs', () =>
      this.client.search<Record<string, unknown>>(request)
    );
    return parseLogPage(response, query);
  }

  async searchLogs(query: ILogSearchQuery): Promise<ILogPage> {
    const response = await this.call('searching logs', () =>
      this.client.search<Record<string, unknown>>(
        buildLogSearchAcross(query, this.names)
      )
    );
    return parseLogSearchPage(response, query);
  }

  async thresholdPoints(query: IThresholdQuery): Promise<IMetricHitPage> {
    const response = await this.call('finding metric values', () =>
      this.client.search<IMetricPoint>(buildThresholdSearch(query, this.names))
    );
    const page = parseThresholdPage(response, query);
    page.points = withRunNames(
      page.points,
      await this.runNames(page.points, query.user)
    );
    return page;
  }

  async nonfiniteRuns(query: INonfiniteQuery): Promise<INonfinitePage> {
    const response = await this.call('finding non-finite values', () =>
      this.client.search(buildNonfiniteSearch(query, this.names))
    );
    const page = parseNonfinitePage(response, query);
    page.runs = withRunNames(
      page.runs,
      await this.runNames(page.runs, query.user)
    );
    return page;
  }

  async errorCounts(query: IErrorCountQuery): Promise<IErrorCountPage> {
    const response = await this.call('counting errors', () =>
      this.client.search<Partial<IRunSummary>>(
        buildErrorCountSearch(query, this.names)
      )
    );
    return parseErrorCountPage(response, query);
  }

  async problems(query: IProblemQuery): Promise<IProblemsAnswer> {
    const response = await this.call('grouping warnings and errors', () =>
      this.client.search<IProblemSource>(buildProblemSearch(query, this.names))
    );
    const { events, sampled } = parseProblemEvents(response);
    return problemsAnswer(events, sampled, query.size);
  }

  /** The names of the runs these items belong to. */
  private async runNames(
    items: { run_id: string }[],
    user: string
  ): Promise<Map<string, string | null>> {
    const runIds = [...new Set(items.map(item => item.run_id))];
    if (runIds.length === 0) {
      return new Map();
    }
    const response = await this.call('reading run names', () =>
      this.client.search<Partial<IRunSummary>>(
        buildRunNames(runIds, user, this.names)
      )
    );
    return parseRunNames(response);
  }

  async status(): Promise<IStoreStatus> {
    const status: IStoreStatus = {
      kind: 'elasticsearch',
      location: this.location,
      healthy: false,
      degraded: this.degraded.slice()
    };
    try {
      const info = await this.client.info(undefined, {
        requestTimeout: STATUS_TIMEOUT_MS,
        maxRetries: 0
      });
      status.healthy = true;
      status.version = info.version.number;
    } catch (error) {
      status.error = mapElasticsearchError(
        error,
        'checking the cluster',
        this.location
      ).message;
      if (this.version !== undefined) {
        status.version = this.version;
      }
    }
    return status;
  }

  async close(): Promise<void> {
    await this.rollups.flush();
    await this.client.close();
  }

  /** Runs a client call, mapping its failure to the store's error types. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw mapElasticsearchError(error, what, this.location);
    }
  }

  /**
   * Creates the ILM policies when the cluster has ILM, else says why not.
   * Returns the policies the templates name (also when a newer tflog's
   * policies are kept), or undefined without ILM.
   */
  private async setUpLifecycle(
    degraded: string[]
  ): Promise<{ policy: string; runsPolicy: string } | undefined> {
    try {
      await this.client.ilm.getStatus();
    } catch (error) {
      if (isClientRefusal(error)) {
        const reason = mapElasticsearchError(
          error,
          'GET _ilm/status',
          this.location
        ).message;
        degraded.push(
          `ILM is not available on this cluster (${reason}): daily indices ${this.names.logsPattern} and ${this.names.metricsPattern} are not deleted after ${this.retentionDays} days; run tflog prune on a schedule (docs/storage.md)`
        );
        return undefined;
      }
      throw mapElasticsearchError(error, 'checking ILM', this.location);
    }
    const policies = {
      [this.names.policy]: lifecyclePolicy(this.lifecycleDays),
      [this.names.runsPolicy]: runsLifecyclePolicy(this.retentionDays)
    };
    for (const [name, policy] of Object.entries(policies)) {
      if (!(await this.putPolicy(name, policy, degraded))) {
        return undefined;
      }
    }
    return { policy: this.names.policy, runsPolicy: this.names.runsPolicy };
  }

  /**
   * Puts one ILM policy unless a newer tflog's is installed. False when it
   * cannot (no manage_ilm privilege): the templates then name no policy.
   */
  private async putPolicy(
    name: string,
    policy: ReturnType<typeof lifecyclePolicy>,
    degraded: string[]
  ): Promise<boolean> {
    const newer = newerInstalled(
      `ILM policy ${name}`,
      await this.installedPolicyVersion(name),
      POLICY_VERSION,
      'it'
    );
    if (newer !== null) {
      degraded.push(newer);
      return true;
    }
    try {
      await this.client.ilm.putLifecycle({ name, policy });
      return true;
    } catch (error) {
      if (error instanceof errors.ResponseError && error.statusCode === 403) {
        degraded.push(
          `cannot create the ILM policy ${name} (403: needs the manage_ilm cluster privilege): indices are not deleted automatically`
        );
        return false;
      }
      throw mapElasticsearchError(
        error,
        `creating the ILM policy ${name}`,
        this.location
      );
    }
  }

  /** `_meta.version` of an installed policy; undefined when none is readable. */
  private async installedPolicyVersion(
    name: string
  ): Promise<number | undefined> {
    try {
      const found = await this.client.ilm.getLifecycle({ name });
      return installedVersion(found[name]?.policy);
    } catch (error) {
      if (!(
        error instanceof errors.ResponseError && error.statusCode === 404
      )) {
        this.logger.debug(
          `cannot read the ILM policy ${name}: ${describeError(error)}`
        );
      }
      return undefined;
    }
  }

  /**
   * Puts the templates, unless any installed one has a higher version (a
   * newer tflog shares the cluster): then all are left, never mixed, and
   * false is answered.
   */
  private async putTemplates(
    templates: Record<string, IndexTemplateBody>,
    degraded: string[]
  ): Promise<boolean> {
    let highest: number | undefined;
    for (const name of Object.keys(templates)) {
      const version = await this.installedTemplateVersion(name);
      if (
        version !== undefined &&
        (highest === undefined || version > highest)
      ) {
        highest = version;
      }
    }
    const newer = newerInstalled('templates', highest, TEMPLATE_VERSION);
    if (newer !== null) {
      degraded.push(`${newer} (${Object.keys(templates).join(', ')})`);
      return false;
    }
    for (const [name, body] of Object.entries(templates)) {
      await this.putTemplate(name, body, degraded);
    }
    return true;
  }

  /**
   * Fields a newer template maps are added to a runs index an older tflog
   * created (templates only reach new indices). Adding fields never
   * conflicts with stored summaries; those get the fields when rewritten.
   */
  private async updateRunsMapping(degraded: string[]): Promise<void> {
    try {
      await this.client.indices.putMapping({
        index: this.names.runs,
        dynamic: RUNS_MAPPINGS.dynamic,
        properties: RUNS_MAPPINGS.properties
      });
    } catch (error) {
      const reason = mapElasticsearchError(
        error,
        `updating the mapping of ${this.names.runs}`,
        this.location
      ).message;
      degraded.push(
        `the run summaries index ${this.names.runs} lacks fields of this tflog's mapping (${reason}): sorting runs by duration or by a metric may fail`
      );
    }
  }

  /** The version of an installed template; undefined when none is readable. */
  private async installedTemplateVersion(
    name: string
  ): Promise<number | undefined> {
    try {
      const found = await this.client.indices.getIndexTemplate({ name });
      const entry = (found.index_templates ?? []).find(
        item => item.name === name
      );
      return installedVersion(entry?.index_template);
    } catch (error) {
      if (!(
        error instanceof errors.ResponseError && error.statusCode === 404
      )) {
        this.logger.debug(
          `cannot read the index template ${name}: ${describeError(error)}`
        );
      }
      return undefined;
    }
  }

  private async putTemplate(
    name: string,
    body: IndexTemplateBody,
    degraded: string[]
  ): Promise<void> {
    try {
      await this.client.indices.putIndexTemplate({ name, ...body });
    } catch (error) {
      const forbidden =
        error instanceof errors.ResponseError && error.statusCode === 403;
      if (forbidden && (await this.templateExists(name))) {
        degraded.push(
          `cannot update the index template ${name} (403: needs the manage_index_templates cluster privilege); the existing one is used`
        );
        return;
      }
      throw mapElasticsearchError(
        error,
        `creating the index template ${name}`,
        this.location
      );
    }
  }

  private async templateExists(name: string): Promise<boolean> {
    try {
      return await this.client.indices.existsIndexTemplate({ name });
    } catch (error) {
      this.logger.debug(
        `cannot check whether template ${name} exists: ${describeError(error)}`
      );
      return false;
    }
  }

  /**
   * The runs index predates its policy where an older tflog created it:
   * the policy is set on it here (templates only reach new indices).
   */
  private async attachRunsPolicy(
    policy: string,
    degraded: string[]
  ): Promise<void> {
    try {
      await this.client.indices.putSettings({
        index: this.names.runs,
        settings: { 'index.lifecycle.name': policy }
      });
    } catch (error) {
      const reason = mapElasticsearchError(
        error,
        `setting the ILM policy of ${this.names.runs}`,
        this.location
      ).message;
      degraded.push(
        `the run summaries index ${this.names.runs} has no ILM policy (${reason})`
      );
    }
  }

  /** The runs index exists before the first query, so getRun is a plain 404. */
  private async createRunsIndex(): Promise<void> {
    try {
      await this.client.indices.create({ index: this.names.runs });
    } catch (error) {
      if (!isAlreadyThere(error)) {
        throw mapElasticsearchError(
          error,
          `creating the index ${this.names.runs}`,
          this.location
        );
      }
    }
  }

  /**
   * The curve summaries index. Without it comparisons still work, from the
   * points (slower), so failing to create it only degrades.
   */
  private async createRollupsIndex(degraded: string[]): Promise<void> {
    try {
      await this.client.indices.create({
        index: this.names.rollups,
        mappings: ROLLUPS_MAPPINGS,
        settings: ROLLUPS_SETTINGS
      });
    } catch (error) {
      if (!isAlreadyThere(error)) {
        const reason = mapElasticsearchError(
          error,
          `creating the index ${this.names.rollups}`,
          this.location
        ).message;
        degraded.push(
          `no curve summaries index ${this.names.rollups} (${reason}): comparisons of long runs read every point`
        );
      }
    }
  }

  /**
   * Today's logs and metrics indices, created now rather than by the first
   * write: creating an index takes the node a while (about 0.4 s on a small
   * one), which the first points of a run would otherwise wait for. Without
   * the privilege to create them, the first write still does (auto-create).
   */
  private async createTodaysIndices(): Promise<void> {
    const now = new Date().toISOString();
    for (const kind of ['logs', 'metrics'] as const) {
      const index = dailyIndex(this.prefix, kind, now);
      try {
        await this.client.indices.create({ index });
      } catch (error) {
        if (!isAlreadyThere(error)) {
          const reason = mapElasticsearchError(
            error,
            `creating ${index}`,
            this.location
          ).message;
          this.logger.info(
            `cannot create today's index ${index} up front (${reason}); the first write creates it`
          );
        }
      }
    }
  }

  private async seriesInventory(
    query: ISeriesQuery,
    run: RunTimes | undefined
  ): Promise<ISeriesInventoryEntry[]> {
    const entries: ISeriesInventoryEntry[] = [];
    let afterKey: Record<string, string> | undefined;
    for (let page = 0; page < MAX_INVENTORY_PAGES; page += 1) {
      const request = buildSeriesInventory(query, this.names, afterKey, run);
      const response = await this.call('listing series', () =>
        this.client.search(request)
      );
      const parsed = parseSeriesInventory(response);
      entries.push(...parsed.entries);
      afterKey = parsed.afterKey;
      if (!afterKey) {
        break;
      }
    }
    return entries;
  }

  private async readSeries(
    query: ISeriesQuery,
    entry: ISeriesInventoryEntry,
    run: RunTimes | undefined
  ): Promise<ISeries> {
    const key = { name: entry.name, scope: entry.scope, source: entry.source };
    if (entry.count <= FETCH_LIMIT) {
      const request = buildSeriesFetch(
        query,
        key,
        entry.count,
        this.names,
        run
      );
      const response = await this.call('reading a series', () =>
        this.client.search(request)
      );
      const thinned = downsample(
        parseSeriesFetch(
          response as Parameters<typeof parseSeriesFetch>[0],
          query
        ),
        query.maxPoints,
        query.axis
      );
      return { ...key, ...thinned };
    }
    const grid = bucketGrid(
      entry.minX,
      entry.maxX,
      bucketCount(query.maxPoints),
      BUCKET_UNITS[query.axis]
    );
    const request = buildSeriesHistogram(query, key, grid, this.names, run);
    const response = await this.call('thinning a series', () =>
      this.client.search(request)
    );
    return {
      ...key,
      points: parseSeriesHistogram(response, query),
      downsampled: true
    };
  }
}

/** 400/404/405/410 from a feature endpoint: the cluster does not have it. */
function isClientRefusal(error: unknown): boolean {
  return (
    error instanceof errors.ResponseError &&
    [400, 404, 405, 410].includes(error.statusCode ?? 0)
  );
}

/** The index to create exists already. */
/** The index asked for does not exist. */
function isIndexMissing(error: unknown): boolean {
  return (
    error instanceof errors.ResponseError &&
    error.statusCode === 404 &&
    JSON.stringify(error.body ?? '').includes('index_not_found_exception')
  );
}
