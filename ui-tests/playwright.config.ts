/**
 * Playwright configuration of the Galata suite.
 *
 * The Jupyter server is started by Playwright (`webServer`) with the
 * `jupyter` executable named by TFLOG_UI_JUPYTER, so the same specs run against the
 * newest JupyterLab and an old 4.0.x (scripts/ui-test.sh does both).
 * Everything the server writes (Jupyter data, runtime and config dirs, the
 * tflog spool, state and store) lives under one temporary work directory.
 *
 * Environment (all optional; scripts/ui-test.sh sets them):
 *   TFLOG_UI_JUPYTER       jupyter executable (default ../.venv/bin/jupyter)
 *   TFLOG_UI_PORT          server port (default 18900)
 *   TFLOG_UI_ES_URL        Elasticsearch for the service; unset: embedded store
 *   TFLOG_UI_INDEX_PREFIX  index prefix (default tflog-ui-<random>-)
 *   TFLOG_UI_WORK_DIR      work directory (default a new temporary one);
 *                          the server logs to jupyter.log there, Playwright
 *                          writes test-results/ and report/ there
 */
import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync } from 'fs';
import { randomBytes } from 'crypto';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { defineConfig } from '@playwright/test';

// The config is evaluated in the runner and again in every worker; workers
// inherit the runner's environment, so values chosen here are chosen once.
const env = process.env;
const workDir = (env.TFLOG_UI_WORK_DIR ??= mkdtempSync(
  join(tmpdir(), 'tflog-ui-')
));
const indexPrefix =
  (env.TFLOG_UI_INDEX_PREFIX ??= `tflog-ui-${randomBytes(4).toString('hex')}-`);
const port = Number(env.TFLOG_UI_PORT ?? '18900');
const jupyter =
  env.TFLOG_UI_JUPYTER ?? resolve(__dirname, '../.venv/bin/jupyter');
// The smoke spec checks that the page runs this very JupyterLab.
env.TFLOG_UI_JUPYTERLAB_VERSION ??= execFileSync(
  jupyter,
  ['lab', '--version'],
  {
    encoding: 'utf-8'
  }
).trim();
const serverRoot = join(workDir, 'root');
mkdirSync(serverRoot, { recursive: true });

/** The Jupyter server's environment: isolated directories, the store. */
const serverEnvironment: Record<string, string> = {
  JUPYTER_DATA_DIR: join(workDir, 'data'),
  JUPYTER_RUNTIME_DIR: join(workDir, 'runtime'),
  JUPYTER_CONFIG_DIR: join(workDir, 'config'),
  IPYTHONDIR: join(workDir, 'ipython'),
  JUPYTERLAB_GALATA_ROOT_DIR: serverRoot,
  TFLOG_UI_PORT: String(port),
  TFLOG_SPOOL_DIR: join(workDir, 'tflog', 'spool'),
  TFLOG_STATE_DIR: join(workDir, 'tflog', 'state'),
  TFLOG_STORE_DIR: join(workDir, 'tflog', 'store'),
  TFLOG_SOCKET: join(workDir, 'runtime', 'tflog.sock'),
  TFLOG_INDEX_PREFIX: indexPrefix,
  // Empty (not inherited from the caller): the embedded store.
  TFLOG_ES_URLS: env.TFLOG_UI_ES_URL ?? '',
  // Keeps TensorFlow's C++ start-up chatter out of the server log.
  TF_CPP_MIN_LOG_LEVEL: '2'
};
const serverLog = join(workDir, 'jupyter.log');

const chromiumArguments = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

// Galata's base configuration (@jupyterlab/galata/lib/playwright-config),
// spelt out: every one of its settings is adapted here.
export default defineConfig({
  testDir: './tests',
  // Kernels train real models: one at a time on a small machine.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 240_000,
  expect: { timeout: 30_000 },
  // Results stay out of the source tree, in the work directory.
  outputDir: join(workDir, 'test-results'),
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: join(workDir, 'report') }]
  ],
  globalTeardown: './global-teardown.ts',
  reportSlowTests: null,
  use: {
    viewport: { width: 1024, height: 768 },
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: chromiumArguments
    },
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure'
  },
  webServer: {
    // The server's log goes to a file: scripts/ui-test.sh shows it on failure.
    command: `"${jupyter}" lab --config jupyter_server_test_config.py >>"${serverLog}" 2>&1`,
    url: `http://127.0.0.1:${port}/lab`,
    env: serverEnvironment,
    timeout: 120_000,
    reuseExistingServer: false,
    // SIGTERM lets the server stop its kernels and the tflog service.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 }
  }
});
