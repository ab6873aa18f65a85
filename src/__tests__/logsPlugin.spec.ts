import type { MainAreaWidget } from '@jupyterlab/apputils';

import { OPEN_LOGS_COMMAND } from '../model/logs';
import { logsPlugin, readOpenLogsArgs } from '../plugins/logs';
import type { ILogQuery } from '../tokens';
import type { LogsView } from '../views/logs';
import { fakeApp, stubResizeObserver } from './appFakes';
import { FakeClient } from './fakes';
import { logLine } from './logFixtures';

beforeAll(stubResizeObserver);

describe('readOpenLogsArgs', () => {
  it('keeps the arguments of the right type and leaves out the rest', () => {
    expect(
      readOpenLogsArgs({
        runId: 'run-1',
        at: '2026-01-31T10:00:00.000Z',
        levels: ['warning', 3, 'error'],
        text: '',
        lineId: 7
      })
    ).toEqual({
      runId: 'run-1',
      at: '2026-01-31T10:00:00.000Z',
      levels: ['warning', 'error'],
      text: undefined,
      lineId: undefined
    });
  });
});

describe('tflog:open-logs', () => {
  it('opens one tab per run, and brings it forward with the new time', async () => {
    const client = new FakeClient();
    client.logLines = [logLine(1), logLine(2)];
    const { app, added } = fakeApp();
    logsPlugin.activate(app, client, null, null, null);

    await app.commands.execute(OPEN_LOGS_COMMAND, { runId: 'run-1' });
    const at = new Date(2000).toISOString();
    await app.commands.execute(OPEN_LOGS_COMMAND, { runId: 'run-1', at });
    await app.commands.execute(OPEN_LOGS_COMMAND, { text: 'loss' });

    expect(added.map(widget => widget.id)).toEqual([
      'tflog-logs-run-1',
      'tflog-logs-all'
    ]);
    const tab = added[0] as MainAreaWidget<LogsView>;
    expect(tab.content.model.highlighted).toBe('run-1:2');
    expect((client.logQueries[1].query as ILogQuery).at).toBe(at);
    expect(client.logQueries[2]).toMatchObject({
      runId: null,
      query: { text: 'loss' }
    });
    for (const widget of added) {
      widget.dispose();
    }
  });
});
