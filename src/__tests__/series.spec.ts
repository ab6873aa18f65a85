import {
  Ema,
  metricBase,
  orderCharts,
  patternMatcher,
  selectSeries,
  toRows
} from '../model/series';
import type { IRankedSeries } from '../tokens';
import { points, ranked, series } from './fakes';

describe('metricBase', () => {
  it('puts val_ metrics with their base as validation', () => {
    expect(metricBase('val_loss')).toEqual({
      base: 'loss',
      role: 'validation'
    });
    expect(metricBase('val_accuracy')).toEqual({
      base: 'accuracy',
      role: 'validation'
    });
    expect(metricBase('loss')).toEqual({ base: 'loss', role: 'train' });
    expect(metricBase('interval_loss')).toEqual({
      base: 'interval_loss',
      role: 'train'
    });
  });
});

describe('selectSeries', () => {
  const drawn = (list: IRankedSeries[]) =>
    selectSeries(list).map(line => `${line.name}:${line.scope}:${line.source}`);

  it('draws the highest ranked series of a metric, whatever their order', () => {
    const parsed = series('loss', points([1, 2]), {
      source: 'keras3_progress'
    });
    const exact = series('loss', points([1, 2]), { source: 'callback' });
    expect(drawn(ranked([parsed, exact]))).toEqual(['loss:batch:callback']);
    expect(drawn(ranked([exact, parsed]))).toEqual(['loss:batch:callback']);
  });

  it('follows the ranks the service gave for the axis asked for', () => {
    const batch = series('loss', points([1, 2]), { scope: 'batch' });
    const epoch = series('loss', points([1]), { scope: 'epoch' });
    expect(drawn(ranked([batch, epoch], 'epoch'))).toEqual([
      'loss:epoch:callback'
    ]);
    expect(drawn(ranked([batch, epoch], 'step'))).toEqual([
      'loss:batch:callback'
    ]);
  });

  it('keeps the first of equally ranked series', () => {
    const first = { ...series('loss', points([1])), rank: 3 };
    const second = { ...series('loss', points([2]), { source: 'x' }), rank: 3 };
    expect(drawn([first, second])).toEqual(['loss:batch:callback']);
  });

  it('keeps one series per metric name, in first-seen order', () => {
    const chosen = drawn(
      ranked([
        series('val_loss', points([1]), { scope: 'epoch' }),
        series('loss', points([1]))
      ])
    );
    expect(chosen).toEqual(['val_loss:epoch:callback', 'loss:batch:callback']);
  });
});

describe('orderCharts', () => {
  it('puts loss first, then the rest by name', () => {
    expect(orderCharts(['accuracy', 'loss', 'auc'], [])).toEqual([
      'loss',
      'accuracy',
      'auc'
    ]);
  });

  it('keeps only the metrics the patterns name, in pattern order', () => {
    expect(
      orderCharts(
        ['accuracy', 'loss', 'top_k_accuracy', 'lr'],
        ['*accuracy', 'loss']
      )
    ).toEqual(['accuracy', 'top_k_accuracy', 'loss']);
  });

  it('reads a val_ pattern as its base metric', () => {
    expect(orderCharts(['loss', 'accuracy'], ['val_loss'])).toEqual(['loss']);
  });
});

describe('patternMatcher', () => {
  it('treats * as a wildcard and the rest literally', () => {
    expect(patternMatcher('a.c')('abc')).toBe(false);
    expect(patternMatcher('a.c')('a.c')).toBe(true);
    expect(patternMatcher('*acc*')('top_acc_5')).toBe(true);
  });
});

describe('Ema', () => {
  it('passes values through with weight 0', () => {
    const ema = new Ema(0);
    expect([1, 5, 3].map(v => ema.next(v))).toEqual([1, 5, 3]);
  });

  it('starts at the first value and moves towards new ones (debiased)', () => {
    const ema = new Ema(0.5);
    expect(ema.next(2)).toBeCloseTo(2);
    // raw average 0.5*1 + 0.5*4 = 2.5, debiased by 1 - 0.25 => 3.333...
    expect(ema.next(4)).toBeCloseTo(10 / 3);
  });

  it('skips non-finite values without disturbing the average', () => {
    const ema = new Ema(0.5);
    ema.next(2);
    expect(ema.next(null)).toBeNull();
    expect(ema.next(NaN)).toBeNull();
    expect(ema.next(4)).toBeCloseTo(10 / 3);
  });
});

describe('toRows', () => {
  it('keeps NaN points as rows with their kind, raw values beside smoothed ones', () => {
    const rows = toRows(
      'val_loss',
      [
        { x: 1, y: 2, time: '' },
        { x: 2, y: null, nonfinite: 'NaN', time: '' },
        { x: 3, y: null, nonfinite: 'Infinity', time: '' },
        { x: 4, y: 4, time: '' }
      ],
      new Ema(0.5)
    );
    expect(rows.map(r => r.nonfinite)).toEqual([null, 'NaN', 'Infinity', null]);
    expect(rows.map(r => r.raw)).toEqual([2, null, null, 4]);
    expect(rows[3].y).toBeCloseTo(10 / 3);
    expect(rows.every(r => r.role === 'validation')).toBe(true);
  });
});
