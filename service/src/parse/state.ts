/**
 * What the parser remembers about a run between records. Plain JSON: a
 * caller may persist it next to its read offset and hand it back after a
 * restart, or rebuild it by feeding the run's records from the start
 * (discarding the output).
 */
import { IRunContext, IStartRecord } from '../types';
import {
  emptyStreamState,
  IRunPositions,
  IStreamParseState
} from './lines/event';

/** Lines a logging record printed through a stream handler, expected next on a stream. */
export interface ILoggingEcho {
  lines: string[];
  /** Last record sequence number an echo may arrive at. */
  until_seq: number;
}

export interface IRunState extends IRunPositions {
  run_id: string;
  run_name: string | null;
  tags: Record<string, string>;
  ctx: IRunContext;
  /** Kernel clock offset east of UTC, seconds, when the start record carries `ctx.utc_offset`. */
  utc_offset: number | null;
  /** Time of the last record with a usable `ts`, for records without one. */
  last_ts: number | null;
  streams: { stdout: IStreamParseState; stderr: IStreamParseState };
  logging_echo: ILoggingEcho | null;
}

export interface IRunStateInit {
  name?: string | null;
  tags?: Record<string, string>;
  ctx?: Partial<IRunContext>;
}

/** State of a run before its start record is seen (or for text without one, like the CLI's). */
export function createRunState(
  runId: string,
  init: IRunStateInit = {}
): IRunState {
  return {
    run_id: runId,
    run_name: init.name ?? null,
    tags: { ...(init.tags ?? {}) },
    ctx: {
      notebook: null,
      kernel_id: null,
      user: 'unknown',
      host: 'unknown',
      pid: 0,
      ...(init.ctx ?? {})
    },
    utc_offset: null,
    last_ts: null,
    streams: { stdout: emptyStreamState(), stderr: emptyStreamState() },
    logging_echo: null
  };
}

/** Take the run's identity and context from its start record. */
export function applyStartRecord(state: IRunState, record: IStartRecord): void {
  if (typeof record.run === 'string' && record.run !== '') {
    state.run_id = record.run;
  }
  state.run_name = typeof record.name === 'string' ? record.name : null;
  state.tags = readTags(record.tags);
  const ctx: Partial<IRunContext> & { utc_offset?: unknown } =
    typeof record.ctx === 'object' && record.ctx !== null ? record.ctx : {};
  state.ctx = {
    ...state.ctx,
    notebook: stringOrNull(ctx.notebook, state.ctx.notebook),
    kernel_id: stringOrNull(ctx.kernel_id, state.ctx.kernel_id),
    user: typeof ctx.user === 'string' ? ctx.user : state.ctx.user,
    host: typeof ctx.host === 'string' ? ctx.host : state.ctx.host,
    pid:
      typeof ctx.pid === 'number' && Number.isFinite(ctx.pid)
        ? ctx.pid
        : state.ctx.pid
  };
  if (typeof ctx.python === 'string') {
    state.ctx.python = ctx.python;
  }
  if (typeof ctx.tflog_version === 'string') {
    state.ctx.tflog_version = ctx.tflog_version;
  }
  state.utc_offset =
    typeof ctx.utc_offset === 'number' && Number.isFinite(ctx.utc_offset)
      ? ctx.utc_offset
      : null;
}

function readTags(tags: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof tags === 'object' && tags !== null) {
    for (const [key, value] of Object.entries(tags)) {
      if (typeof value === 'string') {
        result[key] = value;
      } else if (typeof value === 'number' || typeof value === 'boolean') {
        result[key] = String(value);
      }
    }
  }
  return result;
}

function stringOrNull(value: unknown, fallback: string | null): string | null {
  if (value === null) {
    return null;
  }
  return typeof value === 'string' ? value : fallback;
}
