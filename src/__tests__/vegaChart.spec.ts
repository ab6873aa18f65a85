import type { Item, TooltipHandler } from 'vega';
import type { TopLevelSpec } from 'vega-lite';

import type { IReadoutValue } from '../readout';
import { resolveThemeColours } from '../theme';
import {
  embedChart,
  IReadoutLook,
  readoutKeyTarget,
  renderReadout,
  TOOLTIP_THEME
} from '../views/vegaChart';

describe('readoutKeyTarget', () => {
  const stops = [1, 2, 4];

  it('moves along the stops, starting from the last one', () => {
    expect(readoutKeyTarget(stops, undefined, 'ArrowRight')).toBe(4);
    expect(readoutKeyTarget(stops, undefined, 'ArrowLeft')).toBe(4);
    expect(readoutKeyTarget(stops, 2, 'ArrowRight')).toBe(4);
    expect(readoutKeyTarget(stops, 4, 'ArrowRight')).toBe(4);
    expect(readoutKeyTarget(stops, 2, 'ArrowLeft')).toBe(1);
    expect(readoutKeyTarget(stops, 1, 'ArrowLeft')).toBe(1);
    expect(readoutKeyTarget(stops, 2, 'Home')).toBe(1);
    expect(readoutKeyTarget(stops, 2, 'End')).toBe(4);
  });

  it('hides the readout on Escape and ignores other keys', () => {
    expect(readoutKeyTarget(stops, 2, 'Escape')).toBeNull();
    expect(readoutKeyTarget(stops, 2, 'a')).toBeUndefined();
    expect(readoutKeyTarget(stops, 2, 'Enter')).toBeUndefined();
  });
});

describe('renderReadout', () => {
  const look: IReadoutLook = {
    classPrefix: 'jp-tflog-readout',
    x: x => `step ${x}`,
    where: readout => `at ${readout.x}`,
    rowAttributes: (value: IReadoutValue) => ({ 'data-series': value.series }),
    note: (value: IReadoutValue) => (value.raw === 0 ? 'zero' : null)
  };

  it('writes where, then each series with its value and its own x when it differs', () => {
    const node = document.createElement('div');
    renderReadout(
      node,
      {
        x: 2,
        elapsedMs: null,
        values: [
          { series: 'loss', x: 2, raw: 0.5, nonfinite: null },
          { series: 'val_loss', x: 1, raw: null, nonfinite: 'Infinity' },
          { series: 'acc', x: 2, raw: 0, nonfinite: null }
        ]
      },
      look
    );
    expect(node.hidden).toBe(false);
    expect(node.querySelector('.jp-tflog-readout-x')?.textContent).toBe('at 2');
    const rows = [...node.querySelectorAll('.jp-tflog-readout-row')];
    expect(rows.map(row => row.getAttribute('data-series'))).toEqual([
      'loss',
      'val_loss',
      'acc'
    ]);
    expect(rows.map(row => row.textContent)).toEqual([
      'loss0.5',
      'val_lossInfinity (step 1)',
      'acc0zero'
    ]);
    expect(
      rows[1]
        .querySelector('.jp-tflog-readout-value')
        ?.classList.contains('jp-tflog-nonfinite')
    ).toBe(true);
    expect(rows[2].querySelector('.jp-tflog-readout-note')).not.toBeNull();
  });

  it('hides and empties the node when there is no readout', () => {
    const node = document.createElement('div');
    node.append('old');
    renderReadout(node, null, look);
    expect(node.hidden).toBe(true);
    expect(node.childNodes.length).toBe(0);
  });
});

/** The mark under the pointer: none (the tooltip is placed by the cursor). */
const NO_ITEM = null as unknown as Item;

describe('embedChart', () => {
  it('draws the tooltip in the theme, without vega-tooltip’s light stylesheet', async () => {
    const plot = document.createElement('div');
    document.body.append(plot);
    const spec: TopLevelSpec = {
      data: { values: [{ x: 1, y: 2 }] },
      mark: 'point',
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'y', type: 'quantitative' },
        tooltip: { field: 'y', type: 'quantitative' }
      }
    };
    const result = await embedChart(plot, spec, {
      renderer: 'svg',
      colours: resolveThemeColours(() => '')
    });
    // The white box with black text would be drawn in the dark theme too.
    expect(document.getElementById('vega-tooltip-style')).toBeNull();
    // View.tooltip() with no argument is vega's documented getter, missing from its types.
    const show = (result.view as unknown as { tooltip(): TooltipHandler })
      .tooltip()
      .bind(result.view);
    show(result.view, new MouseEvent('pointermove'), NO_ITEM, { y: 2 });
    const tooltip = document.getElementById('vg-tooltip-element')!;
    expect([...tooltip.classList]).toContain(`${TOOLTIP_THEME}-theme`);
    show(result.view, new MouseEvent('pointermove'), NO_ITEM, null);
    expect([...tooltip.classList]).not.toContain(`${TOOLTIP_THEME}-theme`);
    result.finalize();
    plot.remove();
    tooltip.remove();
  });
});
