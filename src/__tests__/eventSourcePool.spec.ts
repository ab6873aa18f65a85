import { EventSourcePool } from '../model/eventSourcePool';
import { FakeEventSource, panelAndAlerts } from './fakes';

describe('EventSourcePool', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    FakeEventSource.created = [];
  });
  afterEach(() => jest.useRealTimers());

  it('gives every follower of the page one connection, and closes it with the last', async () => {
    const pool = new EventSourcePool(url => new FakeEventSource(url));
    const [panel, alerts] = panelAndAlerts(pool.open);
    alerts.live.start();
    panel.live.start();
    expect(FakeEventSource.created).toHaveLength(1);
    expect(pool.openStreams).toBe(1);
    const source = FakeEventSource.created[0];
    source.send({ type: 'ready' });
    source.send({ type: 'run', run_id: 'r1' });
    expect(panel.live.mode).toBe('events');
    expect(alerts.live.mode).toBe('events');
    expect(panel.runs).toEqual(['r1']);
    expect(alerts.runs).toEqual(['r1']);

    // The panel hidden: the alerts keep the stream.
    panel.live.stop();
    source.send({ type: 'run', run_id: 'r2' });
    expect(panel.runs).toEqual(['r1']);
    expect(alerts.runs).toEqual(['r1', 'r2']);
    expect(source.closed).toBe(false);

    // Shown again: no new connection, and it hears `ready` (so it reads
    // what it shows) as on a stream of its own.
    panel.live.start();
    expect(FakeEventSource.created).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(0);
    expect(panel.live.mode).toBe('events');
    expect(panel.resyncs).toEqual(['connected', 'connected']);
    expect(alerts.resyncs).toEqual(['connected']);

    panel.live.dispose();
    alerts.live.dispose();
    expect(source.closed).toBe(true);
    expect(pool.openStreams).toBe(0);
  });

  it('tells every follower of a dropped stream, and opens one new stream for them all', async () => {
    const pool = new EventSourcePool(url => new FakeEventSource(url));
    const [panel, alerts] = panelAndAlerts(pool.open);
    panel.live.start();
    alerts.live.start();
    const first = FakeEventSource.created[0];
    first.send({ type: 'ready' });

    // Reconnecting by itself: both poll until the stream says `ready` again.
    first.fail(false);
    expect(panel.live.mode).toBe('polling');
    expect(alerts.live.mode).toBe('polling');
    first.send({ type: 'ready' });
    expect(panel.live.mode).toBe('events');
    expect(alerts.live.mode).toBe('events');

    // Given up: each follower tries again after its pause, on one new stream.
    first.fail(true);
    await jest.advanceTimersByTimeAsync(5000);
    expect(first.closed).toBe(true);
    expect(FakeEventSource.created).toHaveLength(2);
    const second = FakeEventSource.created[1];
    second.send({ type: 'ready' });
    second.send({ type: 'run', run_id: 'r3' });
    expect(panel.runs).toEqual(['r3']);
    expect(alerts.runs).toEqual(['r3']);
    expect(pool.openStreams).toBe(1);
    panel.live.dispose();
    alerts.live.dispose();
    expect(second.closed).toBe(true);
  });
});
