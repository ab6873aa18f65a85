/**
 * The service's pipeline: spool tailer → parser → batcher → shipper →
 * registry. Records are read ahead of what the store has acknowledged, but
 * the registry only ever moves past records whose documents the store took
 * (stored, duplicate, or refused for good and reported), so a crash at any
 * point replays, and deterministic ids turn the replay into duplicates.
 *
 * A record whose items do not fit one batch is split into parts that do;
 * only the batch holding its last part moves the registry past it, and only
 * with the run state after it.
 *
 * Two batches are stored at once, so the service parses and serialises the
 * next batch while the store indexes the last one. Batches may be stored out
 * of order (ids make every write idempotent, and run summaries carry their
 * version), but the registry takes them in the order they were sealed: it
 * never moves past a batch that an older, unstored batch precedes.
 *
 * Lines of watched runs (ones whose series the API was just asked for, see
 * IPipelineOptions.isWatched) are read first and go in batches of their
 * own, which are stored ahead of older batches of other runs; the oldest
 * batch always keeps one of the two slots, so no run waits for ever.
 */
import * as fsp from 'fs/promises';
import * as path from 'path';

import {
  fingerprintOf,
  type ILineHead,
  type ISpoolFingerprint
} from '../spool/fingerprint';
import { Registry } from '../spool/registry';
import {
  isErrorCode,
  runIdOfFile,
  SpoolTailer,
  type ISpoolFileInfo,
  type ISpoolLine
} from '../spool/tailer';
import { batchItemCount, type IStore, type IWriteBatch } from '../store/store';
import { mergeWrites } from './merge-writes';
import type { IMetricPoint, IParsedRecord, ITflogDocument } from '../types';
import type { IRunUpdate } from '../wire';
import { DeliveryAbortedError, type IBackoffPolicy } from '../common/backoff';
import { Batcher, type IBatchLimits } from './batcher';
import { describeError, type ILogger } from '../common/logger';
import { withServerRelativeNotebook } from '../common/notebookPath';
import { OverwrittenStates } from '../parse/overwritten';
import type { IRecordParser, IRunState } from './parser-port';
import { Shipper } from './shipper';
import type { StatusTracker } from './status';
import { foldSummary } from './summary';

/**
 * Bytes read (and parsed) from one file per turn: busy runs do not starve the
 * others, and the event loop stays free for the API and for acknowledgements.
 */
const READ_BUDGET_BYTES = 256 * 1024;
/**
 * A run's summary goes with at most one batch per interval while its file
 * has a backlog: each write replaces the run's document (and its nested
 * metric documents), work the store would repeat for every batch.
 */
const SUMMARY_INTERVAL_MS = 1000;
/**
 * Batches being stored at once, besides one watched batch: a watched run's
 * line never waits for a backlog's write to end (it has a slot of its own).
 */
const IN_FLIGHT_BATCHES = 2;
/** Sealed batches waiting or in flight before reading pauses. */
const MAX_SEALED_BATCHES = 4;
/**
 * Sealed batches of watched runs before reading their files pauses too, and
 * the documents they may hold, in full batches. A watched batch is served
 * to live charts as it is sealed, so while the store is slow (other users'
 * bulk requests ahead of it) a watched run's next lines are sealed behind
 * it rather than left unread; the watched batches waiting then go to the
 * store together, in one write of at most a full batch (groupToStore).
 */
const MAX_SEALED_WATCHED_BATCHES = 64;
const MAX_SEALED_WATCHED_FULL_BATCHES = 4;
const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Per-document overhead added to the raw line size when sizing batches. */
const DOCUMENT_OVERHEAD_BYTES = 512;
/**
 * Bytes a bulk request spends on an item besides its JSON (the action line),
 * about: added to each item's measured size when a record is split.
 */
const ITEM_ACTION_BYTES = 128;

export interface IPipelineOptions<TParserState> {
  spoolDir: string;
  stateDir: string;
  store: IStore;
  parser: IRecordParser<TParserState>;
  limits: IBatchLimits;
  pollIntervalMs: number;
  maxLineBytes: number;
  /** Days an ended, fully shipped spool file is kept. */
  spoolKeepDays: number;
  logger: ILogger;
  status: StatusTracker;
  backoff?: IBackoffPolicy;
  random?: () => number;
  now?: () => number;
  /**
   * Called as a batch holding points or run summaries is sealed, before it
   * is stored: the read-your-writes cache serves it from then on (its lines
   * are in the spool and it is retried until stored), and live clients may
   * be told then. A run's batches are sealed in the order of its lines.
   */
  onSealed?: (updates: IRunUpdate[], sealed: IWriteBatch) => void;
  /** Called once the store has acknowledged a batch given to onSealed. */
  onStored?: (updates: IRunUpdate[], stored: IWriteBatch) => void;
  /**
   * The Jupyter server's root directory: notebook paths inside it are
   * stored relative to it, as JupyterLab names them.
   */
  serverRoot?: string;
  /** Whether someone is watching a run now: its lines ship first. */
  isWatched?: (runId: string) => boolean;
}

/**
 * One spool line on its way, or one part of it when its items do not fit a
 * batch: what it yielded and where it ends.
 */
