import { readFileSync } from 'fs';
import { resolve } from 'path';

import {
  bestValue,
  columnCandidates,
  DEFAULT_HISTORY_SETTINGS,
  defaultOrder,
  historyViewArgs,
  parseKeyValues,
  readHistorySettings,
  readHistoryView,
  runSortOf
} from '../model/historyView';
import { summary } from './fakes';

describe('runSortOf and defaultOrder', () => {
  it('maps columns to the API sorts, best by the metric’s direction', () => {
    expect(runSortOf('started')).toBe('started');
    expect(runSortOf('duration')).toBe('duration');
    expect(runSortOf('name')).toBe('name');
    expect(runSortOf('health')).toBe('health');
    expect(runSortOf('last:val_loss')).toBe('last:val_loss');
    expect(runSortOf('best:val_loss')).toBe('min:val_loss');
    expect(runSortOf('best:accuracy')).toBe('max:accuracy');
    expect(runSortOf('notebook')).toBeNull();
    expect(runSortOf('tag:team')).toBeNull();
    expect(runSortOf('hparam:lr')).toBeNull();
  });

  it('starts with the best first for metrics, A to Z for names, newest and highest first else', () => {
    expect(defaultOrder('best:loss')).toBe('asc');
    expect(defaultOrder('last:loss')).toBe('asc');
    expect(defaultOrder('best:accuracy')).toBe('desc');
    expect(defaultOrder('name')).toBe('asc');
    expect(defaultOrder('started')).toBe('desc');
    expect(defaultOrder('health')).toBe('desc');
  });
});

describe('bestValue', () => {
  it('reads the lowest value of a loss and the highest of an accuracy', () => {
    const run = summary({
      min_metrics: { loss: 0.1, accuracy: 0.2 },
      max_metrics: { loss: 2.5, accuracy: 0.97 }
    });
    expect(bestValue(run, 'loss')).toBe(0.1);
    expect(bestValue(run, 'accuracy')).toBe(0.97);
    expect(bestValue(run, 'val_loss')).toBeUndefined();
    expect(bestValue(summary(), 'loss')).toBeUndefined();
  });
});

describe('parseKeyValues', () => {
  it('reads comma-separated key:value pairs, the first colon ending the key', () => {
    expect(parseKeyValues(' team:vision , url:http://x ')).toEqual({
      pairs: { team: 'vision', url: 'http://x' },
      invalid: []
    });
    expect(parseKeyValues('')).toEqual({ pairs: {}, invalid: [] });
  });

  it('names the parts that are not key:value', () => {
    expect(parseKeyValues('team, :x, lr:0.1')).toEqual({
      pairs: { lr: '0.1' },
      invalid: ['team', ':x']
    });
  });
});

describe('readHistoryView', () => {
  it('keeps what is valid and drops the rest', () => {
    const view = readHistoryView({
      notebook: 'work/train.ipynb',
      status: ['failed', 'bogus', 'running'],
      tags: { team: 'vision', bad: 3 },
      hparams: { lr: '0.1' },
      from: '2026-01-31T00:00:00.000Z',
      to: 12,
      text: 'mnist',
      sort: 'best:loss',
      order: 'sideways',
      columns: ['last:loss', 'tag:team', 'status', 'nonsense', 7],
      tab: 'queries'
    });
    expect(view).toEqual({
      filters: {
        notebook: 'work/train.ipynb',
        status: ['failed', 'running'],
        tags: { team: 'vision' },
        hparams: { lr: '0.1' },
        from: '2026-01-31T00:00:00.000Z',
        text: 'mnist'
      },
      sort: 'best:loss',
      order: 'asc',
      columns: ['last:loss', 'tag:team'],
      tab: 'queries'
    });
  });

  it('reads nothing as the newest runs first with no columns given', () => {
    expect(readHistoryView({})).toEqual({
      filters: {},
      sort: 'started',
      order: 'desc',
      columns: undefined,
      tab: 'runs'
    });
  });

  it('round-trips through the command arguments', () => {
    const view = readHistoryView({
      tags: { team: 'vision' },
      text: 'x',
      sort: 'name',
      order: 'desc',
      columns: ['best:accuracy'],
      tab: 'runs'
    });
    expect(readHistoryView(historyViewArgs(view))).toEqual(view);
  });
});

describe('readHistorySettings', () => {
  it('falls back to the defaults for invalid values', () => {
    expect(readHistorySettings({ columns: 'x', pageSize: 0 })).toEqual({
      columns: ['last:loss', 'best:val_loss'],
      pageSize: 50
    });
    expect(
      readHistorySettings({ columns: ['hparam:lr', 'junk'], pageSize: 20 })
    ).toEqual({ columns: ['hparam:lr'], pageSize: 20 });
  });
});

describe('columnCandidates', () => {
  it('offers the chosen columns, then metrics, hyperparameters and tags of the runs', () => {
    const runs = [
      summary({
        last_metrics: { accuracy: 0.9, loss: 0.2 },
        hparams: { lr: 0.1 },
        tags: { team: 'vision' }
      }),
      summary({ last_metrics: { val_loss: 0.3 }, hparams: { batch: 32 } })
    ];
    expect(columnCandidates(runs, ['tag:owner', 'last:loss'])).toEqual([
      'tag:owner',
      'last:loss',
      'best:loss',
      'last:val_loss',
      'best:val_loss',
      'last:accuracy',
      'best:accuracy',
      'hparam:batch',
      'hparam:lr',
      'tag:team'
    ]);
  });
});

describe('schema/history.json', () => {
  it('gives every setting a title, a description and the default the code reads', () => {
    const schema = JSON.parse(
      readFileSync(resolve(__dirname, '../../schema/history.json'), 'utf-8')
    ) as {
      properties: Record<
        string,
        { title?: string; description?: string; default?: unknown }
      >;
    };
    const defaults: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(schema.properties)) {
      expect(property.title).toBeTruthy();
      expect(property.description).toBeTruthy();
      expect(property).toHaveProperty('default');
      defaults[name] = property.default;
    }
    expect(defaults).toEqual({ ...DEFAULT_HISTORY_SETTINGS });
    expect(readHistorySettings(defaults)).toEqual(DEFAULT_HISTORY_SETTINGS);
  });
});
