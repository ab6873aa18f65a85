/**
 * The extension loads and its panel opens. Plain Playwright (no Galata
 * fixtures), so the same spec runs against every JupyterLab 4.x: Galata's
 * in-page helpers come from the server's JupyterLab and differ between
 * versions.
 */
import { expect, test } from '@playwright/test';
import type { JupyterFrontEnd } from '@jupyterlab/application';
import {
  OPEN_PANEL_COMMAND,
  openTrainingPanel,
  PANEL_ID,
  waitForLabRestored
} from './tflog';

/** The store the service was configured with (see playwright.config.ts). */
const expectedStoreKind = process.env.TFLOG_UI_ES_URL
  ? 'elasticsearch'
  : 'embedded';

test.beforeEach(async ({ page }) => {
  await page.goto('/lab');
  await waitForLabRestored(page);
});

test('the tflog plugins are activated and the command is registered', async ({
  page
}) => {
  // The JupyterLab the server was started from (playwright.config.ts).
  expect(await page.evaluate(() => window.jupyterapp.version)).toBe(
    process.env.TFLOG_UI_JUPYTERLAB_VERSION
  );
  const state = await page.evaluate(command => {
    const app: JupyterFrontEnd = window.jupyterapp;
    const plugins = app.listPlugins().filter(id => id.startsWith('tflog'));
    return {
      plugins,
      inactive: plugins.filter(id => !app.isPluginActivated(id)),
      hasCommand: app.commands.hasCommand(command),
      label: app.commands.hasCommand(command) ? app.commands.label(command) : ''
    };
  }, OPEN_PANEL_COMMAND);
  expect(state.plugins.length).toBeGreaterThan(0);
  expect(state.inactive).toEqual([]);
  expect(state.hasCommand).toBe(true);
  expect(state.label).toBe('Open Training Panel');
});

test('the Training panel opens in the right sidebar and reaches the service', async ({
  page
}) => {
  const panel = await openTrainingPanel(page);
  const placement = await page.evaluate(panelId => {
    const app: JupyterFrontEnd = window.jupyterapp;
    const widget = Array.from(app.shell.widgets('right')).find(
      candidate => candidate.id === panelId
    );
    return { inRightArea: widget !== undefined, label: widget?.title.label };
  }, PANEL_ID);
  expect(placement).toEqual({ inRightArea: true, label: 'Training' });
  await expect(page.locator(`#jp-right-stack #${PANEL_ID}`)).toBeVisible();
  // The store line is filled from the service's /status, through the proxy.
  await expect(panel.locator('.jp-tflog-store')).toHaveAttribute(
    'data-store-kind',
    expectedStoreKind
  );
  await expect(panel.locator('.jp-tflog-error')).toBeHidden();
  await expect(panel.locator('.jp-tflog-runs[data-scope="all"]')).toHaveCount(
    1
  );
});
