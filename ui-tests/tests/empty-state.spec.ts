/**
 * A notebook without runs: the panel shows the lines that make a run as
 * code, and Insert cell puts each into the notebook as a new code cell.
 */
import { expect, test } from '@jupyterlab/galata';
import { notebookContent, openTrainingPanel } from './tflog';

test('the empty state inserts the lines that make a run into the notebook', async ({
  page,
  tmpPath
}) => {
  const notebookPath = `${tmpPath}/fresh.ipynb`;
  expect(
    await page.contents.uploadContent(
      notebookContent(['x = 1']),
      'text',
      notebookPath
    )
  ).toBe(true);
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('fresh.ipynb');
  const panel = await openTrainingPanel(page);

  const empty = panel.locator('.jp-tflog-empty');
  await expect(empty).toBeVisible();
  await expect(empty.locator('.jp-tflog-empty-message')).toHaveText(
    'No runs yet for fresh.ipynb.'
  );
  await expect(empty.locator('code')).toHaveText([
    '%load_ext tflog',
    '%%tflog my-run'
  ]);
  // Said once: the notebook's empty run list steps aside.
  await expect(
    panel.locator('.jp-tflog-runs[data-scope="notebook"]')
  ).toBeHidden();

  expect(await page.notebook.getCellCount()).toBe(1);
  await empty
    .locator('li[data-step="load"] button.jp-tflog-empty-insert')
    .click();
  await expect.poll(() => page.notebook.getCellCount()).toBe(2);
  expect(await page.notebook.getCellTextInput(1)).toBe('%load_ext tflog');

  await empty
    .locator('li[data-step="run"] button.jp-tflog-empty-insert')
    .click();
  await expect.poll(() => page.notebook.getCellCount()).toBe(3);
  expect(await page.notebook.getCellTextInput(2)).toBe('%%tflog my-run');
  expect(await page.notebook.getCellTextInput(0)).toBe('x = 1');
});
