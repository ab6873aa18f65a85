/**
 * Delivers one batch to the store and does not return until the store has
 * taken all of it: whole-request failures (store down, 429, 5xx, refused
 * credentials) are retried with capped exponential backoff; items the store
 * could not take now (per-item 429/5xx) are sent again alone; items refused
 * for good are counted, logged and, for events, replaced by a stand-in
 * (fallback.ts). Only a shutdown interrupts a delivery.
 */
import {
  StoreUnavailableError,
  type IStore,
  type IWriteBatch,
  type IWriteItemRef,
  type IWriteResult
} from '../store/store';
import type { ITflogDocument } from '../types';
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  DeliveryAbortedError,
  sleep,
  type IBackoffPolicy
} from './backoff';
import { fallbackDocument } from './fallback';
import { describeError, type ILogger } from './logger';
import type { StatusTracker } from './status';

export interface IDeliveryReport {
  created: number;
  duplicates: number;
  rejected: number;
  fallbacks: number;
  /** Write calls made (1 when everything went through at once). */
  attempts: number;
}

export interface IShipperOptions {
  store: IStore;
  logger: ILogger;
  status: StatusTracker;
  backoff?: IBackoffPolicy;
  random?: () => number;
}

export class Shipper {
  private readonly store: IStore;
  private readonly logger: ILogger;
  private readonly status: StatusTracker;
  private readonly backoff: IBackoffPolicy;
  private readonly random: () => number;

  constructor(options: IShipperOptions) {
    this.store = options.store;
    this.logger = options.logger;
    this.status = options.status;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.random = options.random ?? Math.random;
  }

  /**
   * Resolves once every item of `batch` is stored, known as a duplicate, or
   * refused for good; rejects only with DeliveryAbortedError when `signal`
   * aborts.
   */
  async deliver(
    batch: IWriteBatch,
    signal: AbortSignal
  ): Promise<IDeliveryReport> {
    const report: IDeliveryReport = {
      created: 0,
      duplicates: 0,
      rejected: 0,
      fallbacks: 0,
      attempts: 0
    };
    /** Ids whose stand-in was already sent: a refused stand-in is final. */
    const replaced = new Set<string>();
    let pending: IWriteBatch = batch;
    let failures = 0;
    while (!isEmpty(pending)) {
      if (signal.aborted) {
        throw new DeliveryAbortedError();
      }
      report.attempts += 1;
      let result: IWriteResult;
      try {
        result = await this.store.write(pending);
      } catch (error) {
        await this.pauseAfterFailure(error, failures, pending, signal);
        failures += 1;
        continue;
      }
      report.created += result.created;
      report.duplicates += result.duplicates;
      this.status.counters.documentsStored += result.created;
      this.status.counters.duplicates += result.duplicates;

      const stillToSend = selectItems(batch, pending, result.retry ?? []);
      for (const rejection of result.rejected) {
        const original = findDocument(pending, rejection);
        this.recordRejection(rejection, original !== undefined);
        report.rejected += 1;
        if (original && !replaced.has(original._id)) {
          replaced.add(original._id);
          stillToSend.documents.push(
            fallbackDocument(original, rejection.reason)
          );
          report.fallbacks += 1;
          this.status.counters.fallbackDocuments += 1;
        }
      }
      pending = stillToSend;
      const retrying = result.retry ?? [];
      if (retrying.length > 0) {
        const first = retrying[0];
        this.status.counters.retries += 1;
        const delay = backoffDelay(failures, this.backoff, this.random);
        this.status.recordError(
          `${retrying.length} item(s) not taken yet (${first.statusCode ?? ''} ${first.reason}); retrying in ${delay} ms`
        );
        this.logger.warn(
          `the store took a batch only in part: ${retrying.length} item(s) answered ${first.statusCode ?? ''} ${first.reason}; sending them again in ${delay} ms`
        );
        failures += 1;
        await sleep(delay, signal);
      }
    }
    if (this.status.state === 'retrying') {
      this.status.state = 'running';
      this.logger.info('the store accepts writes again');
    }
    return report;
  }

  private async pauseAfterFailure(
    error: unknown,
    failures: number,
    pending: IWriteBatch,
    signal: AbortSignal
  ): Promise<void> {
    const retryAfter =
      error instanceof StoreUnavailableError ? error.retryAfterMs : undefined;
    const delay = backoffDelay(failures, this.backoff, this.random, retryAfter);
    const message = describeError(error);
    this.status.counters.retries += 1;
    this.status.recordError(message);
    if (this.status.state === 'running') {
      this.status.state = 'retrying';
    }
    const size =
      pending.documents.length + pending.points.length + pending.runs.length;
    if (error instanceof StoreUnavailableError) {
      this.logger.warn(
        `cannot store a batch of ${size} item(s): ${message}; retry ${failures + 1} in ${delay} ms`
      );
    } else {
      // Not a known transient failure: still kept and retried, never dropped.
      this.logger.error(
        `unexpected failure storing a batch of ${size} item(s): ${message}; retry ${failures + 1} in ${delay} ms`
      );
    }
    await sleep(delay, signal);
  }

  private recordRejection(
    rejection: IWriteResult['rejected'][number],
    replacing: boolean
  ): void {
    this.status.counters.rejected += 1;
    const message = `the store refused ${rejection.kind ?? 'item'} ${rejection.id}: ${rejection.reason}`;
    this.status.recordRejection(message);
    this.logger.error(
      replacing
        ? `${message}; storing a plain stand-in with the same id`
        : message
    );
  }
}

function isEmpty(batch: IWriteBatch): boolean {
  return (
    batch.documents.length === 0 &&
    batch.points.length === 0 &&
    batch.runs.length === 0
  );
}

/** The items of `pending` named in `refs`, as a new batch. */
function selectItems(
  original: IWriteBatch,
  pending: IWriteBatch,
  refs: readonly IWriteItemRef[]
): IWriteBatch {
  const wanted = (kind: IWriteItemRef['kind']): Set<string> =>
    new Set(refs.filter(ref => ref.kind === kind).map(ref => ref.id));
  const documents = wanted('document');
  const points = wanted('point');
  const runs = wanted('run');
  const selected: IWriteBatch = {
    documents: pending.documents.filter(item => documents.has(item._id)),
    points: pending.points.filter(item => points.has(item._id)),
    runs: pending.runs.filter(item => runs.has(item.run_id))
  };
  if (original.runVersions) {
    selected.runVersions = original.runVersions;
  }
  return selected;
}

function findDocument(
  batch: IWriteBatch,
  rejection: IWriteResult['rejected'][number]
): ITflogDocument | undefined {
  if (rejection.kind !== undefined && rejection.kind !== 'document') {
    return undefined;
  }
  return batch.documents.find(document => document._id === rejection.id);
}
