/**
 * The HTTP query API of the service: a plain `node:http` server that Jupyter
 * reaches through jupyter-server-proxy, on a unix socket (or a loopback port
 * in development and tests). See docs/api.md.
 */
import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse
} from 'http';
import type { AddressInfo } from 'net';
import { chmod } from 'fs/promises';

import { AlertConfigError } from '../alerts/rules';
import { DEFAULT_MAX_EVENT_CLIENTS } from '../config';
import type { IRecentReader } from '../ship/recent';
import type { IShipperStatus } from '../ship/status';
import type { IStore } from '../store/store';
import type { IAlert, IAlertThresholdsResponse } from '../wire';

export interface IAlertThresholdsEndpoint {
  get(): IAlertThresholdsResponse;
  /** Throws with a message naming the setting when `override` is invalid. */
  set(override: unknown): IAlertThresholdsResponse;
}
import { compare } from './compare';
import { encodeBody } from './compression';
import { ApiError, errorReply } from './errors';
import { EventHub, IRunUpdate } from './events';
import * as findings from './findings';
import * as handlers from './handlers';
import { loggedTarget, QueryParams, requestParams } from './params';
import { redactDeep } from './redact';
import {
  IRouteMatch,
  matchRoute,
  normaliseBasePath,
  stripBasePath
} from './router';
import { removeStaleSocket } from './socket';
import { checkXsrf, isSafeMethod } from './xsrf';

export type ListenTarget = { socket: string } | { port: number; host?: string };

/** Where the server ended up listening (the port is real when 0 was asked). */
export type ListeningAt = { socket: string } | { port: number; host: string };

/** Where the API reports what it could not answer; the service's logger fits. */
export interface IApiLogger {
  error(message: string): void;
}

export interface IApiServerOptions {
  /** The store to query; null when none could be set up (see configError). */
  store: IStore | null;
  /**
   * What the shipping service just sealed or stored, served before the
   * store makes it searchable (see ship/recent.ts). Absent when the service
   * does not ship.
   */
  recent?: IRecentReader | null;
  /**
   * The service's own status (state, backlog, last error, counters). /status
   * sends it with the store's status added under `store`, URLs stripped of
   * credentials.
   */
  getStatus: (user: string) => Promise<IShipperStatus> | IShipperStatus;
  /** Why the service is not configured; data endpoints answer 503 with it. */
  configError?: string | null;
  /** Path prefix the proxy may forward, e.g. `/user/alice/tflog/`. */
  basePath?: string;
  /** The service version, reported by /status. */
  version: string;
  /**
   * Whose runs to serve: the service's own user (config `user`: TFLOG_USER,
   * else JUPYTERHUB_USER, else the OS account), never a request's say-so.
   */
  user: string;
  /** The Jupyter server's root directory (config `serverRoot`), when known. */
  serverRoot?: string;
  /**
   * The alert thresholds this service's rules use, and the user's own over
   * the admin's (`/api/v1/alerts/thresholds`); absent where no rules run.
   */
  alertThresholds?: IAlertThresholdsEndpoint;
  /** Ship everything spooled now; enables `POST /api/v1/flush`. */
  flush?: () => Promise<void>;
  logger?: IApiLogger;
  /**
   * Hub mode: who the caller is, from the request's headers (a JupyterHub
   * token). Every request must pass it, and each is answered for that user
   * instead of `user`. Absent: the Jupyter server in front authenticated.
   */
  authenticate?: (headers: IncomingHttpHeaders) => Promise<string>;
  /**
   * Hub mode: stores a batch a user's service sends (`POST /api/v1/ingest`,
   * a JSON body of at most `maxBodyBytes`).
   */
  ingest?: (
    user: string,
    body: unknown,
    bytes: number,
    signal: AbortSignal
  ) => Promise<unknown>;
  /** Largest request body taken, bytes (default 32 MiB). */
  maxBodyBytes?: number;
  /** Interval of SSE heartbeat comments (default 15 s). */
  heartbeatMs?: number;
  /** Event streams open at once at most (config `maxEventClients`). */
  maxEventClients?: number;
}

export interface IApiServer {
  listen(target: ListenTarget): Promise<ListeningAt>;
  close(): Promise<void>;
  /** Tell live clients that runs have new stored data. */
  notify(updates: readonly IRunUpdate[]): void;
  /** Tell live clients of an alert at once. */
  announce(alert: IAlert): void;
  /** The user whose runs this server answers for. */
  readonly user: string;
}

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff'
};

