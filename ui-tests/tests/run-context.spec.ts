/**
 * What a run is about, at a glance: a series that never changes (a fixed
 * learning rate) is a value, not a chart; epoch-end values are shown on the
 * epoch axis by default; tags and hyperparameters are in the run header; the
 * status bar names the run in progress with its epoch and loss and opens the
 * panel; a failed run's "Go to cell" selects the cell it ran in.
 */
import { expect, test } from '@jupyterlab/galata';
import {
  chart,
  notebookContent,
  openTrainingPanel,
  PANEL_ID,
  RUN_TIMEOUT_MS,
  shownRun
} from './tflog';

const EPOCHS = 12;

/** A fit-like loop: epoch-end values, a fixed learning rate, hyperparameters. */
const EPOCH_RUN_CELL = [
  '%%tflog epochs-run --tag arch=mlp',
  'import time',
  'import tflog',
  "tflog.log_hparams({'optimizer': 'Adam', 'batch_size': 32, 'epochs': " +
    EPOCHS +
    '})',
  `for epoch in range(${EPOCHS}):`,
  "    tflog.log({'loss': 1 / (epoch + 1), 'lr': 0.001}, epoch=epoch)",
  '    time.sleep(1)'
].join('\n');

const FAILING_CELL = [
  '%%tflog failing-run',
  "print('step 1 loss=0.5')",
  "raise ValueError('boom')"
].join('\n');

test('a fit’s context: constant series as a value, epochs first, tags and the status bar', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/context.ipynb`;
  const content = notebookContent(['%load_ext tflog', EPOCH_RUN_CELL]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('context.ipynb');
  await page.notebook.runCell(0);
  // Not awaited: the cell runs for about EPOCHS seconds.
  void page.notebook.runCell(1);

  // The status bar names the run in progress, its epoch and loss.
  const item = page.locator('.jp-tflog-statusbar');
  await expect(item).toBeVisible({ timeout: RUN_TIMEOUT_MS });
  await expect(item).toHaveText(
    new RegExp(`^epochs-run · epoch \\d+/${EPOCHS} · loss \\d`),
    { timeout: RUN_TIMEOUT_MS }
  );
  // A click opens the panel.
  await expect(page.locator(`#${PANEL_ID}`)).toBeHidden();
  await item.click();
  const panel = page.locator(`#${PANEL_ID}`);
  await expect(panel).toBeVisible();

  const run = shownRun(panel);
  await expect(run).toHaveAttribute('data-run-status', 'finished', {
    timeout: RUN_TIMEOUT_MS
  });
  // Nothing runs any more: the status bar item steps aside.
  await expect(item).toBeHidden({ timeout: 15_000 });

  // The learning rate never changed: a value, not a chart.
  const lr = panel.locator('.jp-tflog-constant[data-metric="lr"]');
  await expect(lr).toBeVisible();
  await expect(lr).toContainText('0.001');
  await expect(chart(panel, 'lr')).toHaveCount(0);
  // Epoch-end values: the automatic axis is the epoch axis.
  const lossChart = chart(panel, 'loss');
  await expect(lossChart).toHaveAttribute('data-points', String(EPOCHS));
  await expect(lossChart).toHaveAttribute('data-last-x', String(EPOCHS));
  await expect(
    panel.locator('select.jp-tflog-xaxis option[value="auto"]')
  ).toHaveText('Auto (Epoch)');
  // Tags and hyperparameters in the header.
  await expect(run.locator('.jp-tflog-tag[data-key="arch"]')).toHaveText(
    'arch=mlp'
  );
  await expect(
    run.locator('.jp-tflog-hparam[data-key="optimizer"]')
  ).toHaveText('optimizer=Adam');
  await expect(
    run.locator('.jp-tflog-hparam[data-key="batch_size"]')
  ).toHaveText('batch_size=32');
});

test('Go to cell selects the cell a failed run ran in', async ({
  page,
  tmpPath
}) => {
  // Room for the run's error above the fold of the panel's Run section.
  await page.setViewportSize({ width: 1280, height: 1000 });
  const notebookPath = `${tmpPath}/goto.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    "print('a cell in between')",
    FAILING_CELL
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('goto.ipynb');
  const panel = await openTrainingPanel(page);
  await page.notebook.runCell(0);
  await page.notebook.runCell(2);

  const run = shownRun(panel);
  await expect(run).toHaveAttribute('data-run-status', 'failed', {
    timeout: RUN_TIMEOUT_MS
  });
  const goToCell = run.locator('button.jp-tflog-goto-cell');
  await expect(goToCell).toBeVisible();

  // Elsewhere first: the first cell is the active one.
  await page.notebook.selectCells(0);
  const active = page.locator('.jp-NotebookPanel .jp-Cell.jp-mod-active');
  await expect(active).toContainText('%load_ext tflog');
  await goToCell.click();
  await expect(active).toContainText('%%tflog failing-run');
  await expect(active).toBeInViewport();
});