interface ILineEntry {
  file: string;
  /** Counts the lines processed: which line of its file this entry came from. */
  lineIndex: number;
  end: number;
  lineNumber: number;
  /** The line's first bytes: the registry fingerprints the position after it. */
  head: ILineHead;
  documents: ITflogDocument[];
  points: IMetricPoint[];
  /** Its in-place progress states (IParsedRecord.inPlace), in every part. */
  inPlace?: ITflogDocument[];
  /** The line's last (or only) part: the registry may move past the line with it. */
  final: boolean;
  /** The line was a valid record, so the run summary changed (last part only). */
  touchedRun: boolean;
  /** The line was the run's end record (last part only). */
  ended: boolean;
}

/** Where a line ends, as a batch's position after it needs it. */
type ILineEnd = Pick<ILineEntry, 'lineIndex' | 'end' | 'lineNumber' | 'head'>;

/** A file's flags from sealed batches that could not move its position yet. */
interface ICarriedFlags {
  touchedRun: boolean;
  ended: boolean;
}

interface IFilePosition<TParserState> {
  offset: number;
  line: number;
  ino?: number;
  fingerprint: ISpoolFingerprint;
  state: IRunState<TParserState>;
  ended: boolean;
}

interface ISealedBatch<TParserState> {
  write: IWriteBatch;
  /** Its size as the batcher measured it. */
  bytes: number;
  /** Its runs' summaries, as live clients are told of them. */
  updates: IRunUpdate[];
  positions: Map<string, IFilePosition<TParserState>>;
  /** Holds lines of watched runs only: stored ahead of older batches. */
  watched: boolean;
  /** The runs it holds lines of. */
  runs: ReadonlySet<string>;
  state: 'waiting' | 'storing' | 'stored';
}

/** How one batch's delivery ended: stored, or the error that stopped it. */
interface IDeliveryOutcome<TParserState> {
  /** The first batch of the write: its key in `storing`. */
  batch: ISealedBatch<TParserState>;
  /** Every batch the write held, `batch` first. */
  group: ISealedBatch<TParserState>[];
  error?: unknown;
}

type Lane = 'watched' | 'other';

const NOTHING_PARSED: IParsedRecord = { documents: [], points: [] };

export class Pipeline<TParserState> {
  private readonly options: IPipelineOptions<TParserState>;
  private readonly logger: ILogger;
  private readonly status: StatusTracker;
  private readonly now: () => number;
  private readonly tailer: SpoolTailer;
  private readonly registry: Registry<IRunState<TParserState>>;
  /** Lines of runs nobody watches. */
  private readonly batcher: Batcher<ILineEntry>;
  /** Lines of watched runs. */
  private readonly watchedBatcher: Batcher<ILineEntry>;
  /** Per file, the batcher its last line went to. */
  private readonly laneOf = new Map<string, Lane>();
  /** Files the last pump turn did not reach: read first in the next. */
  private unreached = new Set<string>();
  private readonly shipper: Shipper;
  private readonly states = new Map<string, IRunState<TParserState>>();
  /**
   * Per file, the index of the last line processed: the one its run state is
   * at. A batch may move a file's position only up to that line.
   */
  private readonly lastLineIndex = new Map<string, number>();
  /** Per file, when a batch last carried its run summary (this.now()). */
  private readonly summaryWrittenAt = new Map<string, number>();
  /** Files whose newer run summary no stored batch has carried yet. */
  private readonly summaryOwed = new Set<string>();
  /**
   * Files whose last read found no further complete line. The size listed
   * cannot tell: a torn last line (a writer killed mid-line) stays short of
   * it for good, and a summary held back for it would never be written.
   */
  private readonly readToEnd = new Set<string>();
  /** Per file, where its last line processed ends: a summary-only entry's place. */
  private readonly lastLine = new Map<string, ILineEnd>();
  /** Per file, the index of its last line sealed with its position. */
  private readonly sealedLine = new Map<string, number>();
  /** Per file, its size at the last listing. */
  private listedSizes = new Map<string, number>();
  /** Per file, flags of entries sealed without a position (see seal). */
  private readonly carried = new Map<string, ICarriedFlags>();
  private lineCount = 0;
  /** Batches being stored, each with how its delivery ends. */
  private readonly storing = new Map<
    ISealedBatch<TParserState>,
    Promise<IDeliveryOutcome<TParserState>>
  >();
  /** Wakes the drain loop when a write starts while it waits. */
  private storingAdded: (() => void) | null = null;
  /** Sealed batches in the order they were sealed, until acknowledged. */
  private readonly sealed: ISealedBatch<TParserState>[] = [];
  private readonly abort = new AbortController();
  private readonly drainWaiters: (() => void)[] = [];
  private lastListing: ISpoolFileInfo[] = [];
  private pumpRun: Promise<void> | null = null;
  private pumpAgain = false;
  private lastPumpReadLines = 0;
  private draining = false;
  private stopping = false;
  private cleanupTimer: NodeJS.Timeout | null = null;
  private starting: Promise<void> | null = null;
  private started = false;
  private lastPumpError: string | null = null;
  /**
   * False once another service holds the shipper lock: the registry is its
   * to write from then on, and a save from here would put back offsets and
   * run states older than its own.
   */
  private ownsRegistry = true;

