// The History view's queries on a large history, from the API: a store is
// filled without kernels (load.mjs), the service is started on it, and the
// four requests the view makes are timed, on Elasticsearch and on the
// embedded store, at a tenth of the full size and (when its estimated load
// time fits) at the full size. See docs/benchmarks.md (history).
//
//   node bench/history/main.mjs [--stores elasticsearch,embedded]
//        [--scales tenth,full] [--repeats 30] [--max-load-minutes 25]
//        [--service FILE] [--service-lib DIR] [--es-port 0] [--work DIR]
//        [--browser yes|no|only] [--labextension DIR] [--jupyter-port 0]
//        [--keep] [--reuse] [--load-only] [--quick]
//
// A full size takes about an hour to load on 2 cores; the load and the
// timing can be apart: `--load-only --work DIR` fills and keeps each store
// (the load's figures in DIR/<store>-<size>/loaded.json), and a later
// `--reuse --work DIR` times that store again without loading it (an
// Elasticsearch store needs the same node, TFLOG_TEST_ES_URL).
//
// Elasticsearch: the node of TFLOG_TEST_ES_URL, else one started under the
// work directory (scripts/es-start.sh on --es-port). After the API, the same
// four figures are timed in Chromium on the same store (browser.mjs;
// --browser no skips them, --browser only times nothing else). Figures go
// under `history.` into bench/results/latest.json (TFLOG_BENCH_RESULTS).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { URLSearchParams, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  deleteIndices,
  startElasticsearch,
  stopElasticsearch
} from '../latency/servers.mjs';
import { flatten, mergeResults, summarise } from '../latency/stats.mjs';
import { getOverSocket, measureInBrowser } from './browser.mjs';
import {
  HISTORY_USER,
  LOG_SEARCH_TEXTS,
  MODELS,
  fillStore,
  planHistory,
  plannedRecords,
  serviceModules
} from './load.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const STORES = ['elasticsearch', 'embedded'];
const JUPYTER = path.join(root, '.venv', 'bin', 'jupyter');
const BROWSER_MODES = ['yes', 'no', 'only'];
/** Sizes: the issue's full size and a tenth of it; both hold a 1,000,000-step run. */
const SCALES = {
  full: { runs: 10_000, points: 50_000_000, bigSteps: 1_000_000 },
  tenth: { runs: 1_000, points: 5_000_000, bigSteps: 1_000_000 },
  // The tenth's runs and long curve with less of the rest: for a store that
  // cannot load the tenth in time on a small machine.
  small: { runs: 1_000, points: 1_500_000, bigSteps: 1_000_000 }
};
const SCALE_ORDER = ['small', 'tenth', 'full'];
const QUICK_SCALES = {
  full: { runs: 200, points: 400_000, bigSteps: 50_000 },
  tenth: { runs: 40, points: 150_000, bigSteps: 20_000 },
  small: { runs: 30, points: 60_000, bigSteps: 20_000 }
};
/** As the service is started for users (tflog/server/node.py SERVICE_NODE_OPTIONS). */
const SERVICE_NODE_OPTIONS = [
  '--max-semi-space-size=8',
  '--heap-growing-percent=100'
];
/** As the views ask: a History page of 50 runs; 20 runs in one comparison. */
const PAGE_SIZE = 50;
const COMPARED_RUNS = 20;
const MAX_POINTS = 1000;
const WARMUP = 3;
/** Repeats stop early once a figure has taken this long, with at least MIN_SAMPLES. */
const FIGURE_BUDGET_MS = 150_000;
const MIN_SAMPLES = 5;

/** Whether to go on repeating: `samples` so far, started at `since`. */
function another(samples, repeats, since) {
  return (
    samples < repeats &&
    (samples < MIN_SAMPLES || performance.now() - since < FIGURE_BUDGET_MS)
  );
}
/** The issue's goals, figure by figure (milliseconds, p95). */
const FIGURES = [
  'list_runs_ms',
  'curve_1m_points_ms',
  'compare_20_runs_ms',
  'log_search_ms'
];
/** The run list variants: each filters and sorts by a metric, as the History view does. */
const LIST_VARIANTS = {
  best_val_loss: () => ({ sort: 'min:val_loss', order: 'asc' }),
  status_best: () => ({
    status: 'finished',
    sort: 'min:val_loss',
    order: 'asc'
  }),
  tag_best_accuracy: index => ({
    tag: `model:${MODELS[index % MODELS.length]}`,
    sort: 'max:val_accuracy',
    order: 'desc'
  }),
  text_last_loss: index => ({
    q: MODELS[(index + 2) % MODELS.length],
    sort: 'last:loss'
  }),
  hparam_best: () => ({
    hparam: 'optimizer:adam',
    sort: 'min:val_loss',
    order: 'asc'
  }),
  newest: () => ({})
};

