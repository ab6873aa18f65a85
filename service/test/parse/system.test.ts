/**
 * The kernel's system and GPU samples (`metrics` records of scope 'system'):
 * metric points of their own scope, one event for the first sample only
 * (how GPUs are read, or "no GPU"), and never the run's training metrics.
 */
import { createParser, createRunState } from '../../src/parse';
import { systemMessage } from '../../src/parse/systemRecords';
import { foldSummary } from '../../src/ship/summary';
import { validateRecord } from '../../src/spool/record';
import type { IRunSummary, SpoolRecord } from '../../src/types';
import { parseAll, START_TS, startRecord } from './helpers';

const NO_GPU = 'libnvidia-ml.so.1 not found; no nvidia-smi on PATH';

/** Samples as the kernel writes them on a machine without a GPU. */
const CPU_ONLY: SpoolRecord[] = [
  startRecord(),
  {
    t: 'metrics',
    seq: 1,
    ts: START_TS + 0.01,
    scope: 'system',
    values: { 'system.rss_mb': 312.5, 'system.gpu_count': 0 },
    system: { interval: 10, gpu_count: 0, no_gpu: NO_GPU }
  },
  {
    t: 'metrics',
    seq: 2,
    ts: START_TS + 10.01,
    scope: 'system',
    values: { 'system.rss_mb': 340.25, 'system.cpu_percent': 187.5 }
  }
];

/** Samples on the recorded H200 (tests/fixtures/gpu/nvml.json), TensorFlow holding memory. */
const H200: SpoolRecord[] = [
  startRecord(),
  {
    t: 'metrics',
    seq: 1,
    ts: START_TS + 0.01,
    scope: 'system',
    values: {
      'system.rss_mb': 1024,
      'system.gpu_count': 1,
      'gpu0.utilization_percent': 0,
      'gpu0.memory_used_mb': 615.062,
      'gpu0.memory_total_mb': 143771,
      'gpu0.temperature_c': 40,
      'gpu0.power_w': 80.247
    },
    system: {
      interval: 10,
      gpu_count: 1,
      gpu_source: 'nvml',
      gpus: ['NVIDIA H200'],
      driver: '580.159.04'
    }
  },
  {
    t: 'metrics',
    seq: 2,
    ts: START_TS + 5,
    scope: 'epoch',
    epoch: 0,
    step: 100,
    values: { loss: 0.5 }
  },
  {
    t: 'metrics',
    seq: 3,
    ts: START_TS + 10.01,
    scope: 'system',
    values: {
      'system.cpu_percent': 99.5,
      'gpu0.utilization_percent': 97,
      'gpu0.memory_used_mb': 130000.5,
      'gpu0.power_w': 612.5,
      'gpu0.tf_memory_mb': 120000,
      'gpu0.temperature_c': 'NaN'
    }
  },
  { t: 'end', seq: 4, ts: START_TS + 11, status: 'finished' }
];

