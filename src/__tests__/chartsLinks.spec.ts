import { Widget } from '@lumino/widgets';

import { RunModel } from '../model/runModel';
import { resolveThemeColours } from '../theme';
import { ChartsPanel } from '../views/charts';
import { FakeClient, points, series } from './fakes';
import { logLine } from './logFixtures';

/** Until the panel's charts, and what they started, have drawn. */
async function settled(panel: ChartsPanel): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await panel.drawn;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

describe('the charts of a run and its logs', () => {
  it('mark the run’s warnings, and a click on a marker opens its lines', async () => {
    const client = new FakeClient();
    client.allSeries = [series('loss', points([1, 2, 3, 4]))];
    client.logLines = [
      logLine(3, {
        level: 'warning',
        kind: 'warning',
        step: 3,
        message: 'careful'
      }),
      logLine(4, { level: 'warning', kind: 'warning', runId: 'run-2' })
    ];
    const openLogs = jest.fn();
    const panel = new ChartsPanel({
      colours: resolveThemeColours(() => ''),
      renderer: 'svg',
      openLogs
    });
    Widget.attach(panel, document.body);
    const run = new RunModel({
      client,
      runId: 'run-1',
      view: { axis: 'step', smoothing: 0, maxPoints: 1000, metrics: [] }
    });
    panel.setRunModel(run);
    await run.load();
    await settled(panel);
    const chart = panel.node.querySelector<HTMLElement>(
      '.jp-tflog-chart[data-metric="loss"]'
    )!;
    expect(chart.dataset.markers).toBe('1');
    expect(client.logQueries.map(query => query.runId)).toEqual(['run-1']);
    chart
      .querySelector('.log_markers_marks path')!
      .dispatchEvent(new MouseEvent('click', { bubbles: true }));
    // A click waits for a possible second one (a double-click resets the zoom).
    await new Promise(resolve => setTimeout(resolve, 400));
    expect(openLogs).toHaveBeenCalledWith({
      runId: 'run-1',
      at: new Date(3000).toISOString(),
      lineId: 'run-1:3'
    });
    panel.dispose();
  });

  it('draw y on a log scale when the run view asks for it', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series(
        'loss',
        points([0, 1, 2], x => x - 1)
      )
    ];
    const panel = new ChartsPanel({
      colours: resolveThemeColours(() => ''),
      renderer: 'svg'
    });
    Widget.attach(panel, document.body);
    const run = new RunModel({
      client,
      runId: 'run-1',
      view: { axis: 'step', smoothing: 0, maxPoints: 1000, metrics: [] }
    });
    panel.setRunModel(run);
    await run.load();
    await settled(panel);
    const dots = () =>
      panel.node.querySelectorAll('.markers_marks path').length;
    expect(dots()).toBe(3);
    run.setView({ logScale: true });
    await settled(panel);
    expect(dots()).toBe(1);
    panel.dispose();
  });
});
