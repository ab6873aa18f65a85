import { DEFAULT_SETTINGS, readSettings } from '../settings';

describe('readSettings', () => {
  it('reads valid values', () => {
    expect(
      readSettings({
        liveUpdates: false,
        refreshIntervalMs: 2000,
        xAxis: 'time',
        smoothing: 0.6,
        logScale: true,
        defaultMetrics: ['loss', '*acc*'],
        maxPoints: 300
      })
    ).toEqual({
      liveUpdates: false,
      refreshIntervalMs: 2000,
      xAxis: 'time',
      smoothing: 0.6,
      logScale: true,
      defaultMetrics: ['loss', '*acc*'],
      maxPoints: 300
    });
  });

  it('falls back to defaults for missing, mistyped or out-of-range values', () => {
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
    expect(
      readSettings({
        liveUpdates: 'yes',
        refreshIntervalMs: 10,
        xAxis: 'batch',
        smoothing: 1,
        logScale: 'yes',
        defaultMetrics: 'loss',
        maxPoints: 2.5
      })
    ).toEqual(DEFAULT_SETTINGS);
  });

  it('reads the automatic x axis, the default', () => {
    expect(DEFAULT_SETTINGS.xAxis).toBe('auto');
    expect(readSettings({ xAxis: 'auto' }).xAxis).toBe('auto');
    expect(readSettings({ xAxis: 'epoch' }).xAxis).toBe('epoch');
  });

  it('drops metric patterns that are not strings', () => {
    expect(
      readSettings({ defaultMetrics: ['loss', 3, ''] }).defaultMetrics
    ).toEqual(['loss']);
  });
});
