/**
 * The panel in the light and the dark theme, with a run that has tags,
 * hyperparameters, training and validation curves and a constant series.
 * With TFLOG_UI_SCREENSHOTS=1 it writes docs/images/panel-light.png and
 * docs/images/panel-dark.png (the pictures of docs/frontend.md); without, it
 * only checks that the panel is drawn in each theme's colours.
 */
import { resolve } from 'path';
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import {
  chart,
  chartLook,
  notebookContent,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  shownRun
} from './tflog';

const IMAGES = resolve(__dirname, '../../docs/images');
const WRITE = process.env.TFLOG_UI_SCREENSHOTS === '1';

const RUN_CELL = [
  '%%tflog mnist-mlp --tag arch=mlp --tag data=mnist',
  'import math',
  'import tflog',
  "tflog.log_hparams({'optimizer': 'Adam', 'learning_rate': 0.001, 'batch_size': 64, 'epochs': 20})",
  'for epoch in range(20):',
  '    loss = 2.3 * math.exp(-epoch / 5) + 0.05',
  '    tflog.log({',
  "        'loss': loss, 'val_loss': loss * 1.15 + 0.02,",
  "        'accuracy': 1 - loss / 2.5, 'val_accuracy': 1 - loss / 2.3,",
  "        'lr': 0.001",
  '    }, epoch=epoch)'
].join('\n');

/** The luminance (0 dark to 1 light) of an element's background. */
async function luminance(locator: Locator): Promise<number> {
  return locator.evaluate(element => {
    const colour = getComputedStyle(element).backgroundColor;
    const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(colour);
    if (!match) {
      return -1;
    }
    const [red, green, blue] = match.slice(1).map(Number);
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255;
  });
}

test('the panel in the light and dark themes', async ({ page, tmpPath }) => {
  await page.setViewportSize({ width: 1400, height: 900 });
  const notebookPath = `${tmpPath}/mnist.ipynb`;
  const content = notebookContent(['%load_ext tflog', RUN_CELL]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('mnist.ipynb');
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const panel = await openTrainingPanel(page);
  const run = shownRun(panel);
  await expect(run).toHaveAttribute('data-run-status', 'finished', {
    timeout: RUN_TIMEOUT_MS
  });
  const lossChart = chart(panel, 'loss');
  await expect(lossChart).toHaveAttribute('data-points', '40');
  await expect(chart(panel, 'accuracy')).toHaveAttribute('data-points', '40');
  // Wider, for the grid of charts: drag the handle on the sidebar's left edge.
  const panelBox = await panel.boundingBox();
  if (panelBox === null) {
    throw new Error('the panel has no box');
  }
  await page.mouse.move(panelBox.x - 2, panelBox.y + panelBox.height / 2);
  await page.mouse.down();
  await page.mouse.move(panelBox.x - 450, panelBox.y + panelBox.height / 2, {
    steps: 10
  });
  await page.mouse.up();
  await expect
    .poll(async () => (await panel.boundingBox())?.width ?? 0)
    .toBeGreaterThan(650);

  for (const theme of ['light', 'dark'] as const) {
    await page.theme.setTheme(
      theme === 'light' ? 'JupyterLab Light' : 'JupyterLab Dark'
    );
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-light',
      String(theme === 'light')
    );
    const panelLight = await luminance(panel);
    if (theme === 'light') {
      expect(panelLight).toBeGreaterThan(0.5);
    } else {
      expect(panelLight).toBeLessThan(0.5);
    }
    await expect
      .poll(
        async () =>
          ((await chartLook(lossChart)).backgroundLuminance ?? 0) > 0.5
      )
      .toBe(theme === 'light');
    await expect(lossChart).toHaveAttribute('data-points', '40');
    if (WRITE) {
      await panel.screenshot({ path: `${IMAGES}/panel-${theme}.png` });
    }
  }
});
