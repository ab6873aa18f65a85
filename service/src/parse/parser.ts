/**
 * Spool records → documents and metric points.
 *
 * `parseRecord` is a function of the record and the run's parse state (which
 * it advances): replaying a run's records from the start yields the same
 * documents with the same `_id`s. Ids: `<run>:<seq>` for a record's only
 * document, `<run>:<seq>:<i>` when a record holds several visible lines
 * (i counts the record's non-empty lines); points `<document id>:<metric>`.
 */
import {
  ILogRecord,
  IParsedRecord,
  IStreamRecord,
  ITflogDocument,
  SpoolRecord
} from '../types';
import {
  CustomMatcher,
  compilePatternSet,
  ICompiledPattern,
  ICustomPattern,
  IPatternSet
} from './custom';
import {
  buildDocument,
  buildPoints,
  IDocumentSpec,
  resolveKindAndLevel,
  timestamp,
  writeTime
} from './documents';
import { isLoggingEcho, rememberLoggingLines } from './echo';
import { GrokError } from './grok/compile';
import { normaliseLevel } from './levels';
import {
  emptyStreamState,
  ILineContext,
  ILineEvent,
  IStreamParseState,
  plainEvent
} from './lines/event';
import { parseProgressLine } from './lines/keras';
import { parseLine, parseMessage } from './lines/parseLine';
import { parsedEventLine, parsedLine } from './parsedLine';
import { errorFromExceptionText } from './lines/python';
import { recordId, runDocumentSpec, seqOf, textOf } from './recordFields';
import {
  callbackOutput,
  contextOutput,
  endOutput,
  hparamsOutput,
  IRecordOutput,
  lossOutput,
  startOutput,
  unknownOutput
} from './runRecords';
import { IRunState } from './state';
import { IStreamLine, MAX_LINES_PER_RECORD, streamLines } from './streamLines';
import { systemRecord } from './systemRecords';
import { renderLine, Terminator } from './terminal';
import { MAX_TEXT_CHARS } from './truncate';

export interface IParserOptions {
  /** Admins' patterns, tried before the built-in ones: a list, or `{ definitions, patterns }`. */
  patterns?: ICustomPattern[] | IPatternSet;
  /** Extra grok definitions the patterns may reference. */
  definitions?: Record<string, string>;
  /** Characters of a line custom patterns see (default 64 KiB). */
  maxCustomInput?: number;
  /** Time limit for one custom pattern on one line, ms (default 50). */
  customTimeoutMs?: number;
  /** Time-outs after which a custom pattern is disabled (default 5). */
  customMaxTimeouts?: number;
  /** Told of each custom pattern time-out, and of a pattern disabled. */
  onPatternProblem?: (problem: GrokError) => void;
  /**
   * Drop stream lines that only repeat a logging record just seen (a
   * `logging.StreamHandler` printing what the tflog handler already
   * recorded). Default true.
   */
  suppressLoggingEcho?: boolean;
  /**
   * Build the metric points (default true). Without them `points` stays
   * empty, and `stats.points` still counts the points there would be.
   */
  points?: boolean;
}

export interface IParserStats {
  records: number;
  documents: number;
  points: number;
  /** Stream lines dropped as echoes of logging records. */
  echoes: number;
  /** Records the parser failed on (reported as 'error' documents). */
  failures: number;
  /** Custom pattern matches cut short by the time limit, per pattern. */
  customTimeouts: Record<string, number>;
  /** Custom patterns disabled after too many time-outs. */
  customDisabled: string[];
  /** Records that yielded more than a per-record cap allows (see IParsedRecord.capped). */
  capped: number;
}

