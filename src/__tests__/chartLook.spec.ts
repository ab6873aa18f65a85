import { Widget } from '@lumino/widgets';

import type { IChartRow } from '../model/series';
import { resolveThemeColours } from '../theme';
import { ChartWidget } from '../views/chart';

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

function newChart(): ChartWidget {
  const chart = new ChartWidget({
    metric: 'loss',
    style: { axis: 'step', roles: ['train'], colour: '#1976d2', colours },
    renderer: 'svg'
  });
  Widget.attach(chart, document.body);
  return chart;
}

/** The tick labels of the chart's axes, as drawn. */
function axisLabels(chart: ChartWidget): string[] {
  return [...chart.node.querySelectorAll('.role-axis-label text')].map(
    text => text.textContent ?? ''
  );
}

describe('chart axes', () => {
  it('label numbers for people: SI and scientific, never 15 digits', async () => {
    const chart = newChart();
    chart.reset([row(1, 6.438714196558399e21), row(2, 1.2e22)]);
    await chart.drawn;
    const labels = axisLabels(chart);
    expect(labels.length).toBeGreaterThan(2);
    for (const label of labels) {
      expect(label.replace(/[^0-9]/g, '').length).toBeLessThanOrEqual(6);
      expect(label).not.toContain(',');
    }
    expect(labels.some(label => /^\d(\.\d+)?e2\d$/.test(label))).toBe(true);
    chart.dispose();
  });

  it('labels a narrow range of large values without long decimals', async () => {
    const chart = newChart();
    chart.reset([row(10000, 1313.757202), row(20000, 1313.9)]);
    await chart.drawn;
    const labels = axisLabels(chart);
    expect(labels).toContain('20k');
    for (const label of labels) {
      expect(label.replace(/[^0-9]/g, '').length).toBeLessThanOrEqual(6);
      expect(label).not.toContain(',');
    }
    chart.dispose();
  });
});
