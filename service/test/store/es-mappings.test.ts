import {
  dailyIndex,
  indexNames,
  indexTemplates,
  lifecyclePolicy,
  templatePriority
} from '../../src/store/es-mappings';

describe('index names', () => {
  it('picks the daily index from the event time in UTC', () => {
    expect(dailyIndex('tflog-', 'logs', '2025-12-31T23:59:59.999-02:00')).toBe(
      'tflog-logs-2026.01.01'
    );
    expect(dailyIndex('tflog-', 'metrics', '2025-11-28T20:16:59.470Z')).toBe(
      'tflog-metrics-2025.11.28'
    );
    expect(dailyIndex('p-', 'logs', 'not a time')).toBe('p-logs-1970.01.01');
  });

  it('names templates, the runs index and the policy from the prefix', () => {
    expect(indexNames('x-')).toEqual({
      logsPattern: 'x-logs-*',
      metricsPattern: 'x-metrics-*',
      runs: 'x-runs',
      logsTemplate: 'x-logs',
      metricsTemplate: 'x-metrics',
      runsTemplate: 'x-runs',
      policy: 'x-policy'
    });
  });

  it('gives longer prefixes higher template priorities', () => {
    expect(templatePriority('tflog-test-')).toBeGreaterThan(
      templatePriority('tflog-')
    );
    expect(templatePriority('tflog-')).toBeGreaterThan(100);
  });
});

describe('indexTemplates', () => {
  const templates = indexTemplates('tflog-', { policy: 'tflog-policy' });

  it('covers logs, metrics and runs with explicit refresh and no dynamic mapping', () => {
    expect(Object.keys(templates).sort()).toEqual([
      'tflog-logs',
      'tflog-metrics',
      'tflog-runs'
    ]);
    for (const template of Object.values(templates)) {
      expect(template.template?.settings?.refresh_interval).toBe('1s');
      expect(template.template?.mappings?.dynamic).toBe(false);
    }
    expect(templates['tflog-runs'].index_patterns).toEqual(['tflog-runs']);
  });

  it('references the lifecycle policy on the daily indices only', () => {
    expect(templates['tflog-logs'].template?.settings).toMatchObject({
      'index.lifecycle.name': 'tflog-policy'
    });
    expect(templates['tflog-metrics'].template?.settings).toMatchObject({
      'index.lifecycle.name': 'tflog-policy'
    });
    expect(templates['tflog-runs'].template?.settings).not.toHaveProperty(
      'index.lifecycle.name'
    );
    const withoutIlm = indexTemplates('tflog-', {});
    expect(withoutIlm['tflog-logs'].template?.settings).not.toHaveProperty(
      'index.lifecycle.name'
    );
  });

  it('maps open-ended names as flattened fields, never one field per name', () => {
    const tflog = templates['tflog-logs'].template?.mappings?.properties?.tflog;
    const properties =
      tflog && 'properties' in tflog ? tflog.properties : undefined;
    expect(properties?.metrics?.type).toBe('flattened');
    expect(properties?.nonfinite?.type).toBe('flattened');
    expect(properties?.hparams?.type).toBe('flattened');
    expect(
      templates['tflog-logs'].template?.mappings?.properties?.labels?.type
    ).toBe('flattened');
    const metrics = templates['tflog-metrics'].template?.mappings?.properties;
    expect(metrics?.name?.type).toBe('keyword');
    expect(metrics?.value?.type).toBe('double');
    expect(metrics?.step?.type).toBe('long');
  });
});

describe('lifecyclePolicy', () => {
  it('deletes daily indices after the retention period', () => {
    expect(lifecyclePolicy(30).phases.delete).toEqual({
      min_age: '30d',
      actions: { delete: {} }
    });
  });

  it('keeps them for ever with 0 days', () => {
    expect(lifecyclePolicy(0).phases.delete).toBeUndefined();
  });
});
