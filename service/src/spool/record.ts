/**
 * Turns one spool line into a SpoolRecord, or says precisely why it is not
 * one. Checks only what the pipeline relies on; extra fields pass through.
 */
import type { SpoolRecord } from '../types';

export type LineParseResult =
  { ok: true; record: SpoolRecord } | { ok: false; problem: string };

type JsonObject = Record<string, unknown>;

/** Required fields per record type, beyond `t`, `seq` and `ts`. */
const REQUIRED_FIELDS: Record<SpoolRecord['t'], Record<string, FieldCheck>> = {
  start: { run: isString, ctx: isObject, v: isNumber },
  log: { level: isString, msg: isString },
  stream: { stream: isStreamName, text: isString },
  metrics: { scope: isMetricsScope, values: isObject },
  hparams: { values: isObject },
  context: {},
  end: { status: isString },
  loss: { dropped: isNumber }
};

type FieldCheck = (value: unknown) => boolean;

export function parseSpoolLine(text: string): LineParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problem: `not valid JSON (${error instanceof Error ? error.message : String(error)})`
    };
  }
  return validateRecord(value);
}

export function validateRecord(value: unknown): LineParseResult {
  if (!isObject(value)) {
    return { ok: false, problem: 'not a JSON object' };
  }
  const kind = value.t;
  if (typeof kind !== 'string' || !(kind in REQUIRED_FIELDS)) {
    return {
      ok: false,
      problem: `unknown record type ${JSON.stringify(kind)}`
    };
  }
  const seq = value.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    return {
      ok: false,
      problem: `"seq" must be a non-negative integer, got ${JSON.stringify(seq)}`
    };
  }
  // A missing or unusable `ts` is tolerated: the parser dates such a record
  // from the run's previous one.
  const fields = REQUIRED_FIELDS[kind as SpoolRecord['t']];
  for (const [field, check] of Object.entries(fields)) {
    if (!check(value[field])) {
      return {
        ok: false,
        problem: `${kind} record has an invalid "${field}": ${JSON.stringify(value[field])}`
      };
    }
  }
  return { ok: true, record: value as unknown as SpoolRecord };
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): boolean {
  return typeof value === 'string';
}

function isNumber(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value);
}

function isStreamName(value: unknown): boolean {
  return value === 'stdout' || value === 'stderr';
}

function isMetricsScope(value: unknown): boolean {
  return value === 'epoch' || value === 'batch' || value === 'system';
}
