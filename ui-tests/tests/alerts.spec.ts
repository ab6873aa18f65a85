/**
 * A run that goes NaN while its cell still runs: JupyterLab shows one
 * notification naming the metric, step, run and notebook, and its
 * "Interrupt kernel" action stops the cell.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import { notebookContent, openTrainingPanel, RUN_TIMEOUT_MS } from './tflog';

const NAN_CELL = [
  '%%tflog nan-alert',
  'import time',
  "for step, loss in enumerate(['0.9', '0.7', 'nan'], 1):",
  "    print(f'step {step} loss={loss}', flush=True)",
  '    time.sleep(0.3)',
  '# Goes on as a real training loop would, until it is interrupted.',
  'for _ in range(1200):',
  '    time.sleep(0.1)',
  "print('never interrupted')"
].join('\n');

/** How many alerts the service stored for the notebook's newest run. */
async function storedAlerts(
  request: APIRequestContext,
  notebookPath: string
): Promise<number> {
  const runs = await request.get(
    `/tflog/api/v1/runs?${new URLSearchParams({ notebook: notebookPath, size: '1' })}`
  );
  expect(runs.ok()).toBe(true);
  const newest = ((await runs.json()) as { runs: { run_id: string }[] })
    .runs[0];
  if (newest === undefined) {
    return 0;
  }
  const logs = await request.get(
    `/tflog/api/v1/runs/${encodeURIComponent(newest.run_id)}/logs?kind=alert`
  );
  expect(logs.ok()).toBe(true);
  return ((await logs.json()) as { lines: unknown[] }).lines.length;
}

// Galata's kernels mock reads every POST answer as JSON; an interrupt answers
// 204 with no body. Sessions are still tracked (and their kernels shut down).
test.use({ kernels: null });

test('a NaN raises one notification whose Interrupt kernel stops the cell', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(RUN_TIMEOUT_MS + 60_000);
  const notebookPath = `${tmpPath}/nan-alert.ipynb`;
  expect(
    await page.contents.uploadContent(
      notebookContent(['%load_ext tflog', NAN_CELL]),
      'text',
      notebookPath
    )
  ).toBe(true);
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('nan-alert.ipynb');
  await page.notebook.runCell(0);
  await page.notebook.runCell(1, { wait: false });

  const toast = page
    .locator('.Toastify__toast')
    .filter({ hasText: 'loss became NaN at step 3' });
  await expect(toast).toHaveCount(1, { timeout: RUN_TIMEOUT_MS });
  await expect(toast).toContainText('run “nan-alert”');
  await expect(toast).toContainText('nan-alert.ipynb');
  await expect(
    toast.getByRole('button', { name: 'Show in panel' })
  ).toBeVisible();

  // One alert, one notification: once the service has stored the run's
  // alert, its records are parsed and no other came (an action closes its
  // notification, so this is checked before).
  await expect
    .poll(() => storedAlerts(request, notebookPath), {
      message: 'the NaN alert is stored with its run',
      timeout: RUN_TIMEOUT_MS
    })
    .toBe(1);
  await expect(
    page.locator('.Toastify__toast').filter({ hasText: 'nan-alert' })
  ).toHaveCount(1);

  // The Training panel's tab tells of it while the panel is not in view.
  const badgedTab = page.locator('.lm-TabBar-tab.jp-tflog-mod-alerts');
  await expect(badgedTab).toHaveCount(1);

  await toast.getByRole('button', { name: 'Interrupt kernel' }).click();
  await page.notebook.waitForRun(1);
  const output = await page.notebook.getCellTextOutput(1);
  expect(output?.join('\n')).toMatch(/KeyboardInterrupt/);
  expect(output?.join('\n')).not.toMatch(/^never interrupted$/m);

  // Showing the panel counts as seeing the alert.
  await openTrainingPanel(page);
  await expect(badgedTab).toHaveCount(0);
});
