/**
 * The browser's connections to the server: each open event stream holds one
 * of the six HTTP/1.1 connections a browser keeps to a host over all its
 * tabs, and Jupyter Server speaks HTTP/1.1 only. The panel and the alerts
 * share one stream per page, so three JupyterLab tabs with the panel open
 * hold three streams and their other requests still get a connection.
 * Plain Playwright, several pages of one browser context.
 */
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openTrainingPanel, waitForLabRestored } from './tflog';

const TABS = 3;

interface IStatusAnswer {
  api: { events: { clients: number } };
}

test('tabs with the panel open hold one event stream each, and their requests go through', async ({
  context
}) => {
  const pages: Page[] = [];
  for (let index = 0; index < TABS; index += 1) {
    const page = await context.newPage();
    await page.goto('/lab');
    await waitForLabRestored(page);
    await openTrainingPanel(page);
    pages.push(page);
  }
  const first = pages[0];
  await expect
    .poll(
      async () => {
        const status = await first.request.get('/tflog/api/v1/status');
        expect(status.ok()).toBe(true);
        return ((await status.json()) as IStatusAnswer).api.events.clients;
      },
      { message: 'the service counts one event stream per tab' }
    )
    .toBe(TABS);
  // Every tab can still reach the server (with two streams a tab, the
  // third tab's own requests waited for a free connection).
  for (const page of pages) {
    expect(
      await page.evaluate(async () => {
        const answer = await fetch('/api/contents?content=0');
        return answer.status;
      })
    ).toBe(200);
  }
});
