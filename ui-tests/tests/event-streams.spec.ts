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

test('tabs with the panel open hold one event stream each, and their requests go through', async ({
  context
}) => {
  const pages: Page[] = [];
  // The event streams each tab opened, counted in the browser: the
  // service's own count also holds the streams of other pages (earlier
  // tests') until it notices they are gone.
  const streams: string[] = [];
  for (let index = 0; index < TABS; index += 1) {
    const page = await context.newPage();
    page.on('request', request => {
      if (new URL(request.url()).pathname.endsWith('/tflog/api/v1/events')) {
        streams.push(`tab ${index}`);
      }
    });
    await page.goto('/lab');
    await waitForLabRestored(page);
    await openTrainingPanel(page);
    pages.push(page);
  }
  // The panels are live: each on its tab's one stream.
  for (const page of pages) {
    await expect(page.locator('.jp-tflog-live')).toHaveAttribute(
      'data-live-mode',
      'events'
    );
  }
  expect(streams.sort()).toEqual(['tab 0', 'tab 1', 'tab 2']);
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