  constructor(options: IPipelineOptions<TParserState>) {
    this.options = options;
    this.logger = options.logger;
    this.status = options.status;
    this.now = options.now ?? Date.now;
    this.tailer = new SpoolTailer({
      dir: options.spoolDir,
      pollIntervalMs: options.pollIntervalMs,
      maxLineBytes: options.maxLineBytes,
      logger: options.logger.child('tailer'),
      // The tailer logs it once; /status shows the latest until it recovers.
      onFileError: message => this.status.recordError(message)
    });
    this.registry = new Registry(
      options.stateDir,
      options.logger.child('registry')
    );
    this.batcher = new Batcher(options.limits, (entries, bytes) =>
      this.seal(entries, bytes, false)
    );
    this.watchedBatcher = new Batcher(options.limits, (entries, bytes) =>
      this.seal(entries, bytes, true)
    );
    this.shipper = new Shipper({
      store: options.store,
      logger: options.logger.child('shipper'),
      status: options.status,
      backoff: options.backoff,
      random: options.random
    });
  }

  /**
   * A registry written for another store (a database replaced by a fresh
   * one) is dropped: the spool is read again, and ids make what the store
   * still has duplicates. A registry that names no store adopts this one.
   */
  private checkStoreIdentity(): void {
    const current = this.options.store.storeId?.();
    if (current === undefined) {
      return;
    }
    const known = this.registry.storeId;
    if (known !== undefined && known !== current) {
      this.logger.warn(
        `the store is not the one ${this.registry.path} was written for (a fresh database): reading the spool again from the start`
      );
      this.registry.clear();
    }
    this.registry.storeId = current;
  }

  /** Loads the registry and starts following the spool directory. */
  start(): Promise<void> {
    this.starting = this.startNow();
    return this.starting;
  }

  private async startNow(): Promise<void> {
    if (this.stopping) {
      return;
    }
    await fsp.mkdir(this.options.spoolDir, { recursive: true, mode: 0o700 });
    await this.registry.load();
    this.checkStoreIdentity();
    for (const name of this.registry.names()) {
      const entry = this.registry.get(name);
      if (!entry) {
        continue;
      }
      this.tailer.setPosition(name, {
        offset: entry.offset,
        line: entry.line,
        ino: entry.ino,
        fingerprint: entry.fingerprint
      });
      if (entry.state) {
        // A copy: parsing changes its state in place, and the registry must
        // keep saving the state of its acknowledged offset until the next ack.
        this.states.set(name, structuredClone(entry.state));
        // Its last summary may have been deferred: the next batch carries it.
        this.summaryOwed.add(name);
      }
    }
    this.logger.info(
      `following ${this.options.spoolDir} (registry ${this.registry.path}, ${this.registry.names().length} known file(s))`
    );
    await this.cleanSpool();
    this.cleanupTimer = setInterval(() => {
      this.cleanSpool().catch(error =>
        this.logger.error(`spool clean-up failed: ${describeError(error)}`)
      );
    }, CLEANUP_INTERVAL_MS);
    this.cleanupTimer.unref();
    this.tailer.start(() => this.wake());
    this.started = true;
    this.wake();
  }

  /** Reads what is new in the spool (fs.watch and the poll timer call this). */
  wake(): void {
    if (this.stopping) {
      return;
    }
    void this.pump();
  }

  /**
   * Ships everything spooled so far and waits until the store has it;
   * rejects after `timeoutMs` saying what is in the way.
   */
  async flush(timeoutMs: number): Promise<void> {
    if (this.stopping) {
      throw new Error('the service is stopping');
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.pump();
      this.sealOpen();
      await this.waitDrained(deadline);
      if (
        this.lastPumpReadLines === 0 &&
        this.batcher.openItems === 0 &&
        this.watchedBatcher.openItems === 0 &&
        this.sealed.length === 0
      ) {
        return;
      }
      if (Date.now() >= deadline) {
        throw new Error(this.notDoneMessage(timeoutMs));
      }
    }
  }

  /**
   * Stops after losing the shipper lock: as stop(), but the registry is no
   * longer saved (the new shipper writes it). What is stored meanwhile is
   * replayed by the new shipper, and the ids make it duplicates.
   */
  standDown(graceMs: number): Promise<void> {
    this.ownsRegistry = false;
    return this.stop(graceMs);
  }

