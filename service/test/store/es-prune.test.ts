import type { estypes } from '@elastic/elasticsearch';

import { loadConfig } from '../../src/config';
import { indexNames } from '../../src/store/es-mappings';
import {
  buildDailyIndexListing,
  buildExpiredRollupsListing,
  buildExpiredRunsListing,
  expiredDailyIndices,
  expiredRunsQuery,
  inGroups,
  parseDailyIndex,
  parseDailyIndexListing,
  pruneCutoff
} from '../../src/store/es-prune';

const NOW = Date.parse('2026-12-02T21:00:00.000Z');

describe('pruneCutoff', () => {
  it('expires indices of days more than the retention period ago', () => {
    expect(pruneCutoff(90, NOW)).toEqual({
      day: '2026.09.03',
      time: '2026-09-03T21:00:00.000Z'
    });
    expect(pruneCutoff(1, NOW).day).toBe('2026.12.01');
  });
});

describe('parseDailyIndex', () => {
  it("reads this prefix's daily indices and nothing else", () => {
    expect(parseDailyIndex('tflog-', 'tflog-logs-2026.01.31')).toEqual({
      index: 'tflog-logs-2026.01.31',
      kind: 'logs',
      day: '2026.01.31'
    });
    expect(parseDailyIndex('tflog-', 'tflog-metrics-2020.02.29')).toMatchObject(
      { kind: 'metrics', day: '2020.02.29' }
    );
    for (const other of [
      'tflog-test-logs-2026.01.31',
      'tflog-runs',
      'tflog-logs-2026.02.30',
      'tflog-logs-2026.1.31',
      'tflog-logs-2026.01.31-restored',
      'other-logs-2026.01.31'
    ]) {
      expect(parseDailyIndex('tflog-', other)).toBeNull();
    }
    expect(
      parseDailyIndex('tflog-test-', 'tflog-test-logs-2026.01.31')
    ).not.toBeNull();
  });
});

describe('daily index listing', () => {
  const names = indexNames('tflog-');

  it('asks for both patterns, closed indices too, and their policies', () => {
    expect(buildDailyIndexListing(names)).toEqual({
      index: ['tflog-logs-*', 'tflog-metrics-*'],
      name: ['index.uuid', 'index.lifecycle.name'],
      flat_settings: true,
      expand_wildcards: 'all',
      allow_no_indices: true,
      ignore_unavailable: true
    });
  });

  it('keeps daily indices in day order with their policies', () => {
    const response = {
      'tflog-metrics-2026.01.02': { settings: { 'index.uuid': 'u1' } },
      'tflog-logs-2026.01.02': {
        settings: { 'index.lifecycle.name': 'tflog-policy' }
      },
      'tflog-logs-2025.12.31': { settings: {} },
      'tflog-logs-backup': { settings: {} }
    } as unknown as estypes.IndicesGetSettingsResponse;
    expect(parseDailyIndexListing('tflog-', response)).toEqual([
      { index: 'tflog-logs-2025.12.31', kind: 'logs', day: '2025.12.31' },
      {
        index: 'tflog-logs-2026.01.02',
        kind: 'logs',
        day: '2026.01.02',
        policy: 'tflog-policy'
      },
      { index: 'tflog-metrics-2026.01.02', kind: 'metrics', day: '2026.01.02' }
    ]);
  });
});

describe('expiredDailyIndices', () => {
  const cutoff = pruneCutoff(30, NOW);
  const indices = [
    {
      index: 'tflog-logs-2026.11.01',
      kind: 'logs' as const,
      day: '2026.11.01'
    },
    {
      index: 'tflog-logs-2026.11.02',
      kind: 'logs' as const,
      day: '2026.11.02',
      policy: 'tflog-policy'
    },
    { index: 'tflog-logs-2026.11.03', kind: 'logs' as const, day: '2026.11.03' }
  ];

  it('expires days before the cutoff only', () => {
    expect(cutoff.day).toBe('2026.11.02');
    expect(expiredDailyIndices(indices, cutoff, false)).toEqual({
      expired: [indices[0]],
      managed: []
    });
  });

  it('leaves indices with a policy to ILM where the cluster has it', () => {
    const later = pruneCutoff(30, Date.parse('2026-12-10T00:00:00.000Z'));
    expect(expiredDailyIndices(indices, later, true)).toEqual({
      expired: [indices[0], indices[2]],
      managed: [indices[1]]
    });
    expect(expiredDailyIndices(indices, later, false).expired).toEqual(indices);
  });
});

