import { Widget } from '@lumino/widgets';

import { resolveThemeColours } from '../theme';

describe('ChartsPanel', () => {
  afterEach(() => jest.resetModules());

  it('starts loading the chart library once attached, before any run has data', async () => {
    let loads = 0;
    jest.doMock('vega-embed', () => {
      loads++;
      return { __esModule: true, default: jest.fn(), vega: {} };
    });
    const { ChartsPanel } = await import('../views/charts');
    const panel = new ChartsPanel({ colours: resolveThemeColours(() => '') });
    expect(loads).toBe(0);
    Widget.attach(panel, document.body);
    for (let i = 0; i < 10; i++) {
      await Promise.resolve();
    }
    expect(loads).toBe(1);
    panel.dispose();
  });
});

describe('noCurveMessage', () => {
  async function message(
    axis: 'step' | 'epoch',
    lastMetrics: Record<string, number>
  ): Promise<string> {
    const { noCurveMessage } = await import('../views/charts');
    const { RunModel } = await import('../model/runModel');
    const { FakeClient, summary } = await import('./fakes');
    const run = new RunModel({
      client: new FakeClient(),
      runId: 'run-1',
      view: { axis, smoothing: 0, maxPoints: 1000, metrics: [] },
      summary: { ...summary(), last_metrics: lastMetrics }
    });
    return noCurveMessage(run);
  }

  it('says a run has no values yet', async () => {
    expect(await message('step', {})).toMatch(/^No metrics yet/);
  });

  it('says why epoch-end values draw nothing on the step axis, and what to pick', async () => {
    expect(await message('step', { loss: 0.125, accuracy: 0.9 })).toBe(
      'loss, accuracy have no step (values logged per epoch): choose Epoch or Time as the x axis above.'
    );
    expect(await message('epoch', { loss: 0.125 })).toMatch(/^No metrics yet/);
  });
});
