/**
 * Exponential backoff with jitter, capped: 100 ms, 200 ms, 400 ms … 30 s,
 * each delay drawn from its upper half so many services retrying at once
 * spread out but never hammer the store.
 */

export interface IBackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: IBackoffPolicy = { initialMs: 100, maxMs: 30000 };

/** Delay before retry number `attempt` (0 for the first retry). */
export function backoffDelay(
  attempt: number,
  policy: IBackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
  retryAfterMs?: number
): number {
  const ceiling = Math.min(
    policy.maxMs,
    policy.initialMs * Math.pow(2, Math.min(attempt, 30))
  );
  const delay = ceiling / 2 + (random() * ceiling) / 2;
  // A server's Retry-After is a floor, still capped so we never stall for long.
  return Math.round(
    retryAfterMs !== undefined
      ? Math.min(policy.maxMs, Math.max(delay, retryAfterMs))
      : delay
  );
}

/** Raised inside a delivery when the service is stopping. */
export class DeliveryAbortedError extends Error {
  constructor() {
    super('delivery stopped: the service is shutting down');
    this.name = 'DeliveryAbortedError';
  }
}

/** Waits `ms`, or rejects with DeliveryAbortedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DeliveryAbortedError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new DeliveryAbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
