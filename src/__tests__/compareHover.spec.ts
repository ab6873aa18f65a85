/** The comparison's datasets and hover targets: one per pixel column, not one per point. */
import * as vega from 'vega';
import { compile } from 'vega-lite';

import { NUMBER_FORMAT_FUNCTION, READOUT_SIGNAL } from '../chartSpec';
import type { ICompareRow } from '../model/compareData';
import { resolveThemeColours } from '../theme';
import {
  COMPARE_DATASETS,
  compareDatasets,
  compareSpec,
  hoverColumns,
  readoutPoints
} from '../views/compareSpec';

const colours = resolveThemeColours(() => '');

interface ISceneNode {
  marktype?: string;
  name?: string;
  items?: ISceneNode[];
  datum?: { x?: number };
}

/** The items of the mark named `name` in a scenegraph. */
function markItems(node: ISceneNode, name: string): ISceneNode[] {
  if (node.marktype !== undefined && node.name === name) {
    return node.items ?? [];
  }
  return (node.items ?? []).flatMap(child => markItems(child, name));
}

/** The items of each named mark once `rows` are drawn `width` wide (readout at `readoutX`). */
async function drawnMarks(
  rows: ICompareRow[],
  labels: string[],
  width: number,
  readoutX: number | null = null
): Promise<(name: string) => ISceneNode[]> {
  const spec = compareSpec({
    metric: 'loss',
    axis: 'step',
    labels,
    colours,
    logScale: false,
    smoothed: true,
    width,
    height: 100
  });
  const data = compareDatasets(rows, { logScale: false, width, readoutX });
  spec.datasets = {
    [COMPARE_DATASETS.points]: data.points,
    [COMPARE_DATASETS.marked]: data.marked,
    [COMPARE_DATASETS.nonfinite]: data.nonfinite,
    [COMPARE_DATASETS.columns]: data.columns,
    [COMPARE_DATASETS.readout]: data.readout
  };
  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: 'none'
  });
  view.signal(READOUT_SIGNAL, readoutX);
  await view.runAsync();
  const root = (view.scenegraph() as unknown as { root: ISceneNode }).root;
  view.finalize();
  return name => markItems(root, name);
}

function rowsOf(runs: number, points: number): ICompareRow[] {
  const rows: ICompareRow[] = [];
  for (let run = 0; run < runs; run++) {
    for (let index = 0; index < points; index++) {
      const y = 1 / (index + 1);
      rows.push({
        series: `run ${run}`,
        runId: `r${run}`,
        role: 'train',
        x: index * 7 + run,
        y,
        raw: y,
        nonfinite: null
      });
    }
  }
  return rows;
}

