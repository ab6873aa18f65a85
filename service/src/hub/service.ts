/**
 * The tflog hub service (TFLOG_MODE=hub): the same service run by
 * JupyterHub for every user. It ships no spool; it takes users' batches
 * (`POST /api/v1/ingest`) and answers their queries, each request for the
 * user its JupyterHub token belongs to. It alone holds the Elasticsearch
 * credential and sets up templates and lifecycle. See docs/admin-hub.md.
 */
import type { IHubServiceConfig } from '../config';
import { describeError, type ILogger } from '../common/logger';
import type { IShipperStatus } from '../ship/status';
import type { ElasticsearchStore } from '../store/elasticsearch';
import { HubIdentity } from './identity';
import { HubIngest } from './ingest';
import { RunOwners } from './owners';
import { UserQuotas, type IUserUsage } from './quota';
import {
  DEFAULT_LARGE_IN_FLIGHT,
  HubWriteQueue,
  type IWriteOrderStatus
} from './write-queue';

export interface IHubEndpoints {
  authenticate: (headers: { authorization?: string }) => Promise<string>;
  /** Once the store is set up: how many full batches to write at once. */
  prepare: () => Promise<void>;
  ingest: (
    user: string,
    body: unknown,
    bytes: number,
    signal: AbortSignal
  ) => Promise<unknown>;
  basePath: string;
  /** The caller's quota usage, added to /status. */
  statusFor: (
    user: string,
    service: IShipperStatus
  ) => IShipperStatus & { hub: IHubStatus };
}

export interface IHubStatus {
  user: string;
  quota: { docsPerSecond: number; mbPerDay: number };
  usage: IUserUsage;
  /** The write order of all users' full batches. */
  writes: IWriteOrderStatus;
}

export function hubEndpoints(
  config: IHubServiceConfig,
  store: ElasticsearchStore,
  logger: ILogger
): IHubEndpoints {
  const identity = new HubIdentity({ apiUrl: config.apiUrl });
  const quotas = new UserQuotas({
    docsPerSecond: config.quotaDocsPerSecond,
    bytesPerDay: config.quotaMbPerDay * 1024 * 1024
  });
  const writes = new HubWriteQueue(config.maxBulks || undefined);
  const hubLogger = logger.child('hub');
  const ingest = new HubIngest({
    store,
    owners: new RunOwners(store.runOwners()),
    quotas,
    logger: hubLogger,
    writes
  });
  return {
    authenticate: headers => identity.userOf(headers.authorization),
    prepare: async () => {
      if (config.maxBulks === 0) {
        writes.maxLargeInFlight = await clusterWriteThreads(store, hubLogger);
      }
      hubLogger.info(
        `writing at most ${writes.maxLargeInFlight} full batches at once, users in turn (TFLOG_HUB_MAX_BULKS)`
      );
    },
    ingest: (user, body, bytes, signal) =>
      ingest.ingest(user, body, bytes, signal),
    basePath: config.basePath,
    statusFor: (user, service) => ({
      ...service,
      hub: {
        user,
        quota: {
          docsPerSecond: config.quotaDocsPerSecond,
          mbPerDay: config.quotaMbPerDay
        },
        usage: quotas.usage(user),
        writes: writes.status()
      }
    })
  };
}

/** The cluster's write threads per node, or the default when it will not say. */
async function clusterWriteThreads(
  store: ElasticsearchStore,
  logger: ILogger
): Promise<number> {
  try {
    const threads = await store.writeThreads();
    if (threads !== null) {
      return threads;
    }
    logger.warn(
      `no data node reported its write thread pool; writing ${DEFAULT_LARGE_IN_FLIGHT} full batches at once (set TFLOG_HUB_MAX_BULKS)`
    );
  } catch (error) {
    logger.warn(
      `${describeError(error)}; writing ${DEFAULT_LARGE_IN_FLIGHT} full batches at once (set TFLOG_HUB_MAX_BULKS, or grant the credential the monitor privilege)`
    );
  }
  return DEFAULT_LARGE_IN_FLIGHT;
}
