/** Stored log lines for the logs and marker tests. */
import type { ITflogDocument } from '../tokens';

/** A stored line of run `run-1` (or `runId`), at `sequence` seconds after the epoch by default. */
export function logLine(
  sequence: number,
  overrides: {
    message?: string;
    level?: string;
    kind?: ITflogDocument['tflog']['kind'];
    time?: string;
    step?: number;
    epoch?: number;
    runId?: string;
  } = {}
): ITflogDocument {
  const runId = overrides.runId ?? 'run-1';
  return {
    _id: `${runId}:${sequence}`,
    '@timestamp': overrides.time ?? new Date(sequence * 1000).toISOString(),
    message: overrides.message ?? `line ${sequence}`,
    log: { level: overrides.level ?? 'info' },
    event: { dataset: 'tflog.stdout', sequence, kind: 'event' },
    user: { name: 'alice' },
    host: { name: 'host' },
    process: { pid: 1 },
    service: { name: 'tflog' },
    ecs: { version: '8.11.0' },
    labels: {},
    tflog: {
      run_id: runId,
      run_name: 'demo',
      notebook: 'train.ipynb',
      kernel_id: null,
      source: 'stdout',
      kind: overrides.kind ?? 'log',
      ...(overrides.step !== undefined ? { step: overrides.step } : {}),
      ...(overrides.epoch !== undefined ? { epoch: overrides.epoch } : {})
    }
  };
}
