import { Widget } from '@lumino/widgets';

import { chartSpec, chartSummary } from '../chartSpec';
import type { IChartRow } from '../model/series';
import { resolveThemeColours } from '../theme';
import { ChartWidget, IChartStyle } from '../views/chart';
import { markingBundle } from './translation';

const colours = resolveThemeColours(() => '');

function row(x: number, raw: number | null, series = 'loss'): IChartRow {
  return {
    series,
    role: series.startsWith('val_') ? 'validation' : 'train',
    x,
    y: raw,
    raw,
    nonfinite: raw === null ? 'NaN' : null
  };
}

function style(overrides: Partial<IChartStyle> = {}): IChartStyle {
  return {
    axis: 'step',
    roles: ['train'],
    colour: '#1976d2',
    colours,
    ...overrides
  };
}

describe('ChartWidget', () => {
  let chart: ChartWidget;

  beforeEach(() => {
    chart = new ChartWidget({
      metric: 'loss',
      style: style(),
      renderer: 'svg'
    });
    Widget.attach(chart, document.body);
  });

  afterEach(() => {
    chart.dispose();
  });

  it('reports the rows in its vega dataset after each change', async () => {
    chart.reset([row(1, 0.9), row(2, 0.8)]);
    await chart.drawn;
    expect(chart.node.dataset.metric).toBe('loss');
    expect(chart.node.dataset.points).toBe('2');
    expect(chart.node.dataset.lastX).toBe('2');

    chart.insert([row(3, null), row(4, 0.6)]);
    await chart.drawn;
    expect(chart.node.dataset.points).toBe('4');
    expect(chart.node.dataset.lastX).toBe('4');
    expect(chart.node.getAttribute('aria-label')).toBe(
      'loss chart, last values: loss 0.6 at step 4'
    );
  });

  it('keeps its rows when it is embedded again for a new look', async () => {
    chart.reset([row(1, 0.9)]);
    chart.insert([row(2, 0.7, 'val_loss')]);
    chart.setStyle(style({ roles: ['train', 'validation'] }));
    chart.insert([row(3, 0.5)]);
    await chart.drawn;
    expect(chart.node.dataset.points).toBe('3');
    expect(chart.node.querySelector('svg')).not.toBeNull();
  });

  it('replaces every row on reset', async () => {
    chart.reset([row(1, 0.9), row(2, 0.8), row(3, 0.7)]);
    await chart.drawn;
    chart.reset([row(1, 0.5)]);
    await chart.drawn;
    expect(chart.node.dataset.points).toBe('1');
    expect(chart.node.dataset.lastX).toBe('1');
  });
});

describe('chartSpec', () => {
  it('dashes validation series and marks non-finite values', () => {
    const spec = chartSpec({
      metric: 'loss',
      axis: 'time',
      roles: ['train', 'validation'],
      colour: '#123456',
      colours,
      width: 300,
      height: 150
    });
    const text = JSON.stringify(spec);
    expect(text).toContain('"temporal"');
    expect(text).toContain('[4,3]');
    expect(text).toContain('datum.nonfinite != null');
  });
});

describe('a chart in the user’s language', () => {
  it('names the roles in its legend and itself in its aria-label', async () => {
    const chart = new ChartWidget({
      metric: 'loss',
      style: style({ axis: 'epoch', roles: ['train', 'validation'] }),
      renderer: 'svg',
      trans: markingBundle()
    });
    Widget.attach(chart, document.body);
    chart.reset([row(1, 0.9), row(2, 0.8), row(1, 1, 'val_loss')]);
    await chart.drawn;
    // vega-embed makes the spec's description the plot's aria-label.
    expect(
      chart.node
        .querySelector('.jp-tflog-chart-plot')
        ?.getAttribute('aria-label')
    ).toBe('«loss by «epoch»»');
    const legend = chart.node.querySelector('[aria-roledescription="legend"]')!;
    expect(
      [...legend.querySelectorAll('text')].map(t => t.textContent)
    ).toEqual(['«train»', '«validation»']);
    chart.dispose();
  });
});

describe('chartSummary', () => {
  it('names the last value of each series, NaN included', () => {
    expect(
      chartSummary('loss', 'epoch', [
        row(1, 0.5),
        row(2, null),
        row(2, 0.4, 'val_loss')
      ])
    ).toBe(
      'loss chart, last values: loss NaN at epoch 2; val_loss 0.4 at epoch 2'
    );
  });
});