  /**
   * Stops reading, gives in-flight data `graceMs` to reach the store, then
   * abandons the rest (it is still in the spool and is read again on start).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    // A start in progress finishes first (its failure is the starter's to report).
    await this.starting?.catch(() => undefined);
    this.tailer.stop();
    if (this.cleanupTimer) {
      clearInterval(this.cleanupTimer);
      this.cleanupTimer = null;
    }
    await this.pumpRun;
    this.sealOpen();
    try {
      await this.waitDrained(Date.now() + graceMs);
    } catch (error) {
      this.logger.warn(
        `${describeError(error)}; the rest stays in the spool and is shipped after the next start`
      );
      this.abort.abort();
      await this.waitDrained(Number.POSITIVE_INFINITY);
    }
    this.batcher.stop();
    this.watchedBatcher.stop();
    if (this.started && this.ownsRegistry) {
      // Never before the registry was loaded: that would write it empty.
      await this.registry.save();
    }
  }

  private pump(): Promise<void> {
    if (this.pumpRun) {
      this.pumpAgain = true;
      return this.pumpRun;
    }
    this.pumpRun = this.pumpLoop().finally(() => {
      this.pumpRun = null;
    });
    return this.pumpRun;
  }

  private async pumpLoop(): Promise<void> {
    this.lastPumpReadLines = 0;
    try {
      do {
        this.pumpAgain = false;
        const files = await this.filesToRead();
        if (files === null) {
          break;
        }
        const ordered = this.readingOrder(files.files);
        // Only watched runs read: the others keep their place in the queue.
        const unreached = files.watchedOnly
          ? new Set(this.unreached)
          : new Set<string>();
        for (const file of ordered) {
          const watched = this.options.isWatched?.(file.runId) ?? false;
          if (this.stopping || !this.hasRoom(watched)) {
            unreached.add(file.name);
            continue;
          }
          const { lines, restarted, atEnd } = await this.tailer.read(
            file,
            READ_BUDGET_BYTES
          );
          if (restarted) {
            this.states.delete(file.name);
            this.lastLine.delete(file.name);
          }
          if (atEnd) {
            this.readToEnd.add(file.name);
          } else {
            this.readToEnd.delete(file.name);
          }
          const lane: Lane = watched ? 'watched' : 'other';
          for (const line of lines) {
            this.process(file, line, lane);
          }
          if (lines.length === 0 && atEnd) {
            this.sendOwedSummary(file.name, lane);
          }
          if (lines.length > 0) {
            this.lastPumpReadLines += lines.length;
            this.pumpAgain = true;
          }
        }
        this.unreached = unreached;
        this.updateBacklog();
      } while (this.pumpAgain && !this.stopping && this.hasRoom());
      this.lastPumpError = null;
      if (!this.stopping) {
        // Watched lines ship at once. Group commit for the others: with a
        // free write slot, what was read ships now, not after maxWaitMs;
        // lines read while both slots are taken wait for one and then go
        // together (drainLoop wakes the pump after each batch).
        this.watchedBatcher.seal();
        if (this.sealed.length < IN_FLIGHT_BATCHES) {
          this.batcher.seal();
        }
      }
    } catch (error) {
      const message = `reading the spool failed: ${describeError(error)}`;
      this.status.recordError(message);
      if (message !== this.lastPumpError) {
        // Logged once per distinct failure: the poll retries every interval.
        this.logger.error(`${message}; retrying`);
        this.lastPumpError = message;
      }
    }
  }

  /**
   * Whether reading may go on: while fewer than MAX_SEALED_BATCHES batches
   * of other runs are sealed, and a watched run's file while the watched
   * batches sealed are within their own limits, so that its lines are not
   * held up behind a full queue, nor hold up the other runs' reading.
   */
  private hasRoom(watched = false): boolean {
    let sealedWatched = 0;
    let watchedDocs = 0;
    for (const batch of this.sealed) {
      if (batch.watched) {
        sealedWatched += 1;
        watchedDocs += documentCount(batch.write);
      }
    }
    if (!watched) {
      return this.sealed.length - sealedWatched < MAX_SEALED_BATCHES;
    }
    return (
      sealedWatched < MAX_SEALED_WATCHED_BATCHES &&
      watchedDocs <
        MAX_SEALED_WATCHED_FULL_BATCHES * this.options.limits.maxDocs
    );
  }

  /**
   * The files a pump turn reads: the whole spool while there is room for
   * any run's lines; only watched runs' files while there is room for
   * theirs alone; null while there is none. Stating every file on every
   * write of every kernel would find nothing to read while the batch slots
   * are taken; the drain loop wakes the pump when a batch is stored.
   */
  private async filesToRead(): Promise<{
    files: ISpoolFileInfo[];
    watchedOnly: boolean;
  } | null> {
    if (this.hasRoom()) {
      const files = await this.tailer.listFiles();
      this.lastListing = files;
      this.listedSizes = new Map(files.map(file => [file.name, file.size]));
      return { files, watchedOnly: false };
    }
    const isWatched = this.options.isWatched;
    if (isWatched === undefined || !this.hasRoom(true)) {
      return null;
    }
    const files = await this.tailer.listFiles(isWatched);
    for (const file of files) {
      const index = this.lastListing.findIndex(
        listed => listed.name === file.name
      );
      if (index === -1) {
        this.lastListing.push(file);
      } else {
        this.lastListing[index] = file;
      }
      this.listedSizes.set(file.name, file.size);
    }
    return files.length > 0 ? { files, watchedOnly: true } : null;
  }

  /**
   * Files of unwatched runs the last turn did not reach first (reading
   * paused for room before them: a watched run's backlog does not keep
   * them waiting), then watched runs, then the newest runs (run ids start
   * with their start time). Watched batches still overtake when stored.
   */
  private readingOrder(files: ISpoolFileInfo[]): ISpoolFileInfo[] {
    const isWatched = this.options.isWatched;
    const rank = (file: ISpoolFileInfo): number =>
      isWatched?.(file.runId) ? 1 : this.unreached.has(file.name) ? 0 : 2;
    return files
      .map(file => ({ file, rank: rank(file) }))
      .sort(
        (a, b) =>
          a.rank - b.rank ||
          (a.file.runId < b.file.runId
            ? 1
            : a.file.runId > b.file.runId
              ? -1
              : 0)
      )
      .map(({ file }) => file);
  }

  private sealOpen(): void {
    this.watchedBatcher.seal();
    this.batcher.seal();
  }

  private stateFor(file: ISpoolFileInfo): IRunState<TParserState> {
    let state = this.states.get(file.name);
    if (!state) {
      state = {
        runId: file.runId,
        lastSeq: -1,
        summary: null,
        parser: this.options.parser.newRunState(file.runId)
      };
      this.states.set(file.name, state);
    }
    return state;
  }