const DEFAULT_HEARTBEAT_MS = 15000;
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

export function createApiServer(options: IApiServerOptions): IApiServer {
  const user = options.user;
  const basePath = normaliseBasePath(options.basePath);
  const logger: IApiLogger = options.logger ?? {
    error: message => process.stderr.write(`${message}\n`)
  };
  const events = new EventHub(
    options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    handlers.API_VERSION,
    options.maxEventClients ?? DEFAULT_MAX_EVENT_CLIENTS
  );
  const counters = { requests: 0, clientErrors: 0, serverErrors: 0 };
  const configError = options.configError ?? null;

  const deps: handlers.IHandlerDeps = {
    user,
    serverRoot: options.serverRoot,
    version: options.version,
    configError,
    getStatus: options.getStatus,
    storeIfAny: () => options.store,
    recent: options.recent ?? null,
    store: () => {
      if (configError !== null) {
        throw new ApiError(503, 'not_configured', configError);
      }
      if (!options.store) {
        throw new ApiError(503, 'not_configured', 'no store is set up');
      }
      return options.store;
    },
    apiCounters: () => ({ ...counters, events: events.counters })
  };

  const dispatch = async (
    request: IncomingMessage,
    response: ServerResponse
  ): Promise<void> => {
    const method = request.method ?? 'GET';
    // Split by hand: `new URL` would read a path starting with '//' as a host.
    const target = request.url ?? '/';
    const queryStart = target.indexOf('?');
    const path = queryStart < 0 ? target : target.slice(0, queryStart);
    const query = queryStart < 0 ? '' : target.slice(queryStart + 1);
    if (!isSafeMethod(method)) {
      checkXsrf(request.headers);
    }
    const route = matchRoute(method, stripBasePath(path, basePath));
    const params = requestParams(query);
    // In hub mode every request is answered for the token's user.
    const caller = options.authenticate
      ? { ...deps, user: await options.authenticate(request.headers) }
      : deps;
    if (route.endpoint === 'events') {
      params.done();
      if (options.authenticate) {
        throw new ApiError(
          501,
          'not_implemented',
          "the hub service has no event stream: live updates come from the user's own tflog service"
        );
      }
      openEventStream(request, response, events);
      return;
    }
    if (route.endpoint === 'ingest') {
      params.done();
      if (!options.ingest) {
        throw new ApiError(
          404,
          'not_found',
          'this service takes no batches (only the hub service does)'
        );
      }
      const body = await readJsonBody(
        request,
        options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
      );
      // A sender that stops waiting (its time limit) sends the batch again.
      const closed = new AbortController();
      response.once('close', () => closed.abort());
      sendJson(
        response,
        200,
        await options.ingest(caller.user, body.value, body.bytes, closed.signal)
      );
      return;
    }
    if (route.endpoint === 'alert-thresholds') {
      params.done();
      await answerAlertThresholds(request, response, options);
      return;
    }
    // Bodies are never read; drain any so the connection stays usable.
    request.resume();
    const text = JSON.stringify(
      await answer(route, caller, params, options.flush)
    );
    const encoded = await encodeBody(text, request.headers['accept-encoding']);
    writeJson(response, 200, encoded.body, {
      ...encoded.headers,
      Vary: 'Accept-Encoding'
    });
  };

  const server: Server = createServer((request, response) => {
    counters.requests++;
    dispatch(request, response).catch(error => {
      const reply = errorReply(error);
      if (reply.status >= 500) {
        counters.serverErrors++;
      } else {
        counters.clientErrors++;
      }
      if (reply.logDetail) {
        logger.error(
          `api: ${request.method} ${loggedTarget(request.url ?? '/')}: ${reply.logDetail}`
        );
      }
      if (response.headersSent) {
        // Too late for a status: cut the stream so the client sees the failure.
        response.destroy();
        return;
      }
      request.resume();
      sendJson(response, reply.status, reply.body, reply.headers);
    });
  });

  return {
    user,
    notify: updates => {
      for (const update of updates) {
        events.publish({ type: 'run', ...update });
      }
    },
    announce: alert => events.publish({ type: 'alert', alert }),
    listen: async target => {
      if ('socket' in target) {
        await removeStaleSocket(target.socket);
        await listenOn(server, target.socket);
        // Only the user's own Jupyter server may connect.
        await chmod(target.socket, 0o600);
        return { socket: target.socket };
      }
      const host = target.host ?? '127.0.0.1';
      await listenOn(server, { port: target.port, host });
      const address = server.address() as AddressInfo;
      return { port: address.port, host };
    },
    close: async () => {
      events.closeAll();
      if (!server.listening) {
        return;
      }
      const closed = new Promise<void>((resolve, reject) =>
        server.close(error => (error ? reject(error) : resolve()))
      );
      server.closeIdleConnections();
      // Node removes the socket file it created once the server is closed.
      await closed;
    }
  };
}

