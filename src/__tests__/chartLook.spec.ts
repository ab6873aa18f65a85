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

describe('bad values on charts', () => {
  it('labels non-finite values at their x and draws a one-point series as a point', async () => {
    const chart = newChart();
    chart.reset([row(1, 2.5), row(2, null)]);
    await chart.drawn;
    const labels = [
      ...chart.node.querySelectorAll('.nonfinite_labels_marks text')
    ].map(text => text.textContent);
    expect(labels).toEqual(['NaN']);
    expect(chart.node.querySelectorAll('.nonfinite_marks line').length).toBe(1);
    expect(chart.node.querySelectorAll('.markers_marks path').length).toBe(1);
    chart.dispose();
  });

  it('labels infinities by sign', async () => {
    const chart = newChart();
    chart.reset([
      row(1, 0.5),
      { ...row(2, null), nonfinite: 'Infinity' },
      { ...row(3, null), nonfinite: '-Infinity' }
    ]);
    await chart.drawn;
    const labels = [
      ...chart.node.querySelectorAll('.nonfinite_labels_marks text')
    ].map(text => text.textContent);
    expect(labels).toEqual(['+Inf', '-Inf']);
    chart.dispose();
  });

  it('marks no points on a long series', async () => {
    const chart = newChart();
    chart.reset(Array.from({ length: 100 }, (_, i) => row(i, 1 / (i + 1))));
    await chart.drawn;
    expect(chart.node.querySelectorAll('.markers_marks path').length).toBe(0);
    chart.dispose();
  });
});

describe('chart data attributes', () => {
  it('count the non-finite rows drawn', async () => {
    const chart = newChart();
    chart.reset([row(1, 0.5), row(2, null)]);
    chart.insert([row(3, null)]);
    await chart.drawn;
    expect(chart.node.dataset.nonfinite).toBe('2');
    chart.dispose();
  });
});

describe('a run without curves', () => {
  it('says an ended run logged no metrics instead of promising curves', async () => {
    const { noCurveMessage } = await import('../views/charts');
    const { RunModel } = await import('../model/runModel');
    const { FakeClient, summary } = await import('./fakes');
    const model = (status: 'running' | 'failed') =>
      new RunModel({
        client: new FakeClient(),
        runId: 'run-1',
        view: { axis: 'step', smoothing: 0, maxPoints: 1000, metrics: [] },
        summary: summary({ status })
      });
    expect(noCurveMessage(model('failed'))).toBe('This run logged no metrics.');
    expect(noCurveMessage(model('running'))).toMatch(/^No metrics yet/);
  });
});
