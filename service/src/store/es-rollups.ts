/**
 * Curve summaries in Elasticsearch, as pure functions: the per-bucket
 * summaries of rollup.ts (what the embedded store keeps), grouped into
 * documents of ROLLUP_CHUNK buckets of one level of one series, so that a
 * comparison reads a few documents per run by id instead of running a
 * histogram of top hits over every point.
 *
 * A document counts the points folded into it. Only points Elasticsearch
 * newly created are folded in, once each; a summary that missed some (the
 * service stopped between storing points and their summaries, a write
 * failed) counts fewer than the series holds, and the reader, which knows
 * the series' count from its inventory, then reads the points as before.
 * So a summary is used only when it is exactly the stored points' summary.
 */
import { createHash } from 'node:crypto';

import type { estypes } from '@elastic/elasticsearch';

import { isDateMs, msIso } from '../common/isoTime';
import type { IMetricPoint } from '../types';
import type { NonFinite, SeriesScope } from '../wire';
import {
  type IBucketSummary,
  type IRollupLevel,
  type IRollupPoint,
  mergeSummaries,
  ES_ROLLUP_LEVELS,
  foldPoint,
  rollupPoint,
  summaryOf
} from './rollup';
import { bulkItemAt } from './es-queries';
import type { IWriteItemRef } from './store';

/** Buckets of one level per document (a few KB to a few tens of KB). */
export const ROLLUP_CHUNK = 64;

/** Which series a summary belongs to (a run's metric, as stored). */
export interface IRollupSeries {
  run_id: string;
  name: string;
  scope: SeriesScope;
  source: string;
}

/** A summary document as the service works with it. */
export interface IRollupDoc extends IRollupSeries {
  /** ROLLUP_LEVELS id. */
  level: number;
  /** Buckets `chunk * ROLLUP_CHUNK` to `chunk * ROLLUP_CHUNK + ROLLUP_CHUNK - 1`. */
  chunk: number;
  /** Points folded in (each once). */
  count: number;
  /** The latest point time folded in (ISO): what `tflog prune` reads. */
  last_time: string;
  /** Bucket number (of the level's unit) → its summary. */
  buckets: Record<string, IBucketSummary>;
}

/**
 * A point as stored: x, time in ms, value (null: not finite), which
 * non-finite value (0: finite), and the time as written (0: as `t` gives it).
 */
type StoredPointTuple = [
  number,
  number,
  number | null,
  NonFinite | 0,
  string | 0
];

/**
 * A bucket as stored: its distinct points, then which of them is its
 * first, last, lowest, highest and first non-finite point (-1: none).
 */
type StoredBucket = [
  StoredPointTuple[],
  number,
  number,
  number,
  number,
  number
];

/** A summary document as stored (its buckets compact, stored, not indexed). */
export interface IStoredRollup extends Omit<IRollupDoc, 'buckets'> {
  buckets: Record<string, StoredBucket>;
}

const ROLES = ['first', 'last', 'low', 'high', 'nonfinite'] as const;

export function toStoredRollup(doc: IRollupDoc): IStoredRollup {
  const buckets: Record<string, StoredBucket> = {};
  for (const [bucket, summary] of Object.entries(doc.buckets)) {
    buckets[bucket] = encodeBucket(summary);
  }
  return { ...doc, buckets };
}

/**
 * A delta merged into a stored document: only the buckets it touches are
 * decoded and encoded again (a document holds up to 64; a delta of a live
 * run touches one or two).
 */
export function mergeIntoStored(
  stored: IStoredRollup,
  delta: IRollupDoc
): IStoredRollup {
  return foldDelta<StoredBucket, IStoredRollup>(
    stored,
    delta,
    (current, summary) =>
      encodeBucket(mergeBucket(current && decodeBucket(current), summary))
  );
}

