/**
 * Per-user quotas of the hub service, so that one notebook printing in a
 * loop neither slows the others nor fills the cluster: a rate (documents
 * per second, a token bucket allowing short bursts) and a daily volume
 * (bytes of documents per UTC day). Over either, a write is refused with
 * 429 and when to come back; the user's service keeps the records in its
 * spool and sends them then, so nothing is lost.
 */
import { ApiError } from '../api/errors';

export interface IQuotaLimits {
  /** Documents per second, sustained; 0: no limit. */
  docsPerSecond: number;
  /** Documents allowed at once above the rate (default 10 s of it). */
  burstDocs?: number;
  /** Bytes per user per UTC day; 0: no limit. */
  bytesPerDay: number;
}

export interface IUserUsage {
  documents: number;
  bytesToday: number;
  refusedRate: number;
  refusedVolume: number;
  /** Items refused because their run belongs to another user. */
  refusedForeignRun: number;
}

interface IBucket {
  tokens: number;
  updated: number;
  day: number;
  usage: IUserUsage;
}

const DAY_MS = 86_400_000;

export class UserQuotas {
  private readonly buckets = new Map<string, IBucket>();
  private readonly burst: number;

  constructor(
    private readonly limits: IQuotaLimits,
    private readonly now: () => number = Date.now
  ) {
    this.burst = limits.burstDocs ?? limits.docsPerSecond * 10;
  }

  /**
   * Takes `documents` documents of `bytes` bytes from the user's quotas, or
   * throws 429 (taking nothing) saying which quota and when to retry.
   */
  take(user: string, documents: number, bytes: number): void {
    const bucket = this.bucketOf(user);
    const { docsPerSecond, bytesPerDay } = this.limits;
    if (bytesPerDay > 0 && bucket.usage.bytesToday + bytes > bytesPerDay) {
      bucket.usage.refusedVolume += 1;
      const nextDay = (bucket.day + 1) * DAY_MS;
      throw new ApiError(
        429,
        'over_quota',
        `user ${user} reached the daily tflog volume of ${formatBytes(bytesPerDay)} (TFLOG_HUB_QUOTA_MB_PER_DAY); the spool keeps the rest until the quota resets at 00:00 UTC`,
        { retryAfterSeconds: Math.ceil((nextDay - this.now()) / 1000) }
      );
    }
    // A request larger than the burst goes through on a full bucket and
    // leaves a debt: it is never refused for good.
    const needed = Math.min(documents, this.burst) - bucket.tokens;
    if (docsPerSecond > 0 && needed > 0) {
      bucket.usage.refusedRate += 1;
      throw new ApiError(
        429,
        'over_quota',
        `user ${user} is sending more than ${docsPerSecond} documents/s (TFLOG_HUB_QUOTA_DOCS_PER_S); slowed down, nothing is lost`,
        { retryAfterSeconds: Math.max(1, Math.ceil(needed / docsPerSecond)) }
      );
    }
    if (docsPerSecond > 0) {
      bucket.tokens -= documents;
    }
    bucket.usage.documents += documents;
    bucket.usage.bytesToday += bytes;
  }

  /**
   * Gives back what `take` took for a batch that was not stored (the store
   * failed, or its sender gave up waiting): the sender sends it again and
   * is charged then.
   */
  giveBack(user: string, documents: number, bytes: number): void {
    const bucket = this.bucketOf(user);
    if (this.limits.docsPerSecond > 0) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + documents);
    }
    bucket.usage.documents = Math.max(0, bucket.usage.documents - documents);
    bucket.usage.bytesToday = Math.max(0, bucket.usage.bytesToday - bytes);
  }

  /** Counts items refused because their run is another user's. */
  countForeign(user: string, items: number): void {
    this.bucketOf(user).usage.refusedForeignRun += items;
  }

  usage(user: string): IUserUsage {
    return { ...this.bucketOf(user).usage };
  }

  /** Every user's usage, for the admin's status. */
  allUsage(): Record<string, IUserUsage> {
    return Object.fromEntries(
      [...this.buckets].map(([user, bucket]) => [user, { ...bucket.usage }])
    );
  }

  private bucketOf(user: string): IBucket {
    const now = this.now();
    const day = Math.floor(now / DAY_MS);
    let bucket = this.buckets.get(user);
    if (!bucket) {
      bucket = {
        tokens: this.burst,
        updated: now,
        day,
        usage: {
          documents: 0,
          bytesToday: 0,
          refusedRate: 0,
          refusedVolume: 0,
          refusedForeignRun: 0
        }
      };
      this.buckets.set(user, bucket);
    }
    const elapsed = Math.max(0, now - bucket.updated) / 1000;
    bucket.tokens = Math.min(
      this.burst,
      bucket.tokens + elapsed * this.limits.docsPerSecond
    );
    bucket.updated = now;
    if (day !== bucket.day) {
      bucket.day = day;
      bucket.usage.bytesToday = 0;
    }
    return bucket;
  }
}

function formatBytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}