function options() {
  const { values } = parseArgs({
    options: {
      stores: { type: 'string', default: STORES.join(',') },
      scales: { type: 'string', default: 'tenth,full' },
      repeats: { type: 'string', default: '30' },
      'max-load-minutes': { type: 'string', default: '25' },
      service: {
        type: 'string',
        default: path.join(root, 'tflog', 'service', 'tflog-service.js')
      },
      'service-lib': {
        type: 'string',
        default: path.join(root, 'service', 'lib')
      },
      'es-port': { type: 'string', default: '0' },
      browser: { type: 'string', default: 'yes' },
      labextension: {
        type: 'string',
        default: path.join(root, 'tflog', 'labextension')
      },
      'jupyter-port': { type: 'string', default: '0' },
      work: { type: 'string' },
      keep: { type: 'boolean', default: false },
      reuse: { type: 'boolean', default: false },
      'load-only': { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false }
    }
  });
  const stores = values.stores.split(',').filter(Boolean);
  const scales = values.scales.split(',').filter(Boolean);
  for (const store of stores) {
    if (!STORES.includes(store)) {
      throw new Error(
        `--stores: unknown store ${store} (${STORES.join(', ')})`
      );
    }
  }
  if (!BROWSER_MODES.includes(values.browser)) {
    throw new Error(
      `--browser: ${values.browser} is not one of ${BROWSER_MODES.join(', ')}`
    );
  }
  for (const scale of scales) {
    if (!(scale in SCALES)) {
      throw new Error(
        `--scales: unknown scale ${scale} (${SCALE_ORDER.join(', ')})`
      );
    }
  }
  return {
    stores,
    // Smallest first: its load rate gives the larger sizes' estimates.
    scales: SCALE_ORDER.filter(scale => scales.includes(scale)),
    repeats: Math.max(1, Number(values.repeats)),
    maxLoadMinutes: Number(values['max-load-minutes']),
    service: path.resolve(values.service),
    serviceLib: path.resolve(values['service-lib']),
    esPort: Number(values['es-port']),
    browser: values.browser,
    labextension: path.resolve(values.labextension),
    jupyterPort: Number(values['jupyter-port']),
    work:
      values.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tflog-history-')),
    // A store loaded to be timed later is kept, as is one timed again.
    keep: values.keep || values.reuse || values['load-only'],
    reuse: values.reuse,
    loadOnly: values['load-only'],
    quick: values.quick
  };
}

