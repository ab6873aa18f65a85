// The embedded store at scale: writes a realistic history (runs, log events,
// epoch metrics, batch loss curves) through EmbeddedStore.write in
// shipper-sized batches, then times the queries the UI makes on it (run
// list pages, a long curve thinned to 1,000 points) and how long a fresh
// process takes to open it. See docs/benchmarks.md.
//
//   node bench/store/scale.mjs --out FILE [--runs 10000] [--points 50000000]
//        [--big-runs 20] [--big-points 1000000] [--prefix store.embedded.]
//        [--dir DIR] [--keep] [--list-repeats 40] [--curve-repeats 5]
//        [--starts 5] [--batch 2000]
//
// Writes its figures (flat dotted keys under --prefix) as one JSON object to
// --out; bench/store.py merges them into the results file. The database is
// made in a fresh directory under $TMPDIR (or --dir) and deleted at the end
// unless --keep.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import { randomSource } from '../history/load.mjs';
import { summarise } from '../latency/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const STORE_MODULE = path.join(root, 'service', 'lib', 'store', 'embedded.js');
const DAY_MS = 24 * 60 * 60 * 1000;
/** Bytes of database per metric point, measured, with room to spare. */
const BYTES_PER_POINT = 200;

const USERS = ['alice', 'bob', 'chen', 'dana', 'emre', 'farah'];
const PROJECTS = ['vision', 'nlp', 'tabular', 'speech'];
const NOTEBOOK_NAMES = ['train', 'sweep', 'finetune', 'baseline', 'ablation'];
const NOTEBOOKS = PROJECTS.flatMap(project =>
  NOTEBOOK_NAMES.map(name => `${project}/${name}.ipynb`)
);
const MODELS = ['resnet50', 'bert-base', 'mlp', 'unet', 'vit-small', 'lstm'];
const DATASETS = ['mnist', 'cifar10', 'imagenet', 'imdb', 'librispeech'];
/** Final statuses by share; a few runs stay running. */
const STATUSES = [
  ['finished', 0.72],
  ['failed', 0.1],
  ['interrupted', 0.08],
  ['stopped', 0.04],
  ['running', 0.06]
];
const EPOCH_METRICS = ['loss', 'accuracy', 'val_loss', 'val_accuracy'];

function options() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      dir: { type: 'string' },
      prefix: { type: 'string', default: 'store.embedded.' },
      runs: { type: 'string', default: '10000' },
      points: { type: 'string', default: '50000000' },
      'big-runs': { type: 'string', default: '20' },
      'big-points': { type: 'string', default: '1000000' },
      batch: { type: 'string', default: '2000' },
      'list-repeats': { type: 'string', default: '40' },
      'curve-repeats': { type: 'string', default: '5' },
      starts: { type: 'string', default: '5' },
      seed: { type: 'string', default: '7' },
      keep: { type: 'boolean', default: false }
    }
  });
  if (!values.out) {
    throw new Error('--out FILE is required');
  }
  const number = name => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`--${name} must be a whole number, not ${values[name]}`);
    }
    return value;
  };
  const settings = {
    out: values.out,
    dir: values.dir,
    prefix: values.prefix,
    keep: values.keep,
    runs: number('runs'),
    points: number('points'),
    bigRuns: number('big-runs'),
    bigPoints: number('big-points'),
    batch: Math.max(1, number('batch')),
    listRepeats: Math.max(1, number('list-repeats')),
    curveRepeats: Math.max(1, number('curve-repeats')),
    starts: Math.max(1, number('starts')),
    seed: number('seed')
  };
  if (settings.bigRuns > settings.runs) {
    throw new Error('--big-runs cannot exceed --runs');
  }
  return settings;
}

const quietLogger = {
  debug() {},
  info() {},
  warn(message) {
    process.stderr.write(`[store-scale] store warning: ${message}\n`);
  },
  error(message) {
    process.stderr.write(`[store-scale] store error: ${message}\n`);
  },
  child() {
    return quietLogger;
  }
};