  private process(file: ISpoolFileInfo, line: ISpoolLine, lane: Lane): void {
    const counters = this.status.counters;
    // Made only for a warning: most lines never need it.
    const where = (): string =>
      `${path.join(this.options.spoolDir, line.file)}:${line.lineNumber}`;
    counters.recordsRead += 1;
    if (line.replacedCharacters > 0) {
      counters.invalidUtf8Lines += 1;
      this.logger.warn(
        `${where()}: ${line.replacedCharacters} invalid UTF-8 sequence(s) replaced by U+FFFD`
      );
    }
    if (line.truncatedFrom !== undefined) {
      counters.truncatedLines += 1;
      this.logger.warn(
        `${where()}: line of ${line.truncatedFrom} bytes is over the ${this.options.maxLineBytes}-byte cap; its text is truncated and marked`
      );
    }
    const lineIndex = ++this.lineCount;
    const entry: ILineEntry = {
      file: line.file,
      lineIndex,
      end: line.end,
      lineNumber: line.lineNumber,
      head: line.head,
      documents: [],
      points: [],
      final: true,
      touchedRun: false,
      ended: false
    };
    const state = this.stateFor(file);
    // Before parsing: from here on the run state is at this line.
    this.lastLineIndex.set(line.file, lineIndex);
    // The entry itself: its place does not change, and a copy per line
    // would be one more allocation on the busiest path.
    this.lastLine.set(line.file, entry);
    if (!line.result.ok) {
      counters.invalidLines += 1;
      this.logger.error(`${where()}: skipped: ${line.result.problem}`);
    } else {
      const record = withServerRelativeNotebook(
        line.result.record,
        this.options.serverRoot
      );
      let parsed = NOTHING_PARSED;
      try {
        parsed = this.options.parser.parseRecord(record, state.parser);
      } catch (error) {
        counters.parseFailures += 1;
        this.logger.error(
          `${where()}: the parser failed on a ${record.t} record (seq ${record.seq}): ${describeError(error)}; its events are not stored`
        );
      }
      if (parsed.capped !== undefined && parsed.capped.length > 0) {
        counters.cappedRecords += 1;
        for (const note of parsed.capped) {
          this.logger.warn(`${where()}: ${note}`);
        }
      }
      state.summary = foldSummary(state.summary, state.runId, record, parsed);
      state.lastSeq = Math.max(state.lastSeq, record.seq);
      entry.documents = parsed.documents;
      entry.points = parsed.points;
      if (parsed.inPlace !== undefined) {
        entry.inPlace = parsed.inPlace;
      }
      entry.touchedRun = true;
      entry.ended = record.t === 'end';
    }
    const batcher = this.batcherFor(line.file, lane);
    const items = entry.documents.length + entry.points.length;
    const bytes = line.end - line.start + items * DOCUMENT_OVERHEAD_BYTES;
    const { maxDocs, maxBytes } = this.options.limits;
    if (items <= maxDocs && bytes <= maxBytes) {
      batcher.add(entry, items, bytes);
      return;
    }
    const parts = splitEntry(entry, maxDocs, maxBytes);
    if (parts.length > 1) {
      this.logger.debug(
        `${where()}: ${items} item(s) from one record, split over ${parts.length} batches`
      );
    }
    for (const part of parts) {
      batcher.add(part.entry, part.items, part.bytes);
    }
  }

  /**
   * A summary held back for a backlog that turned out to end (the batch
   * that reached the end was sealed before the read that found no further
   * line): an entry of no items at the file's last line carries it, and
   * the position it repeats, once every line of the file is sealed.
   */
  private sendOwedSummary(file: string, lane: Lane): void {
    const last = this.lastLine.get(file);
    if (
      last === undefined ||
      !this.summaryOwed.has(file) ||
      this.carried.has(file) ||
      this.sealedLine.get(file) !== last.lineIndex ||
      this.lastLineIndex.get(file) !== last.lineIndex
    ) {
      return;
    }
    // Open now: not added again before it is sealed.
    this.sealedLine.delete(file);
    this.batcherFor(file, lane).add(
      {
        ...last,
        file,
        documents: [],
        points: [],
        final: true,
        touchedRun: false,
        ended: false
      },
      0,
      0
    );
  }

  /**
   * The batcher of a file's line. When a file changes lanes, the batch its
   * earlier lines are in is sealed first: batches are acknowledged in the
   * order they are sealed, so its earlier lines are always acknowledged
   * before its later ones.
   */
  private batcherFor(file: string, lane: Lane): Batcher<ILineEntry> {
    const previous = this.laneOf.get(file);
    if (previous !== undefined && previous !== lane) {
      (previous === 'watched' ? this.watchedBatcher : this.batcher).seal();
    }
    this.laneOf.set(file, lane);
    return lane === 'watched' ? this.watchedBatcher : this.batcher;
  }

