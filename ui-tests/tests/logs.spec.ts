/**
 * The logs view and what leads to it from the charts: a warning the run
 * printed is a marker on the curve; a drag zooms the x range (read again in
 * finer detail) and Reset zoom shows all of it again; a click on a point of
 * a curve opens the run's lines around that point with its line
 * highlighted; text search finds a line, in the run and across runs.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator, Page } from '@playwright/test';
import {
  chart,
  notebookContent,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  waitForFinishedRun
} from './tflog';

const STEPS = 12;

/** Prints a loss line per step, and a Python warning at step 6. */
function runCell(name: string): string {
  return [
    `%%tflog ${name}`,
    'import time, warnings',
    `for step in range(1, ${STEPS + 1}):`,
    "    print(f'step {step} loss={1.0 / step:.4f}')",
    '    if step == 6:',
    "        warnings.warn('learning rate looks too high')",
    '    time.sleep(0.25)'
  ].join('\n');
}

/** The chart's canvas box, scrolled into view. */
async function plotBox(chartLocator: Locator) {
  const canvas = chartLocator.locator('canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  if (box === null) {
    throw new Error('the chart has no canvas box');
  }
  return box;
}

/**
 * Moves the pointer along the top of the chart, where log markers are drawn,
 * until one's tooltip shows; the tooltip's element.
 */
async function markerTooltip(page: Page, chartLocator: Locator) {
  // The section's controls stay at its top while it scrolls: scrolled back,
  // the chart's top edge, where the markers are, is below them.
  const canvas = chartLocator.locator('canvas');
  await canvas.evaluate(element => {
    const section = element.closest('.jp-tflog-section');
    if (section) {
      section.scrollTop = 0;
    }
  });
  const box = await canvas.boundingBox();
  if (box === null) {
    throw new Error('the chart has no canvas box');
  }
  const tooltip = page.locator('#vg-tooltip-element.jp-tflog-tooltip-theme');
  for (let row = 0; row < 10; row++) {
    for (let column = 0; column <= 80; column++) {
      await page.mouse.move(
        box.x + (box.width * column) / 80,
        box.y + 2 + row * 3
      );
      if (await tooltip.isVisible()) {
        return tooltip;
      }
    }
  }
  throw new Error('no log marker tooltip along the top of the chart');
}

/** The step the readout shows, after moving the pointer to `fraction` of the plot's width. */
async function hoverStep(
  page: Page,
  chartLocator: Locator,
  fraction: number
): Promise<number> {
  const box = await plotBox(chartLocator);
  await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
  const x = chartLocator.locator('.jp-tflog-readout-x');
  await expect(x).toHaveText(/^step \d+/);
  return Number(/step (\d+)/.exec((await x.textContent()) ?? '')?.[1]);
}

