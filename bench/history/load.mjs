// Fills a store with a history of runs without kernels: spool records made
// here go through the service's own parser (createParser().parseRecord) and
// summary fold (foldSummary), and what they give is written through the
// store's write() in shipper-sized batches, so the stored documents, points
// and summaries (tags, hparams, statuses, last/min/max metrics, health) have
// exactly the shape the shipper stores. See docs/benchmarks.md (history).
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  Worker,
  isMainThread,
  parentPort,
  workerData
} from 'node:worker_threads';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The user every run belongs to: the API serves one user's runs. */
export const HISTORY_USER = 'bench';
const PROJECTS = ['vision', 'nlp', 'tabular', 'speech'];
const NOTEBOOK_NAMES = ['train', 'sweep', 'finetune', 'baseline', 'ablation'];
export const NOTEBOOKS = PROJECTS.flatMap(project =>
  NOTEBOOK_NAMES.map(name => `${project}/${name}.ipynb`)
);
export const MODELS = ['resnet50', 'bert-base', 'mlp', 'unet', 'vit-small'];
const DATASETS = ['mnist', 'cifar10', 'imagenet', 'imdb', 'librispeech'];
const OPTIMIZERS = ['adam', 'sgd', 'adamw'];
const STATUSES = [
  ['finished', 0.72],
  ['failed', 0.1],
  ['interrupted', 0.08],
  ['stopped', 0.04],
  ['running', 0.06]
];
/** Runs that log a gradient warning now and then. */
const WARNING_SHARE = 0.15;
/** What the log search looks for: an error of failed runs, a warning, a common word. */
export const LOG_SEARCH_TEXTS = [
  'CUDA out of memory',
  'gradient norm exceeded',
  'checkpoint'
];

/** A small deterministic generator (mulberry32): the same history every run. */
export function randomSource(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (low, high) => low + Math.floor(next() * (high - low + 1)),
    pick: list => list[Math.floor(next() * list.length)],
    weighted: pairs => {
      let left = next();
      for (const [value, share] of pairs) {
        left -= share;
        if (left < 0) {
          return value;
        }
      }
      return pairs[pairs.length - 1][0];
    }
  };
}

/**
 * What each run will hold, made first so the totals are exact. Ordinary
 * runs log `loss` and `accuracy` per step (two points a record) and four
 * metrics per epoch; the long run logs `loss` alone for `bigSteps` steps,
 * so its batch loss series has `bigSteps` points.
 */
export function planHistory({
  runs,
  points,
  bigSteps,
  days,
  seed,
  now = Date.now()
}) {
  const random = randomSource(seed);
  const bigEpochs = 50;
  const bigPoints = bigSteps > 0 ? bigSteps + 4 * bigEpochs : 0;
  const ordinary = runs - (bigSteps > 0 ? 1 : 0);
  const left = points - bigPoints;
  if (ordinary > 0 && left < ordinary * 12) {
    throw new Error(`${points} points leave too few for ${ordinary} runs`);
  }
  const bigAt = bigSteps > 0 ? Math.floor(runs / 2) : -1;
  const plans = [];
  let ordinaryIndex = 0;
  for (let index = 0; index < runs; index += 1) {
    const big = index === bigAt;
    const total = big
      ? bigPoints
      : Math.floor(left / ordinary) +
        (ordinaryIndex++ < left % ordinary ? 1 : 0);
    const epochs = big
      ? bigEpochs
      : Math.min(random.int(5, 40), Math.floor(total / 12));
    // Whole steps of two points; an odd point left over goes to nobody.
    const steps = big ? bigSteps : Math.floor((total - 4 * epochs) / 2);
    const started =
      now -
      days * DAY_MS +
      ((index + random.next()) / runs) * (days - 1) * DAY_MS;
    const model = random.pick(MODELS);
    const dataset = random.pick(DATASETS);
    const notebook = random.pick(NOTEBOOKS);
    const stamp = new Date(started)
      .toISOString()
      .replace(/[-:]/g, '')
      .slice(0, 15);
    plans.push({
      big,
      runId: `${stamp}Z-${index.toString(16).padStart(6, '0')}`,
      started,
      notebook,
      model,
      dataset,
      project: notebook.split('/')[0],
      status: big ? 'finished' : random.weighted(STATUSES),
      warns: random.next() < WARNING_SHARE,
      epochs,
      steps,
      points: (big ? 1 : 2) * steps + 4 * epochs,
      learningRate: random.pick([0.1, 0.01, 0.003, 0.001, 0.0003]),
      batchSize: random.pick([16, 32, 64, 128]),
      optimizer: random.pick(OPTIMIZERS),
      // How fast the loss falls, and where it settles.
      decay: 3 + 4 * random.next(),
      floor: 0.02 + 0.3 * random.next(),
      stepMs: big ? 20 : random.int(40, 400),
      logEvery: big ? 5000 : random.int(100, 400),
      seed: random.int(1, 2 ** 31)
    });
  }
  return plans;
}

