import {
  dailyIndex,
  indexNames,
  indexTemplates,
  lifecyclePolicy,
  templatePriority,
  utcDay
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

  it('names the day right whatever day was named just before', () => {
    const days = [
      ['2025-11-28T20:16:59.470Z', '2025.11.28'],
      ['2025-11-28T23:59:59.999Z', '2025.11.28'],
      ['2025-11-29T00:00:00.000Z', '2025.11.29'],
      ['2025-11-28T23:30:00.000-01:00', '2025.11.29'],
      ['2025-11-28T00:00:00.000Z', '2025.11.28'],
      ['garbage', '1970.01.01'],
      ['2025-11-28T12:00:00.000Z', '2025.11.28']
    ];
    for (const [timestamp, day] of days) {
      expect(utcDay(timestamp)).toBe(day);
    }
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

describe('what the daily indices index', () => {
  const templates = indexTemplates('tflog-', {});
  type Properties = Record<string, Record<string, unknown>>;
  const logs = templates['tflog-logs'].template?.mappings
    ?.properties as unknown as Properties;
  const nested = (name: string): Properties =>
    (logs[name] as { properties: Properties }).properties;
  const points = templates['tflog-metrics'].template?.mappings
    ?.properties as unknown as Properties;

  it('keeps what the queries filter, sort and search on', () => {
    // buildLogSearch: run, level, kind filters; sequence and part order; message text.
    for (const field of [nested('tflog').run_id, nested('log').level]) {
      expect(field.index).not.toBe(false);
    }
    expect(nested('tflog').kind.index).not.toBe(false);
    expect(nested('event').sequence.doc_values).not.toBe(false);
    expect(nested('tflog').part.doc_values).not.toBe(false);
    expect(logs.message).toMatchObject({ type: 'text' });
    expect(logs.message.index).not.toBe(false);
    // Series: filters, composite terms, histograms and sorts on the points.
    for (const name of ['run_id', 'name', 'scope', 'source']) {
      expect(points[name].index).not.toBe(false);
      expect(points[name].doc_values).not.toBe(false);
    }
    for (const name of ['@timestamp', 'step', 'epoch', 'value']) {
      expect(points[name].doc_values).not.toBe(false);
    }
  });

  it('scores no text and keeps no column of fields nothing sorts or aggregates', () => {
    expect(logs.message.norms).toBe(false);
    expect(nested('error').message.norms).toBe(false);
    for (const name of ['run_name', 'notebook', 'kernel_id', 'pattern']) {
      expect(nested('tflog')[name]).toMatchObject({
        type: 'keyword',
        doc_values: false
      });
    }
    expect(nested('host').name.doc_values).toBe(false);
    expect(points.notebook.doc_values).toBe(false);
    expect(points.user.doc_values).toBe(false);
  });

  it('leaves the metric copies in events to the points, which are searched', () => {
    for (const name of ['metrics', 'nonfinite']) {
      expect(nested('tflog')[name]).toMatchObject({
        type: 'flattened',
        index: false,
        doc_values: false
      });
    }
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