function log(message) {
  process.stderr.write(`[history] ${message}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function loadAverage() {
  return os.loadavg().map(value => Math.round(value * 100) / 100);
}

// ---------------------------------------------------------------- the service

/**
 * The service (the bundle users run) on a loopback port, or on `socket` (a
 * unix socket, as the Jupyter server's proxy reaches it), answering from
 * the store.
 */
async function startService({
  settings,
  store,
  storeDir,
  esUrl,
  prefix,
  workDir,
  socket
}) {
  const port = socket ? null : await freePort();
  for (const name of ['spool', 'state']) {
    fs.mkdirSync(path.join(workDir, name), { recursive: true });
  }
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('TFLOG_'))
  );
  Object.assign(env, {
    TFLOG_SPOOL_DIR: path.join(workDir, 'spool'),
    TFLOG_STATE_DIR: path.join(workDir, 'state'),
    TFLOG_STORE_DIR: storeDir,
    ...(socket ? { TFLOG_SOCKET: socket } : { TFLOG_PORT: String(port) }),
    TFLOG_INDEX_PREFIX: prefix,
    TFLOG_USER: HISTORY_USER,
    // The loaded history spans 30 days: nothing of it is old enough to go.
    TFLOG_RETENTION_DAYS: '90'
  });
  if (store === 'elasticsearch') {
    env.TFLOG_ES_URLS = esUrl;
  }
  const logFile = path.join(workDir, 'service.log');
  const output = fs.openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_OPTIONS, settings.service],
    {
      env,
      stdio: ['ignore', output, output]
    }
  );
  const exited = new Promise(resolve => child.once('exit', resolve));
  const api = socket ? null : `http://127.0.0.1:${port}/api/v1`;
  const firstPage = async () => {
    if (socket) {
      return getOverSocket(socket, '/api/v1/runs?size=1');
    }
    const response = await globalThis.fetch(`${api}/runs?size=1`);
    return { status: response.status, text: await response.text() };
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      if (
        !(await Promise.race([exited.then(() => true), delay(20_000, false)]))
      ) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  };
  const deadline = Date.now() + 120_000;
  let problem = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(
        `the service exited with ${child.exitCode}; see ${logFile}`
      );
    }
    try {
      const { status, text } = await firstPage();
      if (status === 200) {
        return { api, stop, pid: child.pid };
      }
      problem = `GET /runs answered ${status}: ${text}`;
    } catch (error) {
      // Connection refused while the service starts: try again.
      problem = String(error);
    }
    await delay(250);
  }
  await stop();
  throw new Error(
    `the service did not answer within 120 s (${problem}); see ${logFile}`
  );
}

async function getJson(url) {
  const response = await globalThis.fetch(url);
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 400)}`);
  }
  return JSON.parse(text);
}

/** Milliseconds of `action`, and its value. */
async function timed(action) {
  const before = performance.now();
  const value = await action();
  return [performance.now() - before, value];
}

// ---------------------------------------------------------------- the queries

async function timeRunLists(api, repeats, runs) {
  const all = [];
  const byVariant = {};
  const names = Object.keys(LIST_VARIANTS);
  const since = performance.now();
  for (
    let index = 0;
    index < WARMUP || another(index - WARMUP, repeats, since);
    index += 1
  ) {
    for (const name of names) {
      const query = new URLSearchParams({
        ...LIST_VARIANTS[name](index),
        size: String(PAGE_SIZE)
      });
      const [ms, page] = await timed(() => getJson(`${api}/runs?${query}`));
      if (name === 'newest' && page.runs.length !== Math.min(PAGE_SIZE, runs)) {
        throw new Error(`GET /runs?${query} answered ${page.runs.length} runs`);
      }
      if (index >= WARMUP) {
        all.push(ms);
        (byVariant[name] ??= []).push(ms);
      }
    }
  }
  return { all, byVariant };
}

async function timeLongCurve(api, runId, repeats) {
  const all = [];
  const query = new URLSearchParams({
    axis: 'step',
    max_points: String(MAX_POINTS)
  });
  const since = performance.now();
  for (
    let index = 0;
    index < WARMUP || another(all.length, repeats, since);
    index += 1
  ) {
    const [ms, answer] = await timed(() =>
      getJson(`${api}/runs/${encodeURIComponent(runId)}/series?${query}`)
    );
    const loss = answer.series.find(
      line => line.name === 'loss' && line.scope === 'batch'
    );
    if (
      !loss ||
      !loss.downsampled ||
      loss.points.length === 0 ||
      loss.points.length > 4 * MAX_POINTS
    ) {
      throw new Error(
        `the long run's batch loss came back ${loss ? `with ${loss.points.length} points, downsampled ${loss.downsampled}` : 'missing'}`
      );
    }
    if (index >= WARMUP) {
      all.push(ms);
    }
  }
  return all;
}

/**
 * What Compare Runs asks when it opens: the runs and their first metric's
 * series in one `GET /compare` (the view asks nothing else), until answered.
 */
async function timeCompare(api, runIds, repeats) {
  const all = [];
  const query = new URLSearchParams({
    runs: runIds.join(','),
    axis: 'step',
    max_points: String(MAX_POINTS)
  });
  const since = performance.now();
  for (
    let index = 0;
    index < WARMUP || another(all.length, repeats, since);
    index += 1
  ) {
    const [ms, answer] = await timed(() => getJson(`${api}/compare?${query}`));
    const drawn = answer.runs.filter(run => run.series !== null).length;
    if (answer.metric === null || drawn !== runIds.length) {
      throw new Error(
        `GET /compare answered ${drawn} of ${runIds.length} runs with ${answer.metric ?? 'no metric'}`
      );
    }
    if (index >= WARMUP) {
      all.push(ms);
    }
  }
  return all;
}

