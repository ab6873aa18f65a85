/**
 * The demo notebook's training cell, watched live: the loss chart gains
 * points while the cell runs, and the run ends `finished`.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import {
  chart,
  chartPoints,
  DEMO_CELLS,
  demoNotebookContent,
  growthWhileRunning,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  shownRun,
  startChartRecorder,
  TRAINING_TIMEOUT_MS,
  waitForFinishedRun,
  waitForLabRestored
} from './tflog';

test('the loss chart grows while the demo trains, then the run finishes', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(TRAINING_TIMEOUT_MS + 60_000);
  const notebookPath = `${tmpPath}/demo.ipynb`;
  expect(
    await page.contents.uploadContent(
      demoNotebookContent(),
      'text',
      notebookPath
    )
  ).toBe(true);
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('demo.ipynb');
  const panel = await openTrainingPanel(page);

  await page.notebook.runCell(DEMO_CELLS.loadExtension);
  await page.notebook.runCell(DEMO_CELLS.logging);
  const trainingCell = await page.notebook.getCellLocator(DEMO_CELLS.training);
  if (trainingCell === null) {
    throw new Error('the demo notebook has no training cell');
  }
  const recorder = await startChartRecorder(page, 'loss', trainingCell);
  await page.notebook.runCell(DEMO_CELLS.training, { wait: false });

  const run = shownRun(panel);
  await expect(run).toHaveAttribute('data-run-status', 'running', {
    timeout: TRAINING_TIMEOUT_MS
  });
  const runningId = await run.getAttribute('data-run-id');
  expect(runningId).not.toBeNull();

  await page.notebook.waitForRun(DEMO_CELLS.training);
  const finishedId = await waitForFinishedRun(panel);
  expect(finishedId).toBe(runningId);

  const samples = await recorder.jsonValue();
  const growth = growthWhileRunning(samples, finishedId);
  expect(
    growth.length,
    `chart updates seen while the cell ran: ${JSON.stringify(samples)}`
  ).toBeGreaterThanOrEqual(2);

  await test.info().attach('chart-samples', {
    body: JSON.stringify(samples, null, 1),
    contentType: 'application/json'
  });

  // Once finished, the live chart holds every stored point: as many as the
  // same run loaded from scratch in a second JupyterLab page.
  const lossChart = chart(panel, 'loss');
  const freshPoints = await pointsLoadedFromScratch(
    page,
    notebookPath,
    finishedId
  );
  expect(freshPoints).toBeGreaterThanOrEqual(growth[growth.length - 1].points);
  await expect
    .poll(async () => chartPoints(lossChart), {
      message: 'the live chart catches up with the stored points',
      timeout: RUN_TIMEOUT_MS
    })
    .toBe(freshPoints);
  await expect(panel.locator('.jp-tflog-run-status')).toContainText(
    /finished/i
  );
  await expect(panel.locator('.jp-tflog-error')).toBeHidden();
  await test.info().attach('training-panel', {
    body: await panel.screenshot(),
    contentType: 'image/png'
  });
});

/**
 * The loss chart's point count for `runId` in a second JupyterLab page that
 * opens the notebook and the panel afresh (one full load of the run).
 */
async function pointsLoadedFromScratch(
  page: Page,
  notebookPath: string,
  runId: string
): Promise<number> {
  const freshPage = await page.context().newPage();
  try {
    await freshPage.goto(`/lab/tree/${notebookPath}`);
    await waitForLabRestored(freshPage);
    const freshPanel = await openTrainingPanel(freshPage);
    await expect(shownRun(freshPanel)).toHaveAttribute('data-run-id', runId);
    const freshChart = chart(freshPanel, 'loss');
    await expect.poll(async () => chartPoints(freshChart)).toBeGreaterThan(0);
    return await chartPoints(freshChart);
  } finally {
    await freshPage.close();
  }
}