export interface IParser {
  /** Custom patterns in use. */
  readonly patterns: readonly ICompiledPattern[];
  /** Custom patterns that could not be used, each naming the pattern and the problem. */
  readonly patternErrors: readonly GrokError[];
  readonly stats: IParserStats;
  /** Never throws: a record it cannot handle becomes an 'error' document. */
  parseRecord(record: SpoolRecord, state: IRunState): IParsedRecord;
  /**
   * What `tflog parse` prints by default: `parsedLine` of each document
   * `parseRecord` would give, pushed onto `out`, with the same state and
   * stats. A stream record's lines are written without building documents.
   */
  parseRecordLines(record: SpoolRecord, state: IRunState, out: string[]): void;
}

export function createParser(options: IParserOptions = {}): IParser {
  return new Parser(options);
}

class Parser implements IParser {
  readonly patterns: readonly ICompiledPattern[];
  readonly patternErrors: readonly GrokError[];
  private readonly custom: CustomMatcher | null;
  private readonly suppressEcho: boolean;
  private readonly withPoints: boolean;
  private readonly counters = {
    records: 0,
    documents: 0,
    points: 0,
    echoes: 0,
    failures: 0,
    capped: 0
  };

  constructor(options: IParserOptions) {
    const compiled = compilePatternSet(
      options.patterns ?? [],
      options.definitions ?? {},
      { timeoutMs: options.customTimeoutMs }
    );
    this.patterns = compiled.patterns;
    this.patternErrors = compiled.errors;
    this.custom =
      compiled.patterns.length > 0
        ? new CustomMatcher(compiled.patterns, {
            maxInput: options.maxCustomInput,
            timeoutMs: options.customTimeoutMs,
            maxTimeouts: options.customMaxTimeouts,
            onProblem: options.onPatternProblem
          })
        : null;
    this.suppressEcho = options.suppressLoggingEcho ?? true;
    this.withPoints = options.points ?? true;
  }

  get stats(): IParserStats {
    return {
      ...this.counters,
      customTimeouts: { ...(this.custom?.timeouts ?? {}) },
      customDisabled: Array.from(this.custom?.disabled ?? [])
    };
  }

  parseRecord(record: SpoolRecord, state: IRunState): IParsedRecord {
    this.counters.records += 1;
    let result: IParsedRecord;
    try {
      result = this.dispatch(record, state);
      if (!this.withPoints && result.points.length > 0) {
        result.points = [];
      }
    } catch (error) {
      // Report, never throw: one odd record must not stop a run's shipping.
      this.counters.failures += 1;
      result = {
        documents: [failureDocument(record, state, error)],
        points: []
      };
    }
    this.counters.documents += result.documents.length;
    if (this.withPoints) {
      this.counters.points += result.points.length;
    } else {
      for (const document of result.documents) {
        this.counters.points += pointCount(document);
      }
    }
    if (result.capped !== undefined) {
      this.counters.capped += 1;
    }
    return result;
  }

  parseRecordLines(record: SpoolRecord, state: IRunState, out: string[]): void {
    if (record.t !== 'stream') {
      for (const document of this.parseRecord(record, state).documents) {
        out.push(parsedLine(document));
      }
      return;
    }
    this.counters.records += 1;
    const firstLine = out.length;
    // The lean lines count their points as they go: undone if the record fails.
    const pointsBefore = this.counters.points;
    try {
      const time = recordTime(record, state);
      const { capped } = this.stream(record, state, time, out);
      this.counters.documents += out.length - firstLine;
      if (capped !== undefined) {
        this.counters.capped += 1;
      }
    } catch (error) {
      this.counters.failures += 1;
      this.counters.points = pointsBefore;
      out.length = firstLine;
      out.push(parsedLine(failureDocument(record, state, error)));
      this.counters.documents += 1;
    }
  }

  private dispatch(record: SpoolRecord, state: IRunState): IParsedRecord {
    const time = recordTime(record, state);
    switch (record.t) {
      case 'log':
        return this.logging(record, state, time);
      case 'stream':
        return this.stream(record, state, time, null);
      case 'metrics':
        if (record.scope === 'system') {
          return systemRecord(record, state, time);
        }
        return single(state, callbackOutput(record, state, time), 'callback');
      case 'start':
        return single(state, startOutput(record, state, time));
      case 'hparams':
        return single(state, hparamsOutput(record, state, time));
      case 'context':
        return single(state, contextOutput(record, state, time));
      case 'end':
        return single(state, endOutput(record, state, time));
      case 'loss':
        return single(state, lossOutput(record, state, time));
      default:
        return single(state, unknownOutput(record, state, time));
    }
  }

