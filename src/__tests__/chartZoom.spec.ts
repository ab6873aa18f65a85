import { Widget } from '@lumino/widgets';

import { brushRange, chartSpec } from '../chartSpec';
import type { IChartRow } from '../model/series';
import { resolveThemeColours } from '../theme';
import { ChartWidget, IChartLinks, IChartStyle } from '../views/chart';
import { logLine } from './logFixtures';

const colours = resolveThemeColours(() => '');

/** Longer than a click waits for a second one. */
const CLICK_WAIT_MS = 400;

function row(x: number, raw: number | null, series = 'loss'): IChartRow {
  return {
    series,
    role: series.startsWith('val_') ? 'validation' : 'train',
    x,
    y: raw,
    raw,
    nonfinite: raw === null ? 'NaN' : null,
    time: x * 1000
  };
}

function newChart(
  style: Partial<IChartStyle> = {},
  links: IChartLinks = {}
): ChartWidget {
  const chart = new ChartWidget({
    metric: 'loss',
    style: {
      axis: 'step',
      roles: ['train'],
      colour: '#1976d2',
      colours,
      ...style
    },
    renderer: 'svg',
    links
  });
  Widget.attach(chart, document.body);
  return chart;
}

/** Until vega has drawn what the chart queued, and the promises after it. */
async function settled(chart: ChartWidget): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await chart.drawn;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

/** The vega datum of an SVG element of a mark (what a click lands on). */
function datumOf(element: Element): unknown {
  return (element as unknown as { __data__?: { datum?: unknown } }).__data__
    ?.datum;
}

describe('brushRange', () => {
  it('reads the brushed x range, in order, as numbers', () => {
    expect(brushRange({ x: [5, 2] })).toEqual([2, 5]);
    expect(brushRange({ x: [new Date(1000), new Date(3000)] })).toEqual([
      1000, 3000
    ]);
  });

  it('has no range for an empty or cleared brush', () => {
    expect(brushRange({ x: [2, 2] })).toBeNull();
    expect(brushRange({})).toBeNull();
    expect(brushRange(null)).toBeNull();
    expect(brushRange({ x: ['a', 3] })).toBeNull();
  });
});

describe('chartSpec', () => {
  const base = {
    metric: 'loss',
    axis: 'step' as const,
    roles: ['train' as const],
    colour: '#123456',
    colours,
    width: 300,
    height: 150
  };

  it('draws y on a log scale only when asked', () => {
    expect(JSON.stringify(chartSpec(base))).not.toContain('"log"');
    expect(JSON.stringify(chartSpec({ ...base, logScale: true }))).toContain(
      '"type":"log"'
    );
  });

  it('fixes the x domain while zoomed', () => {
    const text = JSON.stringify(chartSpec({ ...base, xDomain: [10, 20] }));
    expect(text).toContain('"domain":[10,20]');
    expect(JSON.stringify(chartSpec(base))).not.toContain('"domain":[10,20]');
  });
});

describe('a chart on a log scale', () => {
  it('leaves out values at or below zero and says so in the readout', async () => {
    const chart = newChart({ logScale: true });
    chart.reset([row(1, -1), row(2, 0), row(3, 0.5), row(4, 2)]);
    await settled(chart);
    expect(chart.node.querySelectorAll('.markers_marks path').length).toBe(2);
    chart.showReadout(2);
    const note = chart.node.querySelector('.jp-tflog-readout-note');
    expect(note?.textContent).toBe(
      'not drawn: the log scale has no place for it'
    );
    chart.showReadout(4);
    expect(chart.node.querySelector('.jp-tflog-readout-note')).toBeNull();
    chart.dispose();
  });

  it('draws every value on a linear scale', async () => {
    const chart = newChart();
    chart.reset([row(1, -1), row(2, 0), row(3, 0.5), row(4, 2)]);
    await settled(chart);
    expect(chart.node.querySelectorAll('.markers_marks path').length).toBe(4);
    chart.dispose();
  });
});