test('a warning is marked, zoom and reset, a point opens its logs, search finds a line', async ({
  page,
  tmpPath
}) => {
  test.setTimeout(420_000);
  const notebookPath = `${tmpPath}/logs.ipynb`;
  const content = notebookContent(['%load_ext tflog', runCell('logs-demo')]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('logs.ipynb');
  const panel = await openTrainingPanel(page);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const runId = await waitForFinishedRun(panel);
  const lossChart = chart(panel, 'loss');
  await expect(lossChart).toHaveAttribute('data-points', String(STEPS));

  // The warning is a marker (read again with the curves: Refresh reads both).
  await expect(async () => {
    await panel.getByRole('button', { name: 'Refresh' }).click();
    await expect(lossChart).toHaveAttribute('data-markers', '1', {
      timeout: 5_000
    });
  }).toPass({ timeout: RUN_TIMEOUT_MS });

  // Its tooltip is drawn in JupyterLab's colours and font, not vega-tooltip's
  // white box (which would stay white in the dark theme).
  const tooltip = await markerTooltip(page, lossChart);
  await expect(tooltip).toContainText('learning rate looks too high');
  const look = await tooltip.evaluate(element => {
    const probe = document.createElement('div');
    probe.style.backgroundColor = 'var(--jp-layout-color1)';
    probe.style.fontFamily = 'var(--jp-ui-font-family)';
    document.body.appendChild(probe);
    const wanted = getComputedStyle(probe);
    const shown = getComputedStyle(element);
    const result = {
      background: [shown.backgroundColor, wanted.backgroundColor],
      font: [shown.fontFamily, wanted.fontFamily]
    };
    probe.remove();
    return result;
  });
  expect(look.background[0]).toBe(look.background[1]);
  expect(look.font[0]).toBe(look.font[1]);
  await page.mouse.move(0, 0);
  await expect(page.locator('#vg-tooltip-element')).toBeHidden();

  // Zoom: drag across the middle of the chart.
  const plot = await plotBox(lossChart);
  const y = plot.y + plot.height / 2;
  await page.mouse.move(plot.x + plot.width * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(plot.x + plot.width * 0.65, y, { steps: 8 });
  await page.mouse.up();
  await expect(lossChart).toHaveAttribute('data-zoom-from', /\d/);
  const from = Number(await lossChart.getAttribute('data-zoom-from'));
  const to = Number(await lossChart.getAttribute('data-zoom-to'));
  expect(from).toBeGreaterThan(1);
  expect(to).toBeLessThan(STEPS);
  // The range is read again: only its steps.
  await expect
    .poll(async () => Number(await lossChart.getAttribute('data-points')))
    .toBeLessThan(STEPS);
  const reset = lossChart.locator('.jp-tflog-zoom-reset');
  await expect(reset).toBeVisible();
  await expect(lossChart.locator('.jp-tflog-chart-error')).toBeHidden();

  await reset.click();
  await expect(lossChart).not.toHaveAttribute('data-zoom-from', /.*/);
  await expect(lossChart).toHaveAttribute('data-points', String(STEPS));
  await expect(reset).toBeHidden();

  // A click on a point: the logs view, with that step's line highlighted.
  const step = await hoverStep(page, lossChart, 0.5);
  const box = await plotBox(lossChart);
  await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2);
  const logs = page.locator(`[id="tflog-logs-${runId}"]`);
  await expect(logs).toBeVisible();
  const highlighted = logs.locator('.jp-tflog-log-line[aria-current="true"]');
  await expect(highlighted).toHaveCount(1);
  await expect(highlighted.locator('.jp-tflog-log-message')).toHaveText(
    new RegExp(`^step ${step} loss=`)
  );
  await expect(highlighted).toBeInViewport();
  // The lines around it, in order, monospace.
  await expect(logs.locator('.jp-tflog-log-line').first()).toBeVisible();
  const font = await highlighted
    .locator('.jp-tflog-log-message')
    .evaluate(element => getComputedStyle(element).fontFamily);
  expect(font.toLowerCase()).toMatch(/mono|courier|consol/);

  // Text search finds the warning's line.
  const search = logs.locator('.jp-tflog-logs-search');
  await search.fill('too high');
  await search.press('Enter');
  const found = logs.locator('.jp-tflog-log-line');
  await expect(found.first()).toBeVisible();
  await expect(found.first().locator('.jp-tflog-log-message')).toContainText(
    'learning rate looks too high'
  );
  await expect(found.first()).toHaveAttribute('data-level', 'warning');
  await expect(logs.locator('.jp-tflog-logs-error')).toBeHidden();

  // The same search across all my runs names each line's run.
  await logs.locator('.jp-tflog-logs-all-runs').check();
  await expect(found.first().locator('.jp-tflog-log-run')).toHaveText(
    'logs-demo'
  );
  await expect(found.first().locator('.jp-tflog-log-message')).toContainText(
    'learning rate looks too high'
  );
  await expect(logs.locator('.jp-tflog-logs-error')).toBeHidden();
});