  private logging(
    record: ILogRecord,
    state: IRunState,
    time: number
  ): IParsedRecord {
    // Colour codes (colorlog and friends) and other terminal controls go, line breaks stay.
    const rendered = textOf(record.msg)
      .split('\n')
      .map(line => renderLine(line));
    const lines = rendered.filter(line => line.length > 0);
    const level = normaliseLevel(
      typeof record.level === 'string' ? record.level : 'info'
    );
    const context = lineContext(emptyStreamState(), '\n', time, state);
    const event = parseMessage(lines[0] ?? '', context, this.custom);
    const exc =
      typeof record.exc === 'string' && record.exc.trim() !== ''
        ? record.exc
        : null;
    const error = exc === null ? undefined : errorFromExceptionText(exc);
    const resolved = resolveKindAndLevel(
      { ...event, kind: error && event.kind !== 'nan' ? 'error' : event.kind },
      level
    );
    if (this.suppressEcho) {
      const excLines =
        exc === null ? [] : exc.split('\n').filter(line => line.trim() !== '');
      rememberLoggingLines(state, seqOf(record), [...lines, ...excLines]);
    }
    const spec: IDocumentSpec = {
      pattern: event.pattern,
      epoch: event.epoch,
      epochs_total: event.epochs_total,
      step: event.step,
      steps_total: event.steps_total,
      id: recordId(record, state),
      seq: seqOf(record),
      time,
      message: rendered.join('\n').trimEnd(),
      level: resolved.level,
      dataset: 'tflog.log',
      source: 'logging',
      kind: resolved.kind,
      metrics: event.metrics,
      error
    };
    if (typeof record.logger === 'string') {
      spec.logger = record.logger;
    }
    return single(state, { spec, scope: event.scope });
  }

