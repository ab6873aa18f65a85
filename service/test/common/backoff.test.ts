import {
  backoffDelay,
  DeliveryAbortedError,
  sleep
} from '../../src/common/backoff';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 30000 };

  it('doubles per attempt, drawn from the upper half, and is capped', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(50);
    expect(backoffDelay(0, policy, () => 1)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(3, policy, () => 0)).toBe(400);
    expect(backoffDelay(20, policy, () => 1)).toBe(30000);
    expect(backoffDelay(1000, policy, () => 0.5)).toBe(22500);
  });

  it('waits at least a server Retry-After, still capped', () => {
    expect(backoffDelay(0, policy, () => 0, 5000)).toBe(5000);
    expect(backoffDelay(0, policy, () => 0, 120000)).toBe(30000);
  });
});

describe('sleep', () => {
  it('rejects as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = sleep(60000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(DeliveryAbortedError);
  });
});
