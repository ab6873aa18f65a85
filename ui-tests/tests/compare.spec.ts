/**
 * Comparing runs: two runs logged with `tflog.log` are opened together by
 * `tflog:compare`, both are drawn and in the legend, the readout lists
 * both, a dark theme draws the chart again, the comparison is exported as
 * CSV (and one run as JSON), and its link opens the same view in a new page.
 * A comparison with a running run is read again while shown until it ends.
 */
import { readFileSync } from 'fs';
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import {
  chartLook,
  notebookContent,
  RUN_TIMEOUT_MS,
  waitForLabRestored
} from './tflog';

const COMPARE_COMMAND = 'tflog:compare';

/** A `%%tflog` cell logging exact losses `scale / step` for `steps` steps. */
function loggedRunCell(name: string, scale: number, steps: number): string {
  return [
    `%%tflog ${name}`,
    'import tflog',
    `for step in range(1, ${steps + 1}):`,
    `    tflog.log({'loss': ${scale} / step}, step=step)`
  ].join('\n');
}

interface IRunsAnswer {
  runs: { run_id: string; name: string | null; status: string }[];
}

interface ISeriesAnswer {
  series: { name: string; points: unknown[] }[];
}

/** The ids of the notebook's runs named `names`, once each is finished with `steps` losses stored. */
async function storedRuns(
  page: Page,
  notebookPath: string,
  names: string[],
  steps: number
): Promise<string[]> {
  let ids: string[] = [];
  await expect
    .poll(
      async () => {
        const runs = await page.request.get(
          `/tflog/api/v1/runs?${new URLSearchParams({ notebook: notebookPath, size: '10' })}`
        );
        expect(runs.ok()).toBe(true);
        const answer = (await runs.json()) as IRunsAnswer;
        ids = names.map(
          name =>
            answer.runs.find(
              run => run.name === name && run.status === 'finished'
            )?.run_id ?? ''
        );
        if (ids.includes('')) {
          return false;
        }
        for (const id of ids) {
          const series = await page.request.get(
            `/tflog/api/v1/runs/${encodeURIComponent(id)}/series?names=loss`
          );
          const lines = ((await series.json()) as ISeriesAnswer).series;
          if (Math.max(0, ...lines.map(line => line.points.length)) < steps) {
            return false;
          }
        }
        return true;
      },
      {
        message: `finished runs ${names.join(', ')} with ${steps} losses each are stored`,
        timeout: RUN_TIMEOUT_MS
      }
    )
    .toBe(true);
  return ids;
}

/** Run `tflog:compare` on `runIds`, once the command exists. */
async function openComparison(page: Page, runIds: string[]): Promise<void> {
  await page.waitForFunction(
    command => window.jupyterapp.commands.hasCommand(command),
    COMPARE_COMMAND
  );
  await page.evaluate(
    async ({ command, runIds }) => {
      await window.jupyterapp.commands.execute(command, { runIds });
    },
    { command: COMPARE_COMMAND, runIds }
  );
}