function log(message) {
  process.stderr.write(`[store-scale] ${message}\n`);
}

// ---------------------------------------------------------------- the history

/** What each run will hold: the plan is made first so totals are exact. */
function planRuns(settings, random) {
  const now = Date.now();
  const small = settings.runs - settings.bigRuns;
  const left = settings.points - settings.bigRuns * settings.bigPoints;
  if (small > 0 && left < small * 4) {
    throw new Error(
      `${settings.points} points leave too few for ${small} ordinary runs`
    );
  }
  // Big runs spread over the history, not bunched at one end.
  const bigEvery = settings.bigRuns > 0 ? settings.runs / settings.bigRuns : 0;
  const bigAt = new Set(
    Array.from({ length: settings.bigRuns }, (_, index) =>
      Math.floor(index * bigEvery + bigEvery / 2)
    )
  );
  const plans = [];
  let smallIndex = 0;
  for (let index = 0; index < settings.runs; index += 1) {
    const big = bigAt.has(index);
    let total;
    if (big) {
      total = settings.bigPoints;
    } else {
      // An even share, the remainder spread over the first runs.
      total = Math.floor(left / small) + (smallIndex < left % small ? 1 : 0);
      smallIndex += 1;
    }
    const started =
      now -
      90 * DAY_MS +
      ((index + random.next()) / settings.runs) * 90 * DAY_MS;
    const epochs = Math.max(
      1,
      Math.min(big ? 50 : random.int(5, 40), Math.floor(total / 8))
    );
    const epochPoints = epochs * EPOCH_METRICS.length;
    plans.push({
      index,
      big,
      runId: `${new Date(started).toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${random.int(0, 0xffffff).toString(16).padStart(6, '0')}`,
      started,
      user: random.pick(USERS),
      notebook: random.pick(NOTEBOOKS),
      model: random.pick(MODELS),
      dataset: random.pick(DATASETS),
      status: big ? 'finished' : random.weighted(STATUSES),
      epochs,
      epochPoints,
      batchPoints: total - epochPoints,
      // Milliseconds between training steps.
      stepMs: big ? 20 : random.int(40, 400),
      logEvery: big ? 5000 : random.int(100, 400)
    });
  }
  return plans;
}

function summaryOf(plan, state, final) {
  const ended = final && plan.status !== 'running';
  const time = new Date(state.lastMs).toISOString();
  return {
    run_id: plan.runId,
    name: `${plan.model} on ${plan.dataset}`,
    status: final ? plan.status : 'running',
    notebook: plan.notebook,
    kernel_id: `k-${plan.runId.slice(-6)}`,
    user: plan.user,
    host: 'gpu-node-1',
    tags: {
      model: plan.model,
      dataset: plan.dataset,
      project: plan.notebook.split('/')[0]
    },
    hparams: { learning_rate: 0.001, batch_size: 64, epochs: plan.epochs },
    started: new Date(plan.started).toISOString(),
    ended: ended ? time : null,
    updated: time,
    last_metrics: { ...state.lastMetrics },
    last_epoch: state.epoch,
    last_step: state.step,
    counts: { events: state.events, errors: state.errors, warnings: 0, nan: 0 },
    error:
      ended && plan.status === 'failed'
        ? { type: 'RuntimeError', message: 'CUDA out of memory' }
        : null,
    dropped: 0
  };
}

function eventOf(plan, state, seq, level, kind, message, extra = {}) {
  state.events += 1;
  if (level === 'error') {
    state.errors += 1;
  }
  const tflog = {
    run_id: plan.runId,
    run_name: `${plan.model} on ${plan.dataset}`,
    notebook: plan.notebook,
    kernel_id: `k-${plan.runId.slice(-6)}`,
    source: kind === 'run_start' || kind === 'run_end' ? 'tflog' : 'logging',
    kind,
    ...extra
  };
  return {
    _id: `${plan.runId}:${seq}`,
    '@timestamp': new Date(state.lastMs).toISOString(),
    message,
    log: { level, logger: 'train' },
    event: {
      dataset: 'tflog.events',
      sequence: seq,
      kind: extra.metrics ? 'metric' : 'event'
    },
    user: { name: plan.user },
    host: { name: 'gpu-node-1' },
    process: { pid: 4242 },
    service: { name: 'tflog' },
    ecs: { version: '8.11.0' },
    labels: { model: plan.model, dataset: plan.dataset },
    tflog
  };
}

