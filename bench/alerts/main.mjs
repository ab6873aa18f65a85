// NaN-to-notification latency of alerts, in real Chromium.
//
//   node bench/alerts/main.mjs [--trials 20] [--warmup 1] [--hold-ms 2000]
//                              [--stores elasticsearch,embedded]
//
// For each store: a Jupyter server with the tflog service (and a test
// Elasticsearch node from scripts/es-start.sh, or the cluster named by
// TFLOG_TEST_ES_URL), Debian's Chromium on a notebook, then one `%%tflog
// trial-K` cell per trial, run one after the other. Each prints two finite
// `step i loss=v` lines, notes time.time() right before printing `step 3
// loss=nan`, then goes quiet for --hold-ms (a long training step: nothing
// after the NaN line pushes it along) and writes the emit time to a file. In
// the page a MutationObserver notes Date.now() when a `.Toastify__toast`
// naming the run appears (the notification is in the page; its slide-in
// animation is not counted). Both clocks are this machine's wall clock, so
// latency = toast time - emit time. The page also listens on the service's
// event stream itself and notes when the alert arrives there, which splits
// the latency into "to the page" and "drawn". Toasts are dismissed between
// trials. The first --warmup trials (the kernel's first run, Lab loading
// its notification code) are reported apart, not in the figures.
//
// Prints a table and merges `alerts.*` keys into bench/results/latest.json
// (or TFLOG_BENCH_RESULTS): alerts.nan_to_notification_ms.{p50,p95,p99,mean,
// min,max,n,missing} and alerts.nan_to_stream_ms.* for the first store
// (Elasticsearch by default), alerts.<store>.* for the others, alerts.meta.
// Goal: NaN to notification p95 < 1000 ms on both stores.
import { execFileSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { cpus, loadavg } from 'os';
import { dirname, join } from 'path';
import { setTimeout as delay } from 'timers/promises';
import { fileURLToPath } from 'url';
import { parseArgs } from 'util';

import { openNotebook } from '../latency/browser.mjs';
import {
  measureEntries,
  measureStores,
  printMeasures,
  waitForFile
} from '../latency/perStore.mjs';
import { startStoreServer } from '../latency/servers.mjs';
import { mergeResults } from '../latency/stats.mjs';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
// TFLOG_BENCH_RESULTS: another file (a --quick check must not overwrite figures).
const RESULTS =
  process.env.TFLOG_BENCH_RESULTS ||
  join(ROOT, 'bench', 'results', 'latest.json');
const JUPYTER = join(ROOT, '.venv', 'bin', 'jupyter');
const JUPYTER_PORT = 18970;
const ES_PORT = 18971;
const NOTEBOOK = 'alerts.ipynb';
const STORES = ['elasticsearch', 'embedded'];
const NAN_STEP = 3;
/** How long after its NaN line a trial's notification may come at most. */
const TOAST_TIMEOUT_MS = 20_000;

const { values: options } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '1' },
    'hold-ms': { type: 'string', default: '2000' },
    stores: { type: 'string', default: STORES.join(',') },
    'keep-work-dir': { type: 'boolean', default: false }
  }
});
const trials = Number(options.trials);
const warmup = Number(options.warmup);
const holdMs = Number(options['hold-ms']);
const stores = options.stores.split(',').filter(Boolean);
for (const store of stores) {
  if (!STORES.includes(store)) {
    throw new Error(
      `--stores: unknown store ${store} (one of ${STORES.join(', ')})`
    );
  }
}
if (
  !Number.isInteger(trials) ||
  trials < 1 ||
  !Number.isInteger(warmup) ||
  warmup < 0 ||
  !(holdMs >= 0)
) {
  throw new Error(
    '--trials must be a whole number >= 1, --warmup >= 0, --hold-ms >= 0'
  );
}

const runName = trial => `trial-${trial}`;
const emittedFile = trial => `alerts-emitted-${trial}.json`;

/** Trial 1..warmup+trials: two finite steps, the NaN step, then quiet. */
function trialCell(trial) {
  return [
    `%%tflog ${runName(trial)}`,
    'import json, time',
    'emitted = []',
    `for step in range(1, ${NAN_STEP}):`,
    "    print(f'step {step} loss={1.0 / step:.6f}', flush=True)",
    '    time.sleep(0.2)',
    `emitted.append([${NAN_STEP}, time.time()])`,
    `print('step ${NAN_STEP} loss=nan', flush=True)`,
    `time.sleep(${holdMs / 1000})`,
    `with open(${JSON.stringify(emittedFile(trial))}, 'w') as emitted_file:`,
    '    json.dump(emitted, emitted_file)'
  ].join('\n');
}