describe('system records', () => {
  it('are valid spool records; other scopes still are not', () => {
    expect(validateRecord(CPU_ONLY[1]).ok).toBe(true);
    const weekly = { ...CPU_ONLY[2], scope: 'weekly' };
    expect(validateRecord(weekly)).toEqual({
      ok: false,
      problem: 'metrics record has an invalid "scope": "weekly"'
    });
  });

  it('become points of scope and source system, at no step, without an event per sample', () => {
    const { documents, points } = parseAll(CPU_ONLY);
    expect(
      points.map(({ _id, name, value, scope, source, step, epoch }) => ({
        _id,
        name,
        value,
        scope,
        source,
        step,
        epoch
      }))
    ).toEqual([
      {
        _id: 'run-1:1:system.rss_mb',
        name: 'system.rss_mb',
        value: 312.5,
        scope: 'system',
        source: 'system',
        step: undefined,
        epoch: undefined
      },
      {
        _id: 'run-1:1:system.gpu_count',
        name: 'system.gpu_count',
        value: 0,
        scope: 'system',
        source: 'system',
        step: undefined,
        epoch: undefined
      },
      {
        _id: 'run-1:2:system.rss_mb',
        name: 'system.rss_mb',
        value: 340.25,
        scope: 'system',
        source: 'system',
        step: undefined,
        epoch: undefined
      },
      {
        _id: 'run-1:2:system.cpu_percent',
        name: 'system.cpu_percent',
        value: 187.5,
        scope: 'system',
        source: 'system',
        step: undefined,
        epoch: undefined
      }
    ]);
    expect(points[2]).toMatchObject({
      '@timestamp': new Date((START_TS + 10.01) * 1000).toISOString(),
      run_id: 'run-1',
      notebook: 'work/train.ipynb',
      user: 'alice'
    });
    // The start event and the first sample's "no GPU" event; the second sample gives none.
    expect(documents.map(document => document._id)).toEqual([
      'run-1:0',
      'run-1:1'
    ]);
    expect(documents[1].message).toBe(
      `System metrics every 10 s; no GPU: ${NO_GPU}`
    );
    expect(documents[1].tflog).toMatchObject({ kind: 'log', source: 'tflog' });
    expect(documents[1].tflog.metrics).toBeUndefined();
    expect(documents[1].event.dataset).toBe('tflog.metrics');
  });

  it('name the GPUs in the first event and keep every GPU value as a point', () => {
    const { documents, points } = parseAll(H200);
    const marker = documents.find(document => document._id === 'run-1:1');
    expect(marker?.message).toBe(
      'System metrics every 10 s; 1 GPU through nvml (driver 580.159.04): NVIDIA H200'
    );
    const gpu = points.filter(point => point.name.startsWith('gpu0.'));
    expect(gpu.every(point => point.scope === 'system')).toBe(true);
    expect(
      Object.fromEntries(
        gpu
          .filter(point => point._id.startsWith('run-1:3:'))
          .map(point => [point.name, point.value ?? point.nonfinite])
      )
    ).toEqual({
      'gpu0.utilization_percent': 97,
      'gpu0.memory_used_mb': 130000.5,
      'gpu0.power_w': 612.5,
      'gpu0.tf_memory_mb': 120000,
      'gpu0.temperature_c': 'NaN'
    });
    // The epoch's metrics stay the callback's own.
    expect(points.filter(point => point.scope === 'epoch')).toEqual([
      expect.objectContaining({ name: 'loss', source: 'callback', step: 100 })
    ]);
  });

  it("are not the run summary's training metrics, steps or events", () => {
    const parser = createParser();
    const state = createRunState('run-1');
    let summary: IRunSummary | null = null;
    for (const record of H200) {
      summary = foldSummary(
        summary,
        'run-1',
        record,
        parser.parseRecord(record, state)
      );
    }
    expect(summary).toMatchObject({
      status: 'finished',
      last_metrics: { loss: 0.5 },
      last_epoch: 1,
      last_step: 100,
      // start, the first sample's event, the epoch's metrics, end.
      counts: { events: 4, errors: 0, warnings: 0, nan: 0 }
    });
  });
});

describe('systemMessage', () => {
  it('says what it knows, and copes with what a kernel might send', () => {
    expect(
      systemMessage({
        interval: 0.2,
        gpu_count: 2,
        gpu_source: 'nvidia-smi',
        gpus: ['NVIDIA H200', 'NVIDIA H200']
      })
    ).toBe(
      'System metrics every 0.2 s; 2 GPUs through nvidia-smi: NVIDIA H200, NVIDIA H200'
    );
    expect(systemMessage({})).toBe('System metrics; no GPU');
    const odd = { interval: 'soon', gpus: 'H200', gpu_count: 1 } as unknown;
    expect(systemMessage(odd as Parameters<typeof systemMessage>[0])).toBe(
      'System metrics; 1 GPU'
    );
  });
});
