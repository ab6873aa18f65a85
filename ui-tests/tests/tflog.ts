/**
 * What the Training panel specs share: the panel's DOM contract, notebooks
 * written on the fly, a recorder of chart updates that runs in the page, and
 * Elasticsearch queries.
 */
import { readFileSync } from 'fs';
import { resolve } from 'path';
import {
  APIRequestContext,
  expect,
  JSHandle,
  Locator,
  Page
} from '@playwright/test';

export const PANEL_ID = 'jp-tflog-panel';
export const OPEN_PANEL_COMMAND = 'tflog:open-panel';

/** How long a kernel may take to start, import TensorFlow and train. */
export const TRAINING_TIMEOUT_MS = 180_000;
/** How long a run may take to show up, finish and be stored. */
export const RUN_TIMEOUT_MS = 90_000;

export const DEMO_NOTEBOOK = resolve(__dirname, '../../examples/demo.ipynb');

/** Cells of the demo notebook, by index (see examples/demo.ipynb). */
export const DEMO_CELLS = { loadExtension: 1, logging: 2, training: 3 };

/** A `%%tflog` cell that prints a few step lines the parser reads as `loss`. */
export function shortRunCell(name: string, steps = 8): string {
  return [
    `%%tflog ${name}`,
    'import time',
    `for step in range(1, ${steps + 1}):`,
    "    print(f'step {step} loss={1.0 / step:.4f}')",
    '    time.sleep(0.25)'
  ].join('\n');
}

