import { lastRows, nonFiniteRule } from '../chartSpec';
import type { IChartRow } from '../model/series';
import { resolveThemeColours } from '../theme';
import { defaultBundle } from '../views/text';

function row(series: string, x: number, raw: number | null): IChartRow {
  return {
    series,
    role: 'train',
    x,
    y: raw,
    raw,
    nonfinite: raw === null ? 'NaN' : null
  };
}

describe('lastRows', () => {
  it('keeps the row at the largest x of each series, the later one on a tie', () => {
    const rows = [
      row('loss', 3, 0.3),
      row('val_loss', 2, 0.5),
      row('loss', 1, 0.9),
      row('val_loss', 2, null)
    ];
    expect(lastRows(rows)).toEqual([rows[0], rows[3]]);
    expect(lastRows([])).toEqual([]);
  });
});

describe('nonFiniteRule', () => {
  it('draws a dashed rule in the error colour, its tooltip naming the series as asked', () => {
    const colours = resolveThemeColours(() => '');
    const layer = nonFiniteRule(
      { type: 'quantitative', title: 'step' },
      { colours, seriesTitle: 'run', trans: defaultBundle() }
    );
    expect(layer).toMatchObject({
      transform: [{ filter: 'datum.nonfinite != null' }]
    });
    // Given its own dataset of non-finite rows, it filters nothing.
    const own = nonFiniteRule(
      { type: 'quantitative', title: 'step' },
      { colours, seriesTitle: 'run', trans: defaultBundle(), dataset: 'nf' }
    );
    expect(own).toMatchObject({ data: { name: 'nf' } });
    expect(own).not.toHaveProperty('transform');
    expect(layer.mark).toMatchObject({
      type: 'rule',
      color: colours.error,
      strokeDash: [4, 2]
    });
    expect(layer.encoding.tooltip.map(field => field.title)).toEqual([
      'run',
      'value',
      'step'
    ]);
  });
});
