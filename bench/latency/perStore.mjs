// What the Chromium latency benchmarks share: one browser and one work
// directory for every store, each store measured in turn, and each
// measure's figures printed as a table row and flattened into result keys.
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { setTimeout as delay } from 'timers/promises';

import { launchChromium } from './browser.mjs';
import { flatten, summarise, tableRow } from './stats.mjs';

/** Waits until a cell wrote `path`; a cell that failed never does. */
export async function waitForFile(path, deadline, pollMs = 50) {
  while (!existsSync(path)) {
    if (Date.now() > deadline) {
      throw new Error(`${path} was not written in time: did the cell fail?`);
    }
    await delay(pollMs);
  }
}

/**
 * Measures each store in turn, `measure(store, workDir, browser)`, with one
 * Chromium and one work directory. The directory (each store's jupyter.log)
 * is kept when a store fails or `keep` is set. Returns the results and the
 * browser's name and version.
 */
export async function measureStores({
  root,
  name,
  stores,
  describe,
  keep,
  measure
}) {
  const workDir = mkdtempSync(join(tmpdir(), `tflog-${name}-`));
  const browser = await launchChromium(root);
  const version = `chromium ${browser.version()}`;
  const results = [];
  let failed = true;
  try {
    for (const store of stores) {
      console.error(`[${name}] ${store}: ${describe}`);
      results.push(await measure(store, workDir, browser));
    }
    failed = false;
  } finally {
    await browser.close();
    if (failed || keep) {
      console.error(
        `[${name}] kept ${workDir} (jupyter.log of each store there)`
      );
    } else {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  return { results, browser: version };
}

/**
 * Prints one row per store and measure; `measuresOf(result)` gives the
 * store's `[label, { values, missing }]` pairs.
 */
export function printMeasures(results, measuresOf, footer) {
  const widths = [14, 16, 7, 7, 7, 7, 7, 5, 7];
  console.log(
    tableRow(
      ['store', 'measure', 'p50', 'p95', 'p99', 'mean', 'max', 'n', 'missing'],
      widths
    )
  );
  for (const result of results) {
    for (const [measure, figures] of measuresOf(result)) {
      const summary = summarise(figures.values);
      console.log(
        tableRow(
          [
            result.store,
            measure,
            summary.p50,
            summary.p95,
            summary.p99,
            summary.mean,
            summary.max,
            summary.n,
            figures.missing
          ],
          widths
        )
      );
    }
  }
  console.log(footer);
}

/** `<key>.{p50,p95,p99,mean,min,max,n}` and `<key>.missing` of one measure. */
export function measureEntries(key, figures) {
  return {
    ...flatten(key, summarise(figures.values)),
    [`${key}.missing`]: figures.missing
  };
}
