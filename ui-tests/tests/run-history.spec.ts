/**
 * Older runs of a notebook: after two runs, picking the older one in the
 * notebook's run list shows it, with its own chart. The runs log different
 * numbers of steps, so each chart's data tells which run it draws.
 */
import { expect, test } from '@jupyterlab/galata';
import {
  chart,
  notebookContent,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  shortRunCell,
  shownRun,
  waitForFinishedRun
} from './tflog';

test('selecting an older run shows that run and its chart', async ({
  page,
  tmpPath
}) => {
  const testStarted = Date.now();
  const notebookPath = `${tmpPath}/history.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    shortRunCell('older', 5),
    shortRunCell('newer', 8)
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('history.ipynb');
  const panel = await openTrainingPanel(page);

  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const olderId = await waitForFinishedRun(panel);
  await page.notebook.runCell(2);
  const newerId = await waitForFinishedRun(panel, olderId);

  const notebookRuns = panel.locator('.jp-tflog-runs[data-scope="notebook"]');
  const olderItem = notebookRuns.locator(
    `.jp-tflog-run-item[data-run-id="${olderId}"]`
  );
  const newerItem = notebookRuns.locator(
    `.jp-tflog-run-item[data-run-id="${newerId}"]`
  );
  await expect(olderItem).toBeVisible({ timeout: RUN_TIMEOUT_MS });
  await expect(newerItem).toBeVisible();

  const run = shownRun(panel);
  const lossChart = chart(panel, 'loss');
  await olderItem.click();
  await expect(run).toHaveAttribute('data-run-id', olderId);
  await expect(run).toHaveAttribute('data-run-status', 'finished');
  await expect(lossChart).toHaveAttribute('data-points', '5');
  await expect(lossChart).toHaveAttribute('data-last-x', '5');

  // The keyboard selects too.
  await newerItem.focus();
  await page.keyboard.press('Enter');
  await expect(run).toHaveAttribute('data-run-id', newerId);
  await expect(lossChart).toHaveAttribute('data-points', '8');
  await expect(lossChart).toHaveAttribute('data-last-x', '8');

  // On the wall-time axis the same points are placed at their log times.
  const axis = panel.locator('select.jp-tflog-xaxis');
  await axis.selectOption('time');
  await expect(lossChart).toHaveAttribute('data-points', '8');
  await expect
    .poll(async () => Number(await lossChart.getAttribute('data-last-x')))
    .toBeGreaterThan(testStarted);
  expect(Number(await lossChart.getAttribute('data-last-x'))).toBeLessThan(
    Date.now()
  );
  await axis.selectOption('step');
  await expect(lossChart).toHaveAttribute('data-last-x', '8');
});
