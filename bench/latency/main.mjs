// Log-line-to-chart latency of the Training panel, in real Chromium.
//
//   node bench/latency/main.mjs [--points 150] [--interval-ms 200]
//                               [--stores elasticsearch,embedded] [--api-poll-ms 50]
//
// For each store: a Jupyter server with the tflog service (and a test
// Elasticsearch node from scripts/es-start.sh, or the cluster named by
// TFLOG_TEST_ES_URL), Debian's Chromium on a notebook with the Training panel
// open, and a `%%tflog` cell that prints `step i loss=v` every interval,
// noting time.time() just before each print. In the page a MutationObserver
// notes Date.now() whenever the loss chart's data-last-x changes (the point
// is in the chart's vega dataset and drawn). Both clocks are this machine's
// wall clock, so latency = chart time - emit time, per step.
//
// Peer in the same run: the same steps read from the service's query API
// (what the panel reads after each live event), polled every --api-poll-ms.
// With Elasticsearch, also log line to searchable: the same steps found by a
// search of Elasticsearch itself, polled as often.
//
// Prints a table and merges `latency.*` keys into bench/results/latest.json
// (or TFLOG_BENCH_RESULTS): latency.log_to_chart_ms.{p50,p95,p99,mean,min,
// max,n} and latency.log_to_api_ms.* for the first store (Elasticsearch by
// default), latency.<store>.* for the others, latency.log_to_searchable_ms.*,
// latency.meta. Goals: log to chart p95 < 250 ms and p99 < 500 ms on both
// stores, log to searchable p95 < 1.5 s.
import { execFileSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { cpus } from 'os';
import { dirname, join } from 'path';
import { setTimeout as delay } from 'timers/promises';
import { fileURLToPath } from 'url';
import { parseArgs } from 'util';

import { pollSeries, waitForRunId } from './api-poller.mjs';
import { pollSearchable } from './es-poller.mjs';
import {
  openNotebook,
  openTrainingPanel,
  runAllCells,
  startChartRecorder
} from './browser.mjs';
import {
  measureEntries,
  measureStores,
  printMeasures,
  waitForFile
} from './perStore.mjs';
import { startStoreServer } from './servers.mjs';
import { mergeResults } from './stats.mjs';

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
// TFLOG_BENCH_RESULTS: another file (a --quick check must not overwrite figures).
const RESULTS =
  process.env.TFLOG_BENCH_RESULTS ||
  join(ROOT, 'bench', 'results', 'latest.json');
const JUPYTER = join(ROOT, '.venv', 'bin', 'jupyter');
const JUPYTER_PORT = 18903;
const ES_PORT = 18904;
const NOTEBOOK = 'latency.ipynb';
const EMITTED = 'latency-emitted.json';
const METRIC = 'loss';
const STORES = ['elasticsearch', 'embedded'];
/** How long the chart may lag behind the API before a step counts as never drawn. */
const CHART_SETTLE_MS = 15_000;

const { values: options } = parseArgs({
  options: {
    points: { type: 'string', default: '150' },
    'interval-ms': { type: 'string', default: '200' },
    stores: { type: 'string', default: STORES.join(',') },
    'api-poll-ms': { type: 'string', default: '50' },
    'keep-work-dir': { type: 'boolean', default: false }
  }
});
const points = Number(options.points);
const intervalMs = Number(options['interval-ms']);
const apiPollMs = Number(options['api-poll-ms']);
const stores = options.stores.split(',').filter(Boolean);
for (const store of stores) {
  if (!STORES.includes(store)) {
    throw new Error(
      `--stores: unknown store ${store} (one of ${STORES.join(', ')})`
    );
  }
}
if (!(points >= 10) || !(intervalMs > 0) || !(apiPollMs > 0)) {
  throw new Error(
    '--points must be >= 10, --interval-ms and --api-poll-ms > 0'
  );
}

/** The benchmark notebook: load tflog, then print one step per interval. */
function notebookJson() {
  const emitter = [
    '%%tflog latency',
    'import json, time',
    'emitted = []',
    `for step in range(1, ${points + 1}):`,
    '    emitted.append([step, time.time()])',
    "    print(f'step {step} loss={1.0 / step:.6f}', flush=True)",
    `    time.sleep(${intervalMs / 1000})`,
    `with open(${JSON.stringify(EMITTED)}, 'w') as emitted_file:`,
    '    json.dump(emitted, emitted_file)'
  ].join('\n');
  const cell = source => ({
    cell_type: 'code',
    execution_count: null,
    metadata: {},
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [cell('%load_ext tflog'), cell(emitter)],
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

/** Chart time of each step: the first sample of the run whose last x reached it. */
function chartTimes(samples, runId) {
  const times = new Map();
  for (const sample of samples.filter(s => s.runId === runId)) {
    for (let step = 1; step <= sample.lastX; step++) {
      if (!times.has(step)) {
        times.set(step, sample.at);
      }
    }
  }
  return times;
}

function latencies(emitted, seenAt) {
  const values = [];
  let missing = 0;
  for (const [step, emittedAt] of emitted) {
    const at = seenAt.get(step);
    if (at === undefined) {
      missing++;
    } else {
      values.push(at - emittedAt * 1000);
    }
  }
  return { values, missing };
}

/** The three steps that took longest from print to `seenAt`, as `step: ms`. */
function slowest(emitted, seenAt) {
  return emitted
    .filter(([step]) => seenAt.has(step))
    .map(([step, emittedAt]) => [step, seenAt.get(step) - emittedAt * 1000])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([step, ms]) => `${step}: ${Math.round(ms)}`)
    .join(', ');
}

/**
 * Waits until the chart drew step `last`, at most until `deadline`. Steps it
 * never drew count as missing; what the panel showed is logged.
 */
async function waitForChart(page, recorder, last, deadline) {
  while (Date.now() < deadline) {
    const newest = await recorder.evaluate(
      samples => samples[samples.length - 1] ?? null
    );
    if (newest !== null && newest.lastX >= last) {
      return;
    }
    await delay(100);
  }
  const samples = await recorder.jsonValue();
  const panelText = await page.locator('#jp-tflog-panel').innerText();
  console.error(
    `[latency] the chart did not draw step ${last} within ${CHART_SETTLE_MS} ms ` +
      `of the API serving it; last samples ${JSON.stringify(samples.slice(-2))}; ` +
      `panel: ${panelText.replace(/\s+/g, ' ').slice(0, 300)}`
  );
}

async function measure(store, workDir, browser) {
  const { server, esUrl, indexPrefix, close } = await startStoreServer({
    root: ROOT,
    jupyter: JUPYTER,
    port: JUPYTER_PORT,
    esPort: ES_PORT,
    store,
    workDir: join(workDir, store),
    prefixName: 'tflog-bench-'
  });
  const page = await browser.newPage();
  try {
    writeFileSync(join(server.serverRoot, NOTEBOOK), notebookJson());
    await openNotebook(page, server.url, NOTEBOOK);
    await openTrainingPanel(page);
    const recorder = await startChartRecorder(page, METRIC);
    const apiUrl = `${server.url}/tflog/api/v1`;
    const runSeconds = (points * intervalMs) / 1000;
    const deadline = Date.now() + runSeconds * 1000 + 90_000;
    await runAllCells(page);
    const runId = await waitForRunId(apiUrl, NOTEBOOK, 60_000);
    const [apiSeen, searchSeen] = await Promise.all([
      pollSeries({
        apiUrl,
        runId,
        metric: METRIC,
        lastStep: points,
        intervalMs: apiPollMs,
        deadline
      }),
      store === 'elasticsearch'
        ? pollSearchable({
            esUrl,
            indexPrefix,
            runId,
            lastStep: points,
            intervalMs: apiPollMs,
            deadline
          })
        : null
    ]);
    await waitForFile(join(server.serverRoot, EMITTED), deadline, 100);
    await waitForChart(page, recorder, points, Date.now() + CHART_SETTLE_MS);
    const emitted = JSON.parse(
      readFileSync(join(server.serverRoot, EMITTED), 'utf-8')
    );
    const samples = await recorder.jsonValue();
    const chart = latencies(emitted, chartTimes(samples, runId));
    const api = latencies(emitted, apiSeen);
    // Where a tail comes from: the first steps wait for the panel to find the run.
    console.log(
      `[latency] ${store}: slowest steps to the chart (step: ms) ${slowest(
        emitted,
        chartTimes(samples, runId)
      )}`
    );
    return {
      store,
      runId,
      chart,
      api,
      searchable: searchSeen === null ? null : latencies(emitted, searchSeen),
      chartUpdates: samples.filter(sample => sample.runId === runId).length
    };
  } finally {
    await page.close();
    await close();
  }
}

async function main() {
  const started = Date.now();
  const { results, browser } = await measureStores({
    root: ROOT,
    name: 'latency',
    stores,
    describe: `${points} steps every ${intervalMs} ms`,
    keep: options['keep-work-dir'],
    measure
  });
  printMeasures(
    results,
    result => [
      ['log_to_chart', result.chart],
      ['log_to_api', result.api],
      ...(result.searchable === null
        ? []
        : [['log_to_search', result.searchable]])
    ],
    `milliseconds; log_to_api is polled every ${apiPollMs} ms`
  );

  const entries = {};
  results.forEach((result, index) => {
    const prefix = index === 0 ? 'latency' : `latency.${result.store}`;
    Object.assign(
      entries,
      measureEntries(`${prefix}.log_to_chart_ms`, result.chart),
      measureEntries(`${prefix}.log_to_api_ms`, result.api)
    );
    if (result.searchable !== null) {
      Object.assign(
        entries,
        measureEntries('latency.log_to_searchable_ms', result.searchable)
      );
    }
    const incomplete =
      result.chart.missing +
      result.api.missing +
      (result.searchable?.missing ?? 0);
    if (incomplete > 0) {
      console.error(
        `[latency] ${result.store}: ${incomplete} step(s) never seen`
      );
      process.exitCode = 1;
    }
  });
  const jupyterlab = execFileSync(JUPYTER, ['lab', '--version'], {
    encoding: 'utf-8'
  }).trim();
  entries['latency.meta'] = {
    store: results[0]?.store ?? null,
    stores: results.map(result => result.store),
    points,
    interval_ms: intervalMs,
    api_poll_ms: apiPollMs,
    chart_updates: Object.fromEntries(
      results.map(r => [r.store, r.chartUpdates])
    ),
    browser,
    jupyterlab,
    cpus: cpus().length,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    seconds: Math.round((Date.now() - started) / 100) / 10
  };
  mergeResults(RESULTS, 'latency.', entries);
  console.log(`merged latency.* into ${RESULTS}`);
}

await main();
