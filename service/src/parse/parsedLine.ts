/**
 * What `tflog parse` prints by default for a document: what was read from
 * its line (time, level, kind, positions, metrics, the message...), without
 * the store's ids, run fields, defaults and bookkeeping, which only the full
 * documents (`tflog parse --documents`) carry.
 */
import { ITflogDocument } from '../types';

/** The parsed fields of a document, in the order `parsedLine` writes them. */
export interface IParsedFields {
  /** The time read from the line, ISO; absent when it is when the line was written. */
  time?: string;
  level: string;
  kind: string;
  logger?: string;
  pattern?: string;
  epoch?: number;
  epochs_total?: number;
  step?: number;
  steps_total?: number;
  metrics?: Record<string, number>;
  nonfinite?: Record<string, string>;
  hparams?: ITflogDocument['tflog']['hparams'];
  status?: string;
  partial?: true;
  error?: ITflogDocument['error'];
  message: string;
}

/** The parsed fields of a document: only those it has, in a fixed order. */
export function parsedFields(document: ITflogDocument): IParsedFields {
  const { tflog } = document;
  const time = document['@timestamp'];
  // Fields added one by one and only when set: an object that never loses
  // a field keeps V8's fast layout, which JSON.stringify writes fastest.
  const fields: Omit<IParsedFields, 'message'> & { message?: string } =
    time === document.event.created
      ? { level: document.log.level, kind: tflog.kind }
      : { time, level: document.log.level, kind: tflog.kind };
  if (document.log.logger !== undefined) {
    fields.logger = document.log.logger;
  }
  if (tflog.pattern !== undefined) {
    fields.pattern = tflog.pattern;
  }
  if (tflog.epoch !== undefined) {
    fields.epoch = tflog.epoch;
  }
  if (tflog.epochs_total !== undefined) {
    fields.epochs_total = tflog.epochs_total;
  }
  if (tflog.step !== undefined) {
    fields.step = tflog.step;
  }
  if (tflog.steps_total !== undefined) {
    fields.steps_total = tflog.steps_total;
  }
  if (tflog.metrics !== undefined) {
    fields.metrics = tflog.metrics;
  }
  if (tflog.nonfinite !== undefined) {
    fields.nonfinite = tflog.nonfinite;
  }
  if (tflog.hparams !== undefined) {
    fields.hparams = tflog.hparams;
  }
  if (tflog.status !== undefined) {
    fields.status = tflog.status;
  }
  if (tflog.partial === true) {
    fields.partial = true;
  }
  if (document.error !== undefined) {
    fields.error = document.error;
  }
  // Last, so that the short fields come first on the line.
  fields.message = document.message;
  return fields as IParsedFields;
}

/** One line of `tflog parse`'s default output (without its '\n'). */
export function parsedLine(document: ITflogDocument): string {
  return JSON.stringify(parsedFields(document));
}
