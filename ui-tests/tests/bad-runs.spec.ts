/**
 * Bad runs look bad: a run that logged a NaN gets a NaN badge in the header
 * and in the run list, and its chart marks the NaN in the theme's error
 * colour; a failed run shows its exception as text, without terminal codes,
 * with its lines and a folded traceback.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import {
  chart,
  notebookContent,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  shownRun
} from './tflog';

const NAN_RUN_CELL = [
  '%%tflog nan-run',
  'import time',
  'import tflog',
  "for step, value in enumerate([0.9, 0.7, 0.5, float('nan')], 1):",
  "    tflog.log({'loss': value}, step=step)",
  '    time.sleep(0.2)'
].join('\n');

const FAILING_CELL = [
  '%%tflog failing-run',
  "print('step 1 loss=0.5')",
  "raise ValueError('\\x1b[31mshapes (3,) and (4,)\\x1b[0m not aligned\\nsecond line')"
].join('\n');

/** Pixels of the chart's canvas within a small distance of a CSS colour. */
async function pixelsOfColour(
  chartLocator: Locator,
  cssVariable: string
): Promise<number> {
  return chartLocator.evaluate((element, variable) => {
    const probe = document.createElement('span');
    probe.style.color = `var(${variable})`;
    document.body.append(probe);
    const colour = getComputedStyle(probe).color;
    probe.remove();
    const match = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(colour);
    const canvas = element.querySelector('canvas');
    const context = canvas?.getContext('2d');
    if (!match || !canvas || !context) {
      return -1;
    }
    const [red, green, blue] = match.slice(1).map(Number);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (
        Math.abs(data[i] - red) +
          Math.abs(data[i + 1] - green) +
          Math.abs(data[i + 2] - blue) <
        40
      ) {
        count++;
      }
    }
    return count;
  }, cssVariable);
}

test('a run that logged NaN has a NaN badge and a marked chart', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/nan.ipynb`;
  const content = notebookContent(['%load_ext tflog', NAN_RUN_CELL]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('nan.ipynb');
  const panel = await openTrainingPanel(page);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);

  const run = shownRun(panel);
  await expect(run).toHaveAttribute('data-run-status', 'finished', {
    timeout: RUN_TIMEOUT_MS
  });
  await expect(run).toHaveAttribute('data-run-nonfinite', 'NaN');
  await expect(run.locator('.jp-tflog-badge-nonfinite')).toBeVisible();
  await expect(run.locator('.jp-tflog-badge-nonfinite')).toHaveText('NaN');
  const runId = await run.getAttribute('data-run-id');
  // The lists are read again on demand (their live refresh is run-history's subject).
  await panel.getByRole('button', { name: 'Refresh' }).click();
  const item = panel.locator(
    `.jp-tflog-runs[data-scope="notebook"] .jp-tflog-run-item[data-run-id="${runId}"]`
  );
  await expect(item).toHaveAttribute('data-run-nonfinite', 'NaN', {
    timeout: RUN_TIMEOUT_MS
  });
  await expect(item.locator('.jp-tflog-badge-nonfinite')).toBeVisible();
  // Not the plain success colour: the finished badge is neutral beside the NaN badge.
  const statusColours = await run
    .locator('.jp-tflog-run-status')
    .evaluate(status => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--jp-success-color1)';
      document.body.append(probe);
      const success = getComputedStyle(probe).color;
      probe.remove();
      return { badge: getComputedStyle(status).backgroundColor, success };
    });
  expect(statusColours.badge).not.toBe(statusColours.success);

  const lossChart = chart(panel, 'loss');
  await expect(lossChart).toHaveAttribute('data-points', '4');
  await expect(lossChart).toHaveAttribute('data-nonfinite', '1');
  // The NaN rule and its label are drawn in the theme's error colour.
  await expect
    .poll(() => pixelsOfColour(lossChart, '--jp-error-color1'))
    .toBeGreaterThan(40);
});

test('a failed run shows its exception as plain text with a folded traceback', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/failing.ipynb`;
  const content = notebookContent(['%load_ext tflog', FAILING_CELL]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('failing.ipynb');
  const panel = await openTrainingPanel(page);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);

  const run = shownRun(panel);
  await expect(run).toHaveAttribute('data-run-status', 'failed', {
    timeout: RUN_TIMEOUT_MS
  });
  const message = run.locator('.jp-tflog-run-error-message');
  await expect(message).toBeVisible();
  const text = await message.evaluate(element => element.textContent ?? '');
  expect(text).toBe(
    'ValueError: shapes (3,) and (4,) not aligned\nsecond line'
  );
  expect(text).not.toContain('\u001b');
  // The line break is shown as one.
  const height = await message.evaluate(
    element => element.getBoundingClientRect().height
  );
  const lineHeight = await message.evaluate(element =>
    parseFloat(getComputedStyle(element).lineHeight || '0')
  );
  expect(height).toBeGreaterThan(lineHeight > 0 ? lineHeight * 1.5 : 20);

  const traceback = run.locator('details.jp-tflog-run-traceback');
  await expect(traceback).toBeVisible();
  const tracebackText = traceback.locator('pre');
  await expect(tracebackText).toBeHidden();
  await traceback.locator('summary').click();
  await expect(tracebackText).toBeVisible();
  await expect(tracebackText).toContainText('ValueError');
  expect(
    await tracebackText.evaluate(element => element.textContent ?? '')
  ).not.toContain('\u001b');
});