async function timeLogSearch(api, repeats) {
  const all = [];
  const byText = {};
  const hits = {};
  const since = performance.now();
  for (
    let index = 0;
    index < WARMUP || another(all.length, repeats, since);
    index += 1
  ) {
    const text = LOG_SEARCH_TEXTS[index % LOG_SEARCH_TEXTS.length];
    const query = new URLSearchParams({ q: text, size: '100' });
    const [ms, page] = await timed(() => getJson(`${api}/logs?${query}`));
    if (page.lines.length === 0) {
      throw new Error(`GET /logs?${query} found nothing`);
    }
    hits[text] = page.lines.length;
    if (index >= WARMUP) {
      all.push(ms);
      (byText[text] ??= []).push(ms);
    }
  }
  return { all, byText, hits };
}

/** Each figure's summary under `<prefix><figure>.*`, with its p95 by variant. */
function figuresOf(prefix, measured) {
  const figures = {};
  const add = (name, values, byVariant) => {
    Object.assign(figures, flatten(`${prefix}${name}`, summarise(values)));
    if (byVariant) {
      figures[`${prefix}${name}.p95_by_variant`] = Object.fromEntries(
        Object.entries(byVariant).map(([variant, samples]) => [
          variant,
          summarise(samples).p95
        ])
      );
    }
  };
  add('list_runs_ms', measured.lists.all, measured.lists.byVariant);
  add('curve_1m_points_ms', measured.curve);
  add('compare_20_runs_ms', measured.compare);
  add('log_search_ms', measured.logs.all, measured.logs.byText);
  figures[`${prefix}log_search_ms.lines_found`] = measured.logs.hits;
  return figures;
}

async function measure(api, bigRunId, repeats, runs) {
  const lists = await timeRunLists(api, repeats, runs);
  log(`run lists: p95 ${summarise(lists.all).p95} ms`);
  const curve = await timeLongCurve(api, bigRunId, repeats);
  log(`1M-point curve: p95 ${summarise(curve).p95} ms`);
  // Twenty runs of the best by validation loss, as one would compare them.
  const best = await getJson(
    `${api}/runs?${new URLSearchParams({ sort: 'min:val_loss', order: 'asc', size: String(COMPARED_RUNS) })}`
  );
  const compareIds = best.runs
    .map(run => run.run_id)
    .filter(runId => runId !== bigRunId);
  const compare = await timeCompare(api, compareIds, repeats);
  log(`compare ${compareIds.length} runs: p95 ${summarise(compare).p95} ms`);
  const logs = await timeLogSearch(api, repeats);
  log(`log search: p95 ${summarise(logs.all).p95} ms`);
  return { lists, curve, compare, logs, compared: compareIds.length };
}

// ---------------------------------------------------------------- one store, one size

/** Where a kept load of a store at a size is described, for `--reuse`. */
function loadedMarker(settings, store, scaleName) {
  return path.join(settings.work, `${store}-${scaleName}`, 'loaded.json');
}

/** A kept load of the same store and size, or null. */
function keptLoad(settings, store, scaleName) {
  const marker = loadedMarker(settings, store, scaleName);
  if (!settings.reuse || !fs.existsSync(marker)) {
    return null;
  }
  const kept = JSON.parse(fs.readFileSync(marker, 'utf-8'));
  const scale = (settings.quick ? QUICK_SCALES : SCALES)[scaleName];
  if (JSON.stringify(kept.scale) !== JSON.stringify(scale)) {
    throw new Error(
      `${marker} holds another size (${JSON.stringify(kept.scale)}); load it again without --reuse`
    );
  }
  return kept;
}