  /**
   * The record's documents; with `lines`, its lines as `parsedLine` writes
   * them go there instead, and only `capped` is returned.
   */
  private stream(
    record: IStreamRecord,
    state: IRunState,
    time: number,
    lines: string[] | null
  ): IParsedRecord {
    const streamName = record.stream === 'stderr' ? 'stderr' : 'stdout';
    const streamState = state.streams[streamName];
    const { lines: visible, rest } = streamLines(
      textOf(record.text),
      streamState,
      MAX_LINES_PER_RECORD,
      record.split === true
    );
    // A piece of an over-long line (`fragment`) longer than one event's text
    // is stored whole, in events of MAX_TEXT_CHARS each: one id per event.
    let fragmentPieces: (string[] | null)[] | null = null;
    let ids = visible.length;
    for (let index = 0; index < visible.length; index++) {
      const line = visible[index];
      if (line.fragment && line.text.length > MAX_TEXT_CHARS) {
        fragmentPieces ??= visible.map(() => null);
        const pieces = textPieces(line.text, MAX_TEXT_CHARS);
        fragmentPieces[index] = pieces;
        ids += pieces.length - 1;
      }
    }
    const several = ids > 1 || rest !== '';
    const result: IParsedRecord = { documents: [], points: [] };
    // Only documents need the id; `tflog parse` writes most lines without one.
    let id: string | null = null;
    const seq = seqOf(record);
    // One context for the record's lines, each setting its terminator: no event keeps it.
    const context = lineContext(streamState, null, time, state);
    let nextId = 0;
    for (let index = 0; index < visible.length; index++) {
      const line = visible[index];
      const idIndex = nextId;
      const pieces = fragmentPieces === null ? null : fragmentPieces[index];
      nextId += pieces === null ? 1 : pieces.length;
      if (pieces !== null) {
        keepFragment(result, record, state, time, idIndex, pieces, line);
        if (lines !== null) {
          writeLines(result, lines);
        }
        continue;
      }
      context.terminator = line.terminator;
      let event: ILineEvent;
      if (line.fragment) {
        // A piece of an over-long line: a cut may fall inside a number, so
        // no pattern reads it.
        event = plainEvent(line.text);
      } else if (line.completes) {
        const completed = parseProgressLine(line.text, context);
        // Batch scope means still in progress: already stored from the partial record.
        if (completed === null || completed.scope === 'batch') {
          continue;
        }
        event = completed;
      } else {
        const parsed = parseLine(line.text, context, this.custom);
        if (
          this.suppressEcho &&
          isLoggingEcho(state, seq, line.text, parsed.body)
        ) {
          this.counters.echoes += 1;
          continue;
        }
        event = parsed.event;
      }
      const resolved = resolveKindAndLevel(event);
      const partial = line.terminator === null;
      if (lines !== null) {
        const written = parsedEventLine(
          event,
          resolved.kind,
          resolved.level,
          event.time === undefined
            ? undefined
            : differentTime(event.time, state),
          partial
        );
        if (written !== null) {
          lines.push(written);
          this.counters.points += event.metrics.size;
          continue;
        }
      }
      id ??= recordId(record, state);
      // Fields spelt out rather than spread: this runs per line, and spread
      // objects with many added fields are several times slower here.
      const spec: IDocumentSpec = {
        pattern: event.pattern,
        epoch: event.epoch,
        epochs_total: event.epochs_total,
        step: event.step,
        steps_total: event.steps_total,
        id: several ? `${id}:${idIndex}` : id,
        seq,
        time: event.time ?? time,
        message: event.message,
        level: resolved.level,
        dataset: 'tflog.stream',
        source: streamName,
        kind: resolved.kind,
        metrics: event.metrics,
        raw: line.raw,
        partial,
        error: event.error
      };
      if (event.logger !== undefined) {
        spec.logger = event.logger;
      }
      append(
        result,
        state,
        { spec, scope: event.scope },
        undefined,
        this.withPoints && lines === null
      );
      if (
        lines === null &&
        line.terminator === '\r' &&
        resolved.kind === 'progress'
      ) {
        (result.inPlace ??= []).push(
          result.documents[result.documents.length - 1]
        );
      }
      if (lines !== null) {
        this.counters.points += pointCount(result.documents[0]);
        writeLines(result, lines);
      }
    }
    if (rest !== '') {
      keepUnparsed(result, record, state, time, ids, rest);
      if (lines !== null) {
        writeLines(result, lines);
      }
    }
    return result;
  }
}

/**
 * A piece of an over-long line longer than one event's text: its visible
 * text in events of at most MAX_TEXT_CHARS characters, numbered from
 * `firstIndex`, unparsed.
 */
function keepFragment(
  result: IParsedRecord,
  record: IStreamRecord,
  state: IRunState,
  time: number,
  firstIndex: number,
  pieces: string[],
  line: IStreamLine
): void {
  const source = record.stream === 'stderr' ? 'stderr' : 'stdout';
  pieces.forEach((piece, index) => {
    const last = index === pieces.length - 1;
    result.documents.push(
      buildDocument(state, {
        id: `${recordId(record, state)}:${firstIndex + index}`,
        seq: seqOf(record),
        time,
        message: piece,
        level: 'info',
        dataset: 'tflog.stream',
        source,
        kind: 'log',
        partial: !last || line.terminator === null
      })
    );
  });
}

/**
 * The text of a stream record past MAX_LINES_PER_RECORD lines: stored as
 * written, unparsed, in events of at most MAX_TEXT_CHARS characters each,
 * numbered on from the record's parsed lines.
 */
