import { IChartRow } from '../model/series';
import {
  autoAxis,
  constantValue,
  metricFilterText,
  parseMetricFilter,
  resolveAxis
} from '../model/viewDefaults';
import { points, series } from './fakes';

function rows(values: (number | null)[], name = 'lr'): IChartRow[] {
  return values.map((value, index) => ({
    series: name,
    role: 'train',
    x: index + 1,
    y: value,
    raw: value,
    nonfinite: value === null ? 'NaN' : null
  }));
}

describe('autoAxis (epoch series first)', () => {
  it('chooses the epoch axis when a run has epoch-end values', () => {
    expect(
      autoAxis([
        series('loss', points([1, 2, 3])),
        series('loss', points([3]), { scope: 'epoch' })
      ])
    ).toBe('epoch');
  });

  it('keeps the step axis for batch values and parsed lines only', () => {
    expect(
      autoAxis([
        series('loss', points([1, 2, 3])),
        series('loss', points([1, 2]), { scope: 'log', source: 'step' })
      ])
    ).toBe('step');
    expect(autoAxis([])).toBe('step');
  });

  it('ignores an epoch series without points', () => {
    expect(autoAxis([series('loss', [], { scope: 'epoch' })])).toBe('step');
  });
});

describe('resolveAxis', () => {
  it('keeps a chosen axis whatever the data', () => {
    const epochs = [series('loss', points([1]), { scope: 'epoch' })];
    expect(resolveAxis('step', epochs)).toBe('step');
    expect(resolveAxis('time', epochs)).toBe('time');
    expect(resolveAxis('auto', epochs)).toBe('epoch');
  });
});

describe('constantValue', () => {
  it('is the value of a series that never changes', () => {
    expect(constantValue(rows([0.001, 0.001, 0.001]))).toBe(0.001);
  });

  it('is null for a series that changes, is too short to tell, or is not finite', () => {
    expect(constantValue(rows([0.001, 0.001, 0.0005]))).toBeNull();
    expect(constantValue(rows([0.001]))).toBeNull();
    expect(constantValue(rows([]))).toBeNull();
    expect(constantValue(rows([0.001, null, 0.001]))).toBeNull();
  });

  it('treats values that differ only by rounding noise as the same', () => {
    expect(constantValue(rows([0.1 + 0.2, 0.3, 0.3]))).toBeCloseTo(0.3);
  });

  it('compares train and validation values together', () => {
    expect(
      constantValue([...rows([1, 1]), ...rows([2, 2], 'val_lr')])
    ).toBeNull();
  });
});

describe('parseMetricFilter', () => {
  it('splits on commas and spaces and drops empty entries', () => {
    expect(parseMetricFilter(' loss, *acc*  val_loss,,')).toEqual([
      'loss',
      '*acc*',
      'val_loss'
    ]);
    expect(parseMetricFilter('   ')).toEqual([]);
  });

  it('round-trips through its text', () => {
    expect(parseMetricFilter(metricFilterText(['loss', '*acc*']))).toEqual([
      'loss',
      '*acc*'
    ]);
  });
});
