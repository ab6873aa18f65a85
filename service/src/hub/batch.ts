/**
 * What a user's service sends the hub service to store: a write batch as
 * JSON, checked item by item. An item of the wrong shape is refused on its
 * own (with why), so the rest of the batch is stored and the sender keeps a
 * searchable stand-in for it; a body that is not a batch at all is a 400.
 */
import { ApiError } from '../api/errors';
import type { IWriteBatch, IWriteResult } from '../store/store';
import type { IMetricPoint, IRunSummary, ITflogDocument } from '../types';
import type { SeriesScope } from '../wire';

const SCOPES = new Set<SeriesScope>(['epoch', 'batch', 'log', 'system']);
const NONFINITE = new Set(['NaN', 'Infinity', '-Infinity']);
const STATUSES = new Set([
  'running',
  'finished',
  'failed',
  'interrupted',
  'stopped'
]);
const MAX_ID_BYTES = 512;

export interface IReadBatch {
  batch: IWriteBatch;
  /** Items refused for their shape. */
  rejected: IWriteResult['rejected'];
}

type Record_ = Record<string, unknown>;

function isObject(value: unknown): value is Record_ {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown, maxBytes = Infinity): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    Buffer.byteLength(value, 'utf8') <= maxBytes
  );
}

function isOptionalNumber(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && isFinite(value));
}

/**
 * Every id tflog makes starts with its run's id and ':' (`<run>:<seq>`,
 * `<run>:<seq>:<metric>`, `<run>:alert:<key>`; a long one keeps that head
 * before its hash, parse/ids.ts). The run's ownership is checked by its run
 * id, so an id naming another run would let a user take the ids of another
 * user's documents, and make them duplicates (409) when they arrive.
 */
function idOfRun(id: string, runId: string): boolean {
  return id.startsWith(`${runId}:`);
}
const RUN_ID_PREFIX_NOTE = 'an id may only name a document of its own run';

export function documentProblem(value: unknown): string | null {
  if (!isObject(value)) {
    return 'not an object';
  }
  if (!isText(value._id, MAX_ID_BYTES)) {
    return `_id must be a string of 1 to ${MAX_ID_BYTES} bytes`;
  }
  if (!isText(value['@timestamp'])) {
    return '@timestamp must be a string';
  }
  if (typeof value.message !== 'string') {
    return 'message must be a string';
  }
  const tflog = value.tflog;
  if (!isObject(tflog) || !isText(tflog.run_id, MAX_ID_BYTES)) {
    return 'tflog.run_id must be a string';
  }
  if (!idOfRun(value._id, tflog.run_id)) {
    return `_id must start with its run id and ':' (${RUN_ID_PREFIX_NOTE})`;
  }
  const event = value.event;
  if (!isObject(event) || typeof event.sequence !== 'number') {
    return 'event.sequence must be a number';
  }
  return null;
}

export function pointProblem(value: unknown): string | null {
  if (!isObject(value)) {
    return 'not an object';
  }
  if (!isText(value._id, MAX_ID_BYTES)) {
    return `_id must be a string of 1 to ${MAX_ID_BYTES} bytes`;
  }
  if (!isText(value['@timestamp'])) {
    return '@timestamp must be a string';
  }
  if (!isText(value.run_id, MAX_ID_BYTES) || !isText(value.name)) {
    return 'run_id and name must be strings';
  }
  if (!idOfRun(value._id, value.run_id)) {
    return `_id must start with its run id and ':' (${RUN_ID_PREFIX_NOTE})`;
  }
  if (
    !SCOPES.has(value.scope as SeriesScope) ||
    typeof value.source !== 'string'
  ) {
    return 'scope must be epoch, batch, log or system, and source a string';
  }
  if (
    !isOptionalNumber(value.value) ||
    !isOptionalNumber(value.step) ||
    !isOptionalNumber(value.epoch)
  ) {
    return 'value, step and epoch must be finite numbers when present';
  }
  if (
    value.nonfinite !== undefined &&
    !NONFINITE.has(value.nonfinite as string)
  ) {
    return 'nonfinite must be NaN, Infinity or -Infinity';
  }
  return null;
}

export function summaryProblem(value: unknown): string | null {
  if (!isObject(value)) {
    return 'not an object';
  }
  if (!isText(value.run_id, MAX_ID_BYTES)) {
    return 'run_id must be a string';
  }
  if (!STATUSES.has(value.status as string)) {
    return `status must be one of ${[...STATUSES].join(', ')}`;
  }
  if (!isText(value.started) || !isText(value.updated)) {
    return 'started and updated must be ISO times';
  }
  return null;
}