test('two runs compared: both drawn, exported as CSV, reopened by link', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/compare.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    loggedRunCell('cmp-small', 1, 5),
    loggedRunCell('cmp-large', 2, 5)
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('compare.ipynb');
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  await page.notebook.runCell(2);
  const [smallId, largeId] = await storedRuns(
    page,
    notebookPath,
    ['cmp-small', 'cmp-large'],
    5
  );

  await openComparison(page, [smallId, largeId]);
  const view = page.locator(
    `.jp-tflog-compare[data-run-ids="${smallId},${largeId}"]`
  );
  await expect(view).toBeVisible();
  const chart = view.locator('.jp-tflog-compare-chart');
  await expect(chart).toHaveAttribute('data-metric', 'loss');
  await expect(chart).toHaveAttribute('data-runs', '2');
  await expect(chart).toHaveAttribute('data-points', '10');
  await expect(chart.locator('canvas')).toBeVisible();
  const legend = view.locator('.jp-tflog-compare-legend-item');
  await expect(legend).toHaveCount(2);
  await expect(legend.nth(0)).toHaveAttribute('data-run-id', smallId);
  await expect(legend.nth(0)).toHaveText('cmp-small');
  await expect(legend.nth(1)).toHaveText('cmp-large');
  // Final and best of each run, side by side: 1/5 and 2/5.
  await expect(
    view.locator('.jp-tflog-compare-table tr[data-metric="loss"] td')
  ).toHaveText(['0.2', '0.2', '0.4', '0.4']);

  // The readout lists every run at the nearest step: under the pointer ...
  const readout = chart.locator('.jp-tflog-compare-readout');
  const canvas = chart.locator('canvas');
  const box = await canvas.boundingBox();
  if (box === null) {
    throw new Error('the comparison chart has no canvas box');
  }
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await expect(readout).toBeVisible();
  await expect(readout.locator('.jp-tflog-compare-readout-row')).toHaveCount(2);
  // ... and at the keyboard's.
  await chart.locator('.jp-tflog-compare-figure').focus();
  await page.keyboard.press('End');
  await expect(readout.locator('.jp-tflog-compare-readout-x')).toHaveText(
    'step 5'
  );
  await expect(readout.locator('.jp-tflog-compare-readout-row')).toHaveText([
    'cmp-small0.2',
    'cmp-large0.4'
  ]);
  await page.keyboard.press('Escape');
  await expect(readout).toBeHidden();

  // A dark theme draws the chart again on a dark background, with the same data.
  const light = await chartLook(chart);
  expect(light.backgroundLuminance).toBeGreaterThan(0.5);
  await page.evaluate(async theme => {
    await window.jupyterapp.commands.execute('apputils:change-theme', {
      theme
    });
  }, 'JupyterLab Dark');
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-light',
    'false'
  );
  await expect
    .poll(async () => (await chartLook(chart)).backgroundLuminance)
    .toBeLessThan(0.5);
  await expect(chart).toHaveAttribute('data-points', '10');

  // Running the command again brings the same tab forward.
  await openComparison(page, [largeId, smallId]);
  await expect(page.locator('.jp-tflog-compare')).toHaveCount(1);

  const widget = page.locator('.jp-tflog-compare-widget');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    widget.locator('.jp-tflog-compare-export-csv').click()
  ]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const csv = readFileSync(await download.path(), 'utf-8')
    .trim()
    .split('\r\n');
  expect(csv[0]).toBe('run_id,run_name,metric,scope,step,time,value,nonfinite');
  expect(csv).toHaveLength(11);
  expect(csv[1]).toMatch(
    new RegExp(`^${smallId},cmp-small,loss,batch,1,[^,]+,1,$`)
  );
  expect(csv[10]).toMatch(
    new RegExp(`^${largeId},cmp-large,loss,batch,5,[^,]+,0.4,$`)
  );

  // One run on its own, from its command.
  const [runDownload] = await Promise.all([
    page.waitForEvent('download'),
    page.evaluate(
      async ({ command, runId }) => {
        await window.jupyterapp.commands.execute(command, {
          runId,
          format: 'json'
        });
      },
      { command: 'tflog:export-run', runId: largeId }
    )
  ]);
  expect(runDownload.suggestedFilename()).toBe('tflog-cmp-large.json');
  const exported = JSON.parse(
    readFileSync(await runDownload.path(), 'utf-8')
  ) as Record<string, unknown>[];
  expect(exported.map(row => [row.run_id, row.step, row.value])).toEqual([
    [largeId, 1, 2],
    [largeId, 2, 1],
    [largeId, 3, 2 / 3],
    [largeId, 4, 0.5],
    [largeId, 5, 0.4]
  ]);

  // The link: choose another axis first, so the link carries the view.
  await view.locator('select.jp-tflog-compare-axis').selectOption('relative');
  await expect(chart).toHaveAttribute('data-axis', 'relative');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await widget.locator('.jp-tflog-compare-copy-link').click();
  await expect(view).toHaveAttribute('data-link', /\?tflog=/);
  const link = (await view.getAttribute('data-link')) ?? '';
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(link);

  const linked = await page.context().newPage();
  try {
    await linked.goto(link);
    const reopened = linked.locator(
      `.jp-tflog-compare[data-run-ids="${smallId},${largeId}"]`
    );
    await expect(reopened).toBeVisible({ timeout: 60_000 });
    const reopenedChart = reopened.locator('.jp-tflog-compare-chart');
    await expect(reopenedChart).toHaveAttribute('data-axis', 'relative');
    await expect(reopenedChart).toHaveAttribute('data-points', '10');
    await expect(reopened.locator('.jp-tflog-compare-legend-item')).toHaveText([
      'cmp-small',
      'cmp-large'
    ]);
    // The address bar no longer carries the link: a reload opens nothing twice.
    expect(new URL(linked.url()).searchParams.has('tflog')).toBe(false);

    // A link to a command outside the allow-list runs nothing and says why.
    const foreign = new URL(link);
    foreign.searchParams.set(
      'tflog',
      JSON.stringify({ command: 'kernelmenu:restart', args: {} })
    );
    await linked.goto(foreign.toString());
    const refusal = linked.locator('.Toastify__toast', {
      hasText: 'names "kernelmenu:restart", which links cannot open'
    });
    await expect(refusal).toBeVisible({ timeout: 60_000 });
    // Said once, though JupyterLab may route the address twice while it
    // loads: the link is cleared from the address once it has been followed.
    await linked.waitForFunction(
      () => !new URL(window.location.href).searchParams.has('tflog')
    );
    await expect(refusal).toHaveCount(1);
  } finally {
    await linked.close();
  }

  // JupyterLab reopens the comparison on reload (Galata's own reload
  // waits for the Launcher to be the active tab, which it is not here).
  await page.evaluate(() => window.location.reload());
  await waitForLabRestored(page);
  await expect(view).toBeVisible({ timeout: 60_000 });
  await expect(chart).toHaveAttribute('data-points', '10');
});

