import { RunningFollower } from '../model/follow';
import { CompareModel } from '../model/compareModel';
import type { ICompareQuery, ICompareResponse, RunStatus } from '../tokens';
import { FakeClient, points, series, summary } from './fakes';

/** Answers each comparison with run `a` in `runStatus`, or fails. */
class FollowedClient extends FakeClient {
  runStatus: RunStatus = 'running';
  failure: Error | null = null;

  compare(query: ICompareQuery): Promise<ICompareResponse> {
    this.compareQueries.push(query);
    if (this.failure) {
      return Promise.reject(this.failure);
    }
    return Promise.resolve({
      metric: 'loss',
      runs: [
        {
          run_id: 'a',
          run: summary({ run_id: 'a', status: this.runStatus }),
          metrics: ['loss'],
          series: series('loss', points([1, 2]))
        }
      ]
    });
  }
}

describe('RunningFollower on a comparison', () => {
  let client: FollowedClient;
  let model: CompareModel;
  let shown: boolean;
  let follower: RunningFollower;
  const reads = (): number => client.compareQueries.length;

  beforeEach(async () => {
    jest.useFakeTimers();
    client = new FollowedClient();
    model = new CompareModel({ client, runIds: ['a'] });
    await model.load();
    shown = true;
    follower = new RunningFollower({
      name: 'test',
      read: () => model.follow(),
      isRunning: () => model.running,
      isShown: () => shown,
      intervalMs: 5000,
      maxIntervalMs: 60000
    });
    follower.start();
  });

  afterEach(() => {
    follower.dispose();
    model.dispose();
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('reads a comparison with a running run again every interval while shown', async () => {
    expect(reads()).toBe(1);
    await jest.advanceTimersByTimeAsync(4900);
    expect(reads()).toBe(1);
    await jest.advanceTimersByTimeAsync(200);
    expect(reads()).toBe(2);
    await jest.advanceTimersByTimeAsync(10000);
    expect(reads()).toBe(4);

    shown = false;
    await jest.advanceTimersByTimeAsync(30000);
    expect(reads()).toBe(4);
    shown = true;
    await jest.advanceTimersByTimeAsync(5000);
    expect(reads()).toBe(5);
  });

  it('stops reading once no run is running', async () => {
    client.runStatus = 'finished';
    await jest.advanceTimersByTimeAsync(5000);
    expect(reads()).toBe(2);
    expect(model.running).toBe(false);
    await jest.advanceTimersByTimeAsync(60000);
    expect(reads()).toBe(2);
  });

  it('waits longer after failed reads, and reads every interval again once one succeeds', async () => {
    // The longest pause the poll may draw each time.
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    client.failure = new Error('tflog service: store unavailable');
    await jest.advanceTimersByTimeAsync(60000);
    // Every 5 s would be 12 reads; backing off, the second comes 15 s after the first.
    expect(reads()).toBe(3);
    expect(model.refreshError?.message).toBe(
      'tflog service: store unavailable'
    );
    expect(model.rows()).toHaveLength(2);

    client.failure = null;
    await jest.advanceTimersByTimeAsync(60000);
    const recovered = reads();
    expect(model.refreshError).toBeNull();
    await jest.advanceTimersByTimeAsync(10000);
    expect(reads()).toBe(recovered + 2);
  });

  it('reads nothing once disposed', async () => {
    follower.dispose();
    expect(follower.isDisposed).toBe(true);
    await jest.advanceTimersByTimeAsync(30000);
    expect(reads()).toBe(1);
  });
});
