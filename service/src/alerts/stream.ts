/**
 * Runs the alert rules over every parsed record on its way to the store:
 * each alert becomes a log document of kind `alert` in the same batch as the
 * record that raised it (so it is stored exactly once, with the record's
 * acknowledgement, and shows in the run's history), and a live alert is
 * handed on at once for the panel's notification and the webhook.
 */
import { buildDocument } from '../parse/documents';
import type { IRunState } from '../parse/state';
import type { IParsedRecord, ITflogDocument, SpoolRecord } from '../types';
import type { AlertDetector, IAlert } from './detect';

/** Alerts raised from records older than this are stored but not announced. */
export const LIVE_WINDOW_MS = 120_000;

/** Where alert documents sort among the events of their record: after them. */
const ALERT_PART_BASE = 1_000_000;

/** Run states kept for alerts raised by time (stalls), at most. */
const MAX_STATES = 500;

export interface IAlertStreamOptions {
  /** A live alert: announce it (event stream, webhook). */
  onAlert: (alert: IAlert) => void;
  /** The clock (tests set it). */
  now?: () => number;
  /** Whether a run's spool holds records not read yet (AlertDetector.checkStalled). */
  unread?: (runId: string) => boolean;
}

/** A stable number in [0, 1e6) from a key, so parts never tie. */
function keyPart(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % ALERT_PART_BASE;
}

const LEVELS: Record<IAlert['rule'], string> = {
  nonfinite: 'error',
  divergence: 'warning',
  plateau: 'warning',
  stall: 'warning',
  burst: 'warning',
  grad_norm: 'warning'
};

/** The stored form of an alert: a log event of its run. */
export function alertDocument(
  alert: IAlert,
  state: IRunState,
  seq: number
): ITflogDocument {
  const document = buildDocument(state, {
    id: alert.alert_id,
    seq,
    time: Date.parse(alert['@timestamp']) / 1000,
    message: alert.message,
    level: LEVELS[alert.rule],
    dataset: 'tflog.alert',
    source: 'tflog',
    kind: 'alert',
    ...(alert.epoch !== null ? { epoch: alert.epoch } : {}),
    ...(alert.step !== null ? { step: alert.step } : {})
  });
  document.tflog.part = ALERT_PART_BASE + keyPart(alert.alert_id);
  document.tflog.alert = { rule: alert.rule, metric: alert.metric };
  return document;
}

export class AlertStream {
  constructor(
    private readonly _detector: AlertDetector,
    private readonly _options: IAlertStreamOptions
  ) {}

  /** The record's parse result with its alerts' documents added. */
  amend(
    record: SpoolRecord,
    state: IRunState,
    parsed: IParsedRecord
  ): IParsedRecord {
    this._remember(state, record.seq);
    const alerts = this._detector.observe(parsed);
    if (alerts.length === 0) {
      return parsed;
    }
    const now = (this._options.now ?? Date.now)();
    const live =
      typeof record.ts === 'number' && now - record.ts * 1000 <= LIVE_WINDOW_MS;
    if (live) {
      for (const alert of alerts) {
        this._options.onAlert(alert);
      }
    }
    return {
      ...parsed,
      documents: parsed.documents.concat(
        alerts.map(alert => alertDocument(alert, state, record.seq))
      )
    };
  }

  /**
   * Runs that stalled by now: announced, and their documents returned for
   * the caller to store (no record carries them).
   */
  stalled(): ITflogDocument[] {
    const now = (this._options.now ?? Date.now)();
    const documents: ITflogDocument[] = [];
    for (const alert of this._detector.checkStalled(
      now,
      this._options.unread
    )) {
      this._options.onAlert(alert);
      const known = this._states.get(alert.run_id);
      if (known !== undefined) {
        documents.push(alertDocument(alert, known.state, known.seq));
      }
    }
    return documents;
  }

  private _remember(state: IRunState, seq: number): void {
    this._states.delete(state.run_id);
    if (this._states.size >= MAX_STATES) {
      const oldest = this._states.keys().next().value;
      if (oldest !== undefined) {
        this._states.delete(oldest);
      }
    }
    this._states.set(state.run_id, { state, seq });
  }

  private _states = new Map<string, { state: IRunState; seq: number }>();
}