function encodeBucket(summary: IBucketSummary): StoredBucket {
  const points: StoredPointTuple[] = [];
  const seen = new Map<IRollupPoint, number>();
  const indexOf = (point: IRollupPoint | undefined): number => {
    if (!point) {
      return -1;
    }
    let index = seen.get(point);
    if (index === undefined) {
      index = points.length;
      seen.set(point, index);
      points.push([
        point.x,
        point.t,
        point.y,
        point.nonfinite ?? 0,
        isoOf(point.t) === point.time ? 0 : point.time
      ]);
    }
    return index;
  };
  const [first, last, low, high, nonfinite] = ROLES.map(role =>
    indexOf(summary[role])
  );
  return [points, first, last, low, high, nonfinite];
}

function decodeBucket([points, ...roles]: StoredBucket): IBucketSummary {
  const decoded = points.map(point => new StoredPoint(point));
  const summary = {} as IBucketSummary;
  ROLES.forEach((role, index) => {
    const point = decoded[roles[index]];
    if (point) {
      summary[role] = point;
    }
  });
  return summary;
}

/**
 * A point read from a stored bucket. Its time text is made only when
 * asked for: a comparison keeps about one point in five of those it reads.
 */
class StoredPoint implements IRollupPoint {
  readonly x: number;
  readonly t: number;
  readonly y: number | null;
  readonly nonfinite?: NonFinite;
  private text: string | 0;

  constructor([x, t, y, nonfinite, time]: StoredPointTuple) {
    this.x = x;
    this.t = t;
    this.y = y;
    if (nonfinite !== 0) {
      this.nonfinite = nonfinite;
    }
    this.text = time;
  }

  get time(): string {
    if (this.text === 0) {
      this.text = isoOf(this.t);
    }
    return this.text;
  }
}

function isoOf(ms: number): string {
  return isDateMs(ms) ? msIso(ms) : '';
}

/** The document id of one chunk of one level of one series (bounded length). */
export function rollupId(
  series: IRollupSeries,
  level: number,
  chunk: number
): string {
  return idOf(seriesHash(series), level, chunk);
}

function seriesHash(series: IRollupSeries): string {
  return createHash('sha256')
    .update(
      JSON.stringify([series.run_id, series.name, series.scope, series.source])
    )
    .digest('base64url');
}

function idOf(hash: string, level: number, chunk: number): string {
  return `${hash}:${level}:${chunk}`;
}

/** The chunk a bucket lies in. */
export function chunkOf(bucket: number): number {
  return Math.floor(bucket / ROLLUP_CHUNK);
}

/**
 * What newly stored points add to the summaries, by document id: per
 * series, level and chunk, the summary of the points in each bucket.
 */
export function rollupDeltas(
  points: readonly IMetricPoint[]
): Map<string, IRollupDoc> {
  const bySeries = new Map<string, IMetricPoint[]>();
  for (const point of points) {
    const key = seriesKey(point);
    const list = bySeries.get(key);
    if (list) {
      list.push(point);
    } else {
      bySeries.set(key, [point]);
    }
  }
  const deltas = new Map<string, IRollupDoc>();
  for (const list of bySeries.values()) {
    const first = list[0];
    const series: IRollupSeries = {
      run_id: first.run_id,
      name: first.name,
      scope: first.scope,
      source: first.source
    };
    const hash = seriesHash(series);
    const sets = list.map(point => ({ point, set: rollupPoint(point) }));
    for (const level of ES_ROLLUP_LEVELS) {
      const chunks = new Map<number, IRollupDoc>();
      const lastMs = new Map<number, number>();
      for (const { point, set } of sets) {
        const onLevel = set[level.axis];
        if (!onLevel) {
          continue;
        }
        const bucket = Math.floor(onLevel.x / level.unit);
        const chunk = chunkOf(bucket);
        let delta = chunks.get(chunk);
        if (!delta) {
          delta = {
            ...series,
            level: level.id,
            chunk,
            count: 0,
            last_time: point['@timestamp'],
            buckets: {}
          };
          chunks.set(chunk, delta);
        }
        delta.count += 1;
        // Times that do not parse count as 0 (as everywhere on the time axis).
        const ms = set.time?.t ?? 0;
        if (ms > (lastMs.get(chunk) ?? -Infinity)) {
          lastMs.set(chunk, ms);
          delta.last_time = point['@timestamp'];
        }
        // The delta's summaries are made here: folded in place.
        const summary = delta.buckets[bucket];
        if (summary) {
          foldPoint(summary, onLevel);
        } else {
          delta.buckets[bucket] = summaryOf(onLevel);
        }
      }
      for (const [chunk, delta] of chunks) {
        deltas.set(idOf(hash, level.id, chunk), delta);
      }
    }
  }
  return deltas;
}

