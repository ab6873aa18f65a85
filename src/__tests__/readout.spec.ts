import { Widget } from '@lumino/widgets';

import type { IChartRow } from '../model/series';
import { hoveredX, readoutAt, readoutStops } from '../readout';
import { resolveThemeColours } from '../theme';
import { ChartWidget } from '../views/chart';

const STARTED = Date.parse('2026-01-31T10:00:00.000Z');

function row(
  x: number,
  raw: number | null,
  series = 'loss',
  seconds = x
): IChartRow {
  return {
    series,
    role: series.startsWith('val_') ? 'validation' : 'train',
    x,
    y: raw,
    raw,
    nonfinite: raw === null ? 'NaN' : null,
    time: STARTED + seconds * 1000
  };
}

const ROWS = [
  row(1, 0.9),
  row(2, 0.8),
  row(3, null),
  row(4, 0.6),
  row(2, 0.85, 'val_loss'),
  row(4, 0.7, 'val_loss')
];

describe('readoutAt', () => {
  it('lists each series’ nearest value with the elapsed time at x', () => {
    expect(readoutAt(ROWS, 3, STARTED)).toEqual({
      x: 3,
      elapsedMs: 3000,
      values: [
        { series: 'loss', x: 3, raw: null, nonfinite: 'NaN' },
        { series: 'val_loss', x: 4, raw: 0.7, nonfinite: null }
      ]
    });
  });

  it('has no elapsed time without the run’s start, and nothing without rows', () => {
    expect(readoutAt(ROWS, 2, null)?.elapsedMs).toBeNull();
    expect(readoutAt([], 2, STARTED)).toBeNull();
  });

  it('stops at every distinct x, in order', () => {
    expect(readoutStops(ROWS)).toEqual([1, 2, 3, 4]);
  });

  it('reads the x of vega’s hover selection', () => {
    expect(hoveredX({ x: [12] })).toBe(12);
    expect(hoveredX({ x: 7 })).toBe(7);
    expect(hoveredX({ x: [new Date(5000)] })).toBe(5000);
    expect(hoveredX({})).toBeNull();
    expect(hoveredX(null)).toBeNull();
  });
});

describe('the chart’s readout', () => {
  let chart: ChartWidget;

  beforeEach(async () => {
    chart = new ChartWidget({
      metric: 'loss',
      style: {
        axis: 'step',
        roles: ['train', 'validation'],
        colour: '#1976d2',
        colours: resolveThemeColours(() => ''),
        runStarted: STARTED
      },
      renderer: 'svg'
    });
    Widget.attach(chart, document.body);
    chart.reset(ROWS);
    await chart.drawn;
  });

  afterEach(() => chart.dispose());

  const readout = () =>
    chart.node.querySelector<HTMLElement>('.jp-tflog-readout')!;
  const lines = () =>
    [...readout().querySelectorAll('div')].map(line => line.textContent);

  it('lists step, elapsed time and every series’ value, and draws the crosshair', async () => {
    expect(readout().hidden).toBe(true);
    chart.showReadout(2);
    expect(readout().hidden).toBe(false);
    expect(lines()).toEqual(['step 2 · 2s elapsed', 'loss0.8', 'val_loss0.85']);
    await chart.drawn;
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(chart.node.querySelectorAll('.crosshair_marks line').length).toBe(2);
    chart.showReadout(null);
    expect(readout().hidden).toBe(true);
  });

  it('follows the pointer through vega’s hover selection', async () => {
    // The nearest-point cells vega picks from: one per drawn value.
    const cells = [
      ...chart.node.querySelectorAll<SVGPathElement>(
        '.hover_capture_voronoi path'
      )
    ];
    expect(cells.length).toBe(5);
    const cellOf = (x: number, series: string) =>
      cells.find(cell => {
        const item = (
          cell as unknown as { __data__?: { datum?: { datum?: IChartRow } } }
        ).__data__;
        return (
          item?.datum?.datum?.x === x && item.datum.datum.series === series
        );
      });
    const cell = cellOf(4, 'loss');
    expect(cell).toBeDefined();
    cell!.dispatchEvent(
      new MouseEvent('pointermove', { bubbles: true, clientX: 1, clientY: 1 })
    );
    await chart.drawn;
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(chart.readout?.x).toBe(4);
    expect(lines()).toEqual(['step 4 · 4s elapsed', 'loss0.6', 'val_loss0.7']);
  });

  it('moves with the keyboard', () => {
    const key = (name: string) =>
      chart.node.dispatchEvent(new KeyboardEvent('keydown', { key: name }));
    key('Home');
    expect(chart.readout?.x).toBe(1);
    key('ArrowRight');
    key('ArrowRight');
    expect(chart.readout?.x).toBe(3);
    expect(lines()[1]).toBe('lossNaN');
    key('End');
    expect(chart.readout?.x).toBe(4);
    key('Escape');
    expect(chart.readout).toBeNull();
  });
});
