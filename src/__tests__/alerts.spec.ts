import { alertSummary, alertText } from '../alertText';
import { AlertCenter } from '../model/alertCenter';
import { LiveUpdates } from '../model/liveUpdates';
import { syncThresholds, ThresholdsSync } from '../model/alertThresholds';
import { errorFromResponse, TflogRequestError } from '../request';
import type { IAlert, IAlertThresholdsResponse, ITflogClient } from '../tokens';
import { defaultBundle } from '../views/text';
import { FakeEventSource } from './fakes';

function alert(overrides: Partial<IAlert> = {}): IAlert {
  return {
    alert_id: 'r1:alert:nonfinite',
    rule: 'nonfinite',
    run_id: 'r1',
    run_name: 'lr-1e3',
    notebook: 'work/train.ipynb',
    kernel_id: 'k1',
    user: 'alice',
    metric: 'loss',
    value: 'NaN',
    step: 3420,
    epoch: 2,
    '@timestamp': '2026-12-01T10:00:00.000Z',
    message: 'loss became NaN',
    ...overrides
  };
}

describe('alert text', () => {
  const trans = defaultBundle();

  it('names what, where, the run and the notebook', () => {
    expect(alertText(trans, alert())).toBe(
      'loss became NaN at epoch 2, step 3420 — run “lr-1e3” in work/train.ipynb'
    );
    expect(
      alertText(trans, alert({ run_name: null, notebook: null, epoch: null }))
    ).toBe('loss became NaN at step 3420 — run “r1”');
  });

  it.each<[Partial<IAlert>, string]>([
    [
      { metric: null, value: null },
      'The loss is no longer a number at epoch 2, step 3420'
    ],
    [
      { rule: 'divergence', value: 12.345678 },
      'loss is diverging: 12.35 at epoch 2, step 3420'
    ],
    [
      { rule: 'plateau', metric: 'val_loss', value: 0.7012345, step: null },
      'val_loss has stopped improving (0.7012) at epoch 2'
    ],
    [
      { rule: 'stall', metric: null, value: null, epoch: null },
      'No output for a while at step 3420'
    ],
    [
      { rule: 'burst', metric: null, value: 20, step: null, epoch: null },
      '20 warnings or errors in a short time'
    ],
    [
      { rule: 'grad_norm', metric: 'grad_norm', value: 1.5e7 },
      'grad_norm is 15M, above the threshold at epoch 2, step 3420'
    ]
  ])('says %j as %j', (overrides, text) => {
    expect(alertSummary(trans, alert(overrides))).toBe(text);
  });
});

describe('AlertCenter', () => {
  it('raises each alert once, latest first, and counts the unseen', () => {
    const center = new AlertCenter();
    const raised: string[] = [];
    center.raised.connect((_, a) => raised.push(a.alert_id));
    expect(center.add(alert())).toBe(true);
    expect(center.add(alert())).toBe(false);
    expect(
      center.add(alert({ alert_id: 'r2:alert:stall', run_id: 'r2' }))
    ).toBe(true);
    expect(raised).toEqual(['r1:alert:nonfinite', 'r2:alert:stall']);
    expect(center.alerts.map(a => a.run_id)).toEqual(['r2', 'r1']);
    expect(center.forRun('r1')).toHaveLength(1);
    expect(center.unseen).toBe(2);
    center.markSeen();
    expect(center.unseen).toBe(0);
    center.dispose();
    expect(center.add(alert({ alert_id: 'r3' }))).toBe(false);
  });

  it('keeps the latest 100', () => {
    const center = new AlertCenter();
    for (let i = 0; i < 150; i++) {
      center.add(alert({ alert_id: `a${i}` }));
    }
    expect(center.alerts).toHaveLength(100);
    expect(center.alerts[0].alert_id).toBe('a149');
    expect(center.alerts[99].alert_id).toBe('a50');
  });
});

