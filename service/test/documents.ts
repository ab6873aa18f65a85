/** Builders of stored items for tests: one place for their many fields. */
import type { IMetricPoint, ITflogDocument } from '../src/types';

/** A log event of run `runId` at `seq`; fields can be overridden. */
export function logEvent(
  runId: string,
  seq: number,
  overrides: {
    message?: string;
    user?: string;
    timestamp?: string;
    created?: string;
  } = {}
): ITflogDocument {
  const document: ITflogDocument = {
    _id: `${runId}:${seq}`,
    '@timestamp':
      overrides.timestamp ??
      new Date(Date.parse('2026-12-01T10:00:00Z') + seq).toISOString(),
    message: overrides.message ?? `line ${seq}`,
    log: { level: 'info' },
    event: { dataset: 'tflog.log', sequence: seq, kind: 'event' },
    user: { name: overrides.user ?? 'alice' },
    host: { name: 'h' },
    process: { pid: 1 },
    service: { name: 'tflog' },
    ecs: { version: '8.11.0' },
    labels: {},
    tflog: {
      run_id: runId,
      run_name: null,
      notebook: 'train.ipynb',
      kernel_id: 'k',
      source: 'tflog',
      kind: 'log'
    }
  };
  if (overrides.created !== undefined) {
    document.event.created = overrides.created;
  }
  return document;
}

/** An epoch-end loss point of run `runId`. */
export function lossPoint(
  runId: string,
  seq: number,
  overrides: Partial<IMetricPoint> = {}
): IMetricPoint {
  return {
    _id: `${runId}:${seq}:loss`,
    '@timestamp': new Date(
      Date.parse('2026-12-01T10:00:00Z') + seq
    ).toISOString(),
    run_id: runId,
    notebook: 'train.ipynb',
    user: 'alice',
    name: 'loss',
    value: 0.5,
    epoch: 0,
    scope: 'epoch',
    source: 'callback',
    ...overrides
  };
}
