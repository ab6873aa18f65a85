/** Shared pieces of the API tests: a recording fake store, a server, a client. */
import { request as httpRequest, IncomingHttpHeaders } from 'http';

import {
  createApiServer,
  IApiServer,
  IApiServerOptions,
  ListeningAt
} from '../../src/api';
import { IShipperStatus, StatusTracker } from '../../src/ship/status';
import type {
  ILogPage,
  ILogQuery,
  IRunPage,
  IRunQuery,
  ISeries,
  ISeriesQuery,
  IStore,
  IStoreStatus,
  IWriteResult
} from '../../src/store/store';
import type { IRunSummary } from '../../src/types';

export const USER = 'alice';

/** The service status of a freshly started service, at a fixed time. */
export function serviceStatus(
  change: (tracker: StatusTracker) => void = () => undefined
): IShipperStatus {
  const tracker = new StatusTracker(
    { spoolDir: '/home/alice/spool', stateDir: '/home/alice/state' },
    () => Date.parse('2026-01-31T09:00:00Z')
  );
  tracker.state = 'running';
  change(tracker);
  return tracker.snapshot();
}

export function runSummary(
  runId: string,
  overrides: Partial<IRunSummary> = {}
): IRunSummary {
  return {
    run_id: runId,
    name: 'mnist',
    status: 'running',
    notebook: 'work/train.ipynb',
    kernel_id: 'k-1',
    user: USER,
    host: 'node-1',
    tags: { team: 'vision' },
    hparams: { lr: 0.001 },
    started: '2026-01-31T10:00:00.000Z',
    ended: null,
    updated: '2026-01-31T10:05:00.000Z',
    last_metrics: { loss: 0.25, val_loss: 'NaN' },
    last_epoch: 3,
    last_step: 120,
    counts: { events: 40, errors: 0, warnings: 1, nan: 1 },
    error: null,
    dropped: 0,
    ...overrides
  };
}

/** A store that answers from fixed data and records every query it gets. */
export class FakeStore implements IStore {
  runs = new Map<string, IRunSummary>([['run-1', runSummary('run-1')]]);
  runQueries: IRunQuery[] = [];
  seriesQueries: ISeriesQuery[] = [];
  logQueries: ILogQuery[] = [];
  /** When set, every query throws it. */
  failWith: Error | null = null;
  statusAnswer: IStoreStatus = {
    kind: 'elasticsearch',
    location: 'https://es.example:9200',
    healthy: true,
    degraded: []
  };

  async init(): Promise<void> {
    this._maybeFail();
  }

  async write(): Promise<IWriteResult> {
    this._maybeFail();
    return { created: 0, duplicates: 0, rejected: [] };
  }

  async getRun(runId: string): Promise<IRunSummary | null> {
    this._maybeFail();
    return this.runs.get(runId) ?? null;
  }

  async searchRuns(query: IRunQuery): Promise<IRunPage> {
    this._maybeFail();
    this.runQueries.push(query);
    const runs = [...this.runs.values()].filter(run => run.user === query.user);
    return { runs, total: runs.length };
  }

  async series(query: ISeriesQuery): Promise<ISeries[]> {
    this._maybeFail();
    this.seriesQueries.push(query);
    return [
      {
        name: 'loss',
        scope: 'epoch',
        source: 'callback',
        points: [{ x: 0, y: 0.5, time: '2026-01-31T10:01:00.000Z' }],
        downsampled: false
      }
    ];
  }

  async logs(query: ILogQuery): Promise<ILogPage> {
    this._maybeFail();
    this.logQueries.push(query);
    return { lines: [], total: 0 };
  }

  async status(): Promise<IStoreStatus> {
    this._maybeFail();
    return this.statusAnswer;
  }

  async close(): Promise<void> {
    return;
  }

  private _maybeFail(): void {
    if (this.failWith) {
      throw this.failWith;
    }
  }
}

export interface ITestServer {
  api: IApiServer;
  at: ListeningAt;
  store: FakeStore;
  logged: string[];
}

/** Start an API server on a loopback port with a fake store. */
export async function startServer(
  overrides: Partial<IApiServerOptions> = {},
  store: FakeStore = new FakeStore()
): Promise<ITestServer> {
  const logged: string[] = [];
  const api = createApiServer({
    store,
    getStatus: () => serviceStatus(),
    version: '0.1.0-test',
    user: USER,
    logger: { error: message => logged.push(message) },
    ...overrides
  });
  const at = await api.listen({ port: 0 });
  return { api, at, store, logged };
}

export interface IResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface IRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as the request body. */
  body?: string;
}

/** One request to a server listening on a port or a unix socket. */
export function request(
  at: ListeningAt,
  path: string,
  options: IRequestOptions = {}
): Promise<IResponse> {
  const target =
    'socket' in at
      ? { socketPath: at.socket }
      : { host: at.host, port: at.port };
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        ...target,
        path,
        method: options.method ?? 'GET',
        headers: options.headers
      },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8')
          })
        );
        response.on('error', reject);
      }
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** The JSON body of a response. */
export function json(response: IResponse): Record<string, unknown> {
  return JSON.parse(response.text) as Record<string, unknown>;
}

/** The `error` object of an error response. */
export function errorOf(response: IResponse): {
  status: number;
  message: string;
  reason: string;
  parameter?: string;
} {
  const body = JSON.parse(response.text) as {
    error: {
      status: number;
      message: string;
      reason: string;
      parameter?: string;
    };
  };
  return body.error;
}
