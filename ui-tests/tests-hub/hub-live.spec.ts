/**
 * The Training panel through a real JupyterHub: a logged-in user opens a
 * notebook on `<hub>/user/<name>/lab`, runs a `%%tflog` cell that prints
 * Keras-like progress with a loss every 1.5 s, and the panel's loss curve gains points while the
 * cell still runs. The page's one event stream (`tflog/api/v1/events`, through
 * the hub's proxy and jupyter-server-proxy, authenticated by the hub's
 * cookies) carries the updates: polling is slowed to once a minute, so only
 * the event stream can make the curve grow within the cell's 12 s.
 */
import { galata } from '@jupyterlab/galata';
import type { Response } from '@playwright/test';
import {
  chart,
  chartPoints,
  growthWhileRunning,
  notebookContent,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  shownRun,
  startChartRecorder,
  TRAINING_TIMEOUT_MS,
  waitForFinishedRun,
  waitForLabRestored
} from '../tests/tflog';
import { expect, test, USER_URL } from './hub';

const EPOCHS = 8;

/**
 * Prints what Keras 2's `fit(verbose=1)` prints, one epoch every 1.5 s: the
 * progress bar's last state carries the step and the loss (an epoch line
 * without a step would have no x on the panel's default step axis).
 */
const TRAINING_CELL = [
  '%%tflog hub-live',
  'import time',
  `for e in range(${EPOCHS}):`,
  `    print(f"Epoch {e + 1}/${EPOCHS}")`,
  '    print(f"10/10 [==============================] - 1s 5ms/step - loss: {1 / (e + 1):.4f}", flush=True)',
  '    time.sleep(1.5)'
].join('\n');

interface ISeriesResponse {
  series: { name: string; points: unknown[] }[];
}

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    // Far slower than the run: growth can only come from the event stream.
    'tflog:plugin': { refreshIntervalMs: 60_000 }
  }
});

test('the loss curve grows through the hub while the cell runs', async ({
  page,
  tmpPath,
  hubApi
}) => {
  test.setTimeout(TRAINING_TIMEOUT_MS + 60_000);
  expect(page.url()).toContain(`${USER_URL}lab/`);

  const eventStreams: Response[] = [];
  page.on('response', response => {
    if (response.url().startsWith(`${USER_URL}tflog/api/v1/events`)) {
      eventStreams.push(response);
    }
  });
  // The page opens its stream as it starts (the alerts follow it from
  // then on): load it again with the listener in place.
  await page.reload();
  await waitForLabRestored(page);

  const notebookPath = `${tmpPath}/hub-live.ipynb`;
  const upload = await hubApi.put(`api/contents/${notebookPath}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: JSON.parse(notebookContent(['%load_ext tflog', TRAINING_CELL]))
    }
  });
  expect(upload.status(), await upload.text()).toBe(201);
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('hub-live.ipynb');

  const panel = await openTrainingPanel(page);
  const liveMode = panel.locator('.jp-tflog-live');
  await expect(liveMode).toHaveAttribute('data-live-mode', 'events');
  expect(
    eventStreams.length,
    'the page opened one event stream, for the panel and the alerts'
  ).toBe(1);
  const stream = eventStreams[0];
  expect(stream.status()).toBe(200);
  expect(stream.headers()['content-type']).toContain('text/event-stream');

  await page.notebook.runCell(0);
  const trainingCell = await page.notebook.getCellLocator(1);
  if (trainingCell === null) {
    throw new Error('the notebook has no training cell');
  }
  const recorder = await startChartRecorder(page, 'loss', trainingCell);
  await page.notebook.runCell(1, { wait: false });

  const run = shownRun(panel);
  await expect(run).toHaveAttribute('data-run-status', 'running', {
    timeout: TRAINING_TIMEOUT_MS
  });
  const runningId = await run.getAttribute('data-run-id');
  expect(runningId).not.toBeNull();

  await page.notebook.waitForRun(1);
  const finishedId = await waitForFinishedRun(panel);
  expect(finishedId).toBe(runningId);

  const samples = await recorder.jsonValue();
  await test.info().attach('chart-samples', {
    body: JSON.stringify(samples, null, 1),
    contentType: 'application/json'
  });
  const growth = growthWhileRunning(samples, finishedId);
  expect(
    growth.length,
    `chart updates seen while the cell ran: ${JSON.stringify(samples)}`
  ).toBeGreaterThanOrEqual(EPOCHS / 2);

  // The stream stayed open the whole time: no fallback to polling, no
  // second connection.
  await expect(liveMode).toHaveAttribute('data-live-mode', 'events');
  expect(eventStreams.length).toBe(1);

  // Every epoch is stored, and the live curve ends with all of them.
  const series = await hubApi.get(
    `tflog/api/v1/runs/${encodeURIComponent(finishedId)}/series?names=loss`
  );
  expect(series.status(), await series.text()).toBe(200);
  const lines = ((await series.json()) as ISeriesResponse).series;
  expect(lines.map(line => [line.name, line.points.length])).toEqual([
    ['loss', EPOCHS]
  ]);
  await expect
    .poll(async () => chartPoints(chart(panel, 'loss')), {
      message: 'the live curve holds every epoch',
      timeout: RUN_TIMEOUT_MS
    })
    .toBe(EPOCHS);
  await expect(panel.locator('.jp-tflog-error')).toBeHidden();
  await test.info().attach('training-panel', {
    body: await panel.screenshot(),
    contentType: 'image/png'
  });
});
