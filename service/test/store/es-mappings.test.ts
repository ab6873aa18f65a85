import {
  dailyIndex,
  indexNames,
  indexTemplates,
  installedVersion,
  lifecyclePolicy,
  MAX_CLOCK_SKEW_MS,
  newerInstalled,
  POLICY_VERSION,
  routedIndex,
  runsLifecyclePolicy,
  TEMPLATE_VERSION,
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

  describe('routedIndex', () => {
    const now = Date.parse('2026-12-02T21:00:00.000Z');

    it('routes by the write time, never by a printed time', () => {
      // A line printed "2000-01-01 ..." and written yesterday.
      expect(
        routedIndex(
          'tflog-',
          'logs',
          '2026-12-01T10:00:00.000Z',
          '2000-01-01T00:00:00.000Z',
          now
        )
      ).toBe('tflog-logs-2026.12.01');
      // A printed time on the next day (the kernel's zone) changes nothing.
      expect(
        routedIndex(
          'tflog-',
          'metrics',
          '2026-12-02T23:59:00.000Z',
          '2026-12-03T01:00:00.000Z',
          now
        )
      ).toBe('tflog-metrics-2026.12.02');
    });

    it('keeps old write times (a replay lands where it landed first)', () => {
      expect(
        routedIndex(
          'tflog-',
          'logs',
          '2025-11-28T20:16:59.470Z',
          '2025-11-28T20:16:59.470Z',
          now
        )
      ).toBe('tflog-logs-2025.11.28');
    });

    it('bounds a write time far ahead of the clock, and a printed time without a write time', () => {
      expect(
        routedIndex(
          'tflog-',
          'logs',
          '2031-01-01T00:00:00.000Z',
          '2031-01-01T00:00:00.000Z',
          now
        )
      ).toBe('tflog-logs-2026.12.02');
      expect(
        routedIndex(
          'tflog-',
          'logs',
          new Date(now + MAX_CLOCK_SKEW_MS).toISOString(),
          'x',
          now
        )
      ).toBe('tflog-logs-2026.12.03');
      for (const printed of [
        '2000-01-01T00:00:00.000Z',
        '2030-01-01T00:00:00.000Z',
        'not a time'
      ]) {
        expect(routedIndex('tflog-', 'logs', undefined, printed, now)).toBe(
          'tflog-logs-2026.12.02'
        );
        expect(routedIndex('tflog-', 'logs', 'garbage', printed, now)).toBe(
          'tflog-logs-2026.12.02'
        );
      }
      expect(
        routedIndex(
          'tflog-',
          'logs',
          undefined,
          '2026-12-01T22:00:00.000Z',
          now
        )
      ).toBe('tflog-logs-2026.12.01');
    });
  });

  it('names templates, the runs index and the policy from the prefix', () => {
    expect(indexNames('x-')).toEqual({
      logsPattern: 'x-logs-*',
      metricsPattern: 'x-metrics-*',
      runs: 'x-runs',
      rollups: 'x-rollups',
      logsTemplate: 'x-logs',
      metricsTemplate: 'x-metrics',
      runsTemplate: 'x-runs',
      policy: 'x-policy',
      runsPolicy: 'x-runs-policy'
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

  it('references the daily policy on daily indices and the runs policy on the runs index', () => {
    expect(templates['tflog-logs'].template?.settings).toMatchObject({
      'index.lifecycle.name': 'tflog-policy'
    });
    expect(templates['tflog-metrics'].template?.settings).toMatchObject({
      'index.lifecycle.name': 'tflog-policy'
    });
    expect(templates['tflog-runs'].template?.settings).not.toHaveProperty(
      'index.lifecycle.name'
    );
    const both = indexTemplates('tflog-', {
      policy: 'tflog-policy',
      runsPolicy: 'tflog-runs-policy'
    });
    expect(both['tflog-runs'].template?.settings).toMatchObject({
      'index.lifecycle.name': 'tflog-runs-policy'
    });
    const withoutIlm = indexTemplates('tflog-', {});
    expect(withoutIlm['tflog-logs'].template?.settings).not.toHaveProperty(
      'index.lifecycle.name'
    );
  });

  it('carries its version in version and _meta.tflog_version', () => {
    expect(TEMPLATE_VERSION).toBe(6);
    for (const template of Object.values(templates)) {
      expect(template.version).toBe(TEMPLATE_VERSION);
      expect(template._meta).toMatchObject({
        managed_by: 'tflog',
        tflog_version: TEMPLATE_VERSION
      });
    }
  });

  it('maps the write time of events and points as dates', () => {
    const logs = templates['tflog-logs'].template?.mappings?.properties;
    const event = logs?.event;
    expect(
      event && 'properties' in event ? event.properties?.created : undefined
    ).toEqual({ type: 'date' });
    expect(
      templates['tflog-metrics'].template?.mappings?.properties?.created
    ).toEqual({ type: 'date' });
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
  const days = { warmDays: 7, coldDays: 30, deleteDays: 90 };

  it('goes hot, warm after 7 days, cold after 30, deleted after 90', () => {
    expect(lifecyclePolicy(days)).toEqual({
      phases: {
        hot: { min_age: '0ms', actions: { set_priority: { priority: 100 } } },
        warm: {
          min_age: '7d',
          actions: {
            forcemerge: { max_num_segments: 1 },
            set_priority: { priority: 50 }
          }
        },
        cold: { min_age: '30d', actions: { set_priority: { priority: 0 } } },
        delete: { min_age: '90d', actions: { delete: {} } }
      },
      _meta: {
        managed_by: 'tflog',
        version: POLICY_VERSION,
        warm_days: 7,
        cold_days: 30,
        retention_days: 90
      }
    });
  });

  it('uses only actions of a basic-license cluster', () => {
    const basic = new Set([
      'set_priority',
      'forcemerge',
      'readonly',
      'allocate',
      'migrate',
      'shrink',
      'delete'
    ]);
    for (const phase of Object.values(lifecyclePolicy(days).phases)) {
      for (const action of Object.keys(phase?.actions ?? {})) {
        expect(basic.has(action)).toBe(true);
      }
    }
  });

  it('turns a phase off with 0 days, and keeps indices for ever without a delete phase', () => {
    expect(
      Object.keys(
        lifecyclePolicy({ warmDays: 0, coldDays: 20, deleteDays: 30 }).phases
      )
    ).toEqual(['hot', 'cold', 'delete']);
    expect(
      Object.keys(
        lifecyclePolicy({ warmDays: 3, coldDays: 0, deleteDays: 0 }).phases
      )
    ).toEqual(['hot', 'warm']);
    expect(
      lifecyclePolicy({ ...days, deleteDays: 0 }).phases.delete
    ).toBeUndefined();
  });

  it('never deletes or ages the runs index as a whole', () => {
    const policy = runsLifecyclePolicy(90);
    expect(Object.keys(policy.phases)).toEqual(['hot']);
    expect(policy._meta).toMatchObject({ version: POLICY_VERSION });
  });
});

describe('installed versions', () => {
  it('reads a template version, else _meta.tflog_version, else a policy _meta.version', () => {
    expect(installedVersion({ version: 4, _meta: { tflog_version: 9 } })).toBe(
      4
    );
    expect(installedVersion({ _meta: { tflog_version: 5 } })).toBe(5);
    expect(installedVersion({ _meta: { version: 6 } })).toBe(6);
    expect(installedVersion({ _meta: { retention_days: 90 } })).toBeUndefined();
    expect(installedVersion({})).toBeUndefined();
    expect(installedVersion(undefined)).toBeUndefined();
  });

  it('leaves only what a higher version installed', () => {
    expect(newerInstalled('templates', 4, 3)).toBe(
      'templates version 4 installed by a newer tflog; this one (3) leaves them'
    );
    expect(newerInstalled('ILM policy p', 5, 2, 'it')).toBe(
      'ILM policy p version 5 installed by a newer tflog; this one (2) leaves it'
    );
    expect(newerInstalled('templates', 3, 3)).toBeNull();
    expect(newerInstalled('templates', 2, 3)).toBeNull();
    expect(newerInstalled('templates', undefined, 3)).toBeNull();
  });
});
