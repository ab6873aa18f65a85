/**
 * Switching JupyterLab to the dark theme re-renders the chart in the
 * theme's colours (its data stays).
 */
import { expect, test } from '@jupyterlab/galata';
import {
  chart,
  chartLook,
  notebookContent,
  openTrainingPanel,
  shortRunCell,
  shownRun,
  waitForStoredRun
} from './tflog';

const DARK_THEME = 'JupyterLab Dark';

test('the chart follows a switch to the dark theme', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/theme.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    shortRunCell('theme', 6)
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('theme.ipynb');
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  // The panel opens on a stored run, so its chart is drawn in one load: live
  // updates are live-training.spec.ts's subject.
  const runId = await waitForStoredRun(page.request, notebookPath, 'loss', 6);
  const panel = await openTrainingPanel(page);
  await expect(shownRun(panel)).toHaveAttribute('data-run-id', runId);

  const lossChart = chart(panel, 'loss');
  await expect(lossChart).toHaveAttribute('data-points', '6');
  const before = await chartLook(lossChart);
  expect(before.renderer).not.toBe('none');
  // Light theme: the chart is drawn on a light background.
  expect(before.backgroundLuminance).toBeGreaterThan(0.5);

  await page.evaluate(async theme => {
    await window.jupyterapp.commands.execute('apputils:change-theme', {
      theme
    });
  }, DARK_THEME);
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-name',
    DARK_THEME
  );
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    'false'
  );

  // Drawn again, now on the dark theme's background, with the same data.
  await expect
    .poll(async () => (await chartLook(lossChart)).digest, {
      message: 'the chart is drawn anew after the theme switch'
    })
    .not.toBe(before.digest);
  await expect
    .poll(async () => (await chartLook(lossChart)).backgroundLuminance)
    .toBeLessThan(0.5);
  await expect(lossChart).toHaveAttribute('data-points', '6');
});
