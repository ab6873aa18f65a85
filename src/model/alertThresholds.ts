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