/** Fills the store (or takes a kept load): its index prefix and load figures. */
async function loadStore(settings, store, scaleName, esUrl, plan) {
  const { kept, plans, plannedAt } = plan;
  if (kept !== null) {
    log(
      `${store}, ${scaleName}: timing the store loaded at ${kept.loadedAt} (--reuse)`
    );
    return kept;
  }
  const scale = (settings.quick ? QUICK_SCALES : SCALES)[scaleName];
  const prefix = `history-${randomBytes(4).toString('hex')}-`;
  const storeDir = path.join(settings.work, `${store}-${scaleName}`, 'store');
  const p = `history.${store}.${scaleName}.`;
  const loadAverageBefore = loadAverage();
  log(
    `${store}, ${scaleName}: loading ${scale.runs} runs, ${scale.points.toLocaleString('en')} points`
  );
  // Refreshed and with the store's own settings once this returns.
  const loaded = await fillStore(
    settings.serviceLib,
    { store, dir: storeDir, esUrl, prefix },
    plans,
    { log: message => log(`${store}, ${scaleName}: ${message}`) }
  );
  log(
    `${store}, ${scaleName}: loaded ${loaded.points} points, ${loaded.documents} events in ${loaded.seconds.toFixed(0)} s (${Math.round(loaded.pointsPerSecond)} points/s)`
  );
  const load = {
    scale,
    prefix,
    // The runs' times count back from here: a reuse plans the same runs.
    plannedAt,
    loadedAt: new Date().toISOString(),
    figures: {
      [`${p}load.runs`]: loaded.runs,
      [`${p}load.points`]: loaded.points,
      [`${p}load.events`]: loaded.documents,
      [`${p}load.records`]: loaded.records,
      [`${p}load.long_run_steps`]: scale.bigSteps,
      [`${p}load.seconds`]: Math.round(loaded.seconds),
      [`${p}load.points_per_s`]: Math.round(loaded.pointsPerSecond),
      [`${p}load.items_per_s`]: Math.round(loaded.itemsPerSecond),
      [`${p}load.load_average_before`]: loadAverageBefore,
      [`${p}load.load_average_after`]: loadAverage()
    }
  };
  fs.writeFileSync(
    loadedMarker(settings, store, scaleName),
    JSON.stringify(load, null, 2) + '\n'
  );
  return load;
}

