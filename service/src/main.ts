/**
 * The tflog service: reads its configuration from the environment, starts
 * the HTTP API, sets up the store (Elasticsearch when TFLOG_ES_URLS is set,
 * else the embedded store), and ships the spool into it until SIGTERM.
 *
 * Invalid configuration keeps the API up (so the panel can show what is
 * wrong) and ships nothing; a store that cannot be reached is retried with
 * backoff while the API reports why. Only the service holding the shipper
 * lock of the state directory ships; another one (a second Jupyter server of
 * the same user) answers queries and takes over when the first stops. Exit
 * status: 0 after a clean stop, 1 on a crash, 2 when the API itself cannot
 * start.
 */
import * as path from 'path';

import { Alerting } from './alerts';
import { createApiServer, type IApiServer, type ListenTarget } from './api';
import { ApiError } from './api/errors';
import {
  loadConfig,
  SERVICE_VERSION,
  type IConfigResult,
  type IServiceConfig
} from './config';
import {
  createParser,
  createRunState,
  type IParserOptions,
  type IRunState
} from './parse';
import { backoffDelay, DeliveryAbortedError, sleep } from './common/backoff';
import { createLogger, describeError, type ILogger } from './common/logger';
import { redactUrl } from './common/urlCredentials';
import type { IRecordParser } from './ship/parser-port';
import { Pipeline } from './ship/pipeline';
import { RecentData } from './ship/recent';
import { StatusTracker, type IShipperStatus } from './ship/status';
import {
  describeHolder,
  ShipperLock,
  type ILockHolder,
  type ILockOwner
} from './spool/lock';
import { ElasticsearchStore } from './store/elasticsearch';
import { EmbeddedStore } from './store/embedded';
import { HubStore } from './store/hub-client';
import { hubEndpoints, type IHubEndpoints } from './hub/service';
import { StoreUnavailableError, type IStore } from './store/store';

/** Time in-flight batches get to reach the store on shutdown. */
const SHUTDOWN_GRACE_MS = 5000;
/**
 * Past this, shutdown gives up waiting and exits anyway: before the Jupyter
 * server's SIGKILL (TflogService.stop_timeout, 10 s by default).
 */
const SHUTDOWN_HARD_LIMIT_MS = 8000;
/** Longest a POST /flush waits for the store. */
const FLUSH_TIMEOUT_MS = 30000;
/**
 * How often a standby service tries the shipper lock, and the shipping one
 * checks that the lock is still its own.
 */
const LOCK_CHECK_INTERVAL_MS = 5000;

interface IService {
  config: IServiceConfig;
  logger: ILogger;
  status: StatusTracker;
  store: IStore | null;
  /**
   * The embedded store opened read-only, for queries while another service
   * of this user ships (standby); null otherwise.
   */
  reader: IStore | null;
  /** Made once: a pipeline made again after losing the lock reuses it. */
  recordParser: IRecordParser<IRunState> | null;
  /** The alert rules over what the pipeline parses; null when nothing ships. */
  alerting: Alerting | null;
  pipeline: Pipeline<IRunState> | null;
  /** Null when nothing is shipped (invalid configuration). */
  lock: ShipperLock | null;
  /** The pipeline runs: this service holds the lock and the store is set up. */
  shipping: boolean;
  api: IApiServer | null;
  /**
   * What this service stored in the last seconds; empty unless it ships.
   * Null with the embedded store, where a stored batch is readable at once:
   * at its ingest rate the cache would hold hundreds of megabytes.
   */
  recent: RecentData | null;
  /** Aborted on shutdown: stops the lock and store set-up retry loops. */
  stopping: AbortController;
}

