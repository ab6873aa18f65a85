/**
 * The hover readout: over a chart, the nearest step's values are listed with
 * the step and the time since the run started, and the keyboard moves the
 * readout too. The run shown is selected in JupyterLab's selection colour.
 */
import { expect, test } from '@jupyterlab/galata';
import {
  chart,
  notebookContent,
  openTrainingPanel,
  shortRunCell,
  waitForFinishedRun
} from './tflog';

test('a chart lists the values at the pointer and at the keyboard’s step', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/hover.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    shortRunCell('hover', 8)
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('hover.ipynb');
  const panel = await openTrainingPanel(page);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const runId = await waitForFinishedRun(panel);

  const lossChart = chart(panel, 'loss');
  await expect(lossChart).toHaveAttribute('data-points', '8');
  const readout = lossChart.locator('.jp-tflog-readout');
  await expect(readout).toBeHidden();

  const canvas = lossChart.locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  if (box === null) {
    throw new Error('the loss chart has no canvas box');
  }
  // Towards the right end of the plot: a late step.
  await page.mouse.move(box.x + box.width * 0.85, box.y + box.height / 2);
  await expect(readout).toBeVisible();
  await expect(readout.locator('.jp-tflog-readout-x')).toHaveText(
    /^step \d+ · \d+s elapsed$/
  );
  await expect(
    readout.locator('.jp-tflog-readout-row[data-series="loss"]')
  ).toHaveText(/^loss0\.\d+$/);
  const hoveredStep = Number(
    /step (\d+)/.exec(
      (await readout.locator('.jp-tflog-readout-x').textContent()) ?? ''
    )?.[1]
  );
  expect(hoveredStep).toBeGreaterThanOrEqual(5);

  // Moving out hides it.
  await page.mouse.move(box.x - 40, box.y - 40);
  await expect(readout).toBeHidden();

  // The keyboard: Home is the first step, whose loss the cell printed as 1.0000.
  await lossChart.focus();
  await page.keyboard.press('Home');
  await expect(readout.locator('.jp-tflog-readout-x')).toHaveText(
    /^step 1 · \d+s elapsed$/
  );
  await expect(
    readout.locator('.jp-tflog-readout-row[data-series="loss"]')
  ).toHaveText('loss1');
  await page.keyboard.press('ArrowRight');
  await expect(
    readout.locator('.jp-tflog-readout-row[data-series="loss"]')
  ).toHaveText('loss0.5');
  await page.keyboard.press('Escape');
  await expect(readout).toBeHidden();

  // The run shown is selected in the brand colour, as JupyterLab's own lists.
  const item = panel.locator(
    `.jp-tflog-runs[data-scope="notebook"] .jp-tflog-run-item[data-run-id="${runId}"]`
  );
  await expect(item).toHaveAttribute('aria-selected', 'true');
  const colours = await item.evaluate(element => {
    const probe = document.createElement('span');
    probe.style.color = 'var(--jp-brand-color1)';
    document.body.append(probe);
    const brand = getComputedStyle(probe).color;
    probe.remove();
    return { background: getComputedStyle(element).backgroundColor, brand };
  });
  expect(colours.background).toBe(colours.brand);
});
