// The peer measurement: when does a logged step become readable through the
// service's query API (the panel's source), polled as a client would.
import { setTimeout as delay } from 'timers/promises';
import { URLSearchParams } from 'url';

async function getJson(url) {
  const response = await globalThis.fetch(url);
  if (!response.ok) {
    throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  }
  return response.json();
}

/** Waits for the notebook's newest run to appear and returns its id. */
export async function waitForRunId(apiUrl, notebookPath, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const query = new URLSearchParams({ notebook: notebookPath, size: '1' });
  while (Date.now() < deadline) {
    const { runs } = await getJson(`${apiUrl}/runs?${query}`);
    if (runs.length > 0) {
      return runs[0].run_id;
    }
    await delay(20);
  }
  throw new Error(`no run of ${notebookPath} appeared within ${timeoutMs} ms`);
}

/**
 * Polls the run's `metric` series every `intervalMs` until step `lastStep`
 * is readable or `deadline` passes; returns Map(step -> Date.now() when first
 * read). A poll's result is credited to the time its request was sent, so
 * the figure is not inflated by the request's own duration.
 */
export async function pollSeries({
  apiUrl,
  runId,
  metric,
  lastStep,
  intervalMs,
  deadline
}) {
  const seen = new Map();
  let after = null;
  while (Date.now() < deadline && !seen.has(lastStep)) {
    const sentAt = Date.now();
    const query = new URLSearchParams({
      names: metric,
      axis: 'step',
      max_points: '10000'
    });
    if (after !== null) {
      query.set('after', String(after));
    }
    const { series } = await getJson(
      `${apiUrl}/runs/${encodeURIComponent(runId)}/series?${query}`
    );
    for (const line of series) {
      for (const point of line.points) {
        if (!seen.has(point.x)) {
          seen.set(point.x, sentAt);
        }
        after = after === null ? point.x : Math.max(after, point.x);
      }
    }
    await delay(Math.max(0, intervalMs - (Date.now() - sentAt)));
  }
  return seen;
}
