/**
 * What `tflog parse` prints by default for a document: what was read from
 * its line (time, level, kind, positions, metrics, the message...), without
 * the store's ids, run fields, defaults and bookkeeping, which only the full
 * documents (`tflog parse --documents`) carry.
 */
import { ITflogDocument } from '../types';
import { ILineEvent } from './lines/event';
import { truncateText } from './truncate';

type DocumentTflogFields = ITflogDocument['tflog'];

/**
 * The parsed fields of a document, named as in the document (`tflog.*`
 * flattened to the top), in the order `parsedLine` writes them.
 */
export interface IParsedFields
  extends
    Pick<
      DocumentTflogFields,
      | 'kind'
      | 'pattern'
      | 'epoch'
      | 'epochs_total'
      | 'step'
      | 'steps_total'
      | 'metrics'
      | 'nonfinite'
      | 'hparams'
      | 'status'
    >,
    Pick<ITflogDocument, 'message' | 'error'> {
  /** The time read from the line, ISO; absent when it is when the line was written. */
  time?: string;
  level: ITflogDocument['log']['level'];
  logger?: ITflogDocument['log']['logger'];
  /** Only written when true: the line was not finished. */
  partial?: true;
}

type ParsedPositions = Pick<
  IParsedFields,
  'pattern' | 'epoch' | 'epochs_total' | 'step' | 'steps_total'
>;

/** The pattern and positions, each only when set, in the order lines show them. */
function addPositions(fields: ParsedPositions, from: ParsedPositions): void {
  if (from.pattern !== undefined) {
    fields.pattern = from.pattern;
  }
  if (from.epoch !== undefined) {
    fields.epoch = from.epoch;
  }
  if (from.epochs_total !== undefined) {
    fields.epochs_total = from.epochs_total;
  }
  if (from.step !== undefined) {
    fields.step = from.step;
  }
  if (from.steps_total !== undefined) {
    fields.steps_total = from.steps_total;
  }
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
  addPositions(fields, tflog);
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

/**
 * The line `parsedLine` gives for the document of a stream line's event,
 * written straight from the event: `tflog parse` needs no document for it.
 * `time` is the document's `@timestamp` when it differs from its creation
 * time. Null when the event carries an error, which `parsedLine` writes.
 */
export function parsedEventLine(
  event: ILineEvent,
  kind: IParsedFields['kind'],
  level: string,
  time: string | undefined,
  partial: boolean
): string | null {
  if (event.error !== undefined) {
    return null;
  }
  // Built as parsedFields builds it, field by field, for the same reason.
  const fields: Omit<IParsedFields, 'message'> & { message?: string } =
    time === undefined ? { level, kind } : { time, level, kind };
  if (event.logger !== undefined) {
    fields.logger = event.logger;
  }
  addPositions(fields, event);
  if (event.metrics.size > 0) {
    // As a document holds them (documents.ts: buildDocument).
    const { metrics, nonfinite } = event.metrics.fields();
    if (metrics !== null) {
      fields.metrics = metrics;
    }
    if (nonfinite !== null) {
      fields.nonfinite = nonfinite;
    }
  }
  if (partial) {
    fields.partial = true;
  }
  fields.message = truncateText(event.message);
  return JSON.stringify(fields);
}
