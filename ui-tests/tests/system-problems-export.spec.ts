/**
 * Two runs of one notebook that sample system metrics every 0.2 s and log
 * the same warning with different numbers: the panel's System section draws
 * CPU and RSS and says the kernel has no GPU; the History view's Problems
 * across my runs shows the warning as one template of both runs; Export runs
 * as CSV downloads both runs with their hyperparameters.
 */
import { readFileSync } from 'fs';
import { expect, test } from '@jupyterlab/galata';
import {
  notebookContent,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  waitForEndedRuns
} from './tflog';

function runCell(name: string, batchSize: number): string {
  return [
    `%%tflog ${name} --system-interval 0.2`,
    'import logging, time',
    'import tflog',
    `tflog.log_hparams({'batch_size': ${batchSize}})`,
    'for step in range(1, 5):',
    "    tflog.log({'loss': 1.0 / step}, step=step)",
    "    logging.getLogger('train').warning('Slow batch %d took %d ms', step, 100 + step * " +
      `${batchSize})`,
    '    time.sleep(0.5)'
  ].join('\n');
}

test('system curves, problems across runs and the runs export', async ({
  page,
  request,
  tmpPath
}) => {
  const suffix = Date.now().toString(36);
  const names = [`small-${suffix}`, `large-${suffix}`];
  const notebookPath = `${tmpPath}/system-problems.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    runCell(names[0], 16),
    runCell(names[1], 64)
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('system-problems.ipynb');
  for (const cell of [0, 1, 2]) {
    await page.notebook.runCell(cell);
  }
  await waitForEndedRuns(request, notebookPath, 2);

  // The System section of the run shown: CPU and RSS, and no GPU here.
  const panel = await openTrainingPanel(page);
  const system = panel.locator('[data-section="system"]');
  await expect(system).toBeVisible();
  await expect(panel.locator('.jp-tflog-run')).toHaveAttribute(
    'data-run-status',
    'finished',
    { timeout: RUN_TIMEOUT_MS }
  );
  const rss = system.locator('[data-system-chart="process.rss"]');
  const cpu = system.locator('[data-system-chart="process.cpu"]');
  await expect(rss).toBeVisible({ timeout: RUN_TIMEOUT_MS });
  await expect(cpu).toBeVisible();
  await expect
    .poll(async () => Number(await rss.getAttribute('data-points')))
    .toBeGreaterThan(3);
  await expect(system.locator('.jp-tflog-system-message')).toHaveText(
    'No GPU on this kernel'
  );

  // Problems across my runs: one template of both runs' warnings.
  await panel.getByRole('button', { name: 'History', exact: true }).focus();
  await page.keyboard.press('Enter');
  const history = page.locator('.jp-tflog-history-widget');
  await expect(history).toBeVisible();
  await history.getByRole('tab', { name: 'Queries' }).click();
  const problems = history.locator('.jp-tflog-problems');
  await problems
    .locator('input[data-field="problem-notebook"]')
    .fill(notebookPath);
  await problems.getByRole('button', { name: 'Group' }).click();
  const row = problems.locator('.jp-tflog-problems-row', {
    hasText: 'Slow batch <*> took <*> ms'
  });
  await expect(row).toHaveCount(1, { timeout: RUN_TIMEOUT_MS });
  await expect(row.locator('td').nth(1)).toHaveText('8');
  await expect(row.locator('td').nth(2)).toHaveText('warning');
  await expect(row.locator('td').nth(5)).toHaveText('2');

  // Export runs as CSV: the runs of this notebook, with their hyperparameters.
  await history.getByRole('tab', { name: 'Runs' }).click();
  await history.locator('input[data-filter="notebook"]').fill(notebookPath);
  await history.locator('input[data-filter="notebook"]').press('Enter');
  await expect(history.locator('.jp-tflog-history-row')).toHaveCount(2);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    history.getByRole('button', { name: 'Export runs as CSV' }).click()
  ]);
  expect(download.suggestedFilename()).toBe('tflog-runs-2.csv');
  const lines = readFileSync(await download.path(), 'utf-8')
    .trimEnd()
    .split('\r\n');
  const header = lines[0].split(',');
  expect(header.slice(0, 8)).toEqual([
    'run_id',
    'name',
    'notebook',
    'status',
    'started',
    'ended',
    'duration_s',
    'health_score'
  ]);
  expect(header).toEqual(
    expect.arrayContaining(['best.loss', 'hparam.batch_size', 'final.loss'])
  );
  expect(lines).toHaveLength(3);
  const rows = lines.slice(1).map(line => line.split(','));
  const column = (name: string) =>
    rows.map(cells => cells[header.indexOf(name)]);
  expect(column('name').sort()).toEqual([...names].sort());
  expect(column('hparam.batch_size').sort()).toEqual(['16', '64']);
  expect(column('status')).toEqual(['finished', 'finished']);
  expect(column('best.loss')).toEqual(['0.25', '0.25']);
});
