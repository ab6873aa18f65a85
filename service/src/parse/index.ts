/**
 * The service's parser: spool records in, ECS documents and metric points out.
 *
 *   const parser = createParser({ patterns });        // admins' grok patterns
 *   for (const error of parser.patternErrors) log(error.message);
 *   const state = createRunState(runIdFromFileName);  // one per run, plain JSON
 *   const { documents, points } = parser.parseRecord(record, state);
 */
export { createParser } from './parser';
export type { IParser, IParserOptions, IParserStats } from './parser';
export { createRunState } from './state';
export type { IRunState, IRunStateInit, ILoggingEcho } from './state';
export type { IStreamParseState } from './lines/event';
export { compilePatternSet, DEFAULT_MAX_CUSTOM_INPUT } from './custom';
export type {
  ICustomPattern,
  IPatternSet,
  ICompiledPattern,
  IPatternSetResult
} from './custom';
export { compileGrok, GrokError } from './grok/compile';
export type { ICompiledGrok, IGrokField, GrokConversion } from './grok/compile';
export { BASE_PATTERNS } from './grok/definitions';
export { visibleLines, splitSegments, renderLine } from './terminal';
export type { IVisibleLine, ISegment, Terminator } from './terminal';
export { MAX_TEXT_CHARS } from './truncate';
export { MAX_METRICS_PER_EVENT } from './values';
export { MAX_LINES_PER_RECORD } from './streamLines';
