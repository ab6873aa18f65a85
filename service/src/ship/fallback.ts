/**
 * When the store refuses an event or a metric point for good (a mapping
 * error: a field of an unexpected type, an immense term; or a request the
 * store refuses whatever its state), a plain stand-in event with the same
 * `_id` is stored instead: the message (capped) or the point's values as
 * text, where it came from, and the store's reason in `error.*`. Nothing
 * disappears silently, the stand-in is found by a log search, and a replay
 * still finds the id taken (409), so it is never duplicated.
 */
import type { IMetricPoint, ITflogDocument } from '../types';

/** The stand-in keeps this much of the original message. */
export const FALLBACK_MESSAGE_CHARS = 32 * 1024;
export const FALLBACK_ERROR_TYPE = 'tflog.rejected';

export function fallbackDocument(
  original: ITflogDocument,
  reason: string
): ITflogDocument {
  const time = Number.isNaN(Date.parse(original['@timestamp']))
    ? new Date(0).toISOString()
    : original['@timestamp'];
  const message = String(original.message ?? '');
  const standIn: ITflogDocument = {
    _id: original._id,
    '@timestamp': time,
    message:
      message.length > FALLBACK_MESSAGE_CHARS
        ? message.slice(0, FALLBACK_MESSAGE_CHARS) + ' [truncated]'
        : message,
    log: { level: String(original.log?.level ?? 'error') },
    event: {
      dataset: String(original.event?.dataset ?? 'tflog.unknown'),
      sequence: Number(original.event?.sequence) || 0,
      kind: original.event?.kind === 'metric' ? 'metric' : 'event'
    },
    error: {
      type: FALLBACK_ERROR_TYPE,
      message: `the store refused the original event: ${reason}`.slice(
        0,
        FALLBACK_MESSAGE_CHARS
      )
    },
    user: { name: String(original.user?.name ?? '') },
    host: { name: String(original.host?.name ?? '') },
    process: { pid: Number(original.process?.pid) || 0 },
    service: { name: 'tflog' },
    ecs: { version: String(original.ecs?.version ?? '') },
    labels: {},
    tflog: {
      run_id: String(original.tflog?.run_id ?? ''),
      run_name: stringOrNull(original.tflog?.run_name),
      notebook: stringOrNull(original.tflog?.notebook),
      kernel_id: stringOrNull(original.tflog?.kernel_id),
      source: original.tflog?.source ?? 'tflog',
      kind: original.tflog?.kind ?? 'log'
    }
  };
  // The write time picks the daily index: the stand-in goes beside the original.
  const created = original.event?.created;
  if (typeof created === 'string' && !Number.isNaN(Date.parse(created))) {
    standIn.event.created = created;
  }
  return standIn;
}

/** A refused point, kept as an event whose message holds its values. */
export function pointFallbackDocument(
  point: IMetricPoint,
  reason: string
): ITflogDocument {
  const value = point.nonfinite ?? String(point.value);
  const position = [
    point.epoch === undefined ? null : `epoch ${point.epoch}`,
    point.step === undefined ? null : `step ${point.step}`
  ].filter(part => part !== null);
  const where = position.length > 0 ? ` (${position.join(', ')})` : '';
  const standIn = fallbackDocument(
    {
      _id: point._id,
      '@timestamp': point['@timestamp'],
      message: `metric ${point.name} = ${value}${where}`,
      log: { level: 'warning' },
      event: {
        dataset: 'tflog.metrics',
        sequence: 0,
        kind: 'metric',
        ...(point.created === undefined ? {} : { created: point.created })
      },
      user: { name: point.user },
      host: { name: '' },
      process: { pid: 0 },
      service: { name: 'tflog' },
      ecs: { version: '' },
      labels: {},
      tflog: {
        run_id: point.run_id,
        run_name: null,
        notebook: point.notebook,
        kernel_id: null,
        source: point.source === 'callback' ? 'callback' : 'tflog',
        kind: 'metrics'
      }
    },
    reason
  );
  if (point.step !== undefined) {
    standIn.tflog.step = point.step;
  }
  if (point.epoch !== undefined) {
    standIn.tflog.epoch = point.epoch;
  }
  return standIn;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