test('a comparison with a running run follows it until it ends', async ({
  page,
  tmpPath
}) => {
  const steps = 60;
  const notebookPath = `${tmpPath}/compare-live.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    [
      '%%tflog cmp-live',
      'import time',
      'import tflog',
      `for step in range(1, ${steps + 1}):`,
      '    tflog.log({"loss": 1 / step}, step=step)',
      '    time.sleep(0.5)'
    ].join('\n')
  ]);
  expect(await page.contents.uploadContent(content, 'text', notebookPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('compare-live.ipynb');
  await page.notebook.runCell(0);
  await page.notebook.runCell(1, { wait: false });

  // The run, once it is running with a few losses stored.
  let runId = '';
  await expect
    .poll(
      async () => {
        const runs = await page.request.get(
          `/tflog/api/v1/runs?${new URLSearchParams({ notebook: notebookPath, size: '5' })}`
        );
        const answer = (await runs.json()) as IRunsAnswer;
        runId =
          answer.runs.find(
            run => run.name === 'cmp-live' && run.status === 'running'
          )?.run_id ?? '';
        if (runId === '') {
          return 0;
        }
        const series = await page.request.get(
          `/tflog/api/v1/runs/${encodeURIComponent(runId)}/series?names=loss`
        );
        const lines = ((await series.json()) as ISeriesAnswer).series;
        return Math.max(0, ...lines.map(line => line.points.length));
      },
      { message: 'run cmp-live is running', timeout: RUN_TIMEOUT_MS }
    )
    .toBeGreaterThanOrEqual(2);

  await openComparison(page, [runId]);
  const view = page.locator(`.jp-tflog-compare[data-run-ids="${runId}"]`);
  const chart = view.locator('.jp-tflog-compare-chart');
  const status = view.locator('.jp-tflog-compare-status');
  await expect(chart).toHaveAttribute('data-metric', 'loss');
  await expect(status).toHaveText(
    'Following 1 running run: read again every few seconds.'
  );
  const first = Number(await chart.getAttribute('data-points'));
  expect(first).toBeLessThan(steps);

  // Read again while shown, with no click, until the run has ended.
  await expect
    .poll(async () => Number(await chart.getAttribute('data-points')), {
      message: 'the comparison grows while its run runs',
      timeout: 30_000
    })
    .toBeGreaterThan(first);
  await expect(chart).toHaveAttribute('data-points', String(steps), {
    timeout: RUN_TIMEOUT_MS
  });
  await expect(status).toHaveText('', { timeout: 30_000 });
  await expect(
    view.locator('.jp-tflog-compare-table tr[data-metric="loss"] td')
  ).toHaveText(['0.01667', '0.01667']); // final and best: 1/60
});
