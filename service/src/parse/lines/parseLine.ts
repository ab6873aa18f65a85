/**
 * One visible line → one event: custom patterns first, then Python
 * tracebacks/warnings, then a log prefix and the built-in body patterns,
 * whose events also get the named numbers the scanner finds (../scan.ts).
 */
import { EventKind } from '../../types';
import { CustomMatcher, ICustomMatch } from '../custom';
import { normaliseLevel } from '../levels';
import { parseTimestampText } from '../time';
import { parseValue } from '../values';
import { ILineContext, ILineEvent, plainEvent } from './event';
import { parseEpochHeader, parseProgressLine } from './keras';
import { parsePrefix } from './prefix';
import { observePythonLine, PythonLine } from './python';
import { EPOCH_CALLBACK_PATTERNS, parseCallbackLine } from './callbacks';
import { mergeScan, namedNumbersEvent, readAllBindings } from './named';
import { scanLineRemembered } from '../scan';
import { parseGradientNormLine, parseTrainingLine } from './training';
import { parsePhraseLine } from './phrases';

export interface IParsedLine {
  event: ILineEvent;
  /** The message without a recognised log prefix. */
  body: string;
}

/**
 * The record's time, which a time printed without a year is placed near:
 * replaying a spool then reads the same year as when it was written.
 */
function referenceMs(context: ILineContext): number | undefined {
  return Number.isFinite(context.recordTs)
    ? context.recordTs * 1000
    : undefined;
}

export function parseLine(
  text: string,
  context: ILineContext,
  custom: CustomMatcher | null
): IParsedLine {
  const closed = context.state.closed_epoch ?? null;
  const parsed = parseStreamLine(text, context, custom);
  if (closed !== null && context.state.closed_epoch === closed) {
    // Only the closed epoch's callback messages may stand between it and
    // its last line (keras.ts).
    const { event } = parsed;
    if (
      event.epoch === closed.epoch &&
      event.pattern !== undefined &&
      EPOCH_CALLBACK_PATTERNS.has(event.pattern)
    ) {
      closed.callback = true;
    } else {
      context.state.closed_epoch = null;
    }
  }
  return parsed;
}

function parseStreamLine(
  text: string,
  context: ILineContext,
  custom: CustomMatcher | null
): IParsedLine {
  // Always advance the traceback/warning state, whichever pattern wins.
  const python = observePythonLine(text, context.state);
  const customMatch = custom ? custom.match(text, referenceMs(context)) : null;
  if (customMatch) {
    const event = eventFromCustom(customMatch, text, context);
    return { event, body: event.message };
  }
  if (python) {
    return { event: eventFromPython(python, text), body: text };
  }
  return parseDefaultLine(text, context);
}

/** A logged message (no stream state): custom patterns, then the built-in ones. */
export function parseMessage(
  text: string,
  context: ILineContext,
  custom: CustomMatcher | null
): ILineEvent {
  const customMatch = custom ? custom.match(text, referenceMs(context)) : null;
  if (customMatch) {
    return eventFromCustom(customMatch, text, context);
  }
  return parseDefaultLine(text, context).event;
}

/** Built-in patterns only (log prefix, Keras, training lines). */
export function parseDefaultLine(
  text: string,
  context: ILineContext
): IParsedLine {
  const prefix = parsePrefix(text, context);
  const body = prefix && prefix.body.length > 0 ? prefix.body : text;
  const event = parseEpochHeader(body, context) ?? parseBody(body, context);
  if (prefix) {
    if (prefix.time !== undefined) {
      event.time = prefix.time;
    }
    event.level = event.level ?? prefix.level;
    event.logger = event.logger ?? prefix.logger;
    event.pattern = event.pattern ?? prefix.pattern;
  }
  return { event, body };
}

/**
 * The specific patterns first (Keras bars, callbacks, NaN reports), with
 * the scanner's other named numbers merged in; else the scanner's event.
 */
function parseBody(body: string, context: ILineContext): ILineEvent {
  const progress = parseProgressLine(body, context);
  if (progress) {
    return readAllBindings(body, progress)
      ? progress
      : mergeScan(progress, scanLineRemembered(body), context.run);
  }
  const scan = scanLineRemembered(body);
  const specific = parseCallbackLine(body) ?? parseTrainingLine(body);
  if (specific) {
    return mergeScan(specific, scan, context.run);
  }
  return (
    namedNumbersEvent(body, scan, context.run) ??
    parseGradientNormLine(body) ??
    parsePhraseLine(body) ??
    plainEvent(body)
  );
}

function eventFromPython(python: PythonLine, text: string): ILineEvent {
  const event = plainEvent(text);
  if (python.role === 'warning' || python.role === 'warning-source') {
    event.kind = 'warning';
    event.level = 'warning';
    event.logger = 'py.warnings';
    event.pattern = 'python-warning';
    return event;
  }
  event.kind = 'error';
  event.level = 'error';
  event.pattern = 'python-traceback';
  if (python.role === 'exception') {
    event.error = python.error;
  }
  return event;
}

const INTEGER_FIELDS = [
  'epoch',
  'step',
  'epochs_total',
  'steps_total'
] as const;
type IntegerField = (typeof INTEGER_FIELDS)[number];

function isIntegerField(field: string): field is IntegerField {
  return (INTEGER_FIELDS as readonly string[]).includes(field);
}

/** Captures → event: special names fill document fields, numbers become metrics. */
function eventFromCustom(
  match: ICustomMatch,
  text: string,
  context: ILineContext
): ILineEvent {
  const event = plainEvent(text);
  event.pattern = match.pattern.name;
  for (const capture of match.captures) {
    const { field } = capture;
    if (field === 'message') {
      event.message = capture.text;
    } else if (field === 'level') {
      event.level = normaliseLevel(capture.text);
    } else if (field === 'logger') {
      event.logger = capture.text;
    } else if (field === 'timestamp') {
      const time = parseTimestampText(
        capture.text,
        context.recordTs,
        context.utcOffset
      );
      if (time !== null) {
        event.time = time;
      }
    } else if (isIntegerField(field)) {
      const value = Number.parseInt(capture.text, 10);
      if (Number.isFinite(value)) {
        event[field] = value;
      }
    } else {
      const value = parseValue(capture.text);
      if (value) {
        event.metrics.add(
          field,
          capture.conversion === 'int' && value.finite
            ? { finite: true, value: Math.trunc(value.value) }
            : value
        );
      }
    }
  }
  if (match.pattern.level !== undefined) {
    event.level = normaliseLevel(match.pattern.level);
  }
  if (event.epoch !== undefined) {
    event.scope = 'epoch';
  } else if (event.step !== undefined) {
    event.scope = 'batch';
  }
  event.kind = match.pattern.kind ?? impliedKind(event);
  return event;
}

function impliedKind(event: ILineEvent): EventKind | undefined {
  if (event.epoch !== undefined) {
    return 'epoch';
  }
  if (event.step !== undefined) {
    return 'step';
  }
  return event.metrics.size > 0 ? 'metrics' : undefined;
}