function keepUnparsed(
  result: IParsedRecord,
  record: IStreamRecord,
  state: IRunState,
  time: number,
  firstIndex: number,
  rest: string
): void {
  const ids: string[] = [];
  for (const piece of textPieces(rest, MAX_TEXT_CHARS)) {
    const id = `${recordId(record, state)}:${firstIndex + ids.length}`;
    ids.push(id);
    result.documents.push(
      buildDocument(state, {
        id,
        seq: seqOf(record),
        time,
        message: piece,
        level: 'info',
        dataset: 'tflog.stream',
        source: record.stream === 'stderr' ? 'stderr' : 'stdout',
        kind: 'log'
      })
    );
  }
  const where =
    ids.length === 1 ? ids[0] : `${ids[0]} to ${ids[ids.length - 1]}`;
  (result.capped ??= []).push(
    `stream record of more than ${MAX_LINES_PER_RECORD} lines, over the ${MAX_LINES_PER_RECORD}-line cap: the rest (${rest.length} characters) is not parsed, only stored as written in event(s) ${where}`
  );
}

/** `text` in pieces of at most `limit` UTF-16 units, never splitting a surrogate pair. */
function textPieces(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + limit, text.length);
    const last = text.charCodeAt(end - 1);
    if (
      end < text.length &&
      end - start > 1 &&
      last >= 0xd800 &&
      last <= 0xdbff
    ) {
      end -= 1;
    }
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** Move the documents built so far to `lines`, as `parsedLine` writes them. */
function writeLines(result: IParsedRecord, lines: string[]): void {
  for (const document of result.documents) {
    lines.push(parsedLine(document));
  }
  result.documents.length = 0;
}

/**
 * A stream line's document's `@timestamp` for a time printed in the line,
 * or undefined when it equals the document's creation time.
 */
function differentTime(time: number, state: IRunState): string | undefined {
  const printed = timestamp(time, state);
  return printed === writeTime(time, state) ? undefined : printed;
}

/** The points buildPoints makes of a document: one per value. */
function pointCount(document: ITflogDocument): number {
  let count = 0;
  for (const values of [document.tflog.metrics, document.tflog.nonfinite]) {
    if (values !== undefined) {
      count += Object.keys(values).length;
    }
  }
  return count;
}

function recordTime(record: SpoolRecord, state: IRunState): number {
  if (typeof record.ts === 'number' && Number.isFinite(record.ts)) {
    state.last_ts = record.ts;
    return record.ts;
  }
  return state.last_ts ?? 0;
}

function lineContext(
  streamState: IStreamParseState,
  terminator: Terminator,
  time: number,
  state: IRunState
): ILineContext {
  return {
    state: streamState,
    run: state,
    terminator,
    recordTs: time,
    utcOffset: state.utc_offset
  };
}

function single(
  state: IRunState,
  output: IRecordOutput | null,
  source?: string
): IParsedRecord {
  const result: IParsedRecord = { documents: [], points: [] };
  if (output !== null) {
    append(result, state, output, source);
    if (output.capped !== undefined) {
      result.capped = [output.capped];
    }
  }
  return result;
}

/** Build the document and its points (source: the pattern's name, else 'text'). */
function append(
  result: IParsedRecord,
  state: IRunState,
  output: IRecordOutput,
  source?: string,
  withPoints = true
): void {
  const document = buildDocument(state, output.spec);
  result.documents.push(document);
  if (!withPoints) {
    return;
  }
  const points = buildPoints(
    document,
    output.scope,
    source ?? output.spec.pattern ?? 'text'
  );
  for (const point of points) {
    result.points.push(point);
  }
}

function failureDocument(
  record: SpoolRecord,
  state: IRunState,
  error: unknown
): ITflogDocument {
  const failure = error instanceof Error ? error : new Error(String(error));
  const spec = runDocumentSpec(record, state, state.last_ts ?? 0, 'error');
  return buildDocument(state, {
    ...spec,
    message: `tflog could not parse record ${spec.id}: ${failure.message}`,
    level: 'error',
    error: {
      type: failure.name,
      message: failure.message,
      stack_trace: failure.stack
    }
  });
}
