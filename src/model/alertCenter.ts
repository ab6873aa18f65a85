/**
 * The alerts this JupyterLab has seen, from the service's event stream: each
 * alert once (a reconnection or a replay may send it again), the latest
 * first, and how many arrived since the user last looked.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IAlert } from '../tokens';

/** Alerts kept for the panel at most; older ones are in the store. */
const MAX_KEPT = 100;

export class AlertCenter implements IDisposable {
  /** A new alert (never one seen before). */
  get raised(): ISignal<this, IAlert> {
    return this._raised;
  }

  /** The list or the unseen count changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Latest first. */
  get alerts(): readonly IAlert[] {
    return this._alerts;
  }

  get unseen(): number {
    return this._unseen;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Takes an alert from the stream; false when it was seen already. */
  add(alert: IAlert): boolean {
    if (this._isDisposed || this._seen.has(alert.alert_id)) {
      return false;
    }
    this._seen.add(alert.alert_id);
    this._alerts.unshift(alert);
    if (this._alerts.length > MAX_KEPT) {
      const dropped = this._alerts.pop();
      // Its id stays in _seen only as long as it is listed: bounded memory.
      if (dropped) {
        this._seen.delete(dropped.alert_id);
      }
    }
    this._unseen++;
    this._raised.emit(alert);
    this._changed.emit();
    return true;
  }

  /** The alerts of one run, latest first. */
  forRun(runId: string): IAlert[] {
    return this._alerts.filter(alert => alert.run_id === runId);
  }

  markSeen(): void {
    if (this._unseen !== 0) {
      this._unseen = 0;
      this._changed.emit();
    }
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  private _alerts: IAlert[] = [];
  private _seen = new Set<string>();
  private _unseen = 0;
  private _isDisposed = false;
  private _raised = new Signal<this, IAlert>(this);
  private _changed = new Signal<this, void>(this);
}
