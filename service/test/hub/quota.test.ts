import { ApiError } from '../../src/api/errors';
import { UserQuotas } from '../../src/hub/quota';

describe('UserQuotas', () => {
  it('lets a burst through, then refuses beyond the rate until it refills', () => {
    let now = Date.parse('2026-12-01T10:00:00Z');
    const quotas = new UserQuotas(
      { docsPerSecond: 10, burstDocs: 30, bytesPerDay: 0 },
      () => now
    );
    quotas.take('alice', 30, 100);
    expect(() => quotas.take('alice', 5, 10)).toThrow(
      /more than 10 documents\/s/
    );
    // Another user has a bucket of their own.
    quotas.take('bob', 30, 100);
    now += 1000;
    quotas.take('alice', 10, 10);
    expect(() => quotas.take('alice', 1, 10)).toThrow(ApiError);
    expect(quotas.usage('alice')).toMatchObject({
      documents: 40,
      refusedRate: 2
    });
  });

  it('gives back what a batch that was not stored took', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    const quotas = new UserQuotas(
      { docsPerSecond: 10, burstDocs: 30, bytesPerDay: 1000 },
      () => now
    );
    quotas.take('alice', 30, 600);
    expect(() => quotas.take('alice', 30, 600)).toThrow(ApiError);
    quotas.giveBack('alice', 30, 600);
    expect(quotas.usage('alice')).toMatchObject({
      documents: 0,
      bytesToday: 0
    });
    // The same batch sent again goes through, at no cost to another user.
    quotas.take('alice', 30, 600);
    expect(quotas.usage('alice')).toMatchObject({
      documents: 30,
      bytesToday: 600
    });
    expect(quotas.usage('bob').documents).toBe(0);
  });

  it('takes a request larger than the burst on a full bucket, and makes the next ones wait', () => {
    let now = 0;
    const quotas = new UserQuotas(
      { docsPerSecond: 10, burstDocs: 20, bytesPerDay: 0 },
      () => now
    );
    quotas.take('alice', 100, 1);
    let refusal: ApiError | undefined;
    try {
      quotas.take('alice', 1, 1);
    } catch (error) {
      refusal = error as ApiError;
    }
    expect(refusal?.status).toBe(429);
    expect(refusal?.details.retryAfterSeconds).toBe(9);
    now += 9000;
    quotas.take('alice', 1, 1);
  });

  it('caps the bytes of a UTC day and says when it resets', () => {
    let now = Date.parse('2026-12-01T23:00:00Z');
    const quotas = new UserQuotas(
      { docsPerSecond: 0, bytesPerDay: 2 * 1024 * 1024 },
      () => now
    );
    quotas.take('alice', 1, 2 * 1024 * 1024 - 10);
    let refusal: ApiError | undefined;
    try {
      quotas.take('alice', 1, 100);
    } catch (error) {
      refusal = error as ApiError;
    }
    expect(refusal?.message).toMatch(
      /reached the daily tflog volume of 2 MiB \(TFLOG_HUB_QUOTA_MB_PER_DAY\)/
    );
    expect(refusal?.details.retryAfterSeconds).toBe(3600);
    now = Date.parse('2026-12-02T00:00:01Z');
    quotas.take('alice', 1, 100);
    expect(quotas.usage('alice').bytesToday).toBe(100);
  });
});
