import {
  SYSTEM_REFRESH_MS,
  SystemModel,
  systemView
} from '../model/systemModel';
import { defaultBundle } from '../views/text';
import { FakeClient, points, series, summary } from './fakes';

const SYSTEM = { scope: 'system', source: 'system' } as const;
const trans = defaultBundle();

describe('systemView', () => {
  it('groups the samples by device, with units in the labels', () => {
    const view = systemView(
      [
        series('loss', points([1, 2])),
        series('gpu0.power_w', points([1, 2]), SYSTEM),
        series(
          'gpu0.memory_total_mb',
          points([1, 2], () => 80),
          SYSTEM
        ),
        series(
          'gpu0.memory_used_mb',
          points([1, 2], () => 20),
          SYSTEM
        ),
        series(
          'system.rss_mb',
          points([1, 2], () => 500),
          SYSTEM
        ),
        series(
          'system.cpu_percent',
          points([2], () => 150),
          SYSTEM
        ),
        series(
          'system.gpu_count',
          points([1], () => 1),
          SYSTEM
        ),
        series('gpu10.utilization_percent', points([1]), SYSTEM),
        series('gpu2.temperature_c', points([1]), SYSTEM)
      ],
      trans
    );
    expect(view.sampled).toBe(true);
    expect(view.gpuCount).toBe(1);
    expect(view.groups.map(group => group.title)).toEqual([
      'Kernel process',
      'GPU 0',
      'GPU 2',
      'GPU 10'
    ]);
    expect(view.groups[0].charts.map(chart => chart.label)).toEqual([
      'CPU (%)',
      'RSS (MiB)'
    ]);
    const gpu0 = view.groups[1].charts;
    expect(gpu0.map(chart => chart.label)).toEqual([
      'GPU 0 Memory used / total (MiB)',
      'GPU 0 Power (W)'
    ]);
    // The total is drawn dashed beside the memory used.
    expect(gpu0[0].roles).toEqual(['train', 'validation']);
    expect(gpu0[0].rows.map(row => [row.series, row.role, row.y])).toEqual([
      ['gpu0.memory_total_mb', 'validation', 80],
      ['gpu0.memory_total_mb', 'validation', 80],
      ['gpu0.memory_used_mb', 'train', 20],
      ['gpu0.memory_used_mb', 'train', 20]
    ]);
    expect(view.groups[0].charts[0].rows).toEqual([
      {
        series: 'system.cpu_percent',
        role: 'train',
        x: 2,
        y: 150,
        raw: 150,
        nonfinite: null,
        time: 2000
      }
    ]);
  });

  it('tells no samples from a kernel without a GPU', () => {
    expect(systemView([series('loss', points([1]))], trans)).toEqual({
      sampled: false,
      gpuCount: null,
      groups: []
    });
    const noGpu = systemView(
      [
        series(
          'system.gpu_count',
          points([1], () => 0),
          SYSTEM
        ),
        series('system.rss_mb', points([1]), SYSTEM)
      ],
      trans
    );
    expect(noGpu.gpuCount).toBe(0);
    expect(noGpu.groups.map(group => group.key)).toEqual(['process']);
  });
});

describe('SystemModel', () => {
  function timers() {
    const callbacks = new Map<number, () => void>();
    let next = 1;
    return {
      callbacks,
      delays: [] as number[],
      setInterval(callback: () => void, ms: number): number {
        this.delays.push(ms);
        callbacks.set(next, callback);
        return next++;
      },
      clearInterval(handle: number): void {
        callbacks.delete(handle);
      }
    };
  }

  it('reads the run’s system series on the time axis, again every 10 s while it runs and is shown', async () => {
    const client = new FakeClient();
    client.allSeries = [series('system.rss_mb', points([1]), SYSTEM)];
    const clock = timers();
    const model = new SystemModel({
      trans,
      setInterval: (callback, ms) => clock.setInterval(callback, ms),
      clearInterval: handle => clock.clearInterval(handle)
    });
    let changes = 0;
    model.changed.connect(() => (changes += 1));
    model.setActive(true);
    model.setRun(client, 'run-1', summary({ status: 'running' }));
    await model.load();
    expect(client.seriesQueries[0]).toEqual({
      axis: 'time',
      scope: 'system',
      maxPoints: 300
    });
    expect(model.view?.groups[0].charts[0].label).toBe('RSS (MiB)');
    expect(changes).toBeGreaterThan(0);
    expect(clock.delays).toEqual([SYSTEM_REFRESH_MS]);
    expect(clock.callbacks.size).toBe(1);

    // Folded: no more reads.
    model.setActive(false);
    expect(clock.callbacks.size).toBe(0);
    model.setActive(true);
    expect(clock.callbacks.size).toBe(1);

    // The run ends: read once more, then no timer.
    const reads = client.seriesQueries.length;
    model.setSummary(summary({ status: 'finished' }));
    expect(client.seriesQueries.length).toBe(reads + 1);
    expect(clock.callbacks.size).toBe(0);
    model.dispose();
  });

  it('keeps an error and drops answers for a run no longer shown', async () => {
    const client = new FakeClient();
    client.seriesFailure = new Error('store down');
    const model = new SystemModel({ trans });
    model.setRun(client, 'run-1', summary({ status: 'finished' }));
    await model.load();
    expect(model.error?.message).toBe('store down');
    model.setRun(null, null, null);
    expect(model.error).toBeNull();
    expect(model.view).toBeNull();
    model.dispose();
  });
});