/** How many records runRecords(plan) yields, counted without making them. */
export function plannedRecords(plan) {
  const warningEvery = plan.logEvery * 7;
  const warnings =
    plan.warns && plan.steps > 3
      ? Math.floor((plan.steps - 4) / warningEvery) + 1
      : 0;
  const ending = { failed: 2, running: 0 }[plan.status] ?? 1;
  // Start and hparams; a metrics record per step; the log lines; two per epoch.
  return (
    2 +
    plan.steps +
    Math.ceil(plan.steps / plan.logEvery) +
    warnings +
    2 * plan.epochs +
    ending
  );
}

/** The spool records a kernel writes for one run, in order, with seq and ts. */
export function* runRecords(plan) {
  const random = randomSource(plan.seed);
  let seq = 0;
  let ms = plan.started;
  const record = fields => ({ seq: seq++, ts: ms / 1000, ...fields });
  yield record({
    t: 'start',
    v: 1,
    run: plan.runId,
    name: `${plan.model} on ${plan.dataset}`,
    tags: { project: plan.project, model: plan.model, dataset: plan.dataset },
    ctx: {
      notebook: plan.notebook,
      kernel_id: `k-${plan.runId.slice(-6)}`,
      user: HISTORY_USER,
      host: 'gpu-node-1',
      pid: 4242
    }
  });
  yield record({
    t: 'hparams',
    values: {
      learning_rate: plan.learningRate,
      batch_size: plan.batchSize,
      optimizer: plan.optimizer,
      epochs: plan.epochs
    }
  });
  const stepsPerEpoch = Math.max(1, Math.ceil(plan.steps / plan.epochs));
  const lossAt = step =>
    plan.floor + 2.3 * Math.exp((-plan.decay * step) / Math.max(1, plan.steps));
  let step = 0;
  for (let epoch = 0; epoch < plan.epochs; epoch += 1) {
    const steps = Math.min(stepsPerEpoch, plan.steps - step);
    for (let batch = 0; batch < steps; batch += 1) {
      ms += plan.stepMs;
      const loss = lossAt(step) + 0.05 * random.next();
      yield record({
        t: 'metrics',
        scope: 'batch',
        epoch,
        batch,
        step,
        values: plan.big
          ? { loss }
          : { loss, accuracy: Math.max(0, 1 - loss / 2.5) }
      });
      if (step % plan.logEvery === 0) {
        yield record({
          t: 'log',
          level: 'INFO',
          logger: 'train',
          msg: `step ${step} loss ${loss.toFixed(4)} lr ${plan.learningRate}`
        });
      }
      if (plan.warns && step % (plan.logEvery * 7) === 3) {
        yield record({
          t: 'log',
          level: 'WARNING',
          logger: 'train',
          msg: `Gradient norm exceeded threshold: ${(10 + 10 * random.next()).toFixed(1)}`
        });
      }
      step += 1;
    }
    ms += plan.stepMs * 10;
    const loss = lossAt(step);
    const accuracy = Math.min(0.99, 0.3 + (0.65 * (epoch + 1)) / plan.epochs);
    yield record({
      t: 'metrics',
      scope: 'epoch',
      epoch,
      values: {
        loss,
        accuracy,
        val_loss: loss + 0.04 + 0.02 * random.next(),
        val_accuracy: accuracy - 0.03
      }
    });
    yield record({
      t: 'log',
      level: 'INFO',
      logger: 'train',
      msg: `Epoch ${epoch + 1}/${plan.epochs}: checkpoint saved to ckpt/${plan.runId}-${epoch + 1}.keras`
    });
  }
  if (plan.status === 'failed') {
    const message = 'CUDA out of memory. Tried to allocate 2.00 GiB';
    yield record({
      t: 'log',
      level: 'ERROR',
      logger: 'train',
      msg: `RuntimeError: ${message}`
    });
    ms += 1000;
    yield record({
      t: 'end',
      status: 'failed',
      error: { type: 'RuntimeError', message }
    });
  } else if (plan.status !== 'running') {
    ms += 1000;
    yield record({ t: 'end', status: plan.status, error: null });
  }
}