  /**
   * Called with the whole open batch. A file's position (and its run
   * summary) goes with the batch only when the batch's last entry of that
   * file is a line's last part and the run state is still at that line;
   * else, as when a line is sealed in parts or sealed out of a batch it did
   * not fit after it was parsed, the batch stores its items only and a
   * later batch, stored after it, moves the position.
   */
  private seal(entries: ILineEntry[], bytes: number, watched: boolean): void {
    const write: IWriteBatch = {
      documents: [],
      points: [],
      runs: [],
      runVersions: {}
    };
    const lastEntries = new Map<string, ILineEntry>();
    const flags = new Map<string, ICarriedFlags>();
    const overwritten = new OverwrittenStates();
    for (const entry of entries) {
      overwritten.see(entry.documents, entry.inPlace);
    }
    this.status.counters.overwrittenStates += overwritten.size;
    for (const entry of entries) {
      // One by one: spreading a large array into push() overflows the stack.
      for (const document of entry.documents) {
        if (overwritten.size === 0 || !overwritten.has(document)) {
          write.documents.push(document);
        }
      }
      for (const point of entry.points) {
        write.points.push(point);
      }
      lastEntries.set(entry.file, entry);
      const fileFlags = flags.get(entry.file) ??
        this.carried.get(entry.file) ?? { touchedRun: false, ended: false };
      flags.set(entry.file, {
        touchedRun: fileFlags.touchedRun || entry.touchedRun,
        ended: fileFlags.ended || entry.ended
      });
    }
    const positions = new Map<string, IFilePosition<TParserState>>();
    const touched = new Set<string>();
    for (const [file, entry] of lastEntries) {
      const fileFlags = flags.get(file) as ICarriedFlags;
      const state = this.states.get(file);
      if (!state) {
        this.carried.delete(file);
        continue;
      }
      if (!entry.final || this.lastLineIndex.get(file) !== entry.lineIndex) {
        this.carried.set(file, fileFlags);
        continue;
      }
      this.carried.delete(file);
      this.sealedLine.set(file, entry.lineIndex);
      if (fileFlags.touchedRun) {
        touched.add(file);
      }
      positions.set(file, {
        offset: entry.end,
        line: entry.lineNumber,
        ino: this.tailer.position(file)?.ino,
        fingerprint: fingerprintOf(entry.head),
        state,
        ended: fileFlags.ended
      });
    }
    const updates: IRunUpdate[] = [];
    const now = this.now();
    for (const [file, position] of positions) {
      // The batch's own copy: later lines fold into the live summary in place.
      position.state = structuredClone(position.state);
      const summary = position.state.summary;
      const changed = touched.has(file) || this.summaryOwed.has(file);
      if (
        changed &&
        summary &&
        !this.summaryDue(file, position, watched, now)
      ) {
        this.summaryOwed.add(file);
      } else if (changed && summary) {
        this.summaryOwed.delete(file);
        this.summaryWrittenAt.set(file, now);
        write.runs.push(summary);
        (write.runVersions as Record<string, number>)[summary.run_id] =
          position.state.lastSeq;
        updates.push({
          run_id: summary.run_id,
          updated: summary.updated,
          status: summary.status,
          last_seq: position.state.lastSeq
        });
      }
    }
    this.sealed.push({
      write,
      bytes,
      updates,
      positions,
      watched,
      runs: new Set(entries.map(entry => runIdOfFile(entry.file))),
      state: 'waiting'
    });
    if (hasNews(write)) {
      this.options.onSealed?.(updates, write);
    }
    this.drain();
  }

  /**
   * Whether a batch carries its run's changed summary: always for a watched
   * run, a run's end, a file read to its end (nothing may follow to carry
   * it: no complete line after the batch's, whatever the size listed) or a
   * run not written for SUMMARY_INTERVAL_MS; else a later batch of the
   * file's backlog carries it (or sendOwedSummary, if the backlog ends).
   */
  private summaryDue(
    file: string,
    position: IFilePosition<TParserState>,
    watched: boolean,
    now: number
  ): boolean {
    const writtenAt = this.summaryWrittenAt.get(file);
    return (
      watched ||
      position.ended ||
      writtenAt === undefined ||
      now - writtenAt >= SUMMARY_INTERVAL_MS ||
      position.offset >= (this.listedSizes.get(file) ?? 0) ||
      (this.readToEnd.has(file) &&
        position.offset === this.tailer.position(file)?.offset)
    );
  }

  private drain(): void {
    if (this.draining) {
      this.startStoring();
      return;
    }
    this.draining = true;
    this.drainLoop()
      .catch(error => {
        this.logger.error(
          `shipping stopped unexpectedly: ${describeError(error)}`
        );
        this.status.recordError(`shipping stopped: ${describeError(error)}`);
      })
      .finally(() => {
        this.draining = false;
        // A write started after the loop's last look at the queue.
        if (this.storing.size > 0) {
          this.drain();
          return;
        }
        for (const wake of this.drainWaiters.splice(0)) {
          wake();
        }
      });
  }

  /** Starts storing waiting batches while a write slot is free. */
  private startStoring(): void {
    for (
      let next = this.nextToStore();
      next !== undefined && this.hasWriteSlot(next);
      next = this.nextToStore()
    ) {
      const group = this.groupToStore(next);
      for (const batch of group) {
        batch.state = 'storing';
      }
      this.storing.set(next, this.store(group));
      // The drain loop waits on the writes it knew of: it waits on this too.
      this.storingAdded?.();
    }
  }