function notebookJson() {
  const cell = source => ({
    cell_type: 'code',
    execution_count: null,
    metadata: {},
    outputs: [],
    source
  });
  const cells = [cell('%load_ext tflog')];
  for (let trial = 1; trial <= warmup + trials; trial++) {
    cells.push(cell(trialCell(trial)));
  }
  return JSON.stringify({
    cells: cells,
    metadata: {
      kernelspec: {
        display_name: 'Python 3',
        language: 'python',
        name: 'python3'
      }
    },
    nbformat: 4,
    nbformat_minor: 4
  });
}

/**
 * Records, in the page, Date.now() when a notification of a NaN first names
 * each run (toasts), and when the service's event stream first brings an
 * alert of each run (stream). Returns a handle on both maps, by run name.
 */
async function startAlertRecorder(page, eventsUrl) {
  return page.evaluateHandle(url => {
    const seen = { open: false, toasts: {}, stream: {}, texts: {} };
    const note = () => {
      for (const toast of globalThis.document.querySelectorAll(
        '.Toastify__toast'
      )) {
        // The message without the action buttons' labels.
        const copy = toast.cloneNode(true);
        for (const button of copy.querySelectorAll('button')) {
          button.remove();
        }
        const text = (copy.textContent ?? '').trim();
        const match = /became NaN.*run “([^”]+)”/.exec(text);
        if (match !== null && seen.toasts[match[1]] === undefined) {
          seen.toasts[match[1]] = Date.now();
          seen.texts[match[1]] = text;
        }
      }
    };
    new globalThis.MutationObserver(note).observe(globalThis.document.body, {
      subtree: true,
      childList: true,
      characterData: true
    });
    const source = new globalThis.EventSource(url, { withCredentials: true });
    source.onopen = () => {
      seen.open = true;
    };
    source.onmessage = event => {
      const at = Date.now();
      const data = JSON.parse(event.data);
      const name = data?.alert?.run_name;
      if (
        data?.type === 'alert' &&
        typeof name === 'string' &&
        seen.stream[name] === undefined
      ) {
        seen.stream[name] = at;
      }
    };
    note();
    return seen;
  }, eventsUrl);
}

/** Resolves once the recorder's own EventSource is open. */
async function waitForStream(recorder) {
  const deadline = Date.now() + 30_000;
  while (!(await recorder.evaluate(seen => seen.open))) {
    if (Date.now() > deadline) {
      throw new Error('the event stream did not open within 30 s');
    }
    await delay(50);
  }
}

/** Starts cell `index` of the current notebook without waiting for it. */
async function runCell(page, index) {
  await page.evaluate(cellIndex => {
    const notebook = globalThis.jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = cellIndex;
    globalThis.jupyterapp.commands
      .execute('notebook:run-cell')
      .catch(error => globalThis.console.error('run-cell failed', error));
  }, index);
}

async function waitForIdle(page, timeoutMs) {
  await page.waitForFunction(
    () =>
      globalThis.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel
        ?.status === 'idle',
    null,
    { timeout: timeoutMs }
  );
}

/** Dismisses every notification and waits until no toast is left on screen. */
async function dismissToasts(page) {
  await page.evaluate(async () => {
    for (const toast of globalThis.document.querySelectorAll(
      '.Toastify__toast'
    )) {
      if (toast.id) {
        await globalThis.jupyterapp.commands.execute(
          'apputils:dismiss-notification',
          { id: toast.id }
        );
      }
    }
  });
  await page.waitForFunction(
    () => globalThis.document.querySelectorAll('.Toastify__toast').length === 0,
    null,
    { timeout: 10_000 }
  );
}

