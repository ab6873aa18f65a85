import * as path from 'path';
import { createParser, createRunState } from '../../src/parse';
import { foldHealthPoint, scoreHealth } from '../../src/ship/health';
import { foldSummary } from '../../src/ship/summary';
import type { IRunSummary, SpoolRecord } from '../../src/types';
import { lossPoint } from '../documents';
import { readSpool, REPO_ROOT } from '../parse/helpers';

function fixture(name: string): SpoolRecord[] {
  return readSpool(
    path.join(REPO_ROOT, 'tests/fixtures/kernel-output', `${name}.spool.ndjson`)
  );
}

/** The summary of a recorded run, folded record by record as the shipper does. */
function summaryOf(records: SpoolRecord[]): IRunSummary {
  const parser = createParser();
  const state = createRunState('run');
  let summary: IRunSummary | null = null;
  for (const record of records) {
    summary = foldSummary(
      summary,
      'run',
      record,
      parser.parseRecord(record, state)
    );
  }
  if (summary === null) {
    throw new Error('no records');
  }
  return summary;
}

describe('run health on recorded runs', () => {
  const healthy = summaryOf(fixture('keras3-verbose1'));

  it('scores a finished Keras fit from its validation loss and its log', () => {
    const health = healthy.health;
    expect(health?.losses.val_loss).toEqual({
      first: 0.6797409057617188,
      best: 0.6527410745620728,
      last: 0.6527410745620728,
      from: 'exact'
    });
    // 4 % lower than at first, where halving is full marks.
    const improvement =
      (0.6797409057617188 - 0.6527410745620728) / 0.6797409057617188;
    const cleanliness = Math.max(
      0,
      100 - 25 * healthy.counts.errors - 2 * healthy.counts.warnings
    );
    expect(health?.components).toEqual({
      outcome: 100,
      stability: 100,
      convergence: Math.round((improvement / 0.5) * 100),
      final: 100,
      cleanliness
    });
    expect(health?.score).toBe(
      Math.round(
        100 * 0.25 +
          100 * 0.25 +
          Math.round((improvement / 0.5) * 100) * 0.2 +
          100 * 0.15 +
          cleanliness * 0.15
      )
    );
  });

  it('scores a run that went NaN lower, with stability 0', () => {
    const nan = summaryOf(fixture('keras3-nan-verbose1'));
    expect(nan.counts.nan).toBeGreaterThan(0);
    expect(nan.health?.components.stability).toBe(0);
    expect(nan.health?.score).toBeLessThan(healthy.health?.score ?? 0);
  });

  it('gives a failed run no outcome points', () => {
    const failed = summaryOf(fixture('failing-cell'));
    expect(failed.status).toBe('failed');
    expect(failed.health?.components.outcome).toBe(0);
  });

  it('is the same after a replay', () => {
    expect(summaryOf(fixture('keras3-verbose1')).health).toEqual(
      healthy.health
    );
  });
});

describe('foldHealthPoint', () => {
  const point = (
    value: number,
    scope: 'batch' | 'epoch',
    seq: number,
    source = 'callback'
  ) => lossPoint('r', seq, { _id: `r:${seq}`, value, scope, source });

  it('lets epoch values replace running means from progress bars', () => {
    let health = foldHealthPoint(undefined, point(0.9, 'batch', 1));
    health = foldHealthPoint(health, point(0.5, 'batch', 2));
    expect(health?.losses.loss).toEqual({
      first: 0.9,
      best: 0.5,
      last: 0.5,
      from: 'other'
    });
    health = foldHealthPoint(health, point(0.7, 'epoch', 3));
    health = foldHealthPoint(health, point(0.4, 'batch', 4));
    health = foldHealthPoint(health, point(0.6, 'epoch', 5));
    // The bar's rounded copy of an epoch's value changes nothing.
    health = foldHealthPoint(health, point(0.6001, 'epoch', 6, 'keras'));
    expect(health?.losses.loss).toEqual({
      first: 0.7,
      best: 0.6,
      last: 0.6,
      from: 'exact'
    });
  });

  it('ignores other metrics, non-finite values and system samples', () => {
    expect(
      foldHealthPoint(undefined, lossPoint('r', 1, { name: 'accuracy' }))
    ).toBeUndefined();
    expect(
      foldHealthPoint(
        undefined,
        lossPoint('r', 1, { value: undefined, nonfinite: 'NaN' })
      )
    ).toBeUndefined();
    expect(
      foldHealthPoint(undefined, lossPoint('r', 1, { scope: 'system' }))
    ).toBeUndefined();
  });
});

describe('scoreHealth', () => {
  const base: IRunSummary = {
    run_id: 'r',
    name: null,
    status: 'finished',
    notebook: null,
    kernel_id: null,
    user: 'alice',
    host: 'h',
    tags: {},
    hparams: {},
    started: '2026-12-01T10:00:00.000Z',
    ended: '2026-12-01T10:10:00.000Z',
    updated: '2026-12-01T10:10:00.000Z',
    last_metrics: {},
    last_epoch: null,
    last_step: null,
    counts: { events: 10, errors: 0, warnings: 0, nan: 0 },
    error: null,
    dropped: 0
  };

  it('leaves out what it has no data for', () => {
    const health = scoreHealth(base, undefined);
    expect(health.components).toEqual({
      outcome: 100,
      stability: 100,
      cleanliness: 100
    });
    expect(health.score).toBe(100);
  });

  it('costs a loss that ends far above its best, and errors', () => {
    const health = scoreHealth(
      { ...base, counts: { events: 10, errors: 2, warnings: 5, nan: 0 } },
      {
        score: 0,
        components: {},
        losses: { loss: { first: 2, best: 0.5, last: 0.6, from: 'exact' } }
      }
    );
    expect(health.components).toMatchObject({
      convergence: 100,
      final: 60,
      cleanliness: 40
    });
  });
});
