// Debian's Chromium driven by playwright-core (from ui-tests/node_modules:
// the benchmark adds no dependency of its own), and what runs in the page.
// Page functions run in the browser: they reach its globals through
// globalThis.
import { createRequire } from 'module';
import { join } from 'path';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGUMENTS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];

export async function launchChromium(root) {
  const require = createRequire(join(root, 'ui-tests', 'package.json'));
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGUMENTS
  });
}

/** Opens JupyterLab on a notebook and waits until its kernel is idle. */
export async function openNotebook(page, serverUrl, notebookPath) {
  await page.goto(`${serverUrl}/lab/tree/${notebookPath}`);
  await page.waitForFunction(() => globalThis.jupyterapp !== undefined);
  await page.evaluate(async () => {
    await globalThis.jupyterapp.restored;
  });
  await page.waitForFunction(
    path => {
      const widget = globalThis.jupyterapp.shell.currentWidget;
      return (
        widget?.context?.path === path &&
        widget.sessionContext?.session?.kernel?.status === 'idle'
      );
    },
    notebookPath,
    { timeout: 120_000 }
  );
}

export async function openTrainingPanel(page) {
  await page.evaluate(async () => {
    await globalThis.jupyterapp.commands.execute('tflog:open-panel');
  });
  await page.locator('#jp-tflog-panel').waitFor({ state: 'visible' });
}

/** Starts every cell of the current notebook without waiting for them. */
export async function runAllCells(page) {
  await page.evaluate(() => {
    globalThis.jupyterapp.commands
      .execute('notebook:run-all-cells')
      .catch(error => {
        globalThis.console.error('run-all-cells failed', error);
      });
  });
}

/**
 * Records, in the page, every change of the `metric` chart's data-last-x
 * with Date.now() (the same wall clock the kernel's time.time() reads) and
 * the run shown. Returns a handle on the list of samples.
 */
export async function startChartRecorder(page, metric) {
  return page.evaluateHandle(metricName => {
    const samples = [];
    const panel = globalThis.document.getElementById('jp-tflog-panel');
    const note = () => {
      const chart = panel.querySelector(
        `.jp-tflog-chart[data-metric="${metricName}"]`
      );
      const lastX = chart?.getAttribute('data-last-x') ?? null;
      const previous = samples[samples.length - 1];
      if (
        lastX === null ||
        (previous !== undefined && previous.lastX === Number(lastX))
      ) {
        return;
      }
      samples.push({
        at: Date.now(),
        lastX: Number(lastX),
        points: Number(chart.getAttribute('data-points')),
        runId:
          panel.querySelector('.jp-tflog-run')?.getAttribute('data-run-id') ??
          null
      });
    };
    new globalThis.MutationObserver(note).observe(panel, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-last-x', 'data-points']
    });
    note();
    return samples;
  }, metric);
}
