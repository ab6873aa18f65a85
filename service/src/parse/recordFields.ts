/** Reading spool record fields defensively: a kernel may send anything. */
import { SpoolRecord } from '../types';
import { IDocumentSpec } from './documents';
import { IRunState } from './state';

export function textOf(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  return value === undefined || value === null ? '' : String(value);
}

/** A non-negative integer (epoch, batch, step). */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function seqOf(record: SpoolRecord): number {
  return typeof record.seq === 'number' && Number.isFinite(record.seq)
    ? record.seq
    : -1;
}

/** `<run>:<seq>`; a record without a usable seq gets a hash of its content instead. */
export function recordId(record: SpoolRecord, state: IRunState): string {
  if (typeof record.seq === 'number' && Number.isInteger(record.seq)) {
    return `${state.run_id}:${record.seq}`;
  }
  return `${state.run_id}:h${fnv1a(JSON.stringify(record) ?? '')}`;
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The common part of a document about the run itself (dataset tflog.run). */
export function runDocumentSpec(
  record: SpoolRecord,
  state: IRunState,
  time: number,
  kind: IDocumentSpec['kind']
): IDocumentSpec {
  return {
    id: recordId(record, state),
    seq: seqOf(record),
    time,
    message: '',
    level: 'info',
    dataset: 'tflog.run',
    source: 'tflog',
    kind
  };
}