/** An nbformat 4 notebook of code cells, as the contents API takes it. */
export function notebookContent(cellSources: string[]): string {
  return JSON.stringify({
    cells: cellSources.map(source => ({
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source
    })),
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

export function demoNotebookContent(): string {
  return readFileSync(DEMO_NOTEBOOK, 'utf-8');
}

/**
 * Waits for a JupyterLab page (a plain Playwright page or after a reload)
 * to be restored. JupyterLab may replace the address while it starts, which
 * ends a script running in the page: the wait starts again then.
 */
export async function waitForLabRestored(page: Page): Promise<void> {
  await expect(async () => {
    await page.waitForFunction(() => window.jupyterapp !== undefined);
    await page.evaluate(async () => {
      await window.jupyterapp.restored;
    });
  }).toPass({ timeout: 60_000 });
}

/** Opens the panel with its command and returns it once visible. */
export async function openTrainingPanel(page: Page): Promise<Locator> {
  // The panel's plugin activates once the services it takes (settings, state) are ready.
  await page.waitForFunction(
    command => window.jupyterapp.commands.hasCommand(command),
    OPEN_PANEL_COMMAND
  );
  await page.evaluate(async command => {
    await window.jupyterapp.commands.execute(command);
  }, OPEN_PANEL_COMMAND);
  const panel = page.locator(`#${PANEL_ID}`);
  await expect(panel).toBeVisible();
  return panel;
}

export function shownRun(panel: Locator): Locator {
  return panel.locator('.jp-tflog-run');
}

export function chart(panel: Locator, metric: string): Locator {
  return panel.locator(`.jp-tflog-chart[data-metric="${metric}"]`);
}

/**
 * Waits until the panel shows a finished run other than `previousRunId` and
 * returns its id.
 */
export async function waitForFinishedRun(
  panel: Locator,
  previousRunId: string | null = null
): Promise<string> {
  const run = shownRun(panel);
  await expect
    .poll(
      async () => {
        const id = await run.getAttribute('data-run-id');
        const status = await run.getAttribute('data-run-status');
        return status === 'finished' && id !== null && id !== previousRunId;
      },
      {
        message: `a finished run other than ${previousRunId} is shown`,
        timeout: RUN_TIMEOUT_MS
      }
    )
    .toBe(true);
  const runId = await run.getAttribute('data-run-id');
  if (runId === null) {
    throw new Error('the shown run lost its data-run-id');
  }
  return runId;
}

export async function chartPoints(chartLocator: Locator): Promise<number> {
  const points = await chartLocator.getAttribute('data-points');
  return Number(points ?? 'NaN');
}

// ---------------------------------------------------------------------------
// The service's query API, read through the Jupyter server's proxy.

interface IRunsResponse {
  runs: { run_id: string; status: string }[];
}

interface ISeriesResponse {
  series: { name: string; points: unknown[] }[];
}

/** A run as the API lists it (the fields the specs read). */
export interface IListedRun {
  run_id: string;
  name: string | null;
  status: string;
}

/** The notebook's runs as the service's API lists them, newest first. */
export async function notebookRuns(
  request: APIRequestContext,
  notebookPath: string
): Promise<IListedRun[]> {
  const answer = await request.get(
    `/tflog/api/v1/runs?${new URLSearchParams({ notebook: notebookPath })}`
  );
  expect(answer.ok()).toBe(true);
  return ((await answer.json()) as { runs: IListedRun[] }).runs;
}

/** Waits until the notebook has `count` runs stored that are no longer running. */
export async function waitForEndedRuns(
  request: APIRequestContext,
  notebookPath: string,
  count: number
): Promise<void> {
  await expect
    .poll(
      async () =>
        (await notebookRuns(request, notebookPath)).filter(
          run => run.status !== 'running'
        ).length,
      {
        message: `${count} ended runs of ${notebookPath} are stored`,
        timeout: RUN_TIMEOUT_MS
      }
    )
    .toBe(count);
}

/**
 * Waits until the notebook's newest run is stored as finished with
 * `pointCount` points of `metric`, and returns its id.
 */
export async function waitForStoredRun(
  request: APIRequestContext,
  notebookPath: string,
  metric: string,
  pointCount: number
): Promise<string> {
  let runId = '';
  await expect
    .poll(
      async () => {
        const runs = await request.get(
          `/tflog/api/v1/runs?${new URLSearchParams({ notebook: notebookPath, size: '1' })}`
        );
        expect(runs.ok()).toBe(true);
        const newest = ((await runs.json()) as IRunsResponse).runs[0];
        if (newest === undefined || newest.status !== 'finished') {
          return -1;
        }
        runId = newest.run_id;
        const series = await request.get(
          `/tflog/api/v1/runs/${encodeURIComponent(runId)}/series?names=${metric}`
        );
        expect(series.ok()).toBe(true);
        const lines = ((await series.json()) as ISeriesResponse).series;
        return Math.max(0, ...lines.map(line => line.points.length));
      },
      {
        message: `a finished run of ${notebookPath} with ${pointCount} ${metric} points is stored`,
        timeout: RUN_TIMEOUT_MS
      }
    )
    .toBe(pointCount);
  return runId;
}

// ---------------------------------------------------------------------------
// Chart recorder: a MutationObserver in the page notes every change of a
// chart's data attributes together with the shown run and whether the cell
// being watched is still running, at the moment of the change.

export interface IChartSample {
  /** Date.now() in the page when the change was seen. */
  at: number;
  points: number;
  lastX: string | null;
  runId: string | null;
  runStatus: string | null;
  cellRunning: boolean;
}

/**
 * Starts recording changes of the `metric` chart in the panel; `cell` is the
 * notebook cell whose prompt (`[*]:` while it runs) is read at every change.
 * Returns the page's list of samples (read it with `jsonValue()`).
 */
export async function startChartRecorder(
  page: Page,
  metric: string,
  cell: Locator
): Promise<JSHandle<IChartSample[]>> {
  const cellElement = await cell.elementHandle();
  if (cellElement === null) {
    throw new Error('the cell to watch is not in the page');
  }
  return page.evaluateHandle(
    ({ panelId, metricName, watchedCell }) => {
      const samples: IChartSample[] = [];
      const panelElement = document.getElementById(panelId);
      if (panelElement === null) {
        throw new Error(`#${panelId} is not in the page`);
      }
      const note = (): void => {
        const chartElement = panelElement.querySelector(
          `.jp-tflog-chart[data-metric="${metricName}"]`
        );
        if (chartElement === null) {
          return;
        }
        const points = Number(chartElement.getAttribute('data-points'));
        const lastX = chartElement.getAttribute('data-last-x');
        const previous = samples[samples.length - 1];
        if (
          previous !== undefined &&
          previous.points === points &&
          previous.lastX === lastX
        ) {
          return;
        }
        const run = panelElement.querySelector('.jp-tflog-run');
        const prompt = watchedCell.querySelector('.jp-InputPrompt');
        samples.push({
          at: Date.now(),
          points,
          lastX,
          runId: run?.getAttribute('data-run-id') ?? null,
          runStatus: run?.getAttribute('data-run-status') ?? null,
          cellRunning: (prompt?.textContent ?? '').includes('*')
        });
      };
      new MutationObserver(note).observe(panelElement, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-points', 'data-last-x', 'data-run-id']
      });
      note();
      return samples;
    },
    { panelId: PANEL_ID, metricName: metric, watchedCell: cellElement }
  );
}

/**
 * The samples at which the chart of `runId` had more points than at its
 * previous sample, while the watched cell was still running.
 */
export function growthWhileRunning(
  samples: IChartSample[],
  runId: string
): IChartSample[] {
  const ofRun = samples.filter(sample => sample.runId === runId);
  return ofRun.filter(
    (sample, index) =>
      index > 0 && sample.cellRunning && sample.points > ofRun[index - 1].points
  );
}

// ---------------------------------------------------------------------------
// Theme: what the chart looks like, as the page drew it.

export interface IChartLook {
  renderer: 'svg' | 'canvas' | 'none';
  /** SHA-256 of the drawing: the canvas's pixels or the svg's markup with computed text colours. */
  digest: string;
  /** Relative luminance (0 black .. 1 white) of the chart's background, as drawn. */
  backgroundLuminance: number | null;
}

export async function chartLook(chartLocator: Locator): Promise<IChartLook> {
  return chartLocator.evaluate(async element => {
    const luminance = (red: number, green: number, blue: number): number =>
      (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255;
    const sha256 = async (text: string): Promise<string> => {
      const bytes = new TextEncoder().encode(text);
      const digest = await crypto.subtle.digest('SHA-256', bytes);
      return Array.from(new Uint8Array(digest))
        .map(byte => byte.toString(16).padStart(2, '0'))
        .join('');
    };
    const canvas = element.querySelector('canvas');
    if (canvas !== null) {
      // Vega fills the whole canvas with the background first: a corner
      // pixel (in the padding, away from marks) is the background.
      const context = canvas.getContext('2d');
      const corner = context?.getImageData(0, 0, 1, 1).data;
      return {
        renderer: 'canvas',
        digest: await sha256(canvas.toDataURL()),
        backgroundLuminance:
          corner === undefined
            ? null
            : luminance(corner[0], corner[1], corner[2])
      };
    }
    const svg = element.querySelector('svg');
    if (svg !== null) {
      const textColours = Array.from(svg.querySelectorAll('text')).map(
        text => getComputedStyle(text).fill
      );
      const background = svg.querySelector('.background');
      const fill = background === null ? '' : getComputedStyle(background).fill;
      const channels = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(fill);
      return {
        renderer: 'svg',
        digest: await sha256(svg.outerHTML + textColours.join()),
        backgroundLuminance:
          channels === null
            ? null
            : luminance(
                Number(channels[1]),
                Number(channels[2]),
                Number(channels[3])
              )
      };
    }
    return { renderer: 'none', digest: '', backgroundLuminance: null };
  });
}

// ---------------------------------------------------------------------------
// Elasticsearch, queried directly as an operator would.

export function elasticsearchUrl(): string {
  const url = process.env.TFLOG_UI_ES_URL;
  if (!url) {
    throw new Error(
      'TFLOG_UI_ES_URL is not set: this spec needs the Elasticsearch the service writes to (scripts/ui-test.sh starts one)'
    );
  }
  return url.replace(/\/+$/, '');
}

export function indexPrefix(): string {
  const prefix = process.env.TFLOG_UI_INDEX_PREFIX;
  if (!prefix) {
    throw new Error(
      'TFLOG_UI_INDEX_PREFIX is not set (playwright.config.ts sets it)'
    );
  }
  return prefix;
}

export interface ILogDocument {
  message?: string;
  tflog: { run_id: string; notebook?: string | null; kind?: string };
}

interface ISearchResponse {
  hits: { hits: { _id: string; _source: ILogDocument }[] };
}

/** Event documents whose `tflog.notebook` is `notebookPath`, freshly refreshed. */
export async function logDocumentsOfNotebook(
  notebookPath: string
): Promise<ILogDocument[]> {
  const indices = `${elasticsearchUrl()}/${indexPrefix()}logs-*`;
  const refresh = await fetch(`${indices}/_refresh`, { method: 'POST' });
  if (!refresh.ok) {
    throw new Error(
      `refreshing ${indices}: ${refresh.status} ${await refresh.text()}`
    );
  }
  const response = await fetch(`${indices}/_search`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      size: 1000,
      query: { term: { 'tflog.notebook': notebookPath } }
    })
  });
  if (!response.ok) {
    throw new Error(
      `searching ${indices}: ${response.status} ${await response.text()}`
    );
  }
  const result = (await response.json()) as ISearchResponse;
  return result.hits.hits.map(hit => hit._source);
}
