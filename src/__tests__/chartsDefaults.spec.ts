import { Widget } from '@lumino/widgets';

import { RunModel } from '../model/runModel';
import { resolveThemeColours } from '../theme';
import { ChartsPanel } from '../views/charts';
import { FakeClient, points, series } from './fakes';

const colours = resolveThemeColours(() => '');

async function shown(
  client: FakeClient,
  axis: 'auto' | 'step' = 'step'
): Promise<{ panel: ChartsPanel; run: RunModel }> {
  const run = new RunModel({
    client,
    runId: 'run-1',
    view: { axis, smoothing: 0, maxPoints: 1000, metrics: [] }
  });
  const panel = new ChartsPanel({ colours, renderer: 'svg' });
  Widget.attach(panel, document.body);
  panel.setRunModel(run);
  await run.load();
  await panel.drawn;
  return { panel, run };
}

function chartMetrics(panel: ChartsPanel): string[] {
  return [...panel.node.querySelectorAll<HTMLElement>('.jp-tflog-chart')].map(
    node => node.dataset.metric ?? ''
  );
}

describe('ChartsPanel defaults', () => {
  it('shows a constant series as a value, not as a chart', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series('loss', points([1, 2, 3])),
      series(
        'lr',
        points([1, 2, 3], () => 0.001)
      )
    ];
    const { panel, run } = await shown(client);
    expect(chartMetrics(panel)).toEqual(['loss']);
    const constant = panel.node.querySelector<HTMLElement>(
      '.jp-tflog-constant[data-metric="lr"]'
    );
    expect(constant?.textContent).toBe('lr0.001constant');
    expect(
      panel.node
        .querySelector<HTMLElement>('.jp-tflog-constants')
        ?.closest('.lm-mod-hidden')
    ).toBeNull();
    panel.dispose();
    run.dispose();
  });

  it('draws a constant series as a chart once it changes', async () => {
    const client = new FakeClient();
    const lr = series(
      'lr',
      points([1, 2], () => 0.001)
    );
    client.allSeries = [series('loss', points([1, 2])), lr];
    const { panel, run } = await shown(client);
    expect(chartMetrics(panel)).toEqual(['loss']);
    lr.points.push(...points([3], () => 0.0005));
    await run.refresh();
    await panel.drawn;
    expect(chartMetrics(panel)).toEqual(['loss', 'lr']);
    expect(panel.node.querySelector('.jp-tflog-constant')).toBeNull();
    panel.dispose();
    run.dispose();
  });

  it('shows a one-point chart as a value once its next point is the same', async () => {
    const client = new FakeClient();
    const lr = series(
      'lr',
      points([1], () => 0.001)
    );
    const loss = series('loss', points([1, 2]));
    client.allSeries = [loss, lr];
    const { panel, run } = await shown(client);
    expect(chartMetrics(panel)).toEqual(['loss', 'lr']);
    lr.points.push(...points([2, 3], () => 0.001));
    loss.points.push(...points([3]));
    await run.refresh();
    await panel.drawn;
    expect(chartMetrics(panel)).toEqual(['loss']);
    expect(
      panel.node.querySelector('.jp-tflog-constant[data-metric="lr"]')
    ).not.toBeNull();
    panel.dispose();
    run.dispose();
  });

  it('says what the step axis draws for a Keras fit', async () => {
    const client = new FakeClient();
    client.allSeries = [
      series('loss', points([1, 2, 3, 4])),
      series('loss', points([2, 4]), { scope: 'epoch' })
    ];
    const { panel, run } = await shown(client, 'step');
    const note = panel.node.querySelector<HTMLElement>('.jp-tflog-axis-note');
    expect(note?.textContent).toMatch(/running averages within each epoch/);
    expect(note?.classList.contains('lm-mod-hidden')).toBe(false);
    panel.dispose();
    run.dispose();
  });

  it('says nothing of running averages on the epoch axis or for a custom loop', async () => {
    const keras = new FakeClient();
    keras.allSeries = [
      series('loss', points([1, 2, 3, 4])),
      series('loss', points([2, 4]), { scope: 'epoch' })
    ];
    const fit = await shown(keras, 'auto');
    expect(fit.run.axis).toBe('epoch');
    const note = (panel: ChartsPanel) =>
      panel.node.querySelector<HTMLElement>('.jp-tflog-axis-note');
    expect(note(fit.panel)?.classList.contains('lm-mod-hidden')).toBe(true);
    fit.panel.dispose();

    const loop = new FakeClient();
    loop.allSeries = [series('loss', points([1, 2, 3]))];
    const custom = await shown(loop, 'step');
    expect(note(custom.panel)?.classList.contains('lm-mod-hidden')).toBe(true);
    custom.panel.dispose();
  });
});
