/**
 * What every store must answer the same way, written once and run against
 * each: the embedded store in contract.test.ts, Elasticsearch in
 * test/integration/elasticsearch.int.test.ts (a real cluster).
 */
import type { IStore } from '../../src/store/store';
import type { IRunSummary } from '../../src/types';

const ROOT = '/home/alice';

function summary(
  runId: string,
  notebook: string,
  startedHour: number
): IRunSummary {
  const started = new Date(
    Date.UTC(2026, 0, 31, 10 + startedHour)
  ).toISOString();
  return {
    run_id: runId,
    name: `name of ${runId}`,
    status: 'finished',
    notebook,
    kernel_id: 'k-1',
    user: 'alice',
    host: 'node-1',
    tags: {},
    hparams: {},
    started,
    ended: started,
    updated: started,
    last_metrics: { loss: 0.5 },
    last_epoch: 0,
    last_step: 10,
    counts: { events: 3, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0
  };
}

/**
 * A run filter by notebook takes every path the notebook's runs may be
 * stored under (relative to the server's root, and absolute inside it, as
 * a kernel started outside JupyterLab reported it) and matches any of them,
 * exactly: no other notebook, no other root, commas as part of a path.
 */
export async function expectNotebookPathsMatch(
  store: IStore,
  prefix: string,
  afterWrite: () => Promise<void> = async () => undefined
): Promise<void> {
  const runs = [
    summary(`${prefix}-relative`, 'work/train.ipynb', 0),
    summary(`${prefix}-absolute`, `${ROOT}/work/train.ipynb`, 1),
    summary(`${prefix}-other`, 'work/other.ipynb', 2),
    summary(`${prefix}-elsewhere`, '/srv/shared/work/train.ipynb', 3),
    summary(`${prefix}-comma`, 'work/a,b.ipynb', 4),
    summary(`${prefix}-bare`, 'train.ipynb', 5)
  ];
  const result = await store.write({
    documents: [],
    points: [],
    runs,
    runVersions: Object.fromEntries(runs.map(run => [run.run_id, 1]))
  });
  if (result.rejected.length > 0 || result.retry !== undefined) {
    throw new Error(`the store refused the runs: ${JSON.stringify(result)}`);
  }
  await afterWrite();

  const ids = async (notebooks: string[]): Promise<string[]> => {
    const page = await store.searchRuns({
      user: 'alice',
      notebooks,
      text: prefix,
      size: 50
    });
    expect(page.total).toBe(page.runs.length);
    return page.runs.map(run => run.run_id);
  };

  expect(await ids(['work/train.ipynb', `${ROOT}/work/train.ipynb`])).toEqual([
    `${prefix}-absolute`,
    `${prefix}-relative`
  ]);
  expect(await ids(['work/train.ipynb'])).toEqual([`${prefix}-relative`]);
  expect(await ids([`${ROOT}/work/train.ipynb`])).toEqual([
    `${prefix}-absolute`
  ]);
  expect(await ids(['work/a,b.ipynb'])).toEqual([`${prefix}-comma`]);
  expect(await ids(['work/a'])).toEqual([]);
  expect(await ids(['train.ipynb'])).toEqual([`${prefix}-bare`]);
  // Paged like any run list.
  const first = await store.searchRuns({
    user: 'alice',
    notebooks: ['work/train.ipynb', `${ROOT}/work/train.ipynb`],
    text: prefix,
    size: 1
  });
  expect(first.total).toBe(2);
  expect(first.runs.map(run => run.run_id)).toEqual([`${prefix}-absolute`]);
  const second = await store.searchRuns({
    user: 'alice',
    notebooks: ['work/train.ipynb', `${ROOT}/work/train.ipynb`],
    text: prefix,
    size: 1,
    after: first.next
  });
  expect(second.runs.map(run => run.run_id)).toEqual([`${prefix}-relative`]);
}
