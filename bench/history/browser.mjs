// The History view's four figures in Chromium: on the store the API part
// filled, the service (the same bundle and settings, listening on the unix
// socket Jupyter's proxy forwards to) behind a real JupyterLab with the
// extension, and Debian's Chromium timing, in the page, from the user's
// action to the view showing the answer:
//
// - list_runs_ms: Run History opened with a variant's filters and sort (as a
//   link or the command opens it) until its table holds the first page's rows;
// - curve_1m_points_ms: Compare Runs of the 1,000,000-point run until its
//   curve is drawn (the chart's data-runs, set once vega has rendered);
// - compare_20_runs_ms: Compare Runs of the 20 runs best by min:val_loss
//   until every run's curve is drawn;
// - log_search_ms: a text typed into the search of Search Logs of All Runs
//   and Enter, until the lines found are shown.
//
// The Jupyter server does not start a service of its own (TFLOG_ENABLED=0)
// and serves a copy of the labextension, so a rebuild during the run cannot
// change what is measured. See docs/benchmarks.md (history).
import fs from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { URLSearchParams } from 'node:url';

import { launchChromium } from '../latency/browser.mjs';
import { startJupyter } from '../latency/servers.mjs';
import { flatten, summarise } from '../latency/stats.mjs';
import { LOG_SEARCH_TEXTS, MODELS } from './load.mjs';

/** The History table's page (the pageSize setting's default). */
const PAGE_SIZE = 50;
const COMPARED_RUNS = 20;
const WARMUP = 2;
/** The browser's repeats stop early once a figure has taken this long, with at least MIN_SAMPLES. */
const FIGURE_BUDGET_MS = 150_000;
const MIN_SAMPLES = 10;
/** How long one action may take before the figure is given up. */
const ACTION_TIMEOUT_MS = 60_000;
/** What Compare Runs reads: each run's series, or the metric of all runs at once. */
const COMPARE_REQUESTS = ['/series?', '/tflog/api/v1/compare?'];
/** The chosen columns of every variant: the three metrics they sort by. */
const COLUMNS = ['last:loss', 'best:val_loss', 'best:val_accuracy'];

/**
 * The API part's run list variants (main.mjs LIST_VARIANTS) as the History
 * view's arguments: the same filters, sorted by the column of the same metric.
 */
export const VIEW_VARIANTS = {
  best_val_loss: () => ({ sort: 'best:val_loss', order: 'asc' }),
  status_best: () => ({
    status: ['finished'],
    sort: 'best:val_loss',
    order: 'asc'
  }),
  tag_best_accuracy: index => ({
    tags: { model: MODELS[index % MODELS.length] },
    sort: 'best:val_accuracy',
    order: 'desc'
  }),
  text_last_loss: index => ({
    text: MODELS[(index + 2) % MODELS.length],
    sort: 'last:loss'
  }),
  hparam_best: () => ({
    hparams: { optimizer: 'adam' },
    sort: 'best:val_loss',
    order: 'asc'
  }),
  newest: () => ({})
};

/** The `GET /runs` query the view sends for `args` (filters only: the count does not depend on the sort). */
export function runsQuery(args) {
  const query = new URLSearchParams({ size: String(PAGE_SIZE) });
  for (const status of args.status ?? []) {
    query.append('status', status);
  }
  for (const [key, value] of Object.entries(args.tags ?? {})) {
    query.append('tag', `${key}:${value}`);
  }
  for (const [key, value] of Object.entries(args.hparams ?? {})) {
    query.append('hparam', `${key}:${value}`);
  }
  if (args.text) {
    query.set('q', args.text);
  }
  return query;
}

/** Whether to go on repeating: `samples` so far, started at `since`. */
function another(samples, repeats, since) {
  return (
    samples < repeats &&
    (samples < MIN_SAMPLES || performance.now() - since < FIGURE_BUDGET_MS)
  );
}

