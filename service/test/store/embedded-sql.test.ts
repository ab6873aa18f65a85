import { encodeCursor } from '../../src/store/cursor';
import { NO_STEP } from '../../src/store/embedded-schema';
import {
  allOf,
  logsAfter,
  logsFilter,
  pointKey,
  runsAfter,
  runsFilter,
  runsOrder,
  runSortValue,
  stepKey,
  timeText,
  wordsMatch
} from '../../src/store/embedded-sql';
import { StoreQueryError } from '../../src/store/store';
import type { IMetricPoint } from '../../src/types';

function point(id: string, extra: Partial<IMetricPoint> = {}): IMetricPoint {
  return {
    _id: id,
    '@timestamp': '2026-12-01T10:00:00.000Z',
    run_id: 'run-1',
    notebook: null,
    user: 'alice',
    name: 'loss',
    scope: 'batch',
    source: 'keras',
    ...extra
  };
}

describe('runsFilter', () => {
  it('has no condition without filters', () => {
    expect(runsFilter({ size: 10 })).toEqual({ where: '1', params: [] });
  });

  it('turns every filter into a condition with its parameters, in order', () => {
    const filter = runsFilter({
      size: 10,
      user: 'alice',
      notebooks: ['a.ipynb', '/home/alice/a.ipynb'],
      status: ['running', 'failed'],
      tags: { team: 'vision' },
      from: '2026-12-01T00:00:00Z',
      to: '2026-12-02T00:00:00Z',
      text: 'ResNet'
    });
    expect(filter.where).toBe(
      [
        'user_name = ?',
        'notebook IN (?, ?)',
        'status IN (?, ?)',
        'run_id IN (SELECT run_id FROM run_tags WHERE key = ? AND value = ?)',
        'started_ms >= ? AND started_ms != 0',
        'started_ms < ? AND started_ms != 0',
        'instr(search_text, ?) > 0'
      ].join(' AND ')
    );
    expect(filter.params).toEqual([
      'alice',
      'a.ipynb',
      '/home/alice/a.ipynb',
      'running',
      'failed',
      'team',
      'vision',
      Date.parse('2026-12-01T00:00:00Z'),
      Date.parse('2026-12-02T00:00:00Z'),
      'resnet'
    ]);
  });

  it('matches nothing for a time that is not one', () => {
    expect(runsFilter({ size: 1, from: 'yesterday' })).toEqual({
      where: '0',
      params: []
    });
  });
});

describe('cursors', () => {
  it('continues a run list after the last run shown', () => {
    expect(runsAfter(encodeCursor([1700, 'run-9']))).toEqual({
      where: '(started_ms < ? OR (started_ms = ? AND run_id > ?))',
      params: [1700, 1700, 'run-9']
    });
  });

  it('continues logs in the order asked for', () => {
    const cursor = encodeCursor([12, 1]);
    const base = { runId: 'r', size: 5 };
    expect(logsAfter({ ...base, order: 'asc' }, cursor).where).toBe(
      '(seq > ? OR (seq = ? AND part > ?))'
    );
    expect(logsAfter({ ...base, order: 'desc' }, cursor)).toEqual({
      where: '(seq < ? OR (seq = ? AND part < ?))',
      params: [12, 12, 1]
    });
  });

  it('refuses a cursor of another query', () => {
    expect(() => runsAfter(encodeCursor([12, 1]))).toThrow(StoreQueryError);
    expect(() => runsAfter('not a cursor')).toThrow(StoreQueryError);
  });

  it('joins filters keeping their parameters in order', () => {
    expect(
      allOf({ where: 'a = ?', params: [1] }, { where: 'b = ?', params: [2] })
    ).toEqual({ where: '(a = ?) AND (b = ?)', params: [1, 2] });
  });
});

