import * as path from 'path';
import { stallCheckMs } from '../../src/alerts';
import { AlertDetector, IAlert } from '../../src/alerts/detect';
import {
  AlertConfigError,
  DEFAULT_THRESHOLDS,
  IAlertThresholds,
  mergeThresholds,
  thresholdsFromEnv
} from '../../src/alerts/rules';
import { createParser, createRunState } from '../../src/parse';
import type { IMetricPoint, ITflogDocument } from '../../src/types';
import { logEvent, lossPoint } from '../documents';
import { readSpool, REPO_ROOT } from '../parse/helpers';

function detector(override: unknown = {}): AlertDetector {
  return new AlertDetector(mergeThresholds(DEFAULT_THRESHOLDS, override));
}

function feedPoints(detect: AlertDetector, points: IMetricPoint[]): IAlert[] {
  return points.flatMap(point =>
    detect.observe({ documents: [], points: [point] })
  );
}

function feedDocuments(
  detect: AlertDetector,
  documents: ITflogDocument[]
): IAlert[] {
  return documents.flatMap(document =>
    detect.observe({ documents: [document], points: [] })
  );
}

/** Batch-scope loss points at steps 1..n with the given values. */
function batchLosses(values: number[], name = 'loss'): IMetricPoint[] {
  return values.map((value, index) =>
    lossPoint('run-1', index + 1, {
      _id: `run-1:${index + 1}:${name}`,
      name,
      value,
      step: index + 1,
      epoch: 0,
      scope: 'batch'
    })
  );
}

/** Epoch-scope points of `name` for epochs 0..n-1. */
function epochValues(values: number[], name: string): IMetricPoint[] {
  return values.map((value, epoch) =>
    lossPoint('run-1', 1000 + epoch, {
      _id: `run-1:${1000 + epoch}:${name}`,
      name,
      value,
      epoch,
      scope: 'epoch'
    })
  );
}

describe('AlertDetector on a real Keras run that went NaN', () => {
  it('raises exactly one non-finite alert, at the first NaN', () => {
    const records = readSpool(
      path.join(
        REPO_ROOT,
        'tests/fixtures/kernel-output/keras3-nan-verbose1.spool.ndjson'
      )
    );
    const parser = createParser();
    const state = createRunState('20261128T210922Z-d47dad58');
    const detect = detector();
    const alerts: IAlert[] = [];
    const points: IMetricPoint[] = [];
    for (const record of records) {
      const parsed = parser.parseRecord(record, state);
      points.push(...parsed.points);
      alerts.push(...detect.observe(parsed));
    }
    const firstNan = points.find(point => point.nonfinite !== undefined);
    expect(firstNan).toBeDefined();
    const nonfinite = alerts.filter(alert => alert.rule === 'nonfinite');
    expect(nonfinite).toHaveLength(1);
    expect(nonfinite[0]).toMatchObject({
      run_id: '20261128T210922Z-d47dad58',
      run_name: 'keras3-nan-verbose1',
      notebook: 'fixtures/training.ipynb',
      kernel_id: null,
      metric: firstNan?.name,
      value: 'NaN',
      step: firstNan?.step ?? null
    });
    expect(nonfinite[0].message).toContain('became NaN');
    // NaN makes no other rule fire: it is not a divergence.
    expect(alerts.map(alert => alert.rule)).toEqual(['nonfinite']);
  });

  it('gives the same ids on a replay', () => {
    const points = batchLosses([0.5, 0.4]).concat(
      lossPoint('run-1', 3, { nonfinite: 'NaN', value: undefined, step: 3 })
    );
    const first = feedPoints(detector(), points);
    const again = feedPoints(detector(), points);
    expect(first).toHaveLength(1);
    expect(again.map(alert => alert.alert_id)).toEqual(
      first.map(alert => alert.alert_id)
    );
  });
});

describe('non-finite text', () => {
  it.each([
    'Batch 3: Invalid loss, terminating training',
    'Loss became NaN at iteration 3420',
    'WARNING nan loss detected, skipping batch'
  ])('fires on %j', message => {
    const alerts = feedDocuments(detector(), [
      logEvent('run-1', 1, { message })
    ]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].rule).toBe('nonfinite');
  });

  it('does not fire on ordinary lines mentioning NaN checks', () => {
    const alerts = feedDocuments(detector(), [
      logEvent('run-1', 1, { message: 'Enabling NaN checks (check_numerics)' }),
      logEvent('run-1', 2, { message: 'loss=0.31 nan_count=0' })
    ]);
    expect(alerts).toEqual([]);
  });
});

