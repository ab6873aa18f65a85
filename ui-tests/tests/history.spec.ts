/**
 * The History view: three runs of one notebook with different tags,
 * hyperparameters, losses and outcomes, opened from the Training panel's
 * History button; the runs table filtered by tag and by text, sorted by a
 * metric's best value, and a threshold query across runs. A running run's
 * row is read again while the view is shown, until the run ends.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import {
  notebookContent,
  notebookRuns,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  waitForEndedRuns
} from './tflog';

/** A `%%tflog` cell that logs these losses, step by step, and fails when told. */
function runCell(
  name: string,
  team: string,
  learningRate: number,
  losses: number[],
  fail = false
): string {
  return [
    `%%tflog ${name} --tag team=${team}`,
    'import tflog',
    `tflog.log_hparams({'lr': ${learningRate}})`,
    `for step, value in enumerate(${JSON.stringify(losses)}, 1):`,
    "    tflog.log({'loss': value}, step=step)",
    ...(fail ? ["raise RuntimeError('diverged')"] : [])
  ].join('\n');
}

/** The run names in the table, top to bottom. */
async function rowNames(history: Locator): Promise<string[]> {
  return history
    .locator('.jp-tflog-history-row td[data-column="name"]')
    .allTextContents();
}

test('the History view filters, sorts and queries past runs', async ({
  page,
  request,
  tmpPath
}) => {
  const suffix = Date.now().toString(36);
  const names = {
    steady: `steady-${suffix}`,
    slow: `slow-${suffix}`,
    broken: `broken-${suffix}`
  };
  const notebookPath = `${tmpPath}/history-view.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    runCell(names.steady, 'vision', 0.01, [0.9, 0.4, 0.1]),
    runCell(names.slow, 'audio', 0.001, [1.2, 1.0, 0.8]),
    runCell(names.broken, 'vision', 0.5, [3.5, 2.5], true)
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('history-view.ipynb');
  for (const cell of [0, 1, 2, 3]) {
    await page.notebook.runCell(cell);
  }
  await waitForEndedRuns(request, notebookPath, 3);

  // Opened from the panel's History button, narrowed to this notebook.
  const panel = await openTrainingPanel(page);
  // The narrow sidebar of the test page may leave the section's title out
  // of view: the button is reached with the keyboard.
  await panel.getByRole('button', { name: 'History', exact: true }).focus();
  await page.keyboard.press('Enter');
  const history = page.locator('.jp-tflog-history-widget');
  await expect(history).toBeVisible();
  await history.locator('input[data-filter="notebook"]').fill(notebookPath);
  await history.locator('input[data-filter="notebook"]').press('Enter');
  await expect(history.locator('.jp-tflog-history-row')).toHaveCount(3);
  await expect(history.locator('.jp-tflog-history-total')).toHaveText(
    '1–3 of 3'
  );
  const broken = history.locator('.jp-tflog-history-row', {
    hasText: names.broken
  });
  await expect(broken).toHaveAttribute('data-run-status', 'failed');

  // By tag.
  const tags = history.locator('input[data-filter="tags"]');
  await tags.fill('team:vision');
  await tags.press('Enter');
  await expect
    .poll(async () => (await rowNames(history)).sort())
    .toEqual([names.broken, names.steady].sort());
  await tags.fill('');
  await tags.press('Enter');
  await expect(history.locator('.jp-tflog-history-row')).toHaveCount(3);

  // By text.
  const search = history.locator('input[data-filter="text"]');
  await search.fill(names.slow);
  await search.press('Enter');
  await expect.poll(() => rowNames(history)).toEqual([names.slow]);
  await search.fill('');
  await search.press('Enter');
  await expect(history.locator('.jp-tflog-history-row')).toHaveCount(3);

  // The column chooser offers each metric's best value (the lowest loss).
  await history.getByRole('button', { name: 'Columns…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.getByLabel('loss (best)', { exact: true }).check();
  await dialog.getByRole('button', { name: 'Show' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(
    history.locator('.jp-tflog-history-row td[data-column="best:loss"]')
  ).toHaveText(['2.5', '0.8', '0.1']);

  // By the best loss: a click sorts best first, a second reverses.
  const sortByBestLoss = history.locator(
    'button.jp-tflog-history-sort[data-column="best:loss"]'
  );
  await sortByBestLoss.click();
  await expect(history.locator('th[data-column="best:loss"]')).toHaveAttribute(
    'aria-sort',
    'ascending'
  );
  await expect
    .poll(() => rowNames(history))
    .toEqual([names.steady, names.slow, names.broken]);
  await sortByBestLoss.click();
  await expect
    .poll(() => rowNames(history))
    .toEqual([names.broken, names.slow, names.steady]);

  // A threshold query: every loss above 1.1, in the runs of this notebook.
  await history.getByRole('tab', { name: 'Queries' }).click();
  const queries = history.locator('.jp-tflog-history-queries');
  await queries.locator('select[data-field="kind"]').selectOption('points');
  await queries.locator('input[data-field="metric"]').fill('loss');
  await queries.locator('select[data-field="operator"]').selectOption('gt');
  await queries.locator('input[data-field="value"]').fill('1.1');
  await queries.locator('input[data-field="notebook"]').fill(notebookPath);
  await queries.getByRole('button', { name: 'Run query' }).click();
  const hits = queries.locator('.jp-tflog-history-query-row');
  await expect(hits).toHaveCount(3);
  await expect
    .poll(async () =>
      (await hits.locator('td:nth-child(4)').allTextContents()).sort()
    )
    .toEqual(['1.2', '2.5', '3.5']);

  // Enter on a hit shows its run in the Training panel.
  const brokenHit = hits.filter({ hasText: '3.5' });
  await brokenHit.focus();
  await page.keyboard.press('Enter');
  await expect(panel.locator('.jp-tflog-run')).toHaveAttribute(
    'data-run-status',
    'failed'
  );

  // The command's arguments describe a whole view, as a link gives them.
  await page.evaluate(
    async args => {
      await window.jupyterapp.commands.execute('tflog:open-history', args);
    },
    {
      notebook: notebookPath,
      tags: { team: 'audio' },
      columns: ['hparam:lr', 'last:loss']
    }
  );
  const linked = page.locator('.jp-tflog-history-widget:visible');
  await expect(linked).toHaveCount(1);
  await expect.poll(() => rowNames(linked)).toEqual([names.slow]);
  await expect(
    linked.locator('.jp-tflog-history-row td[data-column="hparam:lr"]')
  ).toHaveText('0.001');
  await expect(linked.locator('input[data-filter="tags"]')).toHaveValue(
    'team:audio'
  );
});

test('the History view follows a running run until it ends', async ({
  page,
  request,
  tmpPath
}) => {
  const name = `live-${Date.now().toString(36)}`;
  const notebookPath = `${tmpPath}/history-live.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    [
      `%%tflog ${name}`,
      'import time',
      'import tflog',
      'for step in range(1, 41):',
      "    tflog.log({'loss': 1 / step}, step=step)",
      '    time.sleep(0.5)'
    ].join('\n')
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('history-live.ipynb');
  await page.notebook.runCell(0);
  await page.notebook.runCell(1, { wait: false });
  await expect
    .poll(
      async () =>
        (await notebookRuns(request, notebookPath)).find(
          run => run.name === name
        )?.status ?? 'none',
      { message: `run ${name} is running`, timeout: RUN_TIMEOUT_MS }
    )
    .toBe('running');

  await page.evaluate(async notebook => {
    await window.jupyterapp.commands.execute('tflog:open-history', {
      notebook
    });
  }, notebookPath);
  const row = page.locator('.jp-tflog-history-widget .jp-tflog-history-row', {
    hasText: name
  });
  await expect(row).toHaveAttribute('data-run-status', 'running');
  // Read again while shown, with no click, until the run has ended.
  await expect(row).toHaveAttribute('data-run-status', 'finished', {
    timeout: RUN_TIMEOUT_MS
  });
  await expect(row.locator('td[data-column="last:loss"]')).toHaveText('0.025');
});