/**
 * The service's own modules, from `libDir` (a built service/lib, or a copy
 * of one so that a rebuild during the benchmark cannot change them).
 */
export function serviceModules(libDir) {
  const require = createRequire(path.join(libDir, 'package-anchor.js'));
  return {
    ...require(path.join(libDir, 'parse', 'index.js')),
    ...require(path.join(libDir, 'ship', 'summary.js')),
    ...require(path.join(libDir, 'store', 'embedded.js')),
    ...require(path.join(libDir, 'store', 'elasticsearch.js')),
    ...require(path.join(libDir, 'config.js'))
  };
}

const quietLogger = {
  debug() {},
  info() {},
  warn(message) {
    process.stderr.write(`[history] store warning: ${message}\n`);
  },
  error(message) {
    process.stderr.write(`[history] store error: ${message}\n`);
  },
  child() {
    return quietLogger;
  }
};

/** A store of the service: the embedded one in `dir`, or Elasticsearch under `prefix`. */
export function openStore(modules, { store, dir, esUrl, prefix }) {
  if (store === 'embedded') {
    return new modules.EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: quietLogger
    });
  }
  const { config, errors } = modules.loadConfig({
    TFLOG_ES_URLS: esUrl,
    TFLOG_INDEX_PREFIX: prefix,
    TFLOG_USER: HISTORY_USER,
    // Only read for its Elasticsearch part; the service needs an address.
    TFLOG_PORT: '1'
  });
  if (errors.length > 0 || !config.elasticsearch) {
    throw new Error(`configuration: ${JSON.stringify(errors)}`);
  }
  return new modules.ElasticsearchStore({
    config: config.elasticsearch,
    logger: quietLogger
  });
}

/**
 * Writes every planned run through `store.write` in batches of about
 * `batchItems` documents and points, up to `concurrency` batches in flight.
 * Each batch carries the current summary of the runs it touched, versioned
 * by their last seq, as the shipper's do. Returns the totals and timings.
 */
export async function loadHistory(
  modules,
  store,
  plans,
  { batchItems, concurrency, log }
) {
  const parser = modules.createParser();
  const totals = { documents: 0, points: 0, records: 0, batches: 0 };
  const inFlight = new Set();
  const started = performance.now();
  let reported = started;
  const plannedPoints = plans.reduce((sum, plan) => sum + plan.points, 0);
  let batch = null;
  let touched = new Map();
  const fresh = () => {
    batch = { documents: [], points: [], runs: [], runVersions: {} };
    touched = new Map();
  };
  fresh();
  const send = async write => {
    const result = await store.write(write);
    if (result.rejected.length > 0) {
      throw new Error(
        `the store rejected ${result.rejected.length} items, the first: ${JSON.stringify(result.rejected[0])}`
      );
    }
  };
  const flush = async () => {
    for (const [runId, run] of touched) {
      batch.runs.push(run.summary);
      batch.runVersions[runId] = run.lastSeq;
    }
    if (
      batch.documents.length + batch.points.length + batch.runs.length ===
      0
    ) {
      return;
    }
    totals.documents += batch.documents.length;
    totals.points += batch.points.length;
    totals.batches += 1;
    const pending = send(batch).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    fresh();
    if (inFlight.size >= concurrency) {
      await Promise.race(inFlight);
    }
    const now = performance.now();
    if (now - reported > 30_000) {
      reported = now;
      const seconds = (now - started) / 1000;
      const rate = totals.points / seconds;
      log(
        `${totals.points.toLocaleString('en')} of ${plannedPoints.toLocaleString('en')} points in ${seconds.toFixed(0)} s (${Math.round(rate)} points/s, about ${Math.round((plannedPoints - totals.points) / Math.max(1, rate))} s left)`
      );
    }
  };
  for (const plan of plans) {
    const state = modules.createRunState(plan.runId);
    const run = { summary: null, lastSeq: 0 };
    for (const record of runRecords(plan)) {
      const parsed = parser.parseRecord(record, state);
      run.summary = modules.foldSummary(
        run.summary,
        plan.runId,
        record,
        parsed
      );
      run.lastSeq = record.seq;
      totals.records += 1;
      // One by one: spreading a large array into push() overflows the stack.
      for (const document of parsed.documents) {
        batch.documents.push(document);
      }
      for (const point of parsed.points) {
        batch.points.push(point);
      }
      touched.set(plan.runId, run);
      if (batch.documents.length + batch.points.length >= batchItems) {
        await flush();
        touched.set(plan.runId, run);
      }
    }
    touched.set(plan.runId, run);
  }
  await flush();
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  return {
    ...totals,
    runs: plans.length,
    seconds,
    pointsPerSecond: totals.points / seconds,
    itemsPerSecond: (totals.points + totals.documents) / seconds
  };
}