function seriesKey(point: IMetricPoint): string {
  return `${point.run_id}\u0000${point.name}\u0000${point.scope}\u0000${point.source}`;
}

/** Both documents' points: counts add up, buckets merge. */
export function mergeRollups(a: IRollupDoc, b: IRollupDoc): IRollupDoc {
  return foldDelta<IBucketSummary, IRollupDoc>(a, b, mergeBucket);
}

function mergeBucket(
  current: IBucketSummary | undefined,
  summary: IBucketSummary
): IBucketSummary {
  return current ? mergeSummaries(current, summary) : summary;
}

/**
 * A document (in either form) with a delta's points added: counts add up,
 * the later last time wins, and each bucket of the delta is merged in by
 * `mergeIn` (its current form, or undefined where it had none).
 */
function foldDelta<Bucket, Doc extends IFoldedRollup<Bucket>>(
  doc: Doc,
  delta: IRollupDoc,
  mergeIn: (current: Bucket | undefined, summary: IBucketSummary) => Bucket
): Doc {
  const buckets: Record<string, Bucket> = { ...doc.buckets };
  for (const [bucket, summary] of Object.entries(delta.buckets)) {
    buckets[bucket] = mergeIn(buckets[bucket], summary);
  }
  return {
    ...doc,
    count: doc.count + delta.count,
    last_time: laterTime(doc.last_time, delta.last_time),
    buckets
  };
}

/** What folding reads of a document, whatever form its buckets are in. */
interface IFoldedRollup<Bucket> {
  count: number;
  last_time: string;
  buckets: Record<string, Bucket>;
}

function laterTime(a: string, b: string): string {
  if (a === b) {
    return a;
  }
  const ms = (text: string): number => {
    const parsed = Date.parse(text);
    return Number.isNaN(parsed) ? -Infinity : parsed;
  };
  return ms(b) > ms(a) ? b : a;
}

/** A stored document with what a conditional write needs. */
export interface IRollupOnRecord {
  rollup: IStoredRollup;
  seqNo: number;
  primaryTerm: number;
}

/** The stored documents of these ids, in one realtime `mget`. */
export function buildRollupGet(
  ids: readonly string[],
  index: string
): estypes.MgetRequest {
  return { index, ids: [...ids] };
}

/** The documents found, by id (absent ids: none stored yet). */
export function parseRollupGet(
  response: estypes.MgetResponse<IStoredRollup>
): Map<string, IRollupOnRecord> {
  const found = new Map<string, IRollupOnRecord>();
  for (const doc of response.docs) {
    if (
      'found' in doc &&
      doc.found &&
      doc._source &&
      doc._seq_no !== undefined &&
      doc._primary_term !== undefined
    ) {
      found.set(doc._id, {
        rollup: doc._source,
        seqNo: doc._seq_no,
        primaryTerm: doc._primary_term
      });
    }
  }
  return found;
}

/**
 * One bulk writing each delta merged into what is stored: a new document
 * is `create`d, a stored one replaced only if nobody wrote it since it was
 * read (`if_seq_no`). A 409 on either means another writer came first:
 * read again and merge again (the delta is not in it yet).
 */