describe('a smoothed chart', () => {
  it('draws the raw curve faint behind the smoothed one', async () => {
    const chart = newChart({ smoothed: true });
    chart.reset([row(1, 1), row(2, 0.5)]);
    await settled(chart);
    expect(chart.node.querySelectorAll('.raw_line_marks path').length).toBe(1);
    chart.setStyle({
      axis: 'step',
      roles: ['train'],
      colour: '#1976d2',
      colours
    });
    await settled(chart);
    expect(chart.node.querySelectorAll('.raw_line_marks path').length).toBe(0);
    chart.dispose();
  });
});

describe('log markers on a chart', () => {
  it('marks warnings and errors where they happened, and a click opens their line', async () => {
    const openLogs = jest.fn();
    const chart = newChart({}, { openLogs });
    chart.reset([row(1, 1), row(2, 0.5), row(3, 0.2)]);
    chart.setMarkerLines([
      logLine(2, { level: 'warning', kind: 'warning', message: 'slow step' }),
      logLine(3, { level: 'info', kind: 'log' })
    ]);
    await settled(chart);
    expect(chart.node.dataset.markers).toBe('1');
    const drawn = [...chart.node.querySelectorAll('.log_markers_marks path')];
    expect(drawn.length).toBe(1);
    expect(datumOf(drawn[0])).toMatchObject({
      x: 2,
      level: 'warning',
      summary: 'slow step'
    });
    drawn[0].dispatchEvent(new MouseEvent('click', { bubbles: true }));
    expect(openLogs).not.toHaveBeenCalled();
    await new Promise(resolve => setTimeout(resolve, CLICK_WAIT_MS));
    expect(openLogs).toHaveBeenCalledWith(
      new Date(2000).toISOString(),
      'run-1:2'
    );
    chart.dispose();
  });

  it('opens the lines around a point of a curve: a click, or Enter on the readout', async () => {
    const openLogs = jest.fn();
    const chart = newChart({}, { openLogs });
    chart.reset([row(1, 1), row(2, 0.5), row(3, 0.2)]);
    await settled(chart);
    chart.showReadout(3);
    chart.node.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    expect(openLogs).toHaveBeenLastCalledWith(new Date(3000).toISOString());

    const cell = [
      ...chart.node.querySelectorAll('.hover_capture_voronoi path')
    ].find(path => (datumOf(path) as { datum?: IChartRow })?.datum?.x === 2);
    expect(cell).toBeDefined();
    cell!.dispatchEvent(
      new MouseEvent('pointermove', { bubbles: true, clientX: 1, clientY: 1 })
    );
    await settled(chart);
    cell!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await new Promise(resolve => setTimeout(resolve, CLICK_WAIT_MS));
    expect(openLogs).toHaveBeenLastCalledWith(new Date(2000).toISOString());

    // The clicks of a double-click (reset zoom) open nothing.
    openLogs.mockClear();
    cell!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    cell!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    chart.node
      .querySelector('.jp-tflog-chart-plot')!
      .dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await new Promise(resolve => setTimeout(resolve, CLICK_WAIT_MS));
    expect(openLogs).not.toHaveBeenCalled();
    chart.dispose();
  });
});

