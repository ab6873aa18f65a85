import {
  formatMetric,
  formatNumber,
  lastValuesTable,
  stripAnsi
} from '../format';

describe('formatNumber', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [0.05192837, '0.05193'],
    [0.5, '0.5'],
    [123.456789, '123.5'],
    [-2.25, '-2.25'],
    [1313.757202, '1313.8'],
    [2000, '2000'],
    [12345.6, '12.3k'],
    [999999, '1M'],
    [4567890, '4.57M'],
    [2.5e12, '2.5T'],
    [6.438714196558399e21, '6.44e21'],
    [-6.438714196558399e21, '-6.44e21'],
    [0.00012345, '1.23e-4'],
    [0.0012345, '0.001234'],
    [0.000015, '1.5e-5'],
    [1e-7, '1e-7']
  ])('%p reads %p', (value, text) => {
    expect(formatNumber(value)).toBe(text);
  });

  it('never writes more than 6 digits or digit grouping', () => {
    for (const value of [
      1313.757202, 98765.4321, 0.000123456789, 1.23456789e-9, 3.14159265358979,
      123456789012345, 1.7976931348623157e308
    ]) {
      const text = formatNumber(value);
      expect(text.replace(/[^0-9]/g, '').length).toBeLessThanOrEqual(6);
      expect(text).not.toContain(',');
    }
  });

  it('names non-finite values', () => {
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(Infinity)).toBe('Infinity');
    expect(formatNumber(-Infinity)).toBe('-Infinity');
  });
});

describe('formatMetric', () => {
  it('formats numbers like formatNumber and keeps spelt-out non-finite values', () => {
    expect(formatMetric(1313.757202)).toBe('1313.8');
    expect(formatMetric(123456)).toBe('123k');
    expect(formatMetric('NaN')).toBe('NaN');
    expect(formatMetric('-Infinity')).toBe('-Infinity');
  });
});

describe('stripAnsi', () => {
  it('removes colour codes from an IPython traceback and keeps its lines', () => {
    const esc = String.fromCharCode(27);
    const raw =
      `${esc}[0;31mValueError${esc}[0m: bad shape\n` +
      `${esc}[1;32m----> 3${esc}[0m model.fit(x)\n` +
      `${esc}]0;title${String.fromCharCode(7)}done`;
    expect(stripAnsi(raw)).toBe(
      'ValueError: bad shape\n----> 3 model.fit(x)\ndone'
    );
  });
});

describe('lastValuesTable', () => {
  it('puts a metric and its validation value on one row, loss first', () => {
    expect(
      lastValuesTable({
        val_accuracy: 0.5,
        accuracy: 0.75,
        val_loss: 'NaN',
        lr: 0.001,
        loss: 0.25
      })
    ).toEqual([
      { metric: 'loss', train: 0.25, validation: 'NaN' },
      { metric: 'accuracy', train: 0.75, validation: 0.5 },
      { metric: 'lr', train: 0.001 }
    ]);
  });
});