describe('log filters', () => {
  it('filters by run, lowercased levels, kinds and words', () => {
    expect(
      logsFilter({
        runId: 'r',
        size: 5,
        order: 'asc',
        levels: ['ERROR', 'Warning'],
        kinds: ['log'],
        text: 'val_loss NaN!'
      })
    ).toEqual({
      where:
        'run_id = ? AND level IN (?, ?) AND kind IN (?) AND id IN (SELECT rowid FROM event_words WHERE event_words MATCH ?)',
      params: ['r', 'error', 'warning', 'log', '"val_loss" "nan"']
    });
  });

  it('ignores a text without words, and quotes what could be FTS syntax', () => {
    expect(wordsMatch(' -- ')).toBeNull();
    expect(wordsMatch('loss OR NOT acc*')).toBe('"loss" "or" "not" "acc"');
    expect(
      logsFilter({ runId: 'r', size: 5, order: 'asc', text: '!!' })
    ).toEqual({ where: 'run_id = ?', params: ['r'] });
  });
});

describe('point rows', () => {
  it('keys a point by its event within the curve', () => {
    expect(pointKey(point('run-1:42:loss'))).toBe('42');
    expect(pointKey(point('run-1:42:3:loss'))).toBe('42:3');
  });

  it('keeps ids of another shape whole, never equal to a short key', () => {
    expect(pointKey(point('other:42:loss'))).toBe('!other:42:loss');
    expect(pointKey(point('run-1:!x:loss'))).toBe('!run-1:!x:loss');
    expect(pointKey(point('run-1:loss'))).toBe('!run-1:loss');
  });

  it('files a point without a step apart from every step', () => {
    expect(stepKey(point('a', { step: 7 }))).toBe(7);
    expect(stepKey(point('a'))).toBe(NO_STEP);
  });

  it('stores a timestamp only when its milliseconds do not give it back', () => {
    const ms = Date.parse('2026-12-01T10:00:00.123Z');
    expect(timeText('2026-12-01T10:00:00.123Z', ms)).toBeNull();
    expect(timeText('2026-12-01T10:00:00.123456Z', ms)).toBe(
      '2026-12-01T10:00:00.123456Z'
    );
    expect(timeText('2026-12-01T11:00:00.123+01:00', ms)).toBe(
      '2026-12-01T11:00:00.123+01:00'
    );
  });
});

describe('run sorts and hyperparameters', () => {
  it('matches a hyperparameter as text, boolean or number', () => {
    const { where, params } = runsFilter({ hparams: { lr: '1e-3' }, size: 1 });
    expect(where).toContain(
      "FROM run_values WHERE run_values.run_id = runs.run_id AND kind = 'hparams' AND key = ?"
    );
    expect(where).toContain("type IN ('integer', 'real') AND value = ?");
    expect(params).toEqual(['lr', '1e-3', '0.001', '1e-3', '0.001', 0.001]);
    const text = runsFilter({ hparams: { optimizer: 'adam' }, size: 1 });
    expect(text.where).not.toContain("'integer'");
    expect(text.params).toEqual(['optimizer', 'adam', 'adam']);
  });

  it('orders runs without the value last, then by run id', () => {
    expect(runsOrder(undefined)).toBe('started_ms DESC, run_id ASC');
    const sort = { key: { by: 'max', metric: "it's" }, order: 'asc' } as const;
    const value = runSortValue(sort.key);
    expect(value).toBe(
      "(SELECT value FROM run_values WHERE run_values.run_id = runs.run_id AND kind = 'max_metrics' AND key = 'it''s' AND type IN ('integer', 'real'))"
    );
    expect(runsOrder(sort)).toBe(
      `(${value}) IS NULL, (${value}) ASC, run_id ASC`
    );
  });

  it('continues a sorted list after a run with or without the value', () => {
    const sort = { key: { by: 'health' }, order: 'desc' } as const;
    const value = "(json_extract(summary, '$.health.score'))";
    const withValue = runsAfter(
      encodeCursor(['health|desc', 1, 50, 'run-3']),
      sort
    );
    expect(withValue).toEqual({
      where: `(${value} IS NULL OR ${value} < ? OR (${value} = ? AND run_id > ?))`,
      params: [50, 50, 'run-3']
    });
    expect(
      runsAfter(encodeCursor(['health|desc', 0, 0, 'run-3']), sort)
    ).toEqual({
      where: `(${value} IS NULL AND run_id > ?)`,
      params: ['run-3']
    });
    expect(() =>
      runsAfter(encodeCursor(['name|desc', 0, '', 'run-3']), sort)
    ).toThrow(StoreQueryError);
  });
});