describe('divergence', () => {
  it('fires once when the loss rises past factor × its recent low', () => {
    const values = [1, 0.8, 0.6, 0.5, 0.45, 0.5, 0.9, 1.4, 2.0, 5.0, 9.0];
    const alerts = feedPoints(detector(), batchLosses(values));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'divergence',
      metric: 'loss',
      value: 1.4,
      step: 8
    });
  });

  it('ignores noise below the factor and too few points', () => {
    const noisy = [0.5, 0.7, 0.45, 0.9, 0.5, 1.2, 0.48, 1.3, 0.47];
    expect(feedPoints(detector(), batchLosses(noisy))).toEqual([]);
    // Only 3 points before the jump: min_points is 5.
    expect(feedPoints(detector(), batchLosses([0.1, 0.1, 0.1, 9]))).toEqual([]);
  });

  it('watches every loss, not other metrics', () => {
    const rising = [1, 1, 1, 1, 1, 1, 10];
    expect(
      feedPoints(detector(), batchLosses(rising, 'val_loss'))
    ).toHaveLength(1);
    expect(feedPoints(detector(), batchLosses(rising, 'accuracy'))).toEqual([]);
  });

  it('honours a lower factor from the settings', () => {
    const values = [1, 1, 1, 1, 1, 2.1];
    expect(feedPoints(detector(), batchLosses(values))).toEqual([]);
    expect(
      feedPoints(detector({ divergence: { factor: 2 } }), batchLosses(values))
    ).toHaveLength(1);
  });
});

describe('plateau', () => {
  it('fires when the validation loss has not improved for N epochs', () => {
    const values = [1, 0.8, 0.7, 0.71, 0.72, 0.7, 0.73];
    const detect = detector({ plateau: { epochs: 4 } });
    const alerts = feedPoints(detect, epochValues(values, 'val_loss'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'plateau',
      metric: 'val_loss',
      epoch: 6
    });
  });

  it('watches validation loss alone once it exists', () => {
    const detect = detector({ plateau: { epochs: 3 } });
    const alerts: IAlert[] = [];
    for (let epoch = 0; epoch < 6; epoch += 1) {
      alerts.push(
        ...feedPoints(detect, [
          lossPoint('run-1', epoch * 2, {
            _id: `a${epoch}`,
            name: 'loss',
            value: 1,
            epoch
          }),
          lossPoint('run-1', epoch * 2 + 1, {
            _id: `b${epoch}`,
            name: 'val_loss',
            value: 1 - epoch * 0.1,
            epoch
          })
        ])
      );
    }
    expect(alerts).toEqual([]);
  });

  it('needs a relative improvement of min_delta', () => {
    const values = [1, 0.99999, 0.99998, 0.99997];
    const alerts = feedPoints(
      detector({ plateau: { epochs: 3, min_delta: 0.001 } }),
      epochValues(values, 'loss')
    );
    expect(alerts.map(alert => alert.rule)).toEqual(['plateau']);
  });
});

describe('stall', () => {
  it('fires for a running run without records, not for an ended one', () => {
    const detect = detector({ stall: { minutes: 5 } });
    const start = logEvent('run-1', 0, {
      created: '2026-12-01T10:00:00.000Z'
    });
    start.tflog.kind = 'run_start';
    const other = logEvent('run-2', 0, {
      created: '2026-12-01T10:00:00.000Z'
    });
    const end = logEvent('run-2', 1, { created: '2026-12-01T10:01:00.000Z' });
    end.tflog.kind = 'run_end';
    feedDocuments(detect, [start, other, end]);
    const at = Date.parse('2026-12-01T10:04:59Z');
    expect(detect.checkStalled(at)).toEqual([]);
    const later = Date.parse('2026-12-01T10:06:00Z');
    const alerts = detect.checkStalled(later);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'stall',
      run_id: 'run-1',
      kernel_id: 'k'
    });
    expect(alerts[0].message).toContain('6 minutes');
    expect(detect.checkStalled(later + 600_000)).toEqual([]);
  });

  it('does not fire while the run has records not read yet (the service is behind)', () => {
    const detect = detector({ stall: { minutes: 5 } });
    const start = logEvent('run-1', 0, {
      created: '2026-12-01T10:00:00.000Z'
    });
    start.tflog.kind = 'run_start';
    feedDocuments(detect, [start]);
    const later = Date.parse('2026-12-01T10:20:00Z');
    expect(detect.checkStalled(later, runId => runId === 'run-1')).toEqual([]);
    // Read up, its last record really is 20 minutes old.
    const alerts = detect.checkStalled(later, () => false);
    expect(alerts.map(alert => alert.run_id)).toEqual(['run-1']);
  });
});

