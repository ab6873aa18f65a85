/**
 * Delivers one batch to the store and does not return until the store has
 * taken all of it: whole-request failures (store down, 429, 5xx, refused
 * credentials) are retried with capped exponential backoff; items the store
 * could not take now (429, 5xx, write blocks and other refusals an admin can
 * lift) are sent again alone; a request refused as a whole is split until
 * the refused item is alone; items refused for good are counted, logged and
 * replaced by a stand-in event (fallback.ts). Only a shutdown interrupts a
 * delivery.
 */
import {
  batchItemCount,
  StoreQueryError,
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
} from '../common/backoff';
import { fallbackDocument, pointFallbackDocument } from './fallback';
import { describeError, type ILogger } from '../common/logger';
import type { StatusTracker } from './status';

export interface IDeliveryReport {
  created: number;
  duplicates: number;
  rejected: number;
  fallbacks: number;
  /** Write calls made (1 when everything went through at once). */
  attempts: number;
}

type IRejection = IWriteResult['rejected'][number];

/** One delivery's running totals, shared by the parts it is split into. */
interface IDelivery {
  report: IDeliveryReport;
  /** Ids whose stand-in was already sent: a refused stand-in is final. */
  replaced: Set<string>;
  signal: AbortSignal;
}

/** Even a lone item's stand-in is refused: the store refuses every request. */
class StoreRefusesEverythingError extends Error {
  constructor(readonly cause: StoreQueryError) {
    super(cause.message);
    this.name = 'StoreRefusesEverythingError';
  }
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
    const delivery: IDelivery = {
      report: {
        created: 0,
        duplicates: 0,
        rejected: 0,
        fallbacks: 0,
        attempts: 0
      },
      replaced: new Set<string>(),
      signal
    };
    let failures = 0;
    for (;;) {
      try {
        await this.deliverPart(batch, delivery);
        break;
      } catch (error) {
        if (!(error instanceof StoreRefusesEverythingError)) {
          throw error;
        }
        // A fresh try: items already stored come back as duplicates (same
        // ids), and stand-ins are made again if still needed.
        delivery.replaced.clear();
        await this.pauseAfterFailure(error.cause, failures, batch, signal);
        failures += 1;
      }
    }
    if (this.status.state === 'retrying') {
      this.status.state = 'running';
      this.logger.info('the store accepts writes again');
    }
    return delivery.report;
  }

  /** Delivers `batch`, splitting it when the store refuses it as a whole. */
  private async deliverPart(
    batch: IWriteBatch,
    delivery: IDelivery
  ): Promise<void> {
    const { report, replaced, signal } = delivery;
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
        if (error instanceof StoreQueryError) {
          await this.isolateRefusal(pending, error, delivery);
          return;
        }
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
        const standIn = this.standInFor(pending, rejection, replaced);
        this.recordRejection(rejection, standIn !== undefined);
        report.rejected += 1;
        if (standIn) {
          stillToSend.documents.push(standIn);
          report.fallbacks += 1;
          this.status.counters.fallbackDocuments += 1;
        }
      }
      pending = stillToSend;
      const retrying = result.retry ?? [];
      if (retrying.length > 0) {
        const first = retrying[0];
        const delay = backoffDelay(failures, this.backoff, this.random);
        const reason = `${retrying.length} item(s) not taken yet (${first.statusCode ?? ''} ${first.reason}); retrying in ${delay} ms`;
        this.status.counters.retries += 1;
        this.status.recordError(reason);
        if (this.status.state === 'running') {
          this.status.state = 'retrying';
        }
        this.logger.warn(
          `the store took a batch only in part: ${retrying.length} item(s) answered ${first.statusCode ?? ''} ${first.reason}; sending them again in ${delay} ms`
        );
        failures += 1;
        await sleep(delay, signal);
      }
    }
  }

  /**
   * The store refused `batch` as a whole (a 4xx such as an id over the
   * length limit or a request too large). Halves are sent on their own
   * until the item it refuses is alone; that item is set aside with a
   * stand-in. When the stand-in is refused as a whole too, the store
   * refuses everything (not one bad item): nothing is set aside, and the
   * whole delivery waits and tries again.
   */
  private async isolateRefusal(
    batch: IWriteBatch,
    error: StoreQueryError,
    delivery: IDelivery
  ): Promise<void> {
    const size = batchItemCount(batch);
    if (size > 1) {
      this.logger.warn(
        `the store refused a batch of ${size} item(s) as a whole (${error.message}); sending it in halves to find the item it refuses`
      );
      const [first, second] = splitBatch(batch);
      await this.deliverPart(first, delivery);
      await this.deliverPart(second, delivery);
      return;
    }
    const item = loneItem(batch);
    if (item === undefined || delivery.replaced.has(item.id)) {
      throw new StoreRefusesEverythingError(error);
    }
    const rejection = { ...item, reason: error.message };
    const standIn = this.standInFor(batch, rejection, delivery.replaced);
    if (standIn === undefined) {
      throw new StoreRefusesEverythingError(error);
    }
    const before = delivery.report.created + delivery.report.duplicates;
    await this.deliverPart(
      { documents: [standIn], points: [], runs: [] },
      delivery
    );
    const stored =
      delivery.report.created + delivery.report.duplicates > before;
    this.recordRejection(rejection, stored);
    delivery.report.rejected += 1;
    if (stored) {
      delivery.report.fallbacks += 1;
      this.status.counters.fallbackDocuments += 1;
    }
  }

  /**
   * A stand-in document for a refused event or point, or undefined when the
   * refused item is a stand-in already (a refused stand-in is final) or a
   * run summary (rebuilt from the events, which are kept).
   */
  private standInFor(
    batch: IWriteBatch,
    rejection: IRejection,
    replaced: Set<string>
  ): ITflogDocument | undefined {
    if (replaced.has(rejection.id)) {
      return undefined;
    }
    let standIn: ITflogDocument | undefined;
    if (rejection.kind === 'point') {
      const point = batch.points.find(item => item._id === rejection.id);
      standIn = point && pointFallbackDocument(point, rejection.reason);
    } else if (rejection.kind !== 'run') {
      const document = batch.documents.find(item => item._id === rejection.id);
      standIn = document && fallbackDocument(document, rejection.reason);
    }
    if (standIn) {
      replaced.add(standIn._id);
    }
    return standIn;
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
    const size = batchItemCount(pending);
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

  private recordRejection(rejection: IRejection, replacing: boolean): void {
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
  return batchItemCount(batch) === 0;
}

/** Two batches of about half the items each, in order. */
function splitBatch(batch: IWriteBatch): [IWriteBatch, IWriteBatch] {
  const items: IWriteBatch[] = [
    ...batch.documents.map(item => ({
      documents: [item],
      points: [],
      runs: []
    })),
    ...batch.points.map(item => ({ documents: [], points: [item], runs: [] })),
    ...batch.runs.map(item => ({ documents: [], points: [], runs: [item] }))
  ];
  const half = Math.ceil(items.length / 2);
  const join = (parts: IWriteBatch[]): IWriteBatch => {
    const joined: IWriteBatch = {
      documents: parts.flatMap(part => part.documents),
      points: parts.flatMap(part => part.points),
      runs: parts.flatMap(part => part.runs)
    };
    if (batch.runVersions) {
      joined.runVersions = batch.runVersions;
    }
    return joined;
  };
  return [join(items.slice(0, half)), join(items.slice(half))];
}

/** The one item of a batch of one. */
function loneItem(batch: IWriteBatch): IWriteItemRef | undefined {
  if (batch.documents.length === 1) {
    return { kind: 'document', id: batch.documents[0]._id };
  }
  if (batch.points.length === 1) {
    return { kind: 'point', id: batch.points[0]._id };
  }
  if (batch.runs.length === 1) {
    return { kind: 'run', id: batch.runs[0].run_id };
  }
  return undefined;
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