/** `GET urlPath` on the service's unix socket: `{ status, text }`. */
export function getOverSocket(socketPath, urlPath) {
  return new Promise((resolve, reject) => {
    const sent = request({ socketPath, path: urlPath }, response => {
      let text = '';
      response.setEncoding('utf-8');
      response.on('data', chunk => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode, text }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}

async function getJson(url) {
  const response = await globalThis.fetch(url);
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 400)}`);
  }
  return JSON.parse(text);
}

/**
 * Runs in the page: does one action on JupyterLab and resolves with the
 * milliseconds until the view shows its answer (`ms`, polled once per
 * frame: the answer is on screen at the frame it is first seen), and until
 * the last of the action's API answers had arrived (`answeredMs`, from the
 * page's resource timings of the requests whose address holds one of
 * `task.requestPaths`; the rest of `ms` is the view's own work). Closes
 * the views this kind of action opens, left from the last repeat, first.
 */
async function timeInPage(task) {
  const app = globalThis.jupyterapp;
  const now = () => globalThis.performance.now();
  const frame = () =>
    new Promise(resolve => globalThis.requestAnimationFrame(resolve));
  const deadline = now() + task.timeoutMs;
  const until = async (test, what) => {
    while (!test()) {
      if (now() > deadline) {
        throw new Error(`no ${what} within ${task.timeoutMs} ms`);
      }
      await frame();
    }
  };
  const openViews = className =>
    [...app.shell.widgets('main')].filter(widget => widget.hasClass(className));
  if (task.closeClass) {
    for (const widget of openViews(task.closeClass)) {
      widget.dispose();
    }
    await frame();
  }
  globalThis.performance.clearResourceTimings();
  const before = now();
  switch (task.kind) {
    case 'history': {
      const widget = await app.commands.execute(
        'tflog:open-history',
        task.args
      );
      const runs = widget.node.querySelector('.jp-tflog-history-runs');
      await until(
        () =>
          runs.dataset.loading === 'false' &&
          runs.querySelectorAll('tbody tr[data-run-id]').length === task.rows,
        `${task.rows} rows in the History table`
      );
      break;
    }
    case 'compare': {
      const pending = app.commands.execute('tflog:compare', {
        runIds: task.runIds
      });
      const ids = task.runIds.join(',');
      await until(() => {
        const view = globalThis.document.querySelector(
          `.jp-tflog-compare[data-run-ids="${ids}"]`
        );
        const chart = view?.querySelector('.jp-tflog-compare-chart');
        return (
          view?.dataset.loading === 'false' &&
          chart?.dataset.runs === String(task.runIds.length)
        );
      }, `a curve of each of the ${task.runIds.length} runs`);
      await pending;
      break;
    }
    case 'logs': {
      const [widget] = openViews('jp-tflog-logs-widget');
      const view = widget.node.querySelector('.jp-tflog-logs');
      const search = view.querySelector('.jp-tflog-logs-search');
      search.value = task.text;
      search.dispatchEvent(
        new globalThis.KeyboardEvent('keydown', { key: 'Enter', bubbles: true })
      );
      // The model marks the view loading as it sends the search.
      if (view.dataset.loading !== 'true') {
        throw new Error(`the search for ${task.text} was not sent`);
      }
      await until(
        () =>
          view.dataset.loading === 'false' &&
          view.querySelectorAll('.jp-tflog-log-line').length > 0,
        `lines found for ${task.text}`
      );
      break;
    }
    default:
      throw new Error(`unknown action ${task.kind}`);
  }
  const ms = now() - before;
  const answers = globalThis.performance
    .getEntriesByType('resource')
    .filter(
      entry =>
        entry.startTime >= before &&
        task.requestPaths.some(requestPath => entry.name.includes(requestPath))
    );
  if (answers.length === 0) {
    throw new Error(`no request to ${task.requestPaths.join(' or ')} was seen`);
  }
  const answeredMs =
    Math.max(...answers.map(entry => entry.responseEnd)) - before;
  return { ms, answeredMs };
}

/** Opens JupyterLab and Search Logs of All Runs (the search the log figure types into). */
async function openLab(page, url) {
  await page.goto(`${url}/lab`);
  await page.waitForFunction(() => globalThis.jupyterapp !== undefined, null, {
    timeout: 120_000
  });
  await page.evaluate(async () => {
    await globalThis.jupyterapp.restored;
  });
}

async function openLogSearch(page) {
  await page.evaluate(async () => {
    await globalThis.jupyterapp.commands.execute('tflog:open-logs', {});
  });
  await page.waitForFunction(
    () =>
      globalThis.document.querySelector('.jp-tflog-logs')?.dataset.loading ===
      'false',
    null,
    { timeout: ACTION_TIMEOUT_MS }
  );
}

/** Repeats `task(index)` (WARMUP unrecorded first): the samples, by `groupOf(index)` too. */
async function repeat(page, repeats, task, groupOf) {
  const measured = { all: [], answered: [], byGroup: {} };
  const since = performance.now();
  for (
    let index = 0;
    index < WARMUP || another(measured.all.length, repeats, since);
    index += 1
  ) {
    const sample = await page.evaluate(timeInPage, {
      timeoutMs: ACTION_TIMEOUT_MS,
      ...task(index)
    });
    if (index >= WARMUP) {
      note(measured, sample, groupOf?.(index));
    }
  }
  return measured;
}

/** Adds one action's times to `measured` (and to its group's samples). */
function note(measured, sample, group) {
  measured.all.push(sample.ms);
  measured.answered.push(sample.answeredMs);
  if (group !== undefined) {
    (measured.byGroup[group] ??= []).push(sample.ms);
  }
}

/** The run lists: every variant in turn, one repeat being the six of them. */
async function timeRunLists(page, api, repeats) {
  const names = Object.keys(VIEW_VARIANTS);
  const rowsOf = new Map();
  const expectedRows = async args => {
    const query = runsQuery(args).toString();
    if (!rowsOf.has(query)) {
      const page = await getJson(`${api}/runs?${query}`);
      rowsOf.set(query, page.runs.length);
    }
    return rowsOf.get(query);
  };
  const tasks = [];
  const groups = [];
  const rounds = WARMUP + repeats;
  for (let round = 0; round < rounds; round += 1) {
    for (const name of names) {
      const args = { ...VIEW_VARIANTS[name](round), columns: COLUMNS };
      const rows = await expectedRows(args);
      if (rows === 0) {
        throw new Error(`GET /runs?${runsQuery(args)} found no runs`);
      }
      tasks.push({
        kind: 'history',
        closeClass: 'jp-tflog-history-widget',
        requestPaths: ['/tflog/api/v1/runs?'],
        args,
        rows
      });
      groups.push(name);
    }
  }
  // One warm-up round of all six, then rounds until the repeats or the budget.
  const measured = { all: [], answered: [], byGroup: {} };
  const since = performance.now();
  for (let index = 0; index < tasks.length; index += 1) {
    const round = Math.floor(index / names.length);
    if (
      round >= WARMUP &&
      index % names.length === 0 &&
      !another(round - WARMUP, repeats, since)
    ) {
      break;
    }
    const sample = await page.evaluate(timeInPage, {
      timeoutMs: ACTION_TIMEOUT_MS,
      ...tasks[index]
    });
    if (round >= WARMUP) {
      note(measured, sample, groups[index]);
    }
  }
  return measured;
}

/**
 * Each figure's summary under `<prefix><figure>.*`, the API's part of it
 * under `.answered.*`, with p95 by variant where there are variants.
 */
function figuresOf(prefix, name, measured) {
  const figures = {
    ...flatten(`${prefix}${name}`, summarise(measured.all)),
    ...flatten(`${prefix}${name}.answered`, summarise(measured.answered))
  };
  if (Object.keys(measured.byGroup).length > 0) {
    figures[`${prefix}${name}.p95_by_variant`] = Object.fromEntries(
      Object.entries(measured.byGroup).map(([group, samples]) => [
        group,
        summarise(samples).p95
      ])
    );
  }
  return figures;
}

/**
 * The four figures in Chromium under `prefix`
 * (`history.browser.<store>.<size>.`); a figure that fails is null with its
 * reason and the others are still measured. `startService(socket)` starts
 * the service on the store, listening on `socket`, and resolves with its
 * `stop()`.
 */
export async function measureInBrowser({
  root,
  jupyter,
  port,
  workDir,
  labextension,
  prefix,
  indexPrefix,
  startService,
  bigRunId,
  repeats,
  log
}) {
  const jupyterDir = path.join(workDir, 'jupyter');
  const runtimeDir = path.join(jupyterDir, 'runtime');
  fs.mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
  fs.cpSync(
    labextension,
    path.join(jupyterDir, 'data', 'labextensions', 'tflog'),
    { recursive: true, dereference: true }
  );
  const figures = {};
  const service = await startService(path.join(runtimeDir, 'tflog.sock'));
  try {
    const jupyterServer = await startJupyter({
      root,
      jupyter,
      port,
      workDir: jupyterDir,
      esUrl: '',
      indexPrefix,
      // No service of the server's own; and the labextension copy in its
      // data directory found before the one installed in the environment.
      environment: { TFLOG_ENABLED: '0', JUPYTER_PREFER_ENV_PATH: '0' }
    });
    try {
      const api = `${jupyterServer.url}/tflog/api/v1`;
      const browser = await launchChromium(root);
      try {
        const page = await browser.newPage({
          viewport: { width: 1400, height: 900 }
        });
        page.on('pageerror', error => log(`page error: ${error.message}`));
        await openLab(page, jupyterServer.url);
        figures[`${prefix}chromium`] = browser.version();
        figures[`${prefix}load_average_before`] = loadAverage();
        const best = await getJson(
          `${api}/runs?${new URLSearchParams({ sort: 'min:val_loss', order: 'asc', size: String(COMPARED_RUNS) })}`
        );
        const compareIds = best.runs
          .map(run => run.run_id)
          .filter(runId => runId !== bigRunId);
        const steps = [
          ['list_runs_ms', () => timeRunLists(page, api, repeats), 'run lists'],
          [
            'curve_1m_points_ms',
            () =>
              repeat(page, repeats, () => ({
                kind: 'compare',
                closeClass: 'jp-tflog-compare-widget',
                requestPaths: COMPARE_REQUESTS,
                runIds: [bigRunId]
              })),
            '1M-point curve'
          ],
          [
            'compare_20_runs_ms',
            () =>
              repeat(page, repeats, () => ({
                kind: 'compare',
                closeClass: 'jp-tflog-compare-widget',
                requestPaths: COMPARE_REQUESTS,
                runIds: compareIds
              })),
            `compare ${compareIds.length} runs`
          ],
          [
            'log_search_ms',
            async () => {
              await openLogSearch(page);
              const textOf = index =>
                LOG_SEARCH_TEXTS[index % LOG_SEARCH_TEXTS.length];
              return repeat(
                page,
                repeats,
                index => ({
                  kind: 'logs',
                  requestPaths: ['/tflog/api/v1/logs?'],
                  text: textOf(index)
                }),
                textOf
              );
            },
            'log search'
          ]
        ];
        for (const [figure, measure, label] of steps) {
          try {
            const measured = await measure();
            Object.assign(figures, figuresOf(prefix, figure, measured));
            log(
              `browser, ${label}: p95 ${summarise(measured.all).p95} ms (API answered: p95 ${summarise(measured.answered).p95} ms)`
            );
          } catch (error) {
            const reason = `failed in Chromium: ${error.message ?? error}`;
            log(`browser, ${label}: ${reason}`);
            figures[`${prefix}${figure}.p95`] = null;
            figures[`${prefix}${figure}.p95.reason`] = reason;
          }
        }
        figures[`${prefix}compare_20_runs_ms.runs`] = compareIds.length;
        figures[`${prefix}load_average_after`] = loadAverage();
      } finally {
        await browser.close();
      }
    } finally {
      await jupyterServer.stop();
    }
  } finally {
    await service.stop();
  }
  return figures;
}

function loadAverage() {
  return os.loadavg().map(value => Math.round(value * 100) / 100);
}
