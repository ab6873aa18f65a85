/**
 * What the hub specs share: the hub's settings (environment set by
 * tests/hub/run_galata.py) and Galata's `test` with fixtures adapted to a
 * server under `<hub>/user/<name>/`.
 *
 * Galata's own `tmpPath`, `kernels` and `sessions` fixtures call the
 * Jupyter server at absolute paths (`/api/contents`, `/api/kernels/<id>`),
 * i.e. at the hub's root rather than at the user's server, and without the
 * user's credentials. They are replaced here by the same steps on `hubApi`:
 * requests relative to the user's server with the user's API token.
 */
import { expect, test as galataTest } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';
import { basename } from 'path';

export function hubSetting(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run these specs with python tests/hub/run_galata.py`
    );
  }
  return value;
}

export const HUB_URL = hubSetting('TFLOG_HUB_UI_URL');
export const HUB_USER = hubSetting('TFLOG_HUB_UI_USER');
/** `<hub>/user/<name>/` */
export const USER_URL = hubSetting('TFLOG_HUB_UI_USER_URL');

interface IHubFixtures {
  /** The user's server through the hub, authenticated by the user's token. */
  hubApi: APIRequestContext;
}

/** Deletes kernels or sessions a test started (Galata records their ids). */
async function deleteRunners(
  hubApi: APIRequestContext,
  kind: 'kernels' | 'sessions',
  ids: Iterable<string>
): Promise<void> {
  for (const id of new Set(ids)) {
    const response = await hubApi.delete(`api/${kind}/${id}`);
    // 404: already gone (a session's kernel goes with the session).
    expect(
      [204, 404],
      `DELETE api/${kind}/${id}: ${response.status()}`
    ).toContain(response.status());
  }
}

export const test = galataTest.extend<IHubFixtures>({
  hubApi: async ({ playwright }, use) => {
    const context = await playwright.request.newContext({
      baseURL: USER_URL,
      extraHTTPHeaders: {
        Authorization: `token ${hubSetting('TFLOG_HUB_UI_TOKEN')}`
      }
    });
    await use(context);
    await context.dispose();
  },
  // A folder per test in the user's home; the home goes with the hub's work
  // directory, so nothing is deleted here.
  tmpPath: async ({ hubApi }, use, testInfo) => {
    const folder = basename(testInfo.outputDir).replace(/-retry\d+$/i, '');
    const response = await hubApi.put(
      `api/contents/${encodeURIComponent(folder)}`,
      { data: { type: 'directory' } }
    );
    expect(response.status(), await response.text()).toBe(201);
    await use(folder);
  },
  kernels: async ({ hubApi }, use) => {
    const kernels = new Map();
    await use(kernels);
    await deleteRunners(hubApi, 'kernels', kernels.keys());
  },
  sessions: async ({ hubApi }, use) => {
    const sessions = new Map();
    await use(sessions);
    await deleteRunners(hubApi, 'sessions', sessions.keys());
  }
});

export { expect };