async function measure(store, workDir, browser) {
  const { server, close } = await startStoreServer({
    root: ROOT,
    jupyter: JUPYTER,
    port: JUPYTER_PORT,
    esPort: ES_PORT,
    store,
    workDir: join(workDir, store),
    prefixName: 'tflog-bench-alerts-'
  });
  const page = await browser.newPage();
  try {
    writeFileSync(join(server.serverRoot, NOTEBOOK), notebookJson());
    await openNotebook(page, server.url, NOTEBOOK);
    await runCell(page, 0);
    await delay(500);
    await waitForIdle(page, 120_000);
    const recorder = await startAlertRecorder(
      page,
      `${server.url}/tflog/api/v1/events`
    );
    await waitForStream(recorder);
    const measured = [];
    for (let trial = 1; trial <= warmup + trials; trial++) {
      const started = Date.now();
      await runCell(page, trial);
      const file = join(server.serverRoot, emittedFile(trial));
      await waitForFile(file, started + 120_000 + holdMs);
      const [[step, emittedAt]] = JSON.parse(readFileSync(file, 'utf-8'));
      if (step !== NAN_STEP) {
        throw new Error(`${file}: step ${step}, not ${NAN_STEP}`);
      }
      const name = runName(trial);
      const deadline = emittedAt * 1000 + TOAST_TIMEOUT_MS;
      let seen = await recorder.evaluate((s, n) => s.toasts[n] ?? null, name);
      while (seen === null && Date.now() < deadline) {
        await delay(50);
        seen = await recorder.evaluate((s, n) => s.toasts[n] ?? null, name);
      }
      const streamAt = await recorder.evaluate(
        (s, n) => s.stream[n] ?? null,
        name
      );
      const result = {
        trial,
        warmup: trial <= warmup,
        toastMs: seen === null ? null : seen - emittedAt * 1000,
        streamMs: streamAt === null ? null : streamAt - emittedAt * 1000
      };
      measured.push(result);
      console.error(
        `[alerts] ${store} ${name}${result.warmup ? ' (warm-up)' : ''}: ` +
          `notification ${result.toastMs === null ? 'never' : `${Math.round(result.toastMs)} ms`}, ` +
          `stream ${result.streamMs === null ? 'never' : `${Math.round(result.streamMs)} ms`}`
      );
      await waitForIdle(page, 60_000);
      await dismissToasts(page);
    }
    const counted = measured.filter(result => !result.warmup);
    const figures = key => ({
      values: counted
        .map(result => result[key])
        .filter(value => value !== null),
      missing: counted.filter(result => result[key] === null).length
    });
    const sample = await recorder.evaluate(s => Object.values(s.texts)[0]);
    return {
      store,
      toast: figures('toastMs'),
      stream: figures('streamMs'),
      warmup: measured
        .filter(result => result.warmup)
        .map(result => result.toastMs),
      sample: sample ?? null
    };
  } finally {
    await page.close();
    await close();
  }
}

async function main() {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  const { results, browser } = await measureStores({
    root: ROOT,
    name: 'alerts',
    stores,
    describe: `${warmup} warm-up and ${trials} trials, ${holdMs} ms quiet after each NaN`,
    keep: options['keep-work-dir'],
    measure
  });
  printMeasures(
    results,
    result => [
      ['nan_to_notif', result.toast],
      ['nan_to_stream', result.stream]
    ],
    'milliseconds from the NaN line printed in the kernel'
  );

  const entries = {};
  results.forEach((result, index) => {
    const prefix = index === 0 ? 'alerts' : `alerts.${result.store}`;
    Object.assign(
      entries,
      measureEntries(`${prefix}.nan_to_notification_ms`, result.toast),
      measureEntries(`${prefix}.nan_to_stream_ms`, result.stream)
    );
    if (result.toast.missing > 0) {
      console.error(
        `[alerts] ${result.store}: ${result.toast.missing} trial(s) without a notification`
      );
      process.exitCode = 1;
    }
  });
  const jupyterlab = execFileSync(JUPYTER, ['lab', '--version'], {
    encoding: 'utf-8'
  }).trim();
  entries['alerts.meta'] = {
    store: results[0]?.store ?? null,
    stores: results.map(result => result.store),
    trials,
    warmup,
    hold_ms: holdMs,
    nan_step: NAN_STEP,
    warmup_ms: Object.fromEntries(
      results.map(result => [
        result.store,
        result.warmup.map(value =>
          value === null ? null : Math.round(value * 10) / 10
        )
      ])
    ),
    notification: results[0]?.sample ?? null,
    browser,
    jupyterlab,
    cpus: cpus().length,
    // One-minute load average before and after: other work on the machine.
    load_average: [loadBefore, loadavg()[0]].map(
      value => Math.round(value * 100) / 100
    ),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds: Math.round((Date.now() - started) / 100) / 10
  };
  mergeResults(RESULTS, 'alerts.', entries);
  console.log(`merged alerts.* into ${RESULTS}`);
}

await main();