describe('zoom', () => {
  it('shows the range’s finer rows, keeps live rows for later, and resets', async () => {
    const ranges: (readonly [number, number])[] = [];
    const loadDetail = (range: readonly [number, number]) => {
      ranges.push(range);
      return Promise.resolve([row(2, 0.5), row(2.5, 0.4), row(3, 0.3)]);
    };
    const chart = newChart({}, { loadDetail });
    chart.reset([row(1, 1), row(2, 0.5), row(3, 0.3), row(4, 0.2)]);
    await settled(chart);
    const reset = chart.node.querySelector<HTMLButtonElement>(
      '.jp-tflog-zoom-reset'
    )!;
    expect(reset.hidden).toBe(true);

    chart.zoomTo([2, 3]);
    await settled(chart);
    expect(ranges).toEqual([[2, 3]]);
    expect(chart.node.dataset.zoomFrom).toBe('2');
    expect(chart.node.dataset.zoomTo).toBe('3');
    expect(chart.node.dataset.points).toBe('3');
    expect(reset.hidden).toBe(false);

    chart.insert([row(5, 0.1)]);
    await settled(chart);
    expect(chart.node.dataset.points).toBe('3');
    // The readout and the keyboard read the range's rows.
    chart.showReadout(2.5);
    expect(chart.readout?.values[0].raw).toBe(0.4);
    chart.node.dispatchEvent(new KeyboardEvent('keydown', { key: 'End' }));
    expect(chart.readout?.x).toBe(3);
    chart.node.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home' }));
    expect(chart.readout?.x).toBe(2);
    chart.showReadout(null);

    reset.click();
    await settled(chart);
    expect(chart.zoom).toBeNull();
    expect(chart.node.dataset.zoomFrom).toBeUndefined();
    expect(chart.node.dataset.points).toBe('5');
    expect(chart.node.dataset.lastX).toBe('5');
    expect(reset.hidden).toBe(true);
    chart.dispose();
  });

  it('keeps the rows it holds for the range when finer ones cannot be read', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const chart = newChart(
      {},
      {
        loadDetail: () =>
          Promise.reject(new Error('tflog service: unknown parameter from'))
      }
    );
    chart.reset([row(1, 1), row(2, 0.5), row(3, 0.3)]);
    chart.zoomTo([1, 2]);
    await settled(chart);
    expect(chart.node.dataset.points).toBe('3');
    expect(chart.zoom).toEqual([1, 2]);
    expect(chart.node.querySelector('.jp-tflog-chart-error')!.textContent).toBe(
      'Cannot read this range in finer detail: tflog service: unknown parameter from'
    );
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
    chart.dispose();
  });

  it('zooms to the x range dragged across, and the click after a drag opens nothing', async () => {
    const openLogs = jest.fn();
    const chart = newChart({}, { openLogs });
    chart.reset([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(x => row(x, 1 / x)));
    await settled(chart);
    // jsdom has no PointerEvent: mouse events of the pointer types stand in.
    const pointer = (target: EventTarget, type: string, clientX: number) =>
      target.dispatchEvent(
        new MouseEvent(type, { bubbles: true, clientX, clientY: 50 })
      );
    const cell = chart.node.querySelector('.hover_capture_voronoi path')!;
    // Over a point first: a plain click there would open its logs.
    pointer(cell, 'pointermove', 80);
    await settled(chart);
    expect(chart.readout).not.toBeNull();
    pointer(cell, 'pointerdown', 80);
    for (const x of [100, 140, 180]) {
      pointer(window, 'pointermove', x);
      await new Promise(resolve => setTimeout(resolve, 10));
    }
    pointer(window, 'pointerup', 180);
    cell.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await settled(chart);
    const zoom = chart.zoom;
    expect(zoom).not.toBeNull();
    expect(zoom![0]).toBeGreaterThan(1);
    expect(zoom![1]).toBeLessThan(10);
    expect(zoom![0]).toBeLessThan(zoom![1]);
    await new Promise(resolve => setTimeout(resolve, CLICK_WAIT_MS));
    expect(openLogs).not.toHaveBeenCalled();
    chart.dispose();
  });

  it('resets on a double-click', async () => {
    const chart = newChart();
    chart.reset([row(1, 1), row(2, 0.5), row(3, 0.3)]);
    chart.zoomTo([1, 2]);
    await settled(chart);
    expect(chart.node.dataset.points).toBe('3');
    chart.node
      .querySelector('.jp-tflog-chart-plot')!
      .dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
    await settled(chart);
    expect(chart.zoom).toBeNull();
    chart.dispose();
  });
});
