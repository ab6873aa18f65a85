/**
 * Playwright configuration of the Galata specs that run through a real
 * JupyterHub (tests-hub/). The hub is already up: tests/hub/run_galata.py
 * starts it (user alice, the tflog extension in her server), runs
 * `playwright test --config playwright.hub.config.ts` and stops it; there is
 * no webServer here.
 *
 * The browser is a logged-in hub user, as in real use: the `login` project
 * signs in through the hub's login form once and saves the cookies, and the
 * specs reuse them. JupyterLab, its websockets and the panel's event stream
 * (EventSource, which cannot send headers) all go by those cookies. The
 * specs' own REST calls (uploads, checks, clean-up) use alice's API token.
 *
 * Environment (set by tests/hub/run_galata.py; the config refuses to load
 * without them):
 *   TFLOG_HUB_UI_URL        the hub's public URL
 *   TFLOG_HUB_UI_USER       the user (alice)
 *   TFLOG_HUB_UI_USER_URL   `<hub>/user/<user>/`
 *   TFLOG_HUB_UI_PASSWORD   the hub's shared password
 *   TFLOG_HUB_UI_TOKEN      the user's API token
 *   TFLOG_HUB_UI_WORK_DIR   where test-results/, report/ and the saved
 *                           login go
 */
import { join } from 'path';
import { defineConfig } from '@playwright/test';
import type { GalataOptions } from '@jupyterlab/galata';

const required = [
  'TFLOG_HUB_UI_URL',
  'TFLOG_HUB_UI_USER',
  'TFLOG_HUB_UI_USER_URL',
  'TFLOG_HUB_UI_PASSWORD',
  'TFLOG_HUB_UI_TOKEN',
  'TFLOG_HUB_UI_WORK_DIR'
];
const unset = required.filter(name => !process.env[name]);
if (unset.length > 0) {
  throw new Error(
    `${unset.join(', ')} not set: run these specs with python tests/hub/run_galata.py, which starts the hub`
  );
}
const workDir = process.env.TFLOG_HUB_UI_WORK_DIR as string;
const userUrl = process.env.TFLOG_HUB_UI_USER_URL as string;

// Where the login project saves the hub's cookies for the specs (workers
// inherit the runner's environment).
const loginState = (process.env.TFLOG_HUB_UI_LOGIN_STATE = join(
  workDir,
  'hub-login.json'
));

export default defineConfig<GalataOptions>({
  testDir: './tests-hub',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 180_000,
  globalTimeout: 600_000,
  expect: { timeout: 30_000 },
  outputDir: join(workDir, 'test-results'),
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: join(workDir, 'report') }]
  ],
  reportSlowTests: null,
  use: {
    viewport: { width: 1024, height: 768 },
    // Relative URLs of the specs' requests resolve under the user's server;
    // Galata appends appPath to baseURL for pages, hence no leading '/'.
    baseURL: userUrl,
    appPath: 'lab',
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    },
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure'
  },
  projects: [
    { name: 'login', testMatch: /\.setup\.ts$/ },
    {
      name: 'hub',
      testMatch: /\.spec\.ts$/,
      dependencies: ['login'],
      use: { storageState: loginState }
    }
  ]
});