/**
 * How each store is filled (docs/benchmarks.md, "filling a store"): the
 * embedded store in fewer, larger transactions (a third faster under heavy
 * load, the same on a quieter machine); Elasticsearch in larger bulks, more
 * in flight, from two loaders that parse runs side by side.
 */
export const FILL_SETTINGS = {
  elasticsearch: { batchItems: 10_000, concurrency: 4, workers: 2 },
  // One writer: the embedded store's database takes one at a time.
  embedded: { batchItems: 50_000, concurrency: 1, workers: 1 }
};

/** Index template fields Elasticsearch takes back on a PUT (a GET adds dates). */
const TEMPLATE_FIELDS = [
  'index_patterns',
  'template',
  'composed_of',
  'priority',
  'version',
  '_meta',
  'data_stream',
  'allow_auto_create',
  'ignore_missing_component_templates',
  'deprecated'
];

async function esRequest(esUrl, method, target, body) {
  const response = await globalThis.fetch(`${esUrl}/${target}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `${method} ${target}: ${response.status} ${text.slice(0, 300)}`
    );
  }
  return JSON.parse(text);
}

/**
 * Turns off refreshing of the benchmark's indices (those there and the daily
 * ones the templates make during the load): nobody searches them while they
 * fill. Returns what puts the store's own settings back.
 */
async function pauseRefresh(esUrl, prefix) {
  const { index_templates: templates } = await esRequest(
    esUrl,
    'GET',
    `_index_template/${prefix}*`
  );
  const originals = templates.map(({ name, index_template: body }) => ({
    name,
    body: Object.fromEntries(
      TEMPLATE_FIELDS.filter(field => field in body).map(field => [
        field,
        body[field]
      ])
    )
  }));
  const intervals = new Set(
    originals.map(
      ({ body }) => body.template?.settings?.index?.refresh_interval ?? null
    )
  );
  if (intervals.size !== 1) {
    throw new Error(
      `the ${prefix}* templates refresh differently: ${[...intervals].join(', ')}`
    );
  }
  const [interval] = intervals;
  for (const { name, body } of originals) {
    const paused = JSON.parse(JSON.stringify(body));
    paused.template.settings.index.refresh_interval = '-1';
    await esRequest(esUrl, 'PUT', `_index_template/${name}`, paused);
  }
  await esRequest(esUrl, 'PUT', `${prefix}*/_settings`, {
    index: { refresh_interval: '-1' }
  });
  return async () => {
    for (const { name, body } of originals) {
      await esRequest(esUrl, 'PUT', `_index_template/${name}`, body);
    }
    await esRequest(esUrl, 'PUT', `${prefix}*/_settings`, {
      index: { refresh_interval: interval }
    });
    await esRequest(esUrl, 'POST', `${prefix}*/_refresh`);
  };
}

/** Loads the plans whose index modulo `workers` is `share`, in a worker thread. */
function startLoader(libDir, target, plans, settings, share, log) {
  const worker = new Worker(fileURLToPath(import.meta.url), {
    workerData: {
      historyLoader: true,
      libDir,
      target,
      plans: plans.filter((_, index) => index % settings.workers === share),
      settings: {
        batchItems: settings.batchItems,
        concurrency: settings.concurrency
      }
    }
  });
  let ready;
  const readyNow = new Promise((resolve, reject) => {
    ready = { resolve, reject };
  });
  const done = new Promise((resolve, reject) => {
    worker.on('message', message => {
      if (message.ready) {
        ready.resolve();
      } else if (message.log) {
        log(`loader ${share + 1}: ${message.log}`);
      } else if (message.loaded) {
        resolve(message.loaded);
      }
    });
    const fail = error => {
      ready.reject(error);
      reject(error);
    };
    worker.on('error', fail);
    worker.on('exit', code => {
      fail(new Error(`loader ${share + 1} ended (${code}) before loading`));
    });
  });
  return { worker, ready: readyNow, done };
}

/** A loader thread: opens its own store, says so, loads its share once told to. */
async function loaderThread({ libDir, target, plans, settings }) {
  const modules = serviceModules(libDir);
  const store = openStore(modules, target);
  await store.init();
  const go = new Promise(resolve => parentPort.once('message', resolve));
  parentPort.postMessage({ ready: true });
  await go;
  let loaded;
  try {
    loaded = await loadHistory(modules, store, plans, {
      ...settings,
      log: message => parentPort.postMessage({ log: message })
    });
  } finally {
    // Before saying done: the main thread then ends this thread, and closing
    // writes what the store still holds (Elasticsearch's curve summaries).
    await store.close();
  }
  parentPort.postMessage({ loaded });
}

if (!isMainThread && workerData?.historyLoader) {
  await loaderThread(workerData);
}

/**
 * Fills the store `target` names (as openStore takes it) with the plans,
 * as fast as it takes them (FILL_SETTINGS, or `overrides`), and leaves it
 * as the service would: on Elasticsearch, refreshing is off during the load
 * and put back, and the indices refreshed, before this returns (counted in
 * `seconds`). The stored documents, points and summaries are loadHistory's.
 */
export async function fillStore(libDir, target, plans, { log, ...overrides }) {
  const settings = { ...FILL_SETTINGS[target.store], ...overrides };
  if (target.store === 'embedded' && settings.workers > 1) {
    throw new Error('the embedded store is filled by one writer (workers: 1)');
  }
  const modules = serviceModules(libDir);
  const store = openStore(modules, target);
  await store.init();
  try {
    if (settings.workers <= 1) {
      const restore =
        target.store === 'elasticsearch'
          ? await pauseRefresh(target.esUrl, target.prefix)
          : null;
      const started = performance.now();
      const loaded = await loadHistory(modules, store, plans, {
        ...settings,
        log
      });
      await restore?.();
      return withRates(loaded, (performance.now() - started) / 1000);
    }
    const loaders = Array.from({ length: settings.workers }, (_, share) =>
      startLoader(libDir, target, plans, settings, share, log)
    );
    try {
      // A loader that ends before it is ready fails here, not unhandled.
      await Promise.all(
        loaders.map(loader => Promise.race([loader.ready, loader.done]))
      );
      // After every loader's init, which puts the templates back as they were.
      const restore =
        target.store === 'elasticsearch'
          ? await pauseRefresh(target.esUrl, target.prefix)
          : null;
      const started = performance.now();
      for (const { worker } of loaders) {
        worker.postMessage({ go: true });
      }
      const shares = await Promise.all(loaders.map(loader => loader.done));
      await restore?.();
      const sum = key => shares.reduce((total, share) => total + share[key], 0);
      return withRates(
        {
          documents: sum('documents'),
          points: sum('points'),
          records: sum('records'),
          batches: sum('batches'),
          runs: sum('runs')
        },
        (performance.now() - started) / 1000
      );
    } finally {
      await Promise.all(loaders.map(({ worker }) => worker.terminate()));
    }
  } finally {
    await store.close();
  }
}

function withRates(loaded, seconds) {
  return {
    ...loaded,
    seconds,
    pointsPerSecond: loaded.points / seconds,
    itemsPerSecond: (loaded.points + loaded.documents) / seconds
  };
}
