/**
 * Who is calling the hub service: the JupyterHub user a request's token
 * belongs to, asked of the hub itself (`GET <hub API>/user` with that
 * token, JupyterHub's "whoami"), never taken from the request's content.
 * Answers are cached briefly so a busy shipper does not ask every time; a
 * revoked token stops working within the cache's lifetime.
 */
import { createHash } from 'node:crypto';

import { ApiError } from '../api/errors';
import { describeError } from '../common/logger';

export interface IHubIdentityOptions {
  /** The hub's API root, e.g. `http://127.0.0.1:8081/hub/api` (JUPYTERHUB_API_URL). */
  apiUrl: string;
  /** How long an answer is trusted, ms (default 60 s). */
  cacheMs?: number;
  /** Tokens remembered at most (default 10,000). */
  cacheSize?: number;
  /** Time limit of one question to the hub, ms (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

interface ICached {
  user: string;
  until: number;
}

/** What JupyterHub answers about a token's owner (the fields used). */
interface IHubModel {
  kind?: string;
  name?: string;
}

export class HubIdentity {
  private readonly apiUrl: string;
  private readonly cacheMs: number;
  private readonly cacheSize: number;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly cache = new Map<string, ICached>();

  constructor(options: IHubIdentityOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.cacheMs = options.cacheMs ?? 60_000;
    this.cacheSize = options.cacheSize ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  /** The user name of the request's token; 401/403/503 when there is none. */
  async userOf(authorization: string | undefined): Promise<string> {
    const token = tokenOf(authorization);
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached && cached.until > this.now()) {
      return cached.user;
    }
    const user = await this.ask(token);
    if (this.cache.size >= this.cacheSize) {
      this.cache.clear();
    }
    this.cache.set(key, { user, until: this.now() + this.cacheMs });
    return user;
  }

  private async ask(token: string): Promise<string> {
    let response: Response;
    try {
      response = await this.fetchImpl(`${this.apiUrl}/user`, {
        headers: { Authorization: `token ${token}` },
        signal: AbortSignal.timeout(this.timeoutMs)
      });
    } catch (error) {
      throw new ApiError(
        503,
        'hub_unavailable',
        `cannot ask JupyterHub (${this.apiUrl}) who this token belongs to: ${describeError(error)}`
      );
    }
    if (response.status === 401 || response.status === 403) {
      throw new ApiError(
        401,
        'unauthorized',
        'JupyterHub does not know this token (expired or revoked?)'
      );
    }
    if (!response.ok) {
      throw new ApiError(
        503,
        'hub_unavailable',
        `JupyterHub answered ${response.status} when asked who this token belongs to`
      );
    }
    const model = (await response.json()) as IHubModel;
    if (
      model.kind !== 'user' ||
      typeof model.name !== 'string' ||
      !model.name
    ) {
      throw new ApiError(
        403,
        'forbidden',
        `only users' tokens may use tflog; this one belongs to a ${model.kind ?? 'caller of unknown kind'}`
      );
    }
    return model.name;
  }
}

/** The token of `Authorization: token …` (or `Bearer …`); 401 without one. */
export function tokenOf(authorization: string | undefined): string {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) {
    throw new ApiError(
      401,
      'unauthorized',
      'send a JupyterHub token: Authorization: token <token>'
    );
  }
  return match[1];
}
