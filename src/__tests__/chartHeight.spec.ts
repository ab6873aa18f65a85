import { MAX_CHART_HEIGHT, MIN_CHART_HEIGHT } from '../views/chart';
import { CHART_CHROME, chartHeightFor } from '../views/charts';

describe('chartHeightFor', () => {
  it('fills the room, fewer charts taller, between the bounds', () => {
    // Two rows of charts share 500 px, each less its axes and margins.
    expect(chartHeightFor(500, 2, 1)).toBe(250 - CHART_CHROME);
    expect(chartHeightFor(500, 1, 1)).toBe(MAX_CHART_HEIGHT);
    expect(chartHeightFor(500, 8, 1)).toBe(MIN_CHART_HEIGHT);
    expect(chartHeightFor(700, 3, 1)).toBeGreaterThan(
      chartHeightFor(700, 4, 1)
    );
  });

  it('counts rows of the grid, not charts', () => {
    expect(chartHeightFor(500, 4, 2)).toBe(chartHeightFor(500, 2, 1));
    expect(chartHeightFor(500, 3, 2)).toBe(chartHeightFor(500, 2, 1));
  });

  it('keeps the smallest height when the room is not known', () => {
    expect(chartHeightFor(0, 2, 1)).toBe(MIN_CHART_HEIGHT);
    expect(chartHeightFor(NaN, 2, 1)).toBe(MIN_CHART_HEIGHT);
    expect(chartHeightFor(500, 0, 1)).toBe(MIN_CHART_HEIGHT);
    expect(chartHeightFor(500, 2, 0)).toBe(250 - CHART_CHROME);
  });
});