async function answer(
  route: IRouteMatch,
  deps: handlers.IHandlerDeps,
  params: QueryParams,
  flush: (() => Promise<void>) | undefined
): Promise<unknown> {
  const runId = route.params.runId ?? '';
  switch (route.endpoint) {
    case 'versions':
      return handlers.versions(deps, params);
    case 'status':
      return redactDeep(await handlers.status(deps, params));
    case 'runs':
      return handlers.runs(deps, params);
    case 'run':
      return handlers.run(deps, params, runId);
    case 'series':
      return handlers.series(deps, params, runId);
    case 'logs':
      return handlers.logs(deps, params, runId);
    case 'compare':
      return compare(deps, params);
    case 'points':
      return findings.points(deps, params);
    case 'nonfinite':
      return findings.nonfinite(deps, params);
    case 'errors':
      return findings.errors(deps, params);
    case 'problems':
      return findings.problems(deps, params);
    case 'log-search':
      return findings.searchLogs(deps, params);
    case 'flush':
      params.done();
      if (!flush) {
        throw new ApiError(501, 'not_implemented', 'flushing is not available');
      }
      await flush();
      return { flushed: true };
    case 'events':
    case 'ingest':
    case 'alert-thresholds':
      throw new Error(`${route.endpoint} is answered before JSON endpoints`);
  }
}

/** A request's JSON body, refused (413, 400) when too large or not JSON. */
async function answerAlertThresholds(
  request: IncomingMessage,
  response: ServerResponse,
  options: IApiServerOptions
): Promise<void> {
  const endpoint = options.alertThresholds;
  if (!endpoint) {
    request.resume();
    throw new ApiError(
      404,
      'not_found',
      "no alert rules run here: they run in the user's own tflog service"
    );
  }
  if (request.method !== 'PUT') {
    request.resume();
    sendJson(response, 200, endpoint.get());
    return;
  }
  const body = await readJsonBody(request, 64 * 1024);
  let answer: IAlertThresholdsResponse;
  try {
    answer = endpoint.set(body.value);
  } catch (error) {
    if (!(error instanceof AlertConfigError)) {
      throw error;
    }
    throw new ApiError(
      400,
      'invalid_body',
      `alert thresholds: ${error.message}`
    );
  }
  sendJson(response, 200, answer);
}

async function readJsonBody(
  request: IncomingMessage,
  maxBytes: number
): Promise<{ value: unknown; bytes: number }> {
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    throw new ApiError(
      413,
      'too_large',
      `the body is ${declared} bytes; at most ${maxBytes} are taken (send smaller batches)`
    );
  }
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of request) {
    bytes += (chunk as Buffer).length;
    if (bytes > maxBytes) {
      throw new ApiError(
        413,
        'too_large',
        `the body is over ${maxBytes} bytes (send smaller batches)`
      );
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')), bytes };
  } catch (error) {
    throw new ApiError(
      400,
      'invalid_body',
      `the body is not JSON: ${error instanceof Error ? error.message : String(error)}`
    );
  }
}

function openEventStream(
  request: IncomingMessage,
  response: ServerResponse,
  events: EventHub
): void {
  const accept = request.headers.accept ?? '';
  if (
    !accept.split(',').some(type => type.trim().startsWith('text/event-stream'))
  ) {
    throw new ApiError(
      406,
      'not_acceptable',
      'this is a Server-Sent Events stream: send Accept: text/event-stream'
    );
  }
  events.attach(request, response);
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  writeJson(response, status, JSON.stringify(body), headers);
}

function writeJson(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string>
): void {
  response.writeHead(status, {
    ...JSON_HEADERS,
    ...headers,
    'Content-Length': String(Buffer.byteLength(body))
  });
  response.end(body);
}

function listenOn(
  server: Server,
  target: string | { port: number; host: string }
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (typeof target === 'string') {
      server.listen(target, done);
    } else {
      server.listen(target.port, target.host, done);
    }
  });
}