describe('expired run summaries', () => {
  it('selects summaries not updated since the cutoff, oldest first', () => {
    const cutoff = pruneCutoff(90, NOW);
    expect(expiredRunsQuery(cutoff)).toEqual({
      range: { updated: { lt: '2026-09-03T21:00:00.000Z' } }
    });
    expect(buildExpiredRunsListing(indexNames('p-'), cutoff, 5)).toMatchObject({
      index: 'p-runs',
      size: 5,
      sort: [{ updated: { order: 'asc' } }],
      track_total_hits: true
    });
    expect(buildExpiredRollupsListing(indexNames('p-'), cutoff, 7)).toEqual({
      index: 'p-rollups',
      query: { range: { last_time: { lt: cutoff.time } } },
      sort: [{ last_time: { order: 'asc' } }],
      size: 7,
      _source: false
    });
  });
});

describe('inGroups', () => {
  it('splits long lists of names', () => {
    const names = Array.from({ length: 7 }, (_, i) => `i${i}`);
    expect(inGroups(names, 3)).toEqual([
      ['i0', 'i1', 'i2'],
      ['i3', 'i4', 'i5'],
      ['i6']
    ]);
    expect(inGroups([])).toEqual([]);
  });
});

describe('ILM phase settings', () => {
  const base = { TFLOG_SOCKET: '/tmp/s', TFLOG_ES_URLS: 'http://es:9200' };
  const read = (env: Record<string, string>) => loadConfig({ ...base, ...env });
  const problems = (env: Record<string, string>) =>
    read(env).errors.map(problem => problem.message);

  it('defaults to warm after 7 days, cold after 30, deleted after 90', () => {
    const { config, errors } = read({});
    expect(errors).toEqual([]);
    expect(config.elasticsearch).toMatchObject({
      warmDays: 7,
      coldDays: 30,
      retentionDays: 90
    });
  });

  it('turns off a default phase that would not come before deletion', () => {
    expect(
      read({ TFLOG_RETENTION_DAYS: '30' }).config.elasticsearch
    ).toMatchObject({ warmDays: 7, coldDays: 0, retentionDays: 30 });
    expect(
      read({ TFLOG_RETENTION_DAYS: '5' }).config.elasticsearch
    ).toMatchObject({ warmDays: 0, coldDays: 0, retentionDays: 5 });
    expect(
      read({ TFLOG_ILM_COLD_DAYS: '5', TFLOG_RETENTION_DAYS: '10' }).config
        .elasticsearch
    ).toMatchObject({ warmDays: 0, coldDays: 5 });
  });

  it('accepts phases set in order, and 0 for a phase off', () => {
    expect(
      read({
        TFLOG_ILM_WARM_DAYS: '0',
        TFLOG_ILM_COLD_DAYS: '14',
        TFLOG_RETENTION_DAYS: '0'
      })
    ).toMatchObject({
      errors: [],
      config: { elasticsearch: { warmDays: 0, coldDays: 14, retentionDays: 0 } }
    });
  });

  it('refuses phases out of order, naming the variable', () => {
    expect(
      problems({ TFLOG_ILM_WARM_DAYS: '30', TFLOG_ILM_COLD_DAYS: '30' })
    ).toEqual([
      'TFLOG_ILM_WARM_DAYS: 30 must be less than TFLOG_ILM_COLD_DAYS (30), or 0 for no warm phase'
    ]);
    expect(
      problems({ TFLOG_ILM_COLD_DAYS: '90', TFLOG_RETENTION_DAYS: '90' })
    ).toEqual([
      'TFLOG_ILM_COLD_DAYS: 90 must be less than TFLOG_RETENTION_DAYS (90, when indices are deleted), or 0 to turn the phase off'
    ]);
    expect(problems({ TFLOG_ILM_WARM_DAYS: 'soon' })).toEqual([
      'TFLOG_ILM_WARM_DAYS: "soon" is not a whole number'
    ]);
  });
});
