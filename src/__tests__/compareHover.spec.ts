/** The comparison's hover targets: one per pixel column, not one per point. */
import * as vega from 'vega';
import { compile } from 'vega-lite';

import { NUMBER_FORMAT_FUNCTION } from '../chartSpec';
import { resolveThemeColours } from '../theme';
import { compareSpec } from '../views/compareSpec';

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

async function hoverTargets(
  rows: Record<string, unknown>[],
  labels: string[],
  width: number
): Promise<number[]> {
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
  spec.data = { name: 'rows', values: rows };
  const view = new vega.View(vega.parse(compile(spec).spec), {
    renderer: 'none'
  });
  await view.runAsync();
  const root = (view.scenegraph() as unknown as { root: ISceneNode }).root;
  const targets = markItems(root, 'hover_capture_marks').map(
    item => item.datum?.x as number
  );
  view.finalize();
  return targets.sort((a, b) => a - b);
}

function rowsOf(runs: number, points: number): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
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

describe('compareSpec hover', () => {
  beforeAll(() => {
    vega.expressionFunction(NUMBER_FORMAT_FUNCTION, (value: number) =>
      String(value)
    );
  });

  it('offers at most one x per pixel column, each an x a run has', async () => {
    const labels = Array.from({ length: 20 }, (_, run) => `run ${run}`);
    const rows = rowsOf(20, 200);
    const targets = await hoverTargets(rows, labels, 100);
    // 4,000 drawn values, 100 columns (the last value's own column too).
    expect(targets.length).toBeGreaterThan(90);
    expect(targets.length).toBeLessThanOrEqual(101);
    const drawn = new Set(rows.map(row => row.x));
    expect(targets.every(x => drawn.has(x))).toBe(true);
    // The first and the last x can be hovered.
    expect(targets[0]).toBe(0);
    expect(targets.at(-1)).toBe(199 * 7 + 19);
  });

  it('keeps every x of a short comparison', async () => {
    const targets = await hoverTargets(rowsOf(2, 5), ['run 0', 'run 1'], 400);
    expect(targets).toEqual([0, 1, 7, 8, 14, 15, 21, 22, 28, 29]);
  });
});