/** The batch in a request body, every item checked. */
export function readBatch(body: unknown): IReadBatch {
  if (
    !isObject(body) ||
    !Array.isArray(body.documents) ||
    !Array.isArray(body.points) ||
    !Array.isArray(body.runs)
  ) {
    throw new ApiError(
      400,
      'invalid_body',
      'the body must be a JSON object with arrays documents, points and runs'
    );
  }
  const versions = body.runVersions;
  if (
    versions !== undefined &&
    (!isObject(versions) ||
      Object.values(versions).some(version => typeof version !== 'number'))
  ) {
    throw new ApiError(
      400,
      'invalid_body',
      'runVersions must map run ids to numbers'
    );
  }
  const rejected: IWriteResult['rejected'] = [];
  const keep = <T>(
    items: unknown[],
    kind: 'document' | 'point' | 'run',
    problem: (item: unknown) => string | null,
    idOf: (item: Record_) => unknown
  ): T[] =>
    items.filter(item => {
      const found = problem(item);
      if (found !== null) {
        const id = isObject(item) ? idOf(item) : undefined;
        rejected.push({
          id: typeof id === 'string' ? id : '(no id)',
          kind,
          reason: `invalid ${kind}: ${found}`
        });
      }
      return found === null;
    }) as T[];
  const batch: IWriteBatch = {
    documents: keep<ITflogDocument>(
      body.documents,
      'document',
      documentProblem,
      item => item._id
    ),
    points: keep<IMetricPoint>(
      body.points,
      'point',
      pointProblem,
      item => item._id
    ),
    runs: keep<IRunSummary>(
      body.runs,
      'run',
      summaryProblem,
      item => item.run_id
    )
  };
  if (versions !== undefined) {
    batch.runVersions = versions as Record<string, number>;
  }
  return { batch, rejected };
}

/** Writes the caller's identity over whatever the batch says. */
export function stampUser(batch: IWriteBatch, user: string): void {
  for (const document of batch.documents) {
    document.user = {
      ...(isObject(document.user) ? document.user : {}),
      name: user
    };
  }
  for (const point of batch.points) {
    point.user = user;
  }
  for (const summary of batch.runs) {
    summary.user = user;
  }
}

/** How old a write time the hub service keeps as it is (see boundWriteTimes). */
export const MAX_WRITE_AGE_MS = 2 * 86_400_000;
const MAX_WRITE_AHEAD_MS = 86_400_000;

/** The ids of the items whose write time boundWriteTimes moved. */
export interface IMovedItems {
  documents: string[];
  points: string[];
}

/**
 * Write times (`event.created`, `created`) pick the daily index. They come
 * from the user's spool, so a user could name any day and make the cluster
 * create an index for it: the hub service keeps write times of the last
 * two days (a backlog after an outage), and files anything older or in the
 * future under now. `@timestamp` (the time the line printed) is untouched.
 * A moved item may be a replay of one stored on another day: see
 * HubIngest, which looks those up.
 */
export function boundWriteTimes(
  batch: IWriteBatch,
  nowMs: number
): IMovedItems {
  const now = new Date(nowMs).toISOString();
  const moved: IMovedItems = { documents: [], points: [] };
  const outOfBounds = (created: string | undefined): boolean => {
    const time = created === undefined ? Number.NaN : Date.parse(created);
    return (
      Number.isNaN(time) ||
      nowMs - time > MAX_WRITE_AGE_MS ||
      time - nowMs > MAX_WRITE_AHEAD_MS
    );
  };
  for (const document of batch.documents) {
    if (outOfBounds(document.event.created)) {
      document.event.created = now;
      moved.documents.push(document._id);
    }
  }
  for (const point of batch.points) {
    if (outOfBounds(point.created)) {
      point.created = now;
      moved.points.push(point._id);
    }
  }
  return moved;
}

/** The batch without the items whose ids are in `stored`. */
export function withoutStored(
  batch: IWriteBatch,
  stored: { documents: Set<string>; points: Set<string> }
): IWriteBatch {
  return {
    ...batch,
    documents: batch.documents.filter(item => !stored.documents.has(item._id)),
    points: batch.points.filter(item => !stored.points.has(item._id))
  };
}

/** Run ids an item belongs to, in the batch's order, once each. */
export function runIdsOf(batch: IWriteBatch): string[] {
  const ids = new Set<string>();
  for (const document of batch.documents) {
    ids.add(document.tflog.run_id);
  }
  for (const point of batch.points) {
    ids.add(point.run_id);
  }
  for (const summary of batch.runs) {
    ids.add(summary.run_id);
  }
  return [...ids];
}

/**
 * The batch without the items of runs another user owns, and those items
 * as refusals.
 */
export function withoutForeignRuns(
  batch: IWriteBatch,
  isOwn: (runId: string) => boolean
): IReadBatch {
  const rejected: IWriteResult['rejected'] = [];
  const refuse = (
    id: string,
    kind: 'document' | 'point' | 'run',
    runId: string
  ): void => {
    rejected.push({
      id,
      kind,
      reason: `run ${runId} belongs to another user`
    });
  };
  const documents = batch.documents.filter(document => {
    const own = isOwn(document.tflog.run_id);
    if (!own) {
      refuse(document._id, 'document', document.tflog.run_id);
    }
    return own;
  });
  const points = batch.points.filter(point => {
    const own = isOwn(point.run_id);
    if (!own) {
      refuse(point._id, 'point', point.run_id);
    }
    return own;
  });
  const runs = batch.runs.filter(summary => {
    const own = isOwn(summary.run_id);
    if (!own) {
      refuse(summary.run_id, 'run', summary.run_id);
    }
    return own;
  });
  const kept: IWriteBatch = { documents, points, runs };
  if (batch.runVersions) {
    kept.runVersions = batch.runVersions;
  }
  return { batch: kept, rejected };
}