  private async drainLoop(): Promise<void> {
    const storing = this.storing;
    while (this.sealed.length > 0) {
      this.startStoring();
      const added = new Promise<null>(
        resolve => (this.storingAdded = () => resolve(null))
      );
      const outcome = await Promise.race([...storing.values(), added]);
      this.storingAdded = null;
      if (outcome === null) {
        continue;
      }
      storing.delete(outcome.batch);
      if (outcome.error !== undefined) {
        // The other write ends too: on abort at once; else kept for the log.
        // Unacknowledged batches are sent again when shipping resumes.
        await Promise.all(storing.values());
        storing.clear();
        for (const batch of this.sealed) {
          batch.state = 'waiting';
        }
        if (outcome.error instanceof DeliveryAbortedError) {
          return;
        }
        throw outcome.error;
      }
      for (const batch of outcome.group) {
        batch.state = 'stored';
        this.status.counters.batches += 1;
        // Not held back for an older batch still out, nor for the
        // registry's fsyncs: the cache's window starts now.
        if (hasNews(batch.write)) {
          this.options.onStored?.(batch.updates, batch.write);
        }
      }
      while (this.sealed.length > 0 && this.sealed[0].state === 'stored') {
        await this.acknowledge(
          this.sealed.shift() as ISealedBatch<TParserState>
        );
      }
      this.wake();
    }
  }

  /**
   * IN_FLIGHT_BATCHES slots for any batches, and one more for a watched
   * batch while no other watched batch is out (nextToStore picks it first).
   */
  private hasWriteSlot(next: ISealedBatch<TParserState>): boolean {
    let watchedStoring = 0;
    for (const batch of this.storing.keys()) {
      if (batch.watched) {
        watchedStoring += 1;
      }
    }
    if (next.watched && watchedStoring === 0) {
      return this.storing.size < IN_FLIGHT_BATCHES + 1;
    }
    return this.storing.size - Math.min(watchedStoring, 1) < IN_FLIGHT_BATCHES;
  }

  /**
   * The next batch to store, or undefined when none may start: the oldest
   * batch holding a watched run's lines unless a watched batch is being
   * stored already, else the oldest waiting one. So at most one slot goes
   * to a watched batch that overtakes older ones, and the oldest batch
   * always has the other. The order the store takes a run's batches in is
   * not what a live chart sees: it is served each batch as it is sealed
   * (onSealed).
   */
  private nextToStore(): ISealedBatch<TParserState> | undefined {
    const waiting = this.sealed.filter(batch => batch.state === 'waiting');
    const watchedStoring = this.sealed.some(
      batch => batch.watched && batch.state === 'storing'
    );
    const preferred = watchedStoring
      ? undefined
      : waiting.find(batch => this.holdsWatched(batch));
    return preferred ?? waiting[0];
  }

