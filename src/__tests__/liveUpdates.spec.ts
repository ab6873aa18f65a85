import { LiveMode, LiveUpdates, ResyncReason } from '../model/liveUpdates';
import type { IRunEvent } from '../tokens';
import { FakeEventSource } from './fakes';

function live() {
  FakeEventSource.created = [];
  const updates = new LiveUpdates({
    url: 'http://localhost/tflog/api/v1/events',
    intervalMs: 1000,
    reconnectMs: 30000,
    createEventSource: url => new FakeEventSource(url)
  });
  const resyncs: ResyncReason[] = [];
  const runs: IRunEvent[] = [];
  const modes: LiveMode[] = [];
  updates.resync.connect((_, reason) => resyncs.push(reason));
  updates.runUpdated.connect((_, event) => runs.push(event));
  updates.modeChanged.connect((_, mode) => modes.push(mode));
  return { updates, resyncs, runs, modes };
}

describe('LiveUpdates', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('switches to events on the ready event and passes run events on', () => {
    const { updates, resyncs, runs } = live();
    updates.start();
    const source = FakeEventSource.created[0];
    expect(source.url).toBe('http://localhost/tflog/api/v1/events');
    source.send({ type: 'ready', api_version: 1 });
    expect(updates.mode).toBe('events');
    expect(resyncs).toEqual(['connected']);
    source.send({ type: 'run', run_id: 'r1', updated: 'x', last_seq: 4 });
    expect(runs.map(r => r.run_id)).toEqual(['r1']);
    // No polling while the stream is open.
    jest.advanceTimersByTime(5000);
    expect(resyncs).toEqual(['connected']);
    updates.dispose();
  });

  it('polls until the stream opens, and again when it drops', () => {
    const { updates, resyncs, modes } = live();
    updates.start();
    jest.advanceTimersByTime(2500);
    expect(resyncs).toEqual(['poll', 'poll']);
    const source = FakeEventSource.created[0];
    source.send({ type: 'ready', api_version: 1 });
    source.fail(false);
    expect(updates.mode).toBe('polling');
    jest.advanceTimersByTime(1000);
    expect(resyncs).toEqual(['poll', 'poll', 'connected', 'poll']);
    expect(modes).toEqual(['polling', 'events', 'polling']);
    updates.dispose();
  });

  it('opens a new stream after EventSource gave up', () => {
    const { updates } = live();
    updates.start();
    FakeEventSource.created[0].fail(true);
    expect(FakeEventSource.created[0].closed).toBe(true);
    jest.advanceTimersByTime(30000);
    expect(FakeEventSource.created).toHaveLength(2);
    updates.dispose();
  });

  it('counts messages that are not JSON and carries on', () => {
    const { updates, runs } = live();
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    updates.start();
    const source = FakeEventSource.created[0];
    source.send('not json');
    source.send({ type: 'run', run_id: 'r2', updated: 'x', last_seq: 1 });
    expect(updates.invalidMessages).toBe(1);
    expect(runs.map(r => r.run_id)).toEqual(['r2']);
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    updates.dispose();
  });

  it('stops polling and closes the stream when stopped', () => {
    const { updates, resyncs } = live();
    updates.start();
    updates.stop();
    expect(FakeEventSource.created[0].closed).toBe(true);
    jest.advanceTimersByTime(5000);
    expect(resyncs).toEqual([]);
    expect(updates.mode).toBe('off');
  });
});
