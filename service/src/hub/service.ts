/**
 * The tflog hub service (TFLOG_MODE=hub): the same service run by
 * JupyterHub for every user. It ships no spool; it takes users' batches
 * (`POST /api/v1/ingest`) and answers their queries, each request for the
 * user its JupyterHub token belongs to. It alone holds the Elasticsearch
 * credential and sets up templates and lifecycle. See docs/admin-hub.md.
 */
import type { IHubServiceConfig } from '../config';
import type { ILogger } from '../common/logger';
import type { IShipperStatus } from '../ship/status';
import type { ElasticsearchStore } from '../store/elasticsearch';
import { HubIdentity } from './identity';
import { HubIngest } from './ingest';
import { RunOwners } from './owners';
import { UserQuotas, type IUserUsage } from './quota';

export interface IHubEndpoints {
  authenticate: (headers: { authorization?: string }) => Promise<string>;
  ingest: (user: string, body: unknown, bytes: number) => Promise<unknown>;
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
  const ingest = new HubIngest({
    store,
    owners: new RunOwners(store.runOwners()),
    quotas,
    logger: logger.child('hub')
  });
  return {
    authenticate: headers => identity.userOf(headers.authorization),
    ingest: (user, body, bytes) => ingest.ingest(user, body, bytes),
    basePath: config.basePath,
    statusFor: (user, service) => ({
      ...service,
      hub: {
        user,
        quota: {
          docsPerSecond: config.quotaDocsPerSecond,
          mbPerDay: config.quotaMbPerDay
        },
        usage: quotas.usage(user)
      }
    })
  };
}
