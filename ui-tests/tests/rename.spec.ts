/**
 * A renamed notebook's next run is stored under its new path: the frontend
 * tells the kernel, and the documents in Elasticsearch carry the new
 * `tflog.notebook`, while the earlier run keeps the old one.
 */
import { expect, test } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import {
  logDocumentsOfNotebook,
  notebookContent,
  openTrainingPanel,
  RUN_TIMEOUT_MS,
  shortRunCell,
  waitForFinishedRun
} from './tflog';

/** Paths of the server's kernel sessions. */
async function sessionPaths(request: APIRequestContext): Promise<string[]> {
  const response = await request.get('/api/sessions');
  expect(response.ok()).toBe(true);
  const sessions = (await response.json()) as { path: string }[];
  return sessions.map(session => session.path);
}

/** The distinct run ids among documents tagged with a notebook path. */
async function runIdsStoredFor(notebookPath: string): Promise<string[]> {
  const documents = await logDocumentsOfNotebook(notebookPath);
  return Array.from(new Set(documents.map(doc => doc.tflog.run_id))).sort();
}

test('runs after a rename are stored under the new notebook path', async ({
  page,
  tmpPath
}) => {
  const oldPath = `${tmpPath}/before-rename.ipynb`;
  const newPath = `${tmpPath}/after-rename.ipynb`;
  const content = notebookContent([
    '%load_ext tflog',
    shortRunCell('rename', 4)
  ]);
  expect(await page.contents.uploadContent(content, 'text', oldPath)).toBe(
    true
  );
  expect(await page.notebook.openByPath(oldPath)).toBe(true);
  await page.notebook.activate('before-rename.ipynb');
  const panel = await openTrainingPanel(page);

  await page.notebook.runCell(0);
  await page.notebook.runCell(1, { inplace: true });
  const firstRunId = await waitForFinishedRun(panel);
  await expect
    .poll(async () => runIdsStoredFor(oldPath), { timeout: RUN_TIMEOUT_MS })
    .toEqual([firstRunId]);

  // Galata renames through the document manager, as the file browser does,
  // so the open notebook and its kernel session follow.
  expect(await page.contents.renameFile(oldPath, newPath)).toBe(true);
  await expect.poll(async () => sessionPaths(page.request)).toContain(newPath);
  await page.notebook.activate('after-rename.ipynb');

  await page.notebook.runCell(1, { inplace: true });
  const secondRunId = await waitForFinishedRun(panel, firstRunId);

  await expect
    .poll(async () => runIdsStoredFor(newPath), { timeout: RUN_TIMEOUT_MS })
    .toEqual([secondRunId]);
  const renamedDocuments = await logDocumentsOfNotebook(newPath);
  expect(renamedDocuments.map(doc => doc.tflog.kind)).toEqual(
    expect.arrayContaining(['run_start', 'step', 'run_end'])
  );
  // The first run's documents keep the path it ran under.
  expect(await runIdsStoredFor(oldPath)).toEqual([firstRunId]);
});
