/**
 * Maps a request path to an endpoint.
 *
 * jupyter-server-proxy serves the service at `{base_url}tflog/`. With its
 * default `absolute_url: false` it strips that prefix and forwards
 * `/api/v1/...` (plus an `X-Forwarded-Prefix` header); with `absolute_url:
 * true` it forwards the whole path. Routing therefore accepts both: the
 * configured base path is removed when present, and paths without it are
 * routed as they are.
 */
import { ApiError } from './errors';

/** Endpoint names, one per route. */
export type EndpointName =
  | 'versions'
  | 'status'
  | 'runs'
  | 'run'
  | 'series'
  | 'compare'
  | 'logs'
  | 'events'
  | 'flush'
  | 'ingest'
  | 'points'
  | 'nonfinite'
  | 'errors'
  | 'problems'
  | 'log-search'
  | 'alert-thresholds';

export interface IRouteMatch {
  endpoint: EndpointName;
  /** Decoded path parameters, e.g. `{ runId: 'abc' }`. */
  params: Record<string, string>;
}

interface IRoute {
  endpoint: EndpointName;
  methods: string[];
  /** Path segments after the API root; `:name` captures one segment. */
  segments: string[];
}

export const API_ROOT = ['api', 'v1'];

const READ = ['GET', 'HEAD'];

const ROUTES: IRoute[] = [
  { endpoint: 'status', methods: READ, segments: ['status'] },
  { endpoint: 'runs', methods: READ, segments: ['runs'] },
  { endpoint: 'run', methods: READ, segments: ['runs', ':runId'] },
  {
    endpoint: 'series',
    methods: READ,
    segments: ['runs', ':runId', 'series']
  },
  { endpoint: 'logs', methods: READ, segments: ['runs', ':runId', 'logs'] },
  { endpoint: 'compare', methods: READ, segments: ['compare'] },
  { endpoint: 'points', methods: READ, segments: ['points'] },
  { endpoint: 'nonfinite', methods: READ, segments: ['nonfinite'] },
  { endpoint: 'errors', methods: READ, segments: ['errors'] },
  { endpoint: 'problems', methods: READ, segments: ['problems'] },
  { endpoint: 'log-search', methods: READ, segments: ['logs'] },
  { endpoint: 'events', methods: ['GET'], segments: ['events'] },
  { endpoint: 'flush', methods: ['POST'], segments: ['flush'] },
  { endpoint: 'ingest', methods: ['POST'], segments: ['ingest'] },
  {
    endpoint: 'alert-thresholds',
    methods: [...READ, 'PUT'],
    segments: ['alerts', 'thresholds']
  }
];

/** `/user/alice/tflog/` → `/user/alice/tflog`; '' for none. */
export function normaliseBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').replace(/\/+$/, '');
  if (trimmed === '') {
    return '';
  }
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** The path with the base path removed when it starts with it. */
export function stripBasePath(path: string, basePath: string): string {
  if (basePath === '') {
    return path;
  }
  if (path === basePath) {
    return '/';
  }
  return path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path;
}

/** Find the endpoint for a method and a (prefix-free) path, or throw 404/405. */
export function matchRoute(method: string, path: string): IRouteMatch {
  const segments = splitPath(path);
  const rootLength = API_ROOT.length;
  const underApi = API_ROOT.every((part, index) => segments[index] === part);
  if (segments.length === 1 && segments[0] === 'api') {
    return allowMethod(method, READ, { endpoint: 'versions', params: {} });
  }
  if (underApi) {
    const rest = segments.slice(rootLength);
    for (const route of ROUTES) {
      const params = matchSegments(route.segments, rest);
      if (params) {
        return allowMethod(method, route.methods, {
          endpoint: route.endpoint,
          params
        });
      }
    }
  }
  throw ApiError.notFound(`no such endpoint: ${path}`);
}

function allowMethod(
  method: string,
  allowed: string[],
  match: IRouteMatch
): IRouteMatch {
  if (!allowed.includes(method)) {
    throw new ApiError(
      405,
      'method_not_allowed',
      `${method} is not allowed here; use ${allowed.join(' or ')}`,
      { allow: allowed }
    );
  }
  return match;
}

function splitPath(path: string): string[] {
  const parts = path.split('/').filter(part => part !== '');
  return parts.map(part => {
    try {
      return decodeURIComponent(part);
    } catch (error) {
      throw ApiError.invalidParameter(
        'path',
        `bad percent-encoding in '${part}' (${String(error)})`
      );
    }
  });
}

function matchSegments(
  pattern: string[],
  actual: string[]
): Record<string, string> | null {
  if (pattern.length !== actual.length) {
    return null;
  }
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index];
    if (expected.startsWith(':')) {
      params[expected.slice(1)] = actual[index];
    } else if (expected !== actual[index]) {
      return null;
    }
  }
  return params;
}
