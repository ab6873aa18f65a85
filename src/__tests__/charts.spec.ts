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