function pointOf(plan, state, seq, name, value, scope, fields) {
  state.lastMetrics[name] = value;
  return {
    _id: `${plan.runId}:${seq}:${name}`,
    '@timestamp': new Date(state.lastMs).toISOString(),
    run_id: plan.runId,
    notebook: plan.notebook,
    user: plan.user,
    name,
    value,
    scope,
    source: 'callback',
    ...fields
  };
}

/**
 * The items of one run in the order a kernel writes them: the start, then
 * per step a batch loss point (and now and then a log line), per epoch its
 * four metrics and a log line, then the end. Yields [kind, item] pairs;
 * kind is 'document', 'point' or 'summary'.
 */
function* runItems(plan, random) {
  const state = {
    lastMs: plan.started,
    lastMetrics: {},
    epoch: null,
    step: null,
    events: 0,
    errors: 0
  };
  let seq = 0;
  yield [
    'document',
    eventOf(plan, state, seq, 'info', 'run_start', `run ${plan.runId} started`)
  ];
  seq += 1;
  yield ['summary', summaryOf(plan, state, false), seq];
  const stepsPerEpoch = Math.max(1, Math.ceil(plan.batchPoints / plan.epochs));
  let step = 0;
  const decay = 5 / Math.max(1, plan.batchPoints);
  for (let epoch = 0; epoch < plan.epochs; epoch += 1) {
    const steps = Math.min(stepsPerEpoch, plan.batchPoints - step);
    for (let index = 0; index < steps; index += 1) {
      state.lastMs += plan.stepMs;
      state.step = step;
      const loss = 2.3 * Math.exp(-decay * step) + 0.05 + 0.1 * random.next();
      yield [
        'point',
        pointOf(plan, state, seq, 'loss', loss, 'batch', { step, epoch })
      ];
      seq += 1;
      if (step % plan.logEvery === 0) {
        yield [
          'document',
          eventOf(
            plan,
            state,
            seq,
            'info',
            'log',
            `step ${step} loss ${loss.toFixed(4)} lr 0.001`,
            { step }
          )
        ];
        seq += 1;
      }
      step += 1;
    }
    state.lastMs += plan.stepMs * 10;
    state.epoch = epoch;
    const accuracy = Math.min(0.99, 0.3 + (0.65 * (epoch + 1)) / plan.epochs);
    const values = {
      loss: 2.3 * Math.exp(-decay * step) + 0.08,
      accuracy,
      val_loss: 2.3 * Math.exp(-decay * step) + 0.12,
      val_accuracy: accuracy - 0.03
    };
    const document = eventOf(
      plan,
      state,
      seq,
      'info',
      'epoch',
      `Epoch ${epoch + 1}/${plan.epochs} - loss: ${values.loss.toFixed(4)} - accuracy: ${accuracy.toFixed(4)}`,
      { epoch, epochs_total: plan.epochs, metrics: values }
    );
    yield ['document', document];
    for (const name of EPOCH_METRICS) {
      yield [
        'point',
        pointOf(plan, state, seq, name, values[name], 'epoch', { epoch })
      ];
    }
    seq += 1;
  }
  if (plan.status === 'failed') {
    yield [
      'document',
      eventOf(
        plan,
        state,
        seq,
        'error',
        'error',
        'RuntimeError: CUDA out of memory'
      )
    ];
    seq += 1;
  }
  if (plan.status !== 'running') {
    yield [
      'document',
      eventOf(
        plan,
        state,
        seq,
        'info',
        'run_end',
        `run ended: ${plan.status}`,
        { status: plan.status }
      )
    ];
    seq += 1;
  }
  yield ['summary', summaryOf(plan, state, true), seq];
}