describe('LiveUpdates and alerts', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes alert events on, and ignores malformed ones', () => {
    FakeEventSource.created = [];
    const updates = new LiveUpdates({
      url: 'http://localhost/tflog/api/v1/events',
      intervalMs: 1000,
      createEventSource: url => new FakeEventSource(url)
    });
    const alerts: IAlert[] = [];
    updates.alertRaised.connect((_, a) => alerts.push(a));
    updates.start();
    const source = FakeEventSource.created[0];
    source.send({ type: 'ready', api_version: 1 });
    source.send({ type: 'alert', alert: alert() });
    source.send({ type: 'alert' });
    source.send({ type: 'alert', alert: { rule: 'stall' } });
    expect(alerts.map(a => a.alert_id)).toEqual(['r1:alert:nonfinite']);
    updates.dispose();
  });
});

describe('syncThresholds', () => {
  function clientWith(user: Record<string, unknown> | null) {
    const sent: Record<string, unknown>[] = [];
    const answer = (): IAlertThresholdsResponse => ({
      admin: DEFAULT,
      user,
      effective: DEFAULT
    });
    const client = {
      alertThresholds: () => Promise.resolve(answer()),
      setAlertThresholds: (override: Record<string, unknown>) => {
        sent.push(override);
        return Promise.resolve(answer());
      }
    } as unknown as ITflogClient;
    return { client, sent };
  }
  const DEFAULT = {
    enabled: [],
    divergence: { factor: 3, window: 20, min_points: 5 },
    plateau: { epochs: 10, min_delta: 1e-4 },
    stall: { minutes: 10 },
    burst: { records: 20, seconds: 60 },
    grad_norm: { max: 1000 }
  } as IAlertThresholdsResponse['admin'];

  it('sends nothing when the service already has them', async () => {
    const { client, sent } = clientWith(null);
    await syncThresholds(client, {});
    const same = clientWith({ stall: { minutes: 3 } });
    await syncThresholds(same.client, { stall: { minutes: 3 } });
    expect([...sent, ...same.sent]).toEqual([]);
  });

  it('sends the setting when it differs, clearing included', async () => {
    const { client, sent } = clientWith({ stall: { minutes: 3 } });
    await syncThresholds(client, {});
    await syncThresholds(client, { plateau: { epochs: 4 } });
    expect(sent).toEqual([{}, { plateau: { epochs: 4 } }]);
  });

  describe('ThresholdsSync', () => {
    const URL = 'http://localhost/tflog/api/v1/alerts/thresholds';
    /** A service that is down until `up`, then has no thresholds of the user's. */
    function startingService() {
      const state = { up: false, refuse: false };
      const sent: Record<string, unknown>[] = [];
      const client = {
        alertThresholds: () =>
          state.up
            ? Promise.resolve({
                admin: DEFAULT,
                user: null,
                effective: DEFAULT
              })
            : Promise.reject(errorFromResponse(404, undefined, '', URL)),
        setAlertThresholds: (override: Record<string, unknown>) => {
          if (state.refuse) {
            return Promise.reject(
              errorFromResponse(
                400,
                {
                  error: {
                    status: 400,
                    reason: 'invalid_body',
                    message: 'stall.minutes must be a number above 0'
                  }
                },
                '',
                URL
              )
            );
          }
          sent.push(override);
          return Promise.resolve({
            admin: DEFAULT,
            user: override,
            effective: DEFAULT
          });
        }
      } as unknown as ITflogClient;
      const errors: unknown[] = [];
      const sync = new ThresholdsSync({
        client,
        isRefusal: error =>
          error instanceof TflogRequestError && error.reason === 'invalid_body',
        onError: error => errors.push(error)
      });
      return { state, sent, errors, sync };
    }

    it('sends the setting again once a service that started later answers', async () => {
      const { state, sent, errors, sync } = startingService();
      await sync.set({ stall: { minutes: 3 } });
      expect(sent).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(sync.pending).toBe(true);
      state.up = true;
      await sync.retry();
      expect(sent).toEqual([{ stall: { minutes: 3 } }]);
      expect(sync.pending).toBe(false);
      // Sent once: neither the same setting nor a retry sends it again.
      await sync.set({ stall: { minutes: 3 } });
      await sync.retry();
      expect(sent).toHaveLength(1);
    });

    it('does not send again a setting the service refused', async () => {
      const { state, sent, errors, sync } = startingService();
      state.up = true;
      state.refuse = true;
      await sync.set({ stall: { minutes: 0 } });
      expect(errors).toHaveLength(1);
      expect(sync.pending).toBe(false);
      state.refuse = false;
      await sync.retry();
      expect(sent).toEqual([]);
    });
  });
});