async function runOne(settings, modules, store, scaleName, esUrl) {
  const scale = (settings.quick ? QUICK_SCALES : SCALES)[scaleName];
  const workDir = path.join(settings.work, `${store}-${scaleName}`);
  const storeDir = path.join(workDir, 'store');
  fs.mkdirSync(storeDir, { recursive: true });
  const p = `history.${store}.${scaleName}.`;
  const kept = keptLoad(settings, store, scaleName);
  const plannedAt = kept?.plannedAt ?? Date.now();
  const plans = planHistory({ ...scale, days: 30, seed: 7, now: plannedAt });
  const bigRun = plans.find(plan => plan.big);
  const figures = {};
  let prefix = null;
  try {
    const load = await loadStore(settings, store, scaleName, esUrl, {
      kept,
      plans,
      plannedAt
    });
    prefix = load.prefix;
    Object.assign(figures, load.figures);
    if (settings.loadOnly) {
      return figures;
    }
    const serviceOn = socket =>
      startService({
        settings,
        store,
        storeDir,
        esUrl,
        prefix,
        workDir,
        socket
      });
    if (settings.browser !== 'only') {
      const service = await serviceOn(undefined);
      try {
        const measureLoad = loadAverage();
        const measured = await measure(
          service.api,
          bigRun.runId,
          settings.repeats,
          plans.length
        );
        Object.assign(figures, figuresOf(p, measured), {
          [`${p}compare_20_runs_ms.runs`]: measured.compared,
          [`${p}load_average_before`]: measureLoad,
          [`${p}load_average_after`]: loadAverage()
        });
      } finally {
        await service.stop();
      }
    }
    if (settings.browser !== 'no') {
      const browserPrefix = `history.browser.${store}.${scaleName}.`;
      try {
        Object.assign(
          figures,
          await measureInBrowser({
            root,
            jupyter: JUPYTER,
            port: settings.jupyterPort || (await freePort()),
            workDir,
            labextension: settings.labextension,
            prefix: browserPrefix,
            indexPrefix: prefix,
            startService: serviceOn,
            bigRunId: bigRun.runId,
            repeats: settings.repeats,
            log: message => log(`${store}, ${scaleName}: ${message}`)
          })
        );
      } catch (error) {
        const reason = `failed in Chromium: ${error.message ?? error}`;
        log(`${store}, ${scaleName}: ${reason}`);
        for (const figure of FIGURES) {
          figures[`${browserPrefix}${figure}.p95`] = null;
          figures[`${browserPrefix}${figure}.p95.reason`] = reason;
        }
        process.exitCode = 1;
      }
    }
  } finally {
    if (!settings.keep) {
      if (store === 'elasticsearch' && prefix !== null) {
        await deleteIndices(esUrl, prefix);
      }
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  }
  return figures;
}

/**
 * The minutes a size would take to load, from the rate (documents and
 * points per second) of the largest smaller size loaded into the same store
 * in this run, and the size's own plan (null: no smaller size was loaded).
 */
function estimate(figures, store, scaleName, quick) {
  const smaller = SCALE_ORDER.slice(
    0,
    SCALE_ORDER.indexOf(scaleName)
  ).reverse();
  const from = smaller.find(
    name =>
      typeof figures[`history.${store}.${name}.load.items_per_s`] === 'number'
  );
  if (from === undefined) {
    return null;
  }
  const rate = figures[`history.${store}.${from}.load.items_per_s`];
  const scale = (quick ? QUICK_SCALES : SCALES)[scaleName];
  // Every record is one event; its points are planned exactly.
  const items = planHistory({ ...scale, days: 30, seed: 7 }).reduce(
    (sum, plan) => sum + plan.points + plannedRecords(plan),
    0
  );
  return { from, rate, items, minutes: items / rate / 60 };
}

/**
 * The issue's keys from every store's figures (`all`, the results file with
 * this run merged in): the worst of the two stores at a size, or null with
 * why. A store measured only at the small size leaves them null. `source`:
 * `history.` for the API's figures, `history.browser.` for Chromium's.
 */
function worstOf(all, scaleName, prefix, source) {
  const worst = {};
  for (const figure of FIGURES) {
    const key = `${prefix}${figure}.p95`;
    const values = STORES.map(
      store => all[`${source}${store}.${scaleName}.${figure}.p95`]
    );
    if (values.every(value => typeof value === 'number')) {
      worst[key] = Math.max(...values);
      worst[`${key}.store`] = STORES[values.indexOf(worst[key])];
    } else {
      worst[key] = null;
      const reasons = STORES.filter(
        (_, index) => typeof values[index] !== 'number'
      ).map(
        store =>
          `${store}: ${all[`${source}${store}.${scaleName}.${figure}.p95.reason`] ?? 'not run'}`
      );
      worst[`${key}.reason`] =
        `not measured on every store (${reasons.join('; ')})`;
    }
  }
  return worst;
}

/**
 * Writes this run's figures: those of the stores, sizes and parts (API,
 * Chromium) it ran replace theirs, the others stay, and the issue's keys are
 * made anew from all of them.
 */
function record(file, stores, scales, browser, figures) {
  const prefixes = stores.flatMap(store => [
    ...(browser === 'only'
      ? []
      : [
          `history.${store}.meta`,
          ...scales.map(scale => `history.${store}.${scale}.`)
        ]),
    ...(browser === 'no'
      ? []
      : scales.map(scale => `history.browser.${store}.${scale}.`))
  ]);
  for (const prefix of prefixes) {
    mergeResults(
      file,
      prefix,
      Object.fromEntries(
        Object.entries(figures).filter(([key]) => key.startsWith(prefix))
      )
    );
  }
  const all = JSON.parse(fs.readFileSync(file, 'utf-8'));
  const issueKeys = {
    ...worstOf(all, 'full', 'history.', 'history.'),
    ...worstOf(all, 'tenth', 'history.tenth.', 'history.'),
    ...worstOf(all, 'full', 'history.browser.', 'history.browser.'),
    ...worstOf(all, 'tenth', 'history.browser.tenth.', 'history.browser.')
  };
  for (const key of Object.keys(issueKeys)) {
    // Each key on its own: the stores' figures share the prefix.
    mergeResults(file, key, { [key]: issueKeys[key] });
  }
  for (const key of Object.keys(all).filter(name =>
    /^history\.(browser\.)?(tenth\.)?[a-z_0-9]+_ms\.p95\./.test(name)
  )) {
    if (!(key in issueKeys)) {
      mergeResults(file, key, {});
    }
  }
  return issueKeys;
}

/** Every figure of a store and size null with `reason`, in the parts (API, Chromium) this run times. */
function nullFigures(settings, store, scaleName, reason) {
  const sources = [
    ...(settings.browser === 'only' ? [] : ['history.']),
    ...(settings.browser === 'no' ? [] : ['history.browser.'])
  ];
  return Object.fromEntries(
    sources.flatMap(source =>
      FIGURES.flatMap(figure => [
        [`${source}${store}.${scaleName}.${figure}.p95`, null],
        [`${source}${store}.${scaleName}.${figure}.p95.reason`, reason]
      ])
    )
  );
}

async function main() {
  const settings = options();
  const modules = serviceModules(settings.serviceLib);
  const figures = {};
  let esUrl = (process.env.TFLOG_TEST_ES_URL ?? '').replace(/\/+$/, '');
  let startedEs = false;
  const esDir = path.join(settings.work, 'es');
  try {
    if (settings.stores.includes('elasticsearch') && !esUrl) {
      log('starting Elasticsearch (scripts/es-start.sh)');
      esUrl = await startElasticsearch(root, settings.esPort, esDir);
      startedEs = true;
    }
    for (const scaleName of settings.scales) {
      for (const store of settings.stores) {
        const p = `history.${store}.${scaleName}.`;
        const expected = estimate(figures, store, scaleName, settings.quick);
        if (expected !== null) {
          figures[`${p}load.estimated_minutes`] = Math.round(expected.minutes);
        }
        if (
          expected !== null &&
          expected.minutes > settings.maxLoadMinutes &&
          !settings.quick &&
          keptLoad(settings, store, scaleName) === null
        ) {
          const reason = `not run: loading ${SCALES[scaleName].points.toLocaleString('en')} points (and their events) would take about ${Math.round(expected.minutes)} min at the ${expected.from} size's ${expected.rate} items/s on this machine (limit ${settings.maxLoadMinutes} min)`;
          log(`${store}, ${scaleName}: ${reason}`);
          Object.assign(
            figures,
            nullFigures(settings, store, scaleName, reason)
          );
          continue;
        }
        try {
          Object.assign(
            figures,
            await runOne(settings, modules, store, scaleName, esUrl)
          );
        } catch (error) {
          const reason = `failed: ${error.message ?? error}`;
          log(`${store}, ${scaleName}: ${reason}`);
          Object.assign(
            figures,
            nullFigures(settings, store, scaleName, reason)
          );
          process.exitCode = 1;
        }
      }
    }
  } finally {
    if (startedEs) {
      await stopElasticsearch(root, esDir);
    }
    if (!settings.keep) {
      fs.rmSync(settings.work, { recursive: true, force: true });
    }
  }
  if (settings.loadOnly) {
    // Nothing was timed: the results file keeps what it has.
    for (const [key, value] of Object.entries(figures)) {
      process.stdout.write(`${key.padEnd(56)} ${JSON.stringify(value)}\n`);
    }
    log(`loaded and kept under ${settings.work}; time with --reuse`);
    return;
  }
  const meta = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    repeats: settings.repeats,
    warmup: WARMUP,
    figure_budget_s: FIGURE_BUDGET_MS / 1000,
    page_size: PAGE_SIZE,
    compared_runs: COMPARED_RUNS,
    max_points: MAX_POINTS,
    quick: settings.quick,
    recorded: new Date().toISOString()
  };
  for (const store of settings.stores) {
    figures[`history.${store}.meta`] = meta;
  }
  const file =
    process.env.TFLOG_BENCH_RESULTS ??
    path.join(root, 'bench', 'results', 'latest.json');
  const issueKeys = record(
    file,
    settings.stores,
    settings.scales,
    settings.browser,
    figures
  );
  for (const [key, value] of Object.entries({ ...figures, ...issueKeys })) {
    if (!key.endsWith('.reason')) {
      process.stdout.write(`${key.padEnd(56)} ${JSON.stringify(value)}\n`);
    }
  }
}

main().catch(error => {
  process.stderr.write(`[history] failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
