/**
 * The panel's sections fold like the Debugger sidebar's, and stay folded
 * after a reload (the state is kept per user).
 */
import { expect, test } from '@jupyterlab/galata';
import { openTrainingPanel } from './tflog';

test('a folded section stays folded after a reload', async ({ page }) => {
  const panel = await openTrainingPanel(page);
  const titles = panel.locator('.lm-AccordionPanel-title');
  // A title's name is its label alone: the History button sits beside it.
  await expect(titles.locator('.lm-AccordionPanel-titleLabel')).toHaveText([
    'Run',
    'Metrics',
    'System',
    'This notebook',
    'All my notebooks'
  ]);
  await expect(titles.nth(4)).toHaveAccessibleName('All my notebooks Section');
  await expect(
    titles.nth(4).getByRole('button', { name: 'History' })
  ).toBeVisible();
  const allRuns = panel.locator('[data-section="all-runs"]');
  await expect(allRuns).toBeVisible();

  // Titles are buttons for the keyboard too (and a notification cannot get in the way).
  await titles.nth(4).focus();
  await page.keyboard.press('Enter');
  await expect(allRuns).toBeHidden();
  await expect(titles.nth(4)).toHaveAttribute('aria-expanded', 'false');
  // Saved a second after the change, into the user's workspace.
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
          const response = await fetch(`${base}lab/api/workspaces/default`);
          return response.ok ? await response.text() : '';
        }),
      { message: 'the folded section is saved in the workspace' }
    )
    .toContain('tflog:plugin:sections');

  await page.reload({ waitUntil: 'networkidle' });
  const reopened = await openTrainingPanel(page);
  const reopenedTitles = reopened.locator('.lm-AccordionPanel-title');
  await expect(reopenedTitles.nth(4)).toHaveAttribute('aria-expanded', 'false');
  await expect(reopened.locator('[data-section="all-runs"]')).toBeHidden();
  await expect(reopened.locator('[data-section="metrics"]')).toBeVisible();

  // Unfolding is remembered too.
  await reopenedTitles.nth(4).focus();
  await page.keyboard.press('Space');
  await expect(reopened.locator('[data-section="all-runs"]')).toBeVisible();
});
