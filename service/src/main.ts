/**
 * The tflog service: reads its configuration from the environment, starts
 * the HTTP API, sets up the store (Elasticsearch when TFLOG_ES_URLS is set,
 * else the embedded store), and ships the spool into it until SIGTERM.
 *
 * Invalid configuration keeps the API up (so the panel can show what is
 * wrong) and ships nothing; a store that cannot be reached is retried with
 * backoff while the API reports why. Exit status: 0 after a clean stop, 1
 * on a crash, 2 when the API itself cannot start.
 */
import { createApiServer, type IApiServer, type ListenTarget } from './api';
import {
  loadConfig,
  redactUrl,
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
import { backoffDelay, DeliveryAbortedError, sleep } from './ship/backoff';
import { createLogger, describeError, type ILogger } from './ship/logger';
import type { IRecordParser } from './ship/parser-port';
import { Pipeline } from './ship/pipeline';
import { StatusTracker } from './ship/status';
import { ElasticsearchStore } from './store/elasticsearch';
import { EmbeddedStore } from './store/embedded';
import type { IStore } from './store/store';

/** Time in-flight batches get to reach the store on shutdown. */
const SHUTDOWN_GRACE_MS = 5000;
/**
 * Past this, shutdown gives up waiting and exits anyway: before the Jupyter
 * server's SIGKILL (TflogService.stop_timeout, 10 s by default).
 */
const SHUTDOWN_HARD_LIMIT_MS = 8000;
/** Longest a POST /flush waits for the store. */
const FLUSH_TIMEOUT_MS = 30000;

interface IService {
  config: IServiceConfig;
  logger: ILogger;
  status: StatusTracker;
  store: IStore | null;
  pipeline: Pipeline<IRunState> | null;
  api: IApiServer | null;
  /** Aborted on shutdown: stops the store set-up retry loop. */
  stopping: AbortController;
}

async function main(): Promise<number> {
  const loaded = loadConfig();
  const { config } = loaded;
  const logger = createLogger(config.logLevel);
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
    pipeline: null,
    api: null,
    stopping: new AbortController()
  };
  const configError =
    loaded.errors.length > 0
      ? `invalid configuration: ${status.configErrors.join('; ')}`
      : null;
  if (configError) {
    status.state = 'config_error';
  } else {
    service.store = createStore(config, logger);
    status.storeInUse = config.elasticsearch
      ? {
          kind: 'elasticsearch',
          location: config.elasticsearch.urls.map(redactUrl).join(', ')
        }
      : { kind: 'embedded', location: config.storeDir };
    service.pipeline = createPipeline(service);
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
    store: service.store,
    getStatus: () => status.snapshot(),
    configError,
    version: SERVICE_VERSION,
    user: config.user,
    flush: service.pipeline
      ? () => (service.pipeline as Pipeline<IRunState>).flush(FLUSH_TIMEOUT_MS)
      : undefined,
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
  }
  return stopped;
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
  if (config.elasticsearch) {
    return new ElasticsearchStore({
      config: config.elasticsearch,
      logger: logger.child('elasticsearch')
    });
  }
  return new EmbeddedStore({
    dir: config.storeDir,
    retentionDays: config.retentionDays,
    logger: logger.child('embedded-store')
  });
}

function createPipeline(service: IService): Pipeline<IRunState> {
  const { config, logger, status } = service;
  const parser = createParser({
    // The parser checks the shape and reports each bad pattern.
    patterns: config.patterns as IParserOptions['patterns']
  });
  for (const problem of parser.patternErrors) {
    const message = `TFLOG_PATTERNS_FILE: ${problem.message}`;
    logger.warn(`configuration: ${message} (pattern skipped)`);
    status.configWarnings.push(message);
  }
  const recordParser: IRecordParser<IRunState> = {
    newRunState: runId => createRunState(runId),
    parseRecord: (record, state) => parser.parseRecord(record, state)
  };
  return new Pipeline<IRunState>({
    spoolDir: config.spoolDir,
    stateDir: config.stateDir,
    store: service.store as IStore,
    parser: recordParser,
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
    onStored: updates => service.api?.notify(updates)
  });
}

/** Sets the store up and starts the pipeline, retrying until both work. */
async function startShipping(service: IService): Promise<void> {
  const { logger, status } = service;
  const store = service.store as IStore;
  const pipeline = service.pipeline as Pipeline<IRunState>;
  for (let attempt = 0; !service.stopping.signal.aborted; attempt += 1) {
    try {
      await store.init();
      await pipeline.start();
      status.state = 'running';
      return;
    } catch (error) {
      const delay = backoffDelay(attempt);
      const message = `starting to ship failed: ${describeError(error)}`;
      status.recordError(message);
      logger.error(`${message}; retrying in ${delay} ms`);
      try {
        await sleep(delay, service.stopping.signal);
      } catch (stopped) {
        if (stopped instanceof DeliveryAbortedError) {
          return;
        }
        throw stopped;
      }
    }
  }
}

async function shutDown(service: IService): Promise<void> {
  service.status.state = 'stopping';
  service.stopping.abort();
  if (service.pipeline) {
    await service.pipeline.stop(SHUTDOWN_GRACE_MS);
  }
  if (service.api) {
    await service.api.close();
  }
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
