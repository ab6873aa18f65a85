/**
 * The browser's connections to the server: each open event stream holds one
 * of the six HTTP/1.1 connections a browser keeps to a host over all its
 * tabs, and Jupyter Server speaks HTTP/1.1 only. The tabs of one browser
 * share one stream: the tab holding a Web Lock opens it and repeats it to
 * the others over a BroadcastChannel; when that tab closes, the next one
 * opens its own. Several pages of one browser context, as tabs of one
 * browser window.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import {
  notebookContent,
  openTrainingPanel,
  shortRunCell,
  shownRun,
  waitForFinishedRun,
  waitForLabRestored
} from './tflog';

/** Counts the event streams a tab opens, in the browser. */
function countStreams(page: Page, name: string, streams: string[]): void {
  page.on('request', request => {
    if (new URL(request.url()).pathname.endsWith('/tflog/api/v1/events')) {
      streams.push(name);
    }
  });
}

async function liveMode(page: Page): Promise<string | null> {
  return page.locator('.jp-tflog-live').getAttribute('data-live-mode');
}

test('the tabs of a browser share one event stream, and another tab takes it over when the leading tab closes', async ({
  page,
  context,
  tmpPath
}) => {
  const streams: string[] = [];
  // The test's own tab opened the first stream as JupyterLab started (the
  // alerts follow it in every tab): it leads.
  countStreams(page, 'test tab', streams);
  const tabs: Page[] = [];
  for (const name of ['tab 1', 'tab 2']) {
    const tab = await context.newPage();
    countStreams(tab, name, streams);
    await tab.goto('/lab');
    await waitForLabRestored(tab);
    await openTrainingPanel(tab);
    tabs.push(tab);
  }
  // Their panels are live on the leading tab's stream: they opened none.
  for (const tab of tabs) {
    await expect.poll(() => liveMode(tab)).toBe('events');
  }
  expect(streams).toEqual([]);
  // Every tab can reach the server.
  for (const tab of [page, ...tabs]) {
    expect(
      await tab.evaluate(async () => {
        const answer = await fetch('/api/contents?content=0');
        return answer.status;
      })
    ).toBe(200);
  }

  // Loaded again, the test's tab goes to the back of the line: tab 1 leads.
  await page.reload();
  await waitForLabRestored(page);
  await expect.poll(() => [...streams]).toEqual(['tab 1']);

  // The test's tab hears the events of tab 1's stream: a run started here
  // shows in its panel (a new run is announced only by the stream: the
  // panel's lists are read when it is shown and 2 s later, then on events).
  const notebookPath = `${tmpPath}/shared-stream.ipynb`;
  expect(
    await page.contents.uploadContent(
      notebookContent([
        '%load_ext tflog',
        shortRunCell('first-leader'),
        shortRunCell('second-leader')
      ]),
      'text',
      notebookPath
    )
  ).toBe(true);
  expect(await page.notebook.openByPath(notebookPath)).toBe(true);
  await page.notebook.activate('shared-stream.ipynb');
  // When the panel reads the notebook's runs: as it is shown, and 2 s later.
  const notebookReads: number[] = [];
  page.on('request', request => {
    const url = new URL(request.url());
    if (
      url.pathname.endsWith('/tflog/api/v1/runs') &&
      url.searchParams.has('notebook')
    ) {
      notebookReads.push(Date.now());
    }
  });
  const panel = await openTrainingPanel(page);
  await expect.poll(() => liveMode(page)).toBe('events');
  await expect(shownRun(panel)).not.toHaveAttribute('data-run-id', /./);
  // Its second read has gone by: from now on only the stream tells it of a run.
  await expect
    .poll(() => (notebookReads.at(-1) ?? 0) - (notebookReads[0] ?? 0), {
      message: 'the panel read the notebook runs again after it was shown'
    })
    .toBeGreaterThanOrEqual(1500);
  await page.notebook.runCell(0);
  await page.notebook.runCell(1);
  const firstRun = await waitForFinishedRun(panel);

  // Tab 1 closes: tab 2 opens the stream, and the test's tab hears it.
  await tabs[0].close();
  await expect.poll(() => [...streams]).toEqual(['tab 1', 'tab 2']);
  await page.notebook.runCell(2);
  await waitForFinishedRun(panel, firstRun);
  expect(streams).toEqual(['tab 1', 'tab 2']);
  await expect.poll(() => liveMode(tabs[1])).toBe('events');
});