  private holdsWatched(batch: ISealedBatch<TParserState>): boolean {
    const isWatched = this.options.isWatched;
    if (batch.watched) {
      return true;
    }
    if (isWatched !== undefined) {
      for (const runId of batch.runs) {
        if (isWatched(runId)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The batches one write takes: `next` alone, or for a watched batch every
   * watched batch waiting behind it too, in the order they were sealed, as
   * long as they fit one batch: one write instead of one per batch, each
   * waiting its turn in the store's queue. The registry and the cache still
   * take them batch by batch.
   */
  private groupToStore(
    next: ISealedBatch<TParserState>
  ): ISealedBatch<TParserState>[] {
    const group = [next];
    if (!next.watched) {
      return group;
    }
    let docs = documentCount(next.write);
    let bytes = next.bytes;
    for (const batch of this.sealed) {
      if (batch === next || !batch.watched || batch.state !== 'waiting') {
        continue;
      }
      docs += documentCount(batch.write);
      bytes += batch.bytes;
      if (
        docs > this.options.limits.maxDocs ||
        bytes > this.options.limits.maxBytes
      ) {
        break;
      }
      group.push(batch);
    }
    return group;
  }

  private async store(
    group: ISealedBatch<TParserState>[]
  ): Promise<IDeliveryOutcome<TParserState>> {
    const batch = group[0];
    const started = Date.now();
    try {
      const report = await this.shipper.deliver(
        mergeWrites(group.map(member => member.write)),
        this.abort.signal
      );
      this.logger.debug(
        `${group.length > 1 ? `${group.length} batches` : 'batch'} stored in ${Date.now() - started} ms: ${report.created} new, ${report.duplicates} duplicate(s), ${report.rejected} refused, ${report.attempts} attempt(s); ${this.sealed.length - group.length} batch(es) sealed besides`
      );
      return { batch, group };
    } catch (error) {
      return { batch, group, error };
    }
  }

  /** Moves the registry past a batch the store has taken. */
  private async acknowledge(batch: ISealedBatch<TParserState>): Promise<void> {
    const now = new Date(this.now()).toISOString();
    for (const [file, position] of batch.positions) {
      const previous = this.registry.get(file);
      this.registry.set(file, {
        offset: position.offset,
        line: position.line,
        ino: position.ino,
        fingerprint: position.fingerprint,
        state: position.state,
        endedAt: previous?.endedAt ?? (position.ended ? now : null),
        updated: now
      });
    }
    if (!this.ownsRegistry) {
      this.updateBacklog();
      return;
    }
    try {
      await this.registry.save();
    } catch (error) {
      // The data is stored; a later save records the position, and until
      // then a restart replays it as duplicates.
      const message = `cannot save the registry ${this.registry.path}: ${describeError(error)}`;
      this.status.recordError(message);
      this.logger.error(message);
    }
    this.updateBacklog();
  }

  /** Resolves when the drain loop is idle: everything sealed is stored, or abandoned on abort. */
  private waitDrained(deadline: number): Promise<void> {
    if (!this.draining) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.drainWaiters.push(done);
      const waitMs = Math.max(0, deadline - Date.now());
      if (Number.isFinite(deadline)) {
        timer = setTimeout(() => {
          const index = this.drainWaiters.indexOf(done);
          if (index !== -1) {
            this.drainWaiters.splice(index, 1);
          }
          reject(new Error(this.notDoneMessage(waitMs)));
        }, waitMs);
      }
    });
  }

  private notDoneMessage(waitedMs: number): string {
    const pending = this.sealed.reduce(
      (sum, batch) => sum + batchItemCount(batch.write),
      0
    );
    const lastError = this.status.snapshot().lastError;
    return `${pending} item(s) not stored within ${Math.round(waitedMs / 1000)} s${
      lastError ? ` (last error: ${lastError.message})` : ''
    }`;
  }

  /**
   * Whether the run's spool file held, when last listed, bytes not read
   * yet: the last record read is then not the last the kernel wrote (a
   * backlog), so the run cannot be judged stalled by it.
   */
  hasUnread(runId: string): boolean {
    for (const file of this.lastListing) {
      if (file.runId === runId) {
        return file.size > (this.tailer.position(file.name)?.offset ?? 0);
      }
    }
    return false;
  }

  private updateBacklog(): void {
    let bytes = 0;
    let files = 0;
    for (const file of this.lastListing) {
      const acknowledged = this.registry.get(file.name)?.offset ?? 0;
      if (file.size > acknowledged) {
        bytes += file.size - acknowledged;
        files += 1;
      }
    }
    this.status.backlog = { bytes, files };
  }

  /**
   * Deletes spool files whose run ended more than `spoolKeepDays` ago and
   * whose every byte is acknowledged; forgets entries of vanished files.
   */
  private async cleanSpool(): Promise<void> {
    const keepMs = this.options.spoolKeepDays * DAY_MS;
    let changed = false;
    for (const name of this.registry.names()) {
      const entry = this.registry.get(name);
      if (!entry) {
        continue;
      }
      const filePath = path.join(this.options.spoolDir, name);
      let size: number;
      try {
        size = (await fsp.stat(filePath)).size;
      } catch (error) {
        if (!isErrorCode(error, 'ENOENT')) {
          // One bad file must not stop the start nor the others' clean-up.
          const message = `spool clean-up skipped ${filePath}: ${describeError(error)}`;
          this.status.recordError(message);
          this.logger.warn(message);
          continue;
        }
        this.forgetFile(name);
        changed = true;
        continue;
      }
      const endedAt = entry.endedAt === null ? NaN : Date.parse(entry.endedAt);
      if (
        Number.isNaN(endedAt) ||
        this.now() - endedAt < keepMs ||
        size !== entry.offset
      ) {
        continue;
      }
      await fsp.unlink(filePath);
      this.forgetFile(name);
      this.status.counters.spoolFilesDeleted += 1;
      changed = true;
      this.logger.info(
        `deleted ${filePath}: run ended ${entry.endedAt}, fully stored, kept ${this.options.spoolKeepDays} day(s)`
      );
    }
    if (changed && this.ownsRegistry) {
      await this.registry.save();
    }
  }

  private forgetFile(name: string): void {
    this.registry.delete(name);
    this.tailer.forget(name);
    this.states.delete(name);
    this.lastLineIndex.delete(name);
    this.carried.delete(name);
    this.laneOf.delete(name);
    this.summaryWrittenAt.delete(name);
    this.summaryOwed.delete(name);
    this.readToEnd.delete(name);
    this.lastLine.delete(name);
    this.sealedLine.delete(name);
  }
}

/** One part of a line's items, sized for the batcher. */
interface IEntryPart {
  entry: ILineEntry;
  items: number;
  bytes: number;
}

/**
 * Splits a line's items into parts of at most `maxDocs` items and about
 * `maxBytes` bytes, each item measured as its JSON (an item bigger than
 * `maxBytes` is a part of its own). Only the last part is final and carries
 * the line's flags; a line of no items is one empty final part.
 */
function splitEntry(
  entry: ILineEntry,
  maxDocs: number,
  maxBytes: number
): IEntryPart[] {
  const parts: IEntryPart[] = [];
  let current: IEntryPart | null = null;
  const take = (size: number, add: (part: ILineEntry) => void): void => {
    if (
      current !== null &&
      (current.items + 1 > maxDocs || current.bytes + size > maxBytes)
    ) {
      current = null;
    }
    if (current === null) {
      current = {
        entry: {
          ...entry,
          documents: [],
          points: [],
          final: false,
          touchedRun: false,
          ended: false
        },
        items: 0,
        bytes: 0
      };
      parts.push(current);
    }
    add(current.entry);
    current.items += 1;
    current.bytes += size;
  };
  for (const document of entry.documents) {
    take(itemBytes(document), part => part.documents.push(document));
  }
  for (const point of entry.points) {
    take(itemBytes(point), part => part.points.push(point));
  }
  const last = parts[parts.length - 1];
  if (last === undefined) {
    return [{ entry, items: 0, bytes: 0 }];
  }
  last.entry.final = true;
  last.entry.touchedRun = entry.touchedRun;
  last.entry.ended = entry.ended;
  return parts;
}

function itemBytes(item: ITflogDocument | IMetricPoint): number {
  return JSON.stringify(item).length + ITEM_ACTION_BYTES;
}

/** Documents as the batcher counts them against maxDocs: events and points. */
function documentCount(write: IWriteBatch): number {
  return write.documents.length + write.points.length;
}

/** Whether a batch holds anything a live chart or run view shows. */
function hasNews(write: IWriteBatch): boolean {
  return write.points.length > 0 || write.runs.length > 0;
}
