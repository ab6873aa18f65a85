import {
  isSystemSeries,
  sampledGpuCount,
  splitSystemSeries,
  systemMetric
} from '../model/system';
import { points, series } from './fakes';

const SYSTEM = { scope: 'system', source: 'system' } as const;

describe('system series', () => {
  const loss = series('loss', points([1, 2]));
  const cpu = series('system.cpu_percent', points([10, 20]), SYSTEM);
  const power = series('gpu0.power_w', points([10, 20]), SYSTEM);

  it('are told apart from the training metrics, each list in its order', () => {
    expect(isSystemSeries(cpu)).toBe(true);
    expect(isSystemSeries(loss)).toBe(false);
    // A training metric named like one is still the run's own.
    expect(isSystemSeries(series('gpu0.power_w', points([1])))).toBe(false);
    expect(splitSystemSeries([cpu, loss, power])).toEqual({
      training: [loss],
      system: [cpu, power]
    });
  });

  it('say whether the kernel saw a GPU', () => {
    const none = series(
      'system.gpu_count',
      points([10], () => 0),
      SYSTEM
    );
    const two = series(
      'system.gpu_count',
      points([10], () => 2),
      SYSTEM
    );
    expect(sampledGpuCount([loss, cpu, none])).toBe(0);
    expect(sampledGpuCount([two, power])).toBe(2);
    // No system samples at all: nothing to say either way.
    expect(sampledGpuCount([loss])).toBeNull();
    expect(
      sampledGpuCount([
        series(
          'system.gpu_count',
          points([1], () => 0)
        )
      ])
    ).toBeNull();
  });

  it('name the device, the metric and its unit', () => {
    expect(systemMetric('system.cpu_percent')).toEqual({
      device: 'process',
      metric: 'cpu',
      unit: '%'
    });
    expect(systemMetric('system.rss_mb')).toEqual({
      device: 'process',
      metric: 'rss',
      unit: 'MiB'
    });
    expect(systemMetric('gpu12.temperature_c')).toEqual({
      device: 'gpu',
      index: 12,
      metric: 'temperature',
      unit: '°C'
    });
    expect(systemMetric('gpu0.power_w')).toMatchObject({ unit: 'W' });
    expect(systemMetric('gpu0.tf_memory_peak_mb')).toMatchObject({
      metric: 'tf_memory_peak',
      unit: 'MiB'
    });
    expect(systemMetric('system.gpu_count')).toEqual({
      device: 'process',
      metric: 'gpu_count',
      unit: ''
    });
    expect(systemMetric('loss')).toBeNull();
    expect(systemMetric('gpu.power_w')).toBeNull();
  });
});
