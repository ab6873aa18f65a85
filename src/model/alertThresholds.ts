/** The user's alert thresholds, between the settings and the service. */
import type { ITflogClient } from '../tokens';

/**
 * Makes the service's copy of the user's thresholds (kept across its
 * restarts) equal to the setting, sending them only when they differ.
 */
export async function syncThresholds(
  client: ITflogClient,
  thresholds: Record<string, unknown>
): Promise<void> {
  const current = await client.alertThresholds();
  if (JSON.stringify(current.user ?? {}) !== JSON.stringify(thresholds)) {
    await client.setAlertThresholds(thresholds);
  }
}

/**
 * Keeps the service's thresholds equal to the setting: `set` sends a new
 * setting; one that could not be sent (the service starts after
 * JupyterLab, or restarts) is sent again by `retry`, which the caller
 * calls when the service answers again. A setting the service refused
 * (`isRefusal`) is not sent again until it changes.
 */
export class ThresholdsSync {
  constructor(options: {
    client: ITflogClient;
    /** True for an error that sending again would not mend. */
    isRefusal: (error: unknown) => boolean;
    onError: (error: unknown) => void;
  }) {
    this._client = options.client;
    this._isRefusal = options.isRefusal;
    this._onError = options.onError;
  }

  /** True while a setting waits to be sent again. */
  get pending(): boolean {
    return this._pending !== null;
  }

  /** Send `thresholds` unless they are the ones sent (or being sent) last. */
  async set(thresholds: Record<string, unknown>): Promise<void> {
    const text = JSON.stringify(thresholds);
    if (text === this._sent) {
      return;
    }
    this._sent = text;
    this._pending = null;
    try {
      await syncThresholds(this._client, thresholds);
    } catch (error) {
      if (this._sent !== text) {
        // A newer setting sent meanwhile is the one that counts.
        console.warn('tflog: superseded alert thresholds not sent', error);
        return;
      }
      this._sent = null;
      if (!this._isRefusal(error)) {
        this._pending = thresholds;
      }
      this._onError(error);
    }
  }

  /** The service answers again: send the setting that could not reach it. */
  async retry(): Promise<void> {
    const pending = this._pending;
    if (pending !== null) {
      await this.set(pending);
    }
  }

  private readonly _client: ITflogClient;
  private readonly _isRefusal: (error: unknown) => boolean;
  private readonly _onError: (error: unknown) => void;
  /** The setting last sent or being sent, as JSON; null after a failure. */
  private _sent: string | null = null;
  /** The setting to send again, after a failure other than a refusal. */
  private _pending: Record<string, unknown> | null = null;
}