/** Writes every run through the store in batches of `settings.batch` items. */
async function generate(store, settings, random) {
  const plans = planRuns(settings, random);
  let batch = { documents: [], points: [], runs: [], runVersions: {} };
  let items = 0;
  const totals = { documents: 0, points: 0, runs: 0, batches: 0, writeMs: 0 };
  const started = performance.now();
  let reported = started;
  const flush = async () => {
    if (items === 0) {
      return;
    }
    const before = performance.now();
    const result = await store.write(batch);
    totals.writeMs += performance.now() - before;
    if (result.rejected.length > 0) {
      throw new Error(
        `the store rejected ${result.rejected.length} items: ${JSON.stringify(result.rejected[0])}`
      );
    }
    totals.documents += batch.documents.length;
    totals.points += batch.points.length;
    totals.batches += 1;
    batch = { documents: [], points: [], runs: [], runVersions: {} };
    items = 0;
    if (performance.now() - reported > 30_000) {
      reported = performance.now();
      const seconds = (reported - started) / 1000;
      const rate = totals.points / seconds;
      const eta = (settings.points - totals.points) / Math.max(1, rate);
      log(
        `${totals.points.toLocaleString('en')} of ${settings.points.toLocaleString('en')} points in ${seconds.toFixed(0)} s (${Math.round(rate)} points/s, about ${Math.round(eta)} s left)`
      );
    }
  };
  for (const plan of plans) {
    for (const [kind, item, version] of runItems(plan, random)) {
      if (kind === 'summary') {
        // The shipper folds a run's events into one summary per batch.
        const already = batch.runs.findIndex(run => run.run_id === item.run_id);
        if (already >= 0) {
          batch.runs[already] = item;
        } else {
          batch.runs.push(item);
          items += 1;
        }
        batch.runVersions[item.run_id] = version;
      } else {
        (kind === 'point' ? batch.points : batch.documents).push(item);
        items += 1;
      }
      if (items >= settings.batch) {
        await flush();
      }
    }
  }
  await flush();
  totals.runs = plans.length;
  totals.seconds = (performance.now() - started) / 1000;
  return { plans, totals };
}

// ---------------------------------------------------------------- queries

async function timed(action) {
  const before = performance.now();
  const value = await action();
  return [performance.now() - before, value];
}

/** Run list pages of 50, as the runs panel asks for them. */
async function timeRunLists(store, plans, settings, random) {
  const byVariant = {};
  const all = [];
  const tags = plans.map(plan => ['model', plan.model]);
  const variants = {
    none: () => ({}),
    user: () => ({ user: random.pick(USERS) }),
    notebook: () => ({ notebooks: [random.pick(NOTEBOOKS)] }),
    status: () => ({
      status: [random.pick(['failed', 'running', 'interrupted', 'stopped'])]
    }),
    tag: () => ({ tags: Object.fromEntries([random.pick(tags)]) }),
    text: () => ({
      text: random.pick([...MODELS, ...DATASETS, 'sweep', 'finetune'])
    })
  };
  let pages = 0;
  for (let repeat = 0; repeat < settings.listRepeats; repeat += 1) {
    for (const [name, make] of Object.entries(variants)) {
      const query = { ...make(), size: 50 };
      const [ms, page] = await timed(() => store.searchRuns(query));
      if (name === 'none' && page.runs.length !== Math.min(50, plans.length)) {
        throw new Error(`a run list page held ${page.runs.length} runs`);
      }
      (byVariant[name] ??= []).push(ms);
      all.push(ms);
      pages += 1;
      // Following pages by cursor, a few deep, from the page just read.
      let next = page.next;
      for (let deeper = 0; deeper < 3 && next; deeper += 1) {
        const [afterMs, afterPage] = await timed(() =>
          store.searchRuns({ ...query, after: next })
        );
        (byVariant.after ??= []).push(afterMs);
        all.push(afterMs);
        pages += 1;
        next = afterPage.next;
      }
    }
  }
  return { all, byVariant, pages };
}

