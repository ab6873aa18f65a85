/**
 * The panel's controls (metric filter, smoothing, log scale, x axis) are the
 * `tflog:plugin` settings the Settings Editor shows: a change in the panel
 * is saved there, and a change there shows in the panel.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';
import { openTrainingPanel } from './tflog';

/** A `tflog:plugin` setting as the setting registry holds it. */
async function setting(page: Page, key: string): Promise<unknown> {
  return page.evaluate(async key => {
    const registry = await window.galata.getPlugin(
      '@jupyterlab/apputils-extension:settings'
    );
    if (!registry) {
      throw new Error('no setting registry');
    }
    return (await registry.get('tflog:plugin', key)).composite;
  }, key);
}

/** Sets a `tflog:plugin` setting as the Settings Editor does. */
async function setSetting(
  page: Page,
  key: string,
  value: string | number | boolean | string[]
): Promise<void> {
  await page.evaluate(
    async ({ key, value }) => {
      const registry = await window.galata.getPlugin(
        '@jupyterlab/apputils-extension:settings'
      );
      if (!registry) {
        throw new Error('no setting registry');
      }
      await registry.set('tflog:plugin', key, value);
    },
    { key, value }
  );
}

test('the panel’s controls change the panel settings and follow them', async ({
  page
}) => {
  const panel = await openTrainingPanel(page);
  const filter = panel.locator('input.jp-tflog-metric-filter');
  const smoothing = panel.locator('input.jp-tflog-smoothing');
  const smoothingValue = panel.locator('.jp-tflog-smoothing-value');
  const logScale = panel.locator('input.jp-tflog-logscale');
  const axis = panel.locator('select.jp-tflog-xaxis');

  // The defaults: every metric, raw curves, linear y, the automatic axis.
  await expect(filter).toHaveValue('');
  await expect(smoothingValue).toHaveText('0.00');
  await expect(logScale).not.toBeChecked();
  await expect(axis).toHaveValue('auto');

  await logScale.check();
  await expect.poll(() => setting(page, 'logScale')).toBe(true);

  await filter.fill('loss, *acc*');
  await filter.press('Enter');
  await expect
    .poll(() => setting(page, 'defaultMetrics'))
    .toEqual(['loss', '*acc*']);

  // The keyboard moves the slider; End is its largest value.
  await smoothing.focus();
  await page.keyboard.press('End');
  await expect(smoothingValue).toHaveText('0.99');
  await expect.poll(() => setting(page, 'smoothing')).toBe(0.99);

  await axis.selectOption('epoch');
  await expect.poll(() => setting(page, 'xAxis')).toBe('epoch');

  // Changed where the Settings Editor changes them: the panel follows.
  await setSetting(page, 'logScale', false);
  await setSetting(page, 'smoothing', 0.3);
  await setSetting(page, 'defaultMetrics', ['val_*']);
  await setSetting(page, 'xAxis', 'time');
  await expect(logScale).not.toBeChecked();
  await expect(smoothingValue).toHaveText('0.30');
  await expect(smoothing).toHaveValue('0.3');
  await expect(filter).toHaveValue('val_*');
  await expect(axis).toHaveValue('time');
});
