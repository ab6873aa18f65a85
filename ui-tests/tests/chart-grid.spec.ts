/**
 * A wide sidebar shows the charts in a grid; a narrow one, one per row.
 * Charts fill the Metrics section's height: fewer rows, taller charts.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import {
  chart,
  notebookContent,
  openTrainingPanel,
  waitForFinishedRun
} from './tflog';

const TWO_METRICS_CELL = [
  '%%tflog grid',
  'import tflog',
  'for step in range(1, 6):',
  "    tflog.log({'loss': 1 / step, 'accuracy': 1 - 1 / (step + 1)}, step=step)"
].join('\n');

async function box(locator: Locator) {
  const found = await locator.boundingBox();
  if (found === null) {
    throw new Error('the chart has no box');
  }
  return found;
}

test('the charts sit side by side when the sidebar is wide', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/grid.ipynb`;
  const content = notebookContent(['%load_ext tflog', TWO_METRICS_CELL]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('grid.ipynb');
  const panel = await openTrainingPanel(page);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  await waitForFinishedRun(panel);
  const loss = chart(panel, 'loss');
  const accuracy = chart(panel, 'accuracy');
  await expect(loss).toHaveAttribute('data-points', '5');
  await expect(accuracy).toHaveAttribute('data-points', '5');

  // Narrow (the default width): one chart below the other.
  let lossBox = await box(loss);
  let accuracyBox = await box(accuracy);
  expect(accuracyBox.y).toBeGreaterThanOrEqual(lossBox.y + lossBox.height - 1);
  const narrowHeight = (await box(loss.locator('canvas'))).height;

  // Widen the right sidebar by dragging the handle on its left edge.
  const panelBox = await box(panel);
  const handleX = panelBox.x - 2;
  const handleY = panelBox.y + panelBox.height / 2;
  await page.mouse.move(handleX, handleY);
  await page.mouse.down();
  await page.mouse.move(handleX - 450, handleY, { steps: 10 });
  await page.mouse.up();
  await expect.poll(async () => (await box(panel)).width).toBeGreaterThan(650);

  // Wide: side by side, each chart redrawn at its column's width.
  await expect
    .poll(async () => {
      lossBox = await box(loss);
      accuracyBox = await box(accuracy);
      return (
        Math.abs(lossBox.y - accuracyBox.y) < 2 && accuracyBox.x > lossBox.x
      );
    })
    .toBe(true);
  await expect
    .poll(async () => (await box(loss.locator('canvas'))).width)
    .toBeGreaterThan(250);

  // The other sections folded, the Metrics section has the room: one row
  // of charts, taller, and still inside the section.
  const labels = panel.locator('.lm-AccordionPanel-titleLabel');
  for (const label of await labels.all()) {
    if ((await label.textContent()) !== 'Metrics') {
      await label.click();
    }
  }
  await expect
    .poll(async () => (await box(loss.locator('canvas'))).height)
    .toBeGreaterThan(narrowHeight + 10);
  await expect
    .poll(async () => {
      const metricsBox = await box(panel.locator('[data-section="metrics"]'));
      lossBox = await box(loss);
      return (
        metricsBox.y + metricsBox.height + 1 - (lossBox.y + lossBox.height)
      );
    })
    .toBeGreaterThanOrEqual(0);
});