/** Every curve of a run with a long batch loss curve, thinned to 1,000 points. */
async function timeCurves(store, plans, settings) {
  const big = plans.filter(plan => plan.big);
  const byAxis = { step: [], time: [] };
  for (let repeat = 0; repeat < settings.curveRepeats; repeat += 1) {
    for (const plan of big) {
      for (const axis of ['step', 'time']) {
        const [ms, series] = await timed(() =>
          store.series({ runId: plan.runId, axis, maxPoints: 1000 })
        );
        const loss = series.find(
          curve => curve.name === 'loss' && curve.scope === 'batch'
        );
        if (
          !loss ||
          !loss.downsampled ||
          loss.points.length === 0 ||
          loss.points.length > 4000
        ) {
          throw new Error(
            `series of ${plan.runId} on ${axis}: the batch loss curve came back ${loss ? `with ${loss.points.length} points, downsampled ${loss.downsampled}` : 'missing'}`
          );
        }
        byAxis[axis].push(ms);
      }
    }
  }
  return { all: [...byAxis.step, ...byAxis.time], byAxis, runs: big.length };
}

/**
 * Fresh `node` processes opening the database (bench/store/startup.mjs):
 * from spawn to the line it prints once EmbeddedStore.init() resolved.
 */
async function timeStartups(dir, settings) {
  const wall = [];
  const init = [];
  for (let start = 0; start < settings.starts; start += 1) {
    const line = await new Promise((resolve, reject) => {
      const spawned = performance.now();
      const child = spawn(
        process.execPath,
        [path.join(here, 'startup.mjs'), dir],
        { stdio: ['ignore', 'pipe', 'pipe'] }
      );
      let output = '';
      let errors = '';
      let readyMs = null;
      child.stdout.on('data', chunk => {
        output += chunk;
        if (readyMs === null && output.includes('\n')) {
          readyMs = performance.now() - spawned;
        }
      });
      child.stderr.on('data', chunk => {
        errors += chunk;
      });
      child.on('error', reject);
      // Settled once the child closed the database and exited: the next
      // start (or the size of the directory) never races its close.
      child.on('close', code => {
        if (readyMs === null || code !== 0) {
          reject(
            new Error(`startup.mjs exited with ${code}: ${errors || output}`)
          );
          return;
        }
        wall.push(readyMs);
        resolve(output.split('\n')[0]);
      });
    });
    init.push(JSON.parse(line).init_ms);
  }
  return { wall, init };
}

// ---------------------------------------------------------------- main

function directorySize(dir) {
  let bytes = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) {
      bytes += fs.statSync(path.join(dir, entry.name)).size;
    }
  }
  return bytes;
}

function checkDisk(parent, settings) {
  const needed = settings.points * BYTES_PER_POINT + 256 * 2 ** 20;
  const stat = fs.statfsSync(parent);
  const free = stat.bavail * stat.bsize;
  if (free < needed) {
    throw new Error(
      `${parent} has ${(free / 2 ** 30).toFixed(1)} GiB free; ${settings.points} points need about ${(needed / 2 ** 30).toFixed(1)} GiB (set TMPDIR to a larger disk)`
    );
  }
}

