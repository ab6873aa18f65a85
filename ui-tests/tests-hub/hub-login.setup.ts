/**
 * Signs in to the hub through its login form, as a person does, follows the
 * OAuth redirects to the user's JupyterLab, and saves the cookies for the
 * specs (the `hub` project's storageState).
 */
import { expect, test } from '@playwright/test';
import { HUB_URL, HUB_USER, hubSetting, USER_URL } from './hub';

test('log in to the hub', async ({ page }) => {
  const labUrl = `${USER_URL}lab`;
  await page.goto(
    `${HUB_URL}/hub/login?next=${encodeURIComponent(new URL(labUrl).pathname)}`
  );
  await page.locator('#username_input').fill(HUB_USER);
  await page
    .locator('#password_input')
    .fill(hubSetting('TFLOG_HUB_UI_PASSWORD'));
  await page.locator('#login_submit').click();
  // Through the hub's OAuth authorisation to the user's own server.
  await page.waitForURL(url => url.href.startsWith(labUrl), {
    timeout: 60_000
  });
  await page.waitForFunction(() => document.querySelector('#main') !== null);
  const cookies = await page.context().cookies();
  expect(
    cookies.map(cookie => cookie.name),
    'the hub and the user server have set their login cookies'
  ).toEqual(
    expect.arrayContaining([
      'jupyterhub-session-id',
      `jupyterhub-user-${HUB_USER}`
    ])
  );
  await page
    .context()
    .storageState({ path: hubSetting('TFLOG_HUB_UI_LOGIN_STATE') });
});
