/** The store contract (contract.ts) on the embedded store. */
import * as fsp from 'fs/promises';
import * as os from 'os';
import * as path from 'path';

import { EmbeddedStore } from '../../src/store/embedded';
import { memoryLogger } from '../ship/fakes';
import {
  expectFindingsMatch,
  expectNotebookPathsMatch,
  expectProblemsMatch,
  expectProblemsSampled
} from './contract';
import {
  expectCompareMatch,
  expectLogSearchCapped,
  expectLogSearchMatch,
  expectLogsAroundMatch,
  expectRunHistoryMatch,
  expectSeriesRangeMatch
} from './history-contract';

describe('the store contract on the embedded store', () => {
  let dir: string;
  let store: EmbeddedStore;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tflog-contract-'));
    store = new EmbeddedStore({
      dir,
      retentionDays: 0,
      logger: memoryLogger().logger
    });
    await store.init();
  });

  afterEach(async () => {
    await store.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('matches a notebook under any of the paths its runs are stored under', async () => {
    await expectNotebookPathsMatch(store, 'contract');
  });

  it('answers queries across runs: thresholds, non-finite values, error counts', async () => {
    await expectFindingsMatch(store, 'findings');
  });

  it('groups the user’s warnings and errors into templates', async () => {
    await expectProblemsMatch(store, 'problems');
  });

  it('filters runs by hyperparameter and sorts them by any key, paging through each sort', async () => {
    await expectRunHistoryMatch(store, 'history');
  });

  it('answers a zoomed series range, thinned over the range only', async () => {
    await expectSeriesRangeMatch(store, 'range');
  });

  it('answers the log lines around a time', async () => {
    await expectLogsAroundMatch(store, 'around');
  });

  it('searches log lines across the user’s runs, newest first', async () => {
    await expectLogSearchMatch(store, 'search');
  });

  it('counts a common word up to the cap and pages it in order', async () => {
    await expectLogSearchCapped(store, 'capped');
  });

  it('compares one metric of several runs, the user’s only, in one query', async () => {
    await expectCompareMatch(store, 'compare');
  });

  it('groups only the newest records past the cap, and says so', async () => {
    await expectProblemsSampled(store, 'sampled');
  });
});