async function main(): Promise<number> {
  const loaded = loadConfig();
  const { config } = loaded;
  const logger = createLogger(config.logLevel);
  logNodeWarnings(logger);
  reportConfigProblems(loaded, logger);
  const status = new StatusTracker({
    spoolDir: config.spoolDir,
    stateDir: config.stateDir
  });
  status.configErrors = loaded.errors.map(problem => problem.message);
  status.configWarnings = loaded.warnings.map(problem => problem.message);

  if (config.listen === null) {
    logger.error(
      'cannot start the API: no usable TFLOG_SOCKET or TFLOG_PORT (see the errors above)'
    );
    return 2;
  }
  const service: IService = {
    config,
    logger,
    status,
    store: null,
    reader: null,
    recordParser: null,
    alerting: null,
    pipeline: null,
    lock: null,
    shipping: false,
    api: null,
    recent: null,
    stopping: new AbortController()
  };
  const configError =
    loaded.errors.length > 0
      ? `invalid configuration: ${status.configErrors.join('; ')}`
      : null;
  let hub: IHubEndpoints | null = null;
  if (configError) {
    status.state = 'config_error';
  } else {
    service.store = createStore(config, logger);
    if (!(service.store instanceof EmbeddedStore)) {
      service.recent = new RecentData();
    }
    status.storeInUse = storeInUse(config);
    if (config.hubService) {
      // The hub service ships no spool: users' services send it batches.
      hub = hubEndpoints(
        config.hubService,
        service.store as ElasticsearchStore,
        logger
      );
    } else {
      service.recordParser = createRecordParser(service);
      service.pipeline = createPipeline(service);
      service.lock = new ShipperLock({ stateDir: config.stateDir });
    }
  }

  // Handlers first: a SIGTERM during start-up still stops cleanly.
  const stopped = new Promise<number>(resolve => {
    let stopping = false;
    const stop = (reason: string): void => {
      if (stopping) {
        return;
      }
      stopping = true;
      logger.info(`${reason}: stopping`);
      const hardLimit = setTimeout(() => {
        logger.error(
          `shutdown did not finish within ${SHUTDOWN_HARD_LIMIT_MS / 1000} s; exiting anyway (unshipped records stay in the spool)`
        );
        resolve(1);
      }, SHUTDOWN_HARD_LIMIT_MS);
      hardLimit.unref();
      shutDown(service).then(
        () => resolve(0),
        error => {
          logger.error(`shutdown failed: ${describeError(error)}`);
          resolve(1);
        }
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM received'));
    process.on('SIGINT', () => stop('SIGINT received'));
    if (process.env.TFLOG_EXIT_ON_STDIN_EOF === '1') {
      // The Jupyter server holds our stdin open while it lives: end-of-file
      // means it died without stopping us.
      process.stdin.on('end', () =>
        stop('stdin closed (the Jupyter server is gone)')
      );
      process.stdin.on('error', error =>
        stop(`stdin failed (${describeError(error)})`)
      );
      process.stdin.resume();
    }
  });

  service.api = createApiServer({
    store: service.store ? storeForQueries(service) : null,
    recent: service.recent,
    getStatus: user =>
      hub ? hub.statusFor(user, status.snapshot()) : status.snapshot(),
    configError,
    authenticate: hub?.authenticate,
    ingest: hub?.ingest,
    basePath: hub?.basePath,
    version: SERVICE_VERSION,
    user: config.user,
    serverRoot: config.serverRoot,
    flush: service.pipeline ? () => flushIfShipping(service) : undefined,
    alertThresholds: service.alerting
      ? {
          get: () => (service.alerting as Alerting).thresholds(),
          set: override =>
            (service.alerting as Alerting).setUserThresholds(override)
        }
      : undefined,
    maxEventClients: config.maxEventClients,
    logger: logger.child('api')
  });
  const target: ListenTarget =
    config.listen.kind === 'socket'
      ? { socket: config.listen.path }
      : { port: config.listen.port, host: config.listen.host };
  try {
    const at = await service.api.listen(target);
    logger.info(
      `tflog service ${SERVICE_VERSION} (pid ${process.pid}) listening on ${
        'socket' in at ? at.socket : `http://${at.host}:${at.port}`
      }`
    );
  } catch (error) {
    logger.error(`cannot start the API: ${describeError(error)}`);
    return 2;
  }

  if (service.store && service.pipeline) {
    startShipping(service).catch(error => {
      logger.error(`shipping could not start: ${describeError(error)}`);
      status.recordError(`shipping could not start: ${describeError(error)}`);
    });
  } else if (service.store && hub) {
    prepareHubStore(service, hub).catch(error => {
      logger.error(`the store could not be set up: ${describeError(error)}`);
      status.recordError(
        `the store could not be set up: ${describeError(error)}`
      );
    });
  }
  return stopped;
}

function storeInUse(config: IServiceConfig): IShipperStatus['storeInUse'] {
  if (config.hubClient) {
    return { kind: 'hub', location: redactUrl(config.hubClient.url) };
  }
  if (config.elasticsearch) {
    return {
      kind: 'elasticsearch',
      location: config.elasticsearch.urls.map(redactUrl).join(', ')
    };
  }
  return { kind: 'embedded', location: config.storeDir };
}

/**
 * The hub service sets the store up (templates, lifecycle) before it takes
 * batches, retrying until the cluster answers; until then writes answer 503.
 */
async function prepareHubStore(
  service: IService,
  hub: IHubEndpoints
): Promise<void> {
  const { logger, status } = service;
  const store = service.store as IStore;
  for (let attempt = 0; !service.stopping.signal.aborted; attempt += 1) {
    try {
      await store.init();
      await hub.prepare();
      status.state = 'running';
      logger.info('hub service: the store is set up; taking batches');
      return;
    } catch (error) {
      const delay = backoffDelay(attempt);
      const message = `setting the store up failed: ${describeError(error)}`;
      status.recordError(message);
      logger.error(`${message}; retrying in ${delay} ms`);
      if (!(await pause(delay, service))) {
        return;
      }
    }
  }
}

/**
 * Node's process warnings go to the service log. The one that node:sqlite
 * is experimental is left out: tflog requires the Node versions it was
 * tested with (docs/storage.md), and the line would only alarm users.
 */
function logNodeWarnings(logger: ILogger): void {
  process.removeAllListeners('warning');
  process.on('warning', warning => {
    if (
      warning.name === 'ExperimentalWarning' &&
      /SQLite/i.test(warning.message)
    ) {
      return;
    }
    logger.warn(`node: ${warning.name}: ${warning.message}`);
  });
}

function reportConfigProblems(loaded: IConfigResult, logger: ILogger): void {
  for (const warning of loaded.warnings) {
    logger.warn(`configuration: ${warning.message}`);
  }
  for (const error of loaded.errors) {
    logger.error(`configuration: ${error.message}`);
  }
  if (loaded.errors.length > 0) {
    logger.error(
      'nothing is shipped until the configuration is fixed; the API stays up and reports these errors in /status'
    );
  }
}

function createStore(config: IServiceConfig, logger: ILogger): IStore {
  if (config.hubClient) {
    return new HubStore({
      url: config.hubClient.url,
      token: config.hubClient.token
    });
  }
  if (config.elasticsearch) {
    return new ElasticsearchStore({
      config: config.elasticsearch,
      logger: logger.child('elasticsearch')
    });
  }
  return new EmbeddedStore({
    dir: config.storeDir,
    retentionDays: config.retentionDays,
    maxSizeMb: config.storeMaxMb,
    logger: logger.child('embedded-store')
  });
}

function createRecordParser(service: IService): IRecordParser<IRunState> {
  const { config, logger, status } = service;
  const parser = createParser({
    // The parser checks the shape and reports each bad pattern.
    patterns: config.patterns as IParserOptions['patterns'],
    // A pattern too slow on a line: at most a few reports, then disabled.
    onPatternProblem: problem => {
      const message = `TFLOG_PATTERNS_FILE: ${problem.message}`;
      logger.warn(`parser: ${message}`);
      status.configWarnings.push(message);
    }
  });
  for (const problem of parser.patternErrors) {
    const message = `TFLOG_PATTERNS_FILE: ${problem.message}`;
    logger.warn(`configuration: ${message} (pattern skipped)`);
    status.configWarnings.push(message);
  }
  for (const { name, grok } of parser.patterns) {
    if (grok.guardReason !== null) {
      logger.info(
        `configuration: TFLOG_PATTERNS_FILE: grok pattern '${name}': ${grok.guardReason}`
      );
    }
  }
  const alerting = new Alerting({
    thresholds: config.alerts,
    webhook: config.alertWebhook,
    logger: logger.child('alerts'),
    announce: alert => service.api?.announce(alert),
    store: () => (service.shipping ? service.store : null),
    unread: runId => service.pipeline?.hasUnread(runId) ?? false,
    userThresholdsFile: path.join(config.stateDir, 'alert-thresholds.json')
  });
  service.alerting = alerting;
  return {
    newRunState: runId => createRunState(runId),
    parseRecord: (record, state) =>
      alerting.amend(record, state, parser.parseRecord(record, state))
  };
}

function createPipeline(service: IService): Pipeline<IRunState> {
  const { config, logger, status } = service;
  return new Pipeline<IRunState>({
    spoolDir: config.spoolDir,
    stateDir: config.stateDir,
    store: service.store as IStore,
    parser: service.recordParser as IRecordParser<IRunState>,
    limits: {
      maxDocs: config.batchMaxDocs,
      maxBytes: config.batchMaxBytes,
      maxWaitMs: config.batchMaxWaitMs
    },
    pollIntervalMs: config.pollIntervalMs,
    maxLineBytes: config.maxLineBytes,
    spoolKeepDays: config.spoolKeepDays,
    logger: logger.child('pipeline'),
    status,
    serverRoot: config.serverRoot,
    isWatched: runId => service.recent?.isWatched(runId) ?? false,
    // Live clients hear of a batch once they can read it: as it is sealed
    // where the cache serves it, once stored on the embedded store (which
    // keeps no cache: a stored batch is readable at once).
    onSealed: (updates, sealed) => {
      if (service.recent) {
        service.recent.sealed(sealed);
        service.api?.notify(updates);
      }
    },
    onStored: (updates, stored) => {
      if (service.recent) {
        service.recent.stored(stored);
      } else {
        service.api?.notify(updates);
      }
    }
  });
}

/**
 * Ships while this service holds the shipper lock: waits in standby while
 * another service holds it, and goes back to standby if the lock is lost.
 */
async function startShipping(service: IService): Promise<void> {
  while (!service.stopping.signal.aborted) {
    if (!(await takeLock(service))) {
      return;
    }
    if (!(await startPipeline(service))) {
      return;
    }
    if (!(await keepLock(service))) {
      return;
    }
    await standDown(service);
  }
}

/** Retries the lock until it is taken (true) or the service stops (false). */
async function takeLock(service: IService): Promise<boolean> {
  const { logger, status } = service;
  const lock = service.lock as ShipperLock;
  let lastMessage: string | null = null;
  const report = (message: string, log: (line: string) => void): void => {
    // The retry runs every few seconds: log each distinct situation once.
    if (message !== lastMessage) {
      log(message);
      lastMessage = message;
    }
  };
  for (;;) {
    try {
      const attempt = await lock.tryAcquire();
      if (attempt.acquired) {
        if (service.stopping.signal.aborted) {
          // Shutdown began while the lock was being taken: give it back.
          await lock.release();
          return false;
        }
        if (attempt.tookOverFrom) {
          logger.warn(
            `took over the shipper lock ${lock.path} from ${describeOwner(attempt.tookOverFrom)}, which no longer runs`
          );
        }
        if (lastMessage !== null) {
          logger.info(`took the shipper lock ${lock.path}: shipping now`);
        }
        status.leaveStandby();
        await closeReader(service);
        return true;
      }
      const message = describeHolder(attempt.holder, lock.path);
      status.enterStandby({
        message,
        lockFile: lock.path,
        holder: attempt.holder.owner
      });
      report(message, line => logger.warn(line));
    } catch (error) {
      const message = `cannot take the shipper lock: ${describeError(error)}`;
      status.recordError(message);
      report(message, line => logger.error(`${line}; retrying`));
    }
    if (!(await pause(LOCK_CHECK_INTERVAL_MS, service))) {
      return false;
    }
  }
}

/** Sets the store up and starts the pipeline, retrying until both work. */
async function startPipeline(service: IService): Promise<boolean> {
  const { logger, status } = service;
  const store = service.store as IStore;
  for (let attempt = 0; !service.stopping.signal.aborted; attempt += 1) {
    try {
      await store.init();
      await (service.pipeline as Pipeline<IRunState>).start();
      service.shipping = true;
      status.state = 'running';
      return true;
    } catch (error) {
      const delay = backoffDelay(attempt);
      const message = `starting to ship failed: ${describeError(error)}`;
      status.recordError(message);
      logger.error(`${message}; retrying in ${delay} ms`);
      if (!(await pause(delay, service))) {
        return false;
      }
    }
  }
  return false;
}

/**
 * Checks the lock while shipping. Resolves false when the service stops,
 * true when another service's lock replaced this one's (after someone
 * deleted it): two shippers must not go on side by side.
 */
async function keepLock(service: IService): Promise<boolean> {
  const { logger, status } = service;
  const lock = service.lock as ShipperLock;
  let lastFailure: string | null = null;
  for (;;) {
    if (!(await pause(LOCK_CHECK_INTERVAL_MS, service))) {
      return false;
    }
    try {
      const check = await lock.confirm();
      lastFailure = null;
      if (!check.ours) {
        const message = `lost the shipper lock ${lock.path} to ${describeHolderBriefly(check.holder)}: this service stops shipping`;
        logger.error(message);
        status.recordError(message);
        return true;
      }
      if (check.recreated) {
        logger.warn(
          `the shipper lock ${lock.path} had been deleted; created it again`
        );
      }
    } catch (error) {
      const message = `cannot check the shipper lock: ${describeError(error)}`;
      status.recordError(message);
      if (message !== lastFailure) {
        logger.error(`${message}; still shipping, checking again`);
        lastFailure = message;
      }
    }
  }
}

/**
 * Stops shipping after losing the lock. The store is made again too: the
 * embedded store's writing connection is closed, and the next start opens
 * (and checks) the database afresh.
 */
async function standDown(service: IService): Promise<void> {
  const pipeline = service.pipeline as Pipeline<IRunState>;
  const store = service.store as IStore;
  service.shipping = false;
  service.store = createStore(service.config, service.logger);
  service.pipeline = createPipeline(service);
  // The registry is the new shipper's now: this pipeline must not save it.
  await pipeline.standDown(SHUTDOWN_GRACE_MS);
  await store.close();
  // The next shipper writes the store now; this cache would fall behind it.
  service.recent?.clear();
}

/** Waits, unless the service stops first: then false. */
async function pause(ms: number, service: IService): Promise<boolean> {
  try {
    await sleep(ms, service.stopping.signal);
    return true;
  } catch (stopped) {
    if (stopped instanceof DeliveryAbortedError) {
      return false;
    }
    throw stopped;
  }
}

/** POST /flush: only the shipping service has anything to flush. */
async function flushIfShipping(service: IService): Promise<void> {
  const standby = service.status.standby;
  if (standby) {
    throw new ApiError(501, 'not_implemented', standby.message);
  }
  if (!service.shipping || !service.pipeline) {
    throw new StoreUnavailableError(
      'shipping has not started yet (see lastError in /status)'
    );
  }
  await service.pipeline.flush(FLUSH_TIMEOUT_MS);
}

/**
 * The store the API queries. An Elasticsearch store (or the hub service)
 * answers any service.
 * The embedded store is written by the shipping service only; a standby
 * service reads it through a read-only connection of its own (SQLite's WAL
 * lets readers see every committed batch while the other service writes).
 * Queries go to the current store: it is made again after losing the lock.
 */
function storeForQueries(service: IService): IStore {
  const store = (): IStore => service.store as IStore;
  const readable = async (): Promise<IStore> => {
    // Elasticsearch and the hub service answer any service of the user.
    if (
      !service.status.standby ||
      service.config.elasticsearch ||
      service.config.hubClient
    ) {
      return store();
    }
    if (!service.reader) {
      service.reader = new EmbeddedStore({
        dir: service.config.storeDir,
        retentionDays: 0,
        logger: service.logger.child('embedded-store-reader'),
        readOnly: true
      });
    }
    const reader = service.reader;
    try {
      await reader.init();
    } catch (error) {
      throw new StoreUnavailableError(
        `${(service.status.standby as { message: string }).message}; reading its embedded store failed: ${describeError(error)}`
      );
    }
    return reader;
  };
  return {
    init: () => store().init(),
    write: batch => store().write(batch),
    getRun: async runId => (await readable()).getRun(runId),
    searchRuns: async query => (await readable()).searchRuns(query),
    series: async query => (await readable()).series(query),
    logs: async query => (await readable()).logs(query),
    status: () => store().status(),
    close: () => store().close(),
    // The queries across runs, which the store in use may lack (501).
    thresholdPoints: async query => {
      const target = await readable();
      if (!target.thresholdPoints) {
        throw crossRunQueriesMissing();
      }
      return target.thresholdPoints(query);
    },
    nonfiniteRuns: async query => {
      const target = await readable();
      if (!target.nonfiniteRuns) {
        throw crossRunQueriesMissing();
      }
      return target.nonfiniteRuns(query);
    },
    errorCounts: async query => {
      const target = await readable();
      if (!target.errorCounts) {
        throw crossRunQueriesMissing();
      }
      return target.errorCounts(query);
    },
    problems: async query => {
      const target = await readable();
      if (!target.problems) {
        throw crossRunQueriesMissing();
      }
      return target.problems(query);
    },
    searchLogs: async query => {
      const target = await readable();
      if (!target.searchLogs) {
        throw crossRunQueriesMissing();
      }
      return target.searchLogs(query);
    },
    compare: async query => {
      const target = await readable();
      if (!target.compare) {
        throw crossRunQueriesMissing();
      }
      return target.compare(query);
    }
  };
}

function crossRunQueriesMissing(): ApiError {
  return new ApiError(
    501,
    'not_implemented',
    'this store cannot answer queries across runs'
  );
}

/** Closes the read-only connection once this service ships itself. */
async function closeReader(service: IService): Promise<void> {
  const reader = service.reader;
  service.reader = null;
  await reader?.close();
}

function describeOwner(owner: ILockOwner): string {
  return `pid ${owner.pid} on host ${owner.host} (started ${owner.started})`;
}

function describeHolderBriefly(holder: ILockHolder): string {
  return holder.owner ? describeOwner(holder.owner) : 'another service';
}

async function shutDown(service: IService): Promise<void> {
  service.status.state = 'stopping';
  service.stopping.abort();
  if (service.pipeline) {
    await service.pipeline.stop(SHUTDOWN_GRACE_MS);
  }
  await service.alerting?.close();
  // After the registry's last save: the next holder resumes from it.
  if (service.lock) {
    try {
      await service.lock.release();
    } catch (error) {
      service.logger.error(
        `could not remove the shipper lock ${service.lock.path}: ${describeError(error)} (the next service takes it over once this process has exited)`
      );
    }
  }
  if (service.api) {
    await service.api.close();
  }
  await closeReader(service);
  if (service.store) {
    await service.store.close();
  }
  service.logger.info('stopped');
}

main().then(
  code => {
    process.exitCode = code;
    // Timers of a half-open store connection must not keep the process alive.
    setTimeout(() => process.exit(code), 100).unref();
  },
  error => {
    process.stderr.write(
      `${new Date().toISOString()} ERROR tflog: crashed: ${
        error instanceof Error ? (error.stack ?? error.message) : String(error)
      }\n`
    );
    process.exit(1);
  }
);