describe('burst', () => {
  function problem(seq: number, seconds: number, level = 'error') {
    const document = logEvent('run-1', seq, {
      created: new Date(
        Date.parse('2026-12-01T10:00:00Z') + seconds * 1000
      ).toISOString()
    });
    document.log.level = level;
    return document;
  }

  it('fires when N warnings or errors fall within the window', () => {
    const detect = detector({ burst: { records: 5, seconds: 10 } });
    // Spread out: never 5 within 10 s.
    const spread = [0, 4, 8, 12, 16, 20, 24].map((s, i) => problem(i, s));
    expect(feedDocuments(detect, spread)).toEqual([]);
    const dense = [30, 31, 32, 33].map((s, i) =>
      problem(10 + i, s, i % 2 ? 'warning' : 'error')
    );
    const alerts = feedDocuments(detect, dense);
    expect(alerts.map(alert => alert.rule)).toEqual(['burst']);
  });

  it('does not count info lines', () => {
    const detect = detector({ burst: { records: 2, seconds: 10 } });
    const lines = [0, 1, 2].map(s => problem(s, s, 'info'));
    expect(feedDocuments(detect, lines)).toEqual([]);
  });
});

describe('gradient norm', () => {
  it('fires above the threshold, once per metric', () => {
    const detect = detector({ grad_norm: { max: 10 } });
    const points = [3, 12, 50].map((value, i) =>
      lossPoint('run-1', i, {
        _id: `g${i}`,
        name: 'grad_norm',
        value,
        step: i,
        scope: 'log'
      })
    );
    const alerts = feedPoints(detect, points);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'grad_norm', value: 12, step: 1 });
  });
});

describe('disabled rules', () => {
  it('never fire', () => {
    const detect = detector({ enabled: ['plateau'] });
    const points = batchLosses([1, 1, 1, 1, 1, 50]).concat(
      lossPoint('run-1', 99, { nonfinite: 'NaN', value: undefined })
    );
    expect(feedPoints(detect, points)).toEqual([]);
  });
});

describe('thresholds', () => {
  it('lays a partial override over the defaults', () => {
    const merged: IAlertThresholds = mergeThresholds(DEFAULT_THRESHOLDS, {
      stall: { minutes: 2 }
    });
    expect(merged.stall.minutes).toBe(2);
    expect(merged.divergence).toEqual(DEFAULT_THRESHOLDS.divergence);
    expect(DEFAULT_THRESHOLDS.stall.minutes).toBe(10);
  });

  it.each([
    [{ stal: {} }, /unknown alert setting "stal"/],
    [{ stall: { minute: 3 } }, /unknown setting stall.minute/],
    [{ stall: { minutes: -1 } }, /stall.minutes must be a number above 0/],
    [{ plateau: { epochs: 2.5 } }, /plateau.epochs must be a whole number/],
    [{ enabled: ['nan'] }, /enabled\[0\]: unknown rule "nan"/],
    [[1], /must be a JSON object/]
  ])('refuses %j', (override, message) => {
    expect(() => mergeThresholds(DEFAULT_THRESHOLDS, override)).toThrow(
      message
    );
  });

  it('reads the JSON of TFLOG_ALERTS', () => {
    expect(thresholdsFromEnv(undefined)).toBe(DEFAULT_THRESHOLDS);
    expect(thresholdsFromEnv(' ')).toBe(DEFAULT_THRESHOLDS);
    expect(thresholdsFromEnv('{"burst":{"records":3}}').burst.records).toBe(3);
    expect(() => thresholdsFromEnv('{nope')).toThrow(AlertConfigError);
    expect(() => thresholdsFromEnv('{nope')).toThrow(/^not valid JSON: /);
  });
});

describe('stallCheckMs', () => {
  it('checks four times per stall limit, between 1 s and 30 s', () => {
    const at = (minutes: number) =>
      stallCheckMs(mergeThresholds(DEFAULT_THRESHOLDS, { stall: { minutes } }));
    expect(at(10)).toBe(30_000);
    expect(at(1)).toBe(15_000);
    expect(at(0.05)).toBe(1_000);
  });
});