describe('compareDatasets', () => {
  it('offers at most one x per pixel column, each an x a run has', () => {
    const rows = rowsOf(20, 200);
    const targets = hoverColumns(
      rows.map(row => row.x),
      100
    );
    // 4,000 drawn values, 100 columns (the last value's own column too).
    expect(targets.length).toBeGreaterThan(90);
    expect(targets.length).toBeLessThanOrEqual(101);
    const drawn = new Set(rows.map(row => row.x));
    expect(targets.every(x => drawn.has(x))).toBe(true);
    // The first and the last x can be hovered, in order.
    expect(targets[0]).toBe(0);
    expect(targets.at(-1)).toBe(199 * 7 + 19);
    expect([...targets].sort((a, b) => a - b)).toEqual(targets);
  });

  it('keeps every x of a short comparison, and none of no rows', () => {
    const xs = rowsOf(2, 5).map(row => row.x);
    expect(hoverColumns(xs, 400)).toEqual([0, 1, 7, 8, 14, 15, 21, 22, 28, 29]);
    expect(hoverColumns([3, 3, 3], 400)).toEqual([3]);
    expect(hoverColumns([], 400)).toEqual([]);
  });

  it('marks the points of short runs only, and lists the non-finite values', () => {
    const rows = [...rowsOf(1, 100), ...rowsOf(2, 3).slice(3)];
    rows[4] = { ...rows[4], y: null, raw: null, nonfinite: 'inf' };
    rows[101] = { ...rows[101], y: null, raw: null, nonfinite: 'NaN' };
    const data = compareDatasets(rows, { logScale: false, width: 50 });
    expect(data.points).toHaveLength(103);
    // Run 1 has 3 points, one of them NaN: two markers; run 0 has 100: none.
    expect(data.marked.map(row => [row.series, row.x])).toEqual([
      ['run 1', 1],
      ['run 1', 15]
    ]);
    expect(data.nonfinite.map(row => [row.series, row.nonfinite])).toEqual([
      ['run 0', 'inf'],
      ['run 1', 'NaN']
    ]);
    // The hover never targets an x with no value drawn.
    expect(data.columns.map(column => column.x)).not.toContain(28);
    // Fresh objects: vega marks what it ingests.
    expect(data.points[0]).not.toBe(rows[0]);
    expect(data.marked[0]).not.toBe(data.points[1]);
  });

  it('leaves out values of zero or less on a log scale', () => {
    const rows = rowsOf(1, 3);
    rows[0] = { ...rows[0], y: 0, raw: -1 };
    const linear = compareDatasets(rows, { logScale: false, width: 10 });
    const log = compareDatasets(rows, { logScale: true, width: 10 });
    expect(linear.points.map(row => [row.plotY, row.plotRaw])).toEqual([
      [0, -1],
      [0.5, 0.5],
      [1 / 3, 1 / 3]
    ]);
    expect(log.points.map(row => [row.plotY, row.plotRaw])).toEqual([
      [null, null],
      [0.5, 0.5],
      [1 / 3, 1 / 3]
    ]);
    expect(log.columns.map(column => column.x)).toEqual([7, 14]);
  });
});

describe('readoutPoints', () => {
  it('picks copies of the drawn rows at exactly the x, and none without a readout', () => {
    const { points } = compareDatasets(rowsOf(3, 4), {
      logScale: false,
      width: 100
    });
    const at = readoutPoints(points, 15);
    expect(at.map(row => [row.runId, row.x])).toEqual([['r1', 15]]);
    expect(at[0]).not.toBe(points.find(row => row.x === 15));
    expect(readoutPoints(points, 16.5)).toEqual([]);
    expect(readoutPoints(points, null)).toEqual([]);
    const undrawn = points.map(row =>
      row.x === 15 ? { ...row, plotY: null } : row
    );
    expect(readoutPoints(undrawn, 15)).toEqual([]);
  });
});

describe('compareSpec drawn by vega', () => {
  beforeAll(() => {
    vega.expressionFunction(NUMBER_FORMAT_FUNCTION, (value: number) =>
      String(value)
    );
  });

  it('hovers one x per column and draws each layer from its dataset', async () => {
    const labels = Array.from({ length: 20 }, (_, run) => `run ${run}`);
    const rows = rowsOf(20, 200);
    rows[10] = { ...rows[10], y: null, raw: null, nonfinite: 'NaN' };
    const marks = await drawnMarks(rows, labels, 100);
    const targets = marks('hover_capture_marks').map(item => item.datum?.x);
    expect(targets).toEqual(
      hoverColumns(
        rows.filter(row => row.y !== null).map(row => row.x),
        100
      )
    );
    expect(marks('nonfinite_marks').map(item => item.datum?.x)).toEqual([70]);
    // 200 points a run: no markers; no readout, no crosshair.
    expect(marks('markers_marks')).toHaveLength(0);
    expect(marks('crosshair_marks')).toHaveLength(0);
    expect(marks('readout_points_marks')).toHaveLength(0);
  });

  it("draws the crosshair and each run's point at the readout", async () => {
    const marks = await drawnMarks(rowsOf(2, 5), ['run 0', 'run 1'], 400, 14);
    expect(marks('crosshair_marks').map(item => item.datum?.x)).toEqual([14]);
    expect(marks('readout_points_marks').map(item => item.datum?.x)).toEqual([
      14
    ]);
    // Two runs of five points: each point marked.
    expect(marks('markers_marks')).toHaveLength(10);
  });
});
