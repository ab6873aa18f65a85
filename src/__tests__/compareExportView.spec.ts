import { Notification } from '@jupyterlab/apputils';

import { CompareModel } from '../model/compareModel';
import { errorFromResponse } from '../request';
import type { ISeriesQuery, ISeriesResponse } from '../tokens';
import { exportComparison } from '../views/compareExport';
import { FakeClient, points, series } from './fakes';
import { markingBundle } from './translation';

/** Runs with a loss curve, but for those in `failing`, whose reads the proxy answers 502. */
class PartlyFailing extends FakeClient {
  failing = new Set<string>();

  series(runId: string, query: ISeriesQuery): Promise<ISeriesResponse> {
    return this.failing.has(runId)
      ? Promise.reject(
          errorFromResponse(
            502,
            undefined,
            'Bad Gateway',
            `http://localhost/tflog/api/v1/runs/${runId}/series`
          )
        )
      : super.series(runId, query);
  }
}

async function exported(failing: string[]) {
  const client = new PartlyFailing();
  client.allSeries = [series('loss', points([1, 2]))];
  const model = new CompareModel({ client, runIds: ['a', 'b', 'c'] });
  await model.load();
  client.failing = new Set(failing);
  const downloads: { content: string; fileName: string }[] = [];
  Notification.dismiss();
  await exportComparison(model, 'csv', markingBundle(), (content, fileName) =>
    downloads.push({ content, fileName })
  );
  model.dispose();
  const notices = Notification.manager.notifications.map(notice => ({
    type: notice.type,
    message: notice.message
  }));
  return { downloads, notices };
}

describe('exportComparison', () => {
  beforeEach(() => {
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('downloads the runs read and names the ones it lacks', async () => {
    const { downloads, notices } = await exported(['b', 'c']);
    expect(downloads.map(file => file.fileName)).toEqual([
      'tflog-compare-3-runs.csv'
    ]);
    const lines = downloads[0].content.trim().split('\n');
    // A header and run a's two points: b and c could not be read.
    expect(lines).toHaveLength(3);
    expect(notices).toEqual([
      {
        type: 'warning',
        message: expect.stringMatching(
          /^«The export lacks 2 runs that could not be read: b, c \(first reason: «The tflog service is unreachable \(HTTP 502\)/
        )
      }
    ]);
  });

  it('downloads nothing and says why when no run could be read', async () => {
    const { downloads, notices } = await exported(['a', 'b', 'c']);
    expect(downloads).toEqual([]);
    expect(notices).toEqual([
      {
        type: 'error',
        message: expect.stringMatching(
          /^«Nothing was exported: none of the 3 runs could be read \(first reason: «The tflog service is unreachable/
        )
      }
    ]);
  });

  it('says nothing more when every run was read', async () => {
    const { downloads, notices } = await exported([]);
    expect(downloads).toHaveLength(1);
    expect(notices).toEqual([]);
  });
});
