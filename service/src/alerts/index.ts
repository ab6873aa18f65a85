/**
 * Alerts in the service: the rules over the parsed stream, announcements
 * (the event stream, the log, the webhook) and the stall check on a timer.
 */
import * as fs from 'fs';

import type { ILogger } from '../common/logger';
import type { IAlertWebhookConfig } from '../config';
import type { IRunState } from '../parse/state';
import type { IStore } from '../store/store';
import type { IParsedRecord, SpoolRecord } from '../types';
import type { IAlert, IAlertThresholdsResponse } from '../wire';
import { AlertDetector } from './detect';
import {
  AlertConfigError,
  type IAlertThresholds,
  mergeThresholds
} from './rules';
import { StallAlertWriter } from './stallWrites';
import { AlertStream } from './stream';
import { AlertWebhook } from './webhook';

export { AlertDetector } from './detect';
export { AlertStream, alertDocument } from './stream';
export { AlertWebhook } from './webhook';

/** How often running runs are checked for a stall: a quarter of the limit, within these bounds. */
const STALL_CHECK_MS = { min: 1_000, max: 30_000 };

export function stallCheckMs(thresholds: IAlertThresholds): number {
  const quarter = (thresholds.stall.minutes * 60_000) / 4;
  return Math.min(STALL_CHECK_MS.max, Math.max(STALL_CHECK_MS.min, quarter));
}

export interface IAlertingOptions {
  thresholds: IAlertThresholds;
  webhook?: IAlertWebhookConfig;
  logger: ILogger;
  /** Live alerts to the panels (the API's event stream). */
  announce: (alert: IAlert) => void;
  /** The store stall alerts are written to while this service ships. */
  store: () => IStore | null;
  /**
   * Whether a run's spool file holds records the service has not read yet
   * (it is behind): such a run is not stalled, whatever its last record read.
   */
  unread?: (runId: string) => boolean;
  /**
   * Where the user's own thresholds are kept, so that a restarted service
   * uses them before JupyterLab sends them again.
   */
  userThresholdsFile?: string;
}

export class Alerting {
  constructor(private readonly _options: IAlertingOptions) {
    const { logger, webhook } = _options;
    if (webhook) {
      this._webhook = new AlertWebhook({
        url: webhook.url,
        format: webhook.format,
        perMinute: webhook.perMinute,
        maxQueue: 1000,
        maxAttempts: 8,
        timeoutMs: 10_000,
        logger: logger.child('alert-webhook')
      });
    }
    this._detector = new AlertDetector(_options.thresholds);
    this._stream = new AlertStream(this._detector, {
      onAlert: alert => this._announce(alert),
      unread: _options.unread
    });
    this._timer = this._stallTimer();
    this._loadUserThresholds();
  }

  /** A record's parse result with the documents of the alerts it raised. */
  amend(
    record: SpoolRecord,
    state: IRunState,
    parsed: IParsedRecord
  ): IParsedRecord {
    return this._stream.amend(record, state, parsed);
  }

  /** The thresholds in use, the admin's and the user's own. */
  thresholds(): IAlertThresholdsResponse {
    return {
      admin: this._options.thresholds,
      user: this._userOverride,
      effective: this._detector.thresholds
    };
  }

  /**
   * The user's own thresholds over the admin's (an empty object: the
   * admin's). Throws AlertConfigError naming the setting when invalid, and
   * then changes nothing.
   */
  setUserThresholds(override: unknown): IAlertThresholdsResponse {
    const effective = mergeThresholds(this._options.thresholds, override);
    this._detector.thresholds = effective;
    clearInterval(this._timer);
    this._timer = this._stallTimer();
    this._userOverride =
      override !== null && typeof override === 'object'
        ? (override as Record<string, unknown>)
        : null;
    this._saveUserThresholds();
    return this.thresholds();
  }

  private _loadUserThresholds(): void {
    const file = this._options.userThresholdsFile;
    if (file === undefined || !fs.existsSync(file)) {
      return;
    }
    try {
      this.setUserThresholds(JSON.parse(fs.readFileSync(file, 'utf8')));
    } catch (error) {
      if (!(
        error instanceof AlertConfigError || error instanceof SyntaxError
      )) {
        throw error;
      }
      this._options.logger.warn(
        `alerts: the user's thresholds in ${file} are ignored (${error.message}); the admin's apply until JupyterLab sends new ones`
      );
    }
  }

  /** Written whole to a new file, then renamed: never half a file. */
  private _saveUserThresholds(): void {
    const file = this._options.userThresholdsFile;
    if (file === undefined) {
      return;
    }
    try {
      const partial = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(partial, JSON.stringify(this._userOverride ?? {}));
      fs.renameSync(partial, file);
    } catch (error) {
      this._options.logger.warn(
        `alerts: cannot keep the user's thresholds in ${file}: ${(error as Error).message}; they apply until the service stops`
      );
    }
  }

  async close(): Promise<void> {
    clearInterval(this._timer);
    await this._webhook?.close();
  }

  /** Checks for stalls at a pace that suits the thresholds in use. */
  private _stallTimer(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => {
      this._checkStalls().catch(error =>
        this._options.logger.warn(
          `alerts: stall alerts not stored (trying again at the next check): ${(error as Error).message}`
        )
      );
    }, stallCheckMs(this._detector.thresholds));
    timer.unref();
    return timer;
  }

  private _announce(alert: IAlert): void {
    this._options.logger.warn(`alert (${alert.rule}): ${alert.message}`);
    this._options.announce(alert);
    this._webhook?.send(alert);
  }

  private async _checkStalls(): Promise<void> {
    const documents = this._stream.stalled();
    const store = this._options.store();
    if (store === null) {
      return;
    }
    await this._stallWriter.write(store, documents);
  }

  private _stream: AlertStream;
  private _detector: AlertDetector;
  private _userOverride: Record<string, unknown> | null = null;
  private _webhook: AlertWebhook | null = null;
  private _stallWriter = new StallAlertWriter(this._options.logger);
  private _timer: ReturnType<typeof setInterval>;
}
