/**
 * What the pipeline needs from the record parser (service/src/parse): a
 * fresh per-run state, and a parse step that turns one spool record into
 * documents and metric points, updating that state. The state is saved in
 * the registry, so it must survive a JSON round trip.
 */
import type { IParsedRecord, IRunSummary, SpoolRecord } from '../types';

export interface IRecordParser<TState> {
  newRunState(runId: string): TState;
  parseRecord(record: SpoolRecord, state: TState): IParsedRecord;
}

/** Everything the pipeline keeps per run file between records. */
export interface IRunState<TParserState> {
  runId: string;
  /** Highest `seq` folded in so far, -1 before the first record. */
  lastSeq: number;
  summary: IRunSummary | null;
  parser: TParserState;
}