export function buildRollupWrite(
  deltas: ReadonlyMap<string, IRollupDoc>,
  stored: ReadonlyMap<string, IRollupOnRecord>,
  index: string
): {
  operations: NonNullable<estypes.BulkRequest['operations']>;
  ids: string[];
} {
  const operations: NonNullable<estypes.BulkRequest['operations']> = [];
  const ids: string[] = [];
  for (const [id, delta] of deltas) {
    const current = stored.get(id);
    const source = current
      ? mergeIntoStored(current.rollup, delta)
      : toStoredRollup(delta);
    operations.push(
      current
        ? {
            index: {
              _index: index,
              _id: id,
              if_seq_no: current.seqNo,
              if_primary_term: current.primaryTerm
            }
          }
        : { create: { _index: index, _id: id } },
      source
    );
    ids.push(id);
  }
  return { operations, ids };
}

/** What a rollup bulk's answer is read for: each item's outcome. */
export const ROLLUP_WRITE_FIELDS = ['items.*.status', 'items.*.error'];

/** How each write of `buildRollupWrite` went, by id. */
export interface IRollupWriteOutcome {
  /** Written over by someone else since read: read, merge and write again. */
  conflicted: string[];
  /** Refused otherwise, with the reason. */
  failed: { id: string; reason: string }[];
}

export function parseRollupWrite(
  ids: readonly string[],
  response: estypes.BulkResponse
): IRollupWriteOutcome {
  const outcome: IRollupWriteOutcome = { conflicted: [], failed: [] };
  ids.forEach((id, index) => {
    const item = bulkItemAt(response, index);
    if (item === undefined) {
      outcome.failed.push({ id, reason: 'no answer in the bulk response' });
    } else if (item.status === 409) {
      outcome.conflicted.push(id);
    } else if (item.status < 200 || item.status >= 300) {
      outcome.failed.push({
        id,
        reason: `${item.status} ${item.error?.type ?? ''}: ${item.error?.reason ?? ''}`
      });
    }
  });
  return outcome;
}

/** The ids of every chunk of a series' level that buckets `first`..`last` lie in. */
export function rollupIdsOfRange(
  series: IRollupSeries,
  level: IRollupLevel,
  minX: number,
  maxX: number
): string[] {
  const ids: string[] = [];
  const last = chunkOf(Math.floor(maxX / level.unit));
  for (
    let chunk = chunkOf(Math.floor(minX / level.unit));
    chunk <= last;
    chunk += 1
  ) {
    ids.push(rollupId(series, level.id, chunk));
  }
  return ids;
}

/**
 * The summaries of one series' level from its documents, if they hold
 * exactly `count` points (the series' stored points on that axis); else
 * null, and the points are read instead.
 */
export function exactSummaries(
  rollups: readonly (IStoredRollup | undefined)[],
  count: number
): { bucket: number; summary: IBucketSummary }[] | null {
  let folded = 0;
  for (const rollup of rollups) {
    folded += rollup?.count ?? 0;
  }
  if (folded !== count) {
    return null;
  }
  const summaries: { bucket: number; summary: IBucketSummary }[] = [];
  for (const rollup of rollups) {
    for (const [bucket, encoded] of Object.entries(rollup?.buckets ?? {})) {
      summaries.push({
        bucket: Number(bucket),
        summary: decodeBucket(encoded)
      });
    }
  }
  return summaries;
}

/**
 * The points of a bulk that Elasticsearch newly created (2xx): the k-th
 * point item of `items` (the bulk's items in request order) is `points[k]`.
 */
export function createdPoints(
  points: readonly IMetricPoint[],
  items: readonly IWriteItemRef[],
  response: estypes.BulkResponse
): IMetricPoint[] {
  const created: IMetricPoint[] = [];
  let next = 0;
  items.forEach((ref, index) => {
    if (ref.kind !== 'point') {
      return;
    }
    const point = points[next];
    next += 1;
    const item = bulkItemAt(response, index);
    if (
      point !== undefined &&
      item !== undefined &&
      item.status >= 200 &&
      item.status < 300
    ) {
      created.push(point);
    }
  });
  return created;
}