async function main() {
  const settings = options();
  const { EmbeddedStore } = require(STORE_MODULE);
  const parent = settings.dir ?? os.tmpdir();
  checkDisk(parent, settings);
  const dir = fs.mkdtempSync(path.join(parent, 'tflog-store-scale-'));
  const random = randomSource(settings.seed);
  const p = settings.prefix;
  const figures = {};
  try {
    log(
      `writing ${settings.runs} runs, ${settings.points.toLocaleString('en')} metric points (${settings.bigRuns} runs of ${settings.bigPoints.toLocaleString('en')}) into ${dir}`
    );
    const store = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: quietLogger
    });
    await store.init();
    const { plans, totals } = await generate(store, settings, random);
    // This process holds little besides the store: its memory is the store's.
    const memory = process.memoryUsage();
    const writerMemory = {
      rss: memory.rss / 2 ** 20,
      heap: memory.heapUsed / 2 ** 20,
      peak: process.resourceUsage().maxRSS / 1024
    };
    log(
      `wrote ${totals.points} points, ${totals.documents} events, ${totals.runs} runs in ${totals.batches} batches: ${totals.seconds.toFixed(0)} s (${(totals.writeMs / 1000).toFixed(0)} s in write())`
    );
    const lists = await timeRunLists(store, plans, settings, random);
    const curves = await timeCurves(store, plans, settings);
    await store.close();
    const startups = await timeStartups(dir, settings);
    const listSummary = summarise(lists.all);
    const curveSummary = summarise(curves.all);
    const startSummary = summarise(startups.wall);
    Object.assign(figures, {
      [`${p}list_runs_ms.p95`]: listSummary.p95,
      [`${p}list_runs_ms.p50`]: listSummary.p50,
      [`${p}list_runs_ms.max`]: listSummary.max,
      [`${p}list_runs_ms.pages`]: lists.pages,
      [`${p}list_runs_ms.p95_by_filter`]: Object.fromEntries(
        Object.entries(lists.byVariant).map(([name, values]) => [
          name,
          summarise(values).p95
        ])
      ),
      [`${p}curve_1m_points_ms.p95`]: curveSummary.p95,
      [`${p}curve_1m_points_ms.p50`]: curveSummary.p50,
      [`${p}curve_1m_points_ms.max`]: curveSummary.max,
      [`${p}curve_1m_points_ms.n`]: curveSummary.n,
      [`${p}curve_1m_points_ms.p95_by_axis`]: Object.fromEntries(
        Object.entries(curves.byAxis).map(([axis, values]) => [
          axis,
          summarise(values).p95
        ])
      ),
      [`${p}startup_ms`]: startSummary.p50,
      [`${p}startup_ms.max`]: startSummary.max,
      [`${p}startup_ms.samples`]: startups.wall.map(ms => Math.round(ms)),
      [`${p}startup_init_ms`]: summarise(startups.init).p50,
      [`${p}scale.runs`]: settings.runs,
      [`${p}scale.points`]: totals.points,
      [`${p}scale.events`]: totals.documents,
      [`${p}scale.long_curves`]: curves.runs,
      [`${p}scale.batches`]: totals.batches,
      [`${p}scale.batch_items`]: settings.batch,
      [`${p}scale.db_mb`]: Math.round((directorySize(dir) / 2 ** 20) * 10) / 10,
      [`${p}scale.write_points_per_s`]: Math.round(
        totals.points / (totals.writeMs / 1000)
      ),
      [`${p}scale.write_items_per_s`]: Math.round(
        (totals.points + totals.documents) / (totals.writeMs / 1000)
      ),
      [`${p}scale.seconds`]: Math.round(totals.seconds),
      [`${p}scale.writer_rss_mb`]: Math.round(writerMemory.rss),
      [`${p}scale.writer_rss_mb.peak`]: Math.round(writerMemory.peak),
      [`${p}scale.writer_heap_mb`]: Math.round(writerMemory.heap)
    });
  } finally {
    if (settings.keep) {
      log(`kept ${dir}`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  fs.writeFileSync(settings.out, JSON.stringify(figures, null, 2) + '\n');
  for (const [key, value] of Object.entries(figures)) {
    if (!key.endsWith('.samples')) {
      log(`${key.padEnd(52)} ${JSON.stringify(value)}`);
    }
  }
}

main().catch(error => {
  process.stderr.write(`[store-scale] failed: ${error.stack ?? error}\n`);
  process.exit(1);
});
