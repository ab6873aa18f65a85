// Log line to searchable: when does a printed step come back from a search
// of Elasticsearch itself (not through the service and its cache of
// just-stored points), polled as a dashboard or an alert would.
import { setTimeout as delay } from 'timers/promises';

/** The step of a stored `step i loss=v` line, or null for any other event. */
export function stepOfMessage(message) {
  const match = /^step (\d+) loss=/.exec(message ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * Searches `<prefix>logs-*` for the run's events every `intervalMs` until
 * step `lastStep` is found or `deadline` passes; returns Map(step ->
 * Date.now() when the search that first returned it was sent).
 */
export async function pollSearchable({
  esUrl,
  indexPrefix,
  runId,
  lastStep,
  intervalMs,
  deadline
}) {
  const seen = new Map();
  const url =
    `${esUrl}/${indexPrefix}logs-*/_search` +
    '?ignore_unavailable=true&allow_no_indices=true';
  const body = JSON.stringify({
    size: 10000,
    _source: ['message'],
    query: { bool: { filter: [{ term: { 'tflog.run_id': runId } }] } }
  });
  while (Date.now() < deadline && !seen.has(lastStep)) {
    const sentAt = Date.now();
    const response = await globalThis.fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body
    });
    if (!response.ok) {
      throw new Error(
        `search of ${indexPrefix}logs-*: ${response.status} ${await response.text()}`
      );
    }
    const { hits } = await response.json();
    for (const hit of hits.hits) {
      const step = stepOfMessage(hit._source?.message);
      if (step !== null && !seen.has(step)) {
        seen.set(step, sentAt);
      }
    }
    await delay(Math.max(0, intervalMs - (Date.now() - sentAt)));
  }
  return seen;
}
