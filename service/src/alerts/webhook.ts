/**
 * Sends alerts to the admin's webhook: a JSON POST, or a Slack-compatible
 * `{ "text": … }` body. Runs beside shipping and never holds it up: alerts
 * wait in a bounded queue, go out one at a time at most `perMinute` a
 * minute, and a failed post is retried with backoff. The alert is stored
 * whatever the webhook does; what could not be sent is counted and logged.
 */
import type { ILogger } from '../common/logger';
import { loginOf, splitUserinfo } from '../common/urlCredentials';
import { backoffDelay, DeliveryAbortedError, sleep } from '../common/backoff';
import type { IAlert } from './detect';

export type WebhookFormat = 'json' | 'slack';

export interface IWebhookOptions {
  url: string;
  format: WebhookFormat;
  /** Posts a minute at most. */
  perMinute: number;
  /** Alerts waiting at most; beyond that the newest are dropped. */
  maxQueue: number;
  /** Tries per alert before it is given up. */
  maxAttempts: number;
  timeoutMs: number;
  logger: ILogger;
  /** Backoff of retries (tests make it short). */
  backoff?: { initialMs: number; maxMs: number };
  /** The service's base URL in JupyterLab, for a link in the text. */
  labUrl?: string;
}

export interface IWebhookCounters {
  sent: number;
  failed: number;
  dropped: number;
  queued: number;
}

/** The body posted for one alert. */
export function webhookBody(
  alert: IAlert,
  format: WebhookFormat,
  labUrl?: string
): object {
  if (format === 'slack') {
    const where = labUrl ? ` <${labUrl}|Open JupyterLab>` : '';
    return { text: `:warning: tflog: ${alert.message}${where}` };
  }
  return { source: 'tflog', alert };
}

class RefusedError extends Error {}

/**
 * The webhook as messages name it: scheme and host only. Chat webhooks
 * (Slack, Teams, Discord) carry their secret in the path, and a URL may
 * hold `user:password`; neither belongs in a log line.
 */
export function shownWebhook(url: string): string {
  try {
    const parsed = new URL(splitUserinfo(url).url);
    const more = parsed.pathname !== '/' || parsed.search !== '';
    return `${parsed.protocol}//${parsed.host}/${more ? '…' : ''}`;
  } catch {
    return 'the webhook';
  }
}

export class AlertWebhook {
  constructor(private readonly _options: IWebhookOptions) {
    // fetch refuses a URL with credentials: they go in a Basic header.
    const { url, userinfo } = splitUserinfo(_options.url);
    this._target = url;
    this._shown = shownWebhook(url);
    this._headers = { 'Content-Type': 'application/json' };
    if (userinfo !== null) {
      const { username, password } = loginOf(userinfo);
      this._headers.Authorization = `Basic ${Buffer.from(
        `${username}:${password}`,
        'utf8'
      ).toString('base64')}`;
    }
  }

  readonly counters: IWebhookCounters = {
    sent: 0,
    failed: 0,
    dropped: 0,
    queued: 0
  };

  /** Queues an alert; returns at once. */
  send(alert: IAlert): void {
    if (this._stopping.signal.aborted) {
      return;
    }
    if (this._queue.length >= this._options.maxQueue) {
      this.counters.dropped += 1;
      this._options.logger.warn(
        `alert webhook: ${this._queue.length} alerts already waiting; ` +
          `not sent: ${alert.message}`
      );
      return;
    }
    this._queue.push(alert);
    this.counters.queued = this._queue.length;
    if (this._running === null) {
      this._running = this._drain().finally(() => {
        this._running = null;
      });
    }
  }

  /** Resolves once everything queued was sent or given up (tests, shutdown). */
  async idle(): Promise<void> {
    while (this._running !== null) {
      await this._running;
    }
  }

  /** Stops sending; waiting alerts are left (they are stored). */
  async close(): Promise<void> {
    this._stopping.abort();
    await this.idle();
  }

  private async _drain(): Promise<void> {
    const { logger } = this._options;
    for (;;) {
      const alert = this._queue.shift();
      this.counters.queued = this._queue.length;
      if (alert === undefined) {
        return;
      }
      try {
        await this._waitForRate();
        await this._deliver(alert);
        this.counters.sent += 1;
      } catch (error) {
        if (error instanceof DeliveryAbortedError) {
          return;
        }
        this.counters.failed += 1;
        logger.warn(
          `alert webhook: not sent after trying: ${(error as Error).message}` +
            ` (alert: ${alert.message})`
        );
      }
    }
  }

  /** Keeps to `perMinute` posts in any minute. */
  private async _waitForRate(): Promise<void> {
    const windowMs = 60_000;
    const now = Date.now();
    while (this._sentAt.length > 0 && this._sentAt[0] <= now - windowMs) {
      this._sentAt.shift();
    }
    if (this._sentAt.length >= this._options.perMinute) {
      await sleep(this._sentAt[0] + windowMs - now, this._stopping.signal);
    }
    this._sentAt.push(Date.now());
  }

  private async _deliver(alert: IAlert): Promise<void> {
    const { maxAttempts, backoff } = this._options;
    let lastError: Error = new Error('not tried');
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      if (attempt > 0) {
        await sleep(
          backoffDelay(
            attempt - 1,
            backoff ?? { initialMs: 1000, maxMs: 60_000 }
          ),
          this._stopping.signal
        );
      }
      try {
        await this._post(alert);
        return;
      } catch (error) {
        if (error instanceof RefusedError) {
          throw error;
        }
        lastError = error as Error;
      }
    }
    throw lastError;
  }

  private async _post(alert: IAlert): Promise<void> {
    const { format, timeoutMs, labUrl } = this._options;
    const response = await fetch(this._target, {
      method: 'POST',
      headers: this._headers,
      body: JSON.stringify(webhookBody(alert, format, labUrl)),
      signal: AbortSignal.any([
        AbortSignal.timeout(timeoutMs),
        this._stopping.signal
      ])
    }).catch((error: Error) => {
      if (this._stopping.signal.aborted) {
        throw new DeliveryAbortedError();
      }
      // The cause may quote the URL (a fetch error does): never its path.
      const cause = String(error.cause ?? error.message)
        .split(this._target)
        .join(this._shown);
      throw new Error(`${this._shown}: ${cause}`);
    });
    // The body is not read: release the connection.
    await response.body?.cancel();
    if (response.ok) {
      return;
    }
    const reason = `${this._shown} answered ${response.status} ${response.statusText}`;
    // Only a 408, 429 or 5xx may pass; any other refusal will not.
    if (
      response.status !== 408 &&
      response.status !== 429 &&
      response.status < 500
    ) {
      throw new RefusedError(reason);
    }
    throw new Error(reason);
  }

  /** The URL posted to, without credentials. */
  private readonly _target: string;
  private readonly _shown: string;
  private readonly _headers: Record<string, string>;
  private _queue: IAlert[] = [];
  private _sentAt: number[] = [];
  private _running: Promise<void> | null = null;
  private _stopping = new AbortController();
}
