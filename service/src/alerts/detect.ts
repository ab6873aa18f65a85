/**
 * Finds what went wrong in a run from the records as they are parsed: a
 * non-finite value, a diverging or flat loss, a stalled run, a burst of
 * errors or warnings, an exploding gradient norm. Each condition fires once
 * per run (and metric, where it is about one). No clock and no I/O: what it
 * answers depends only on the records and times it is given, so it is tested
 * without a service and a replay finds the same alerts with the same ids.
 */
import type {
  IMetricPoint,
  IParsedRecord,
  ITflogDocument,
  MetricValue
} from '../types';
import type { IAlert } from '../wire';
import { isoMs } from '../common/isoTime';
import { boundedId } from '../parse/ids';
import type { AlertRule, IAlertThresholds } from './rules';

export type { IAlert };

/** Text a training loop prints when its loss stopped being a number. */
const NONFINITE_TEXT =
  /\b(?:invalid loss|loss (?:became|is|was) (?:nan|inf)|nan loss|nan (?:value )?(?:encountered|detected))/i;

const LOSS_NAME = /(?:^|[._])loss$/i;
const VALIDATION_LOSS = /^val(?:idation)?[._]loss$/i;
const GRAD_NORM_NAME =
  /(?:^|[._])(?:grad(?:ient)?s?[._]?norm|global[._]norm)$/i;
const PROBLEM_LEVELS = new Set([
  'warning',
  'warn',
  'error',
  'critical',
  'fatal'
]);

/** At most this many runs are followed at once; the least recent is dropped. */
const MAX_RUNS = 2000;

interface IPlateauState {
  best: number;
  epochsWithoutGain: number;
  lastEpoch: number;
}

interface IRunState {
  runName: string | null;
  notebook: string | null;
  kernelId: string | null;
  user: string;
  running: boolean;
  lastRecordMs: number;
  lastStep: number | null;
  lastEpoch: number | null;
  fired: Set<string>;
  /** Recent finite values per `name|scope`, for divergence. */
  windows: Map<string, number[]>;
  /** Per watched loss, its epoch values so far. */
  plateaus: Map<string, IPlateauState>;
  /** Times (ms) of recent WARNING and ERROR records. */
  problems: number[];
}

function timeMs(iso: string | undefined): number {
  const ms = iso === undefined ? NaN : isoMs(iso);
  return Number.isFinite(ms) ? ms : 0;
}

/** Math.min of a window, without spreading it into arguments on every point. */
function lowestOf(values: readonly number[]): number {
  let lowest = Infinity;
  // Indexed: for…of allocated an iterator result per value here (profiled).
  for (let index = 0; index < values.length; index++) {
    lowest = Math.min(lowest, values[index]);
  }
  return lowest;
}

function describeRun(state: IRunState, runId: string): string {
  const name = state.runName ?? runId;
  return state.notebook
    ? `run '${name}' in ${state.notebook}`
    : `run '${name}'`;
}

function at(step: number | null, epoch: number | null): string {
  if (step !== null && epoch !== null) {
    return ` at epoch ${epoch}, step ${step}`;
  }
  if (step !== null) {
    return ` at step ${step}`;
  }
  return epoch !== null ? ` at epoch ${epoch}` : '';
}

export class AlertDetector {
  constructor(private _thresholds: IAlertThresholds) {}

  get thresholds(): IAlertThresholds {
    return this._thresholds;
  }

  /** New thresholds apply from the next record; what fired stays fired. */
  set thresholds(thresholds: IAlertThresholds) {
    this._thresholds = thresholds;
  }

  /** The alerts one parsed record raises, in the order of its items. */
  observe(parsed: IParsedRecord): IAlert[] {
    const alerts: IAlert[] = [];
    for (const document of parsed.documents) {
      this._observeDocument(document, alerts);
    }
    for (const point of parsed.points) {
      this._observePoint(point, alerts);
    }
    return alerts;
  }

  /**
   * Runs still running whose last record is older than the stall threshold
   * at `nowMs`: called on a timer by the service. A run whose spool still
   * holds records not read (`unread`: the service is behind) is not judged
   * by the last one read.
   */
  checkStalled(
    nowMs: number,
    unread: (runId: string) => boolean = () => false
  ): IAlert[] {
    if (!this._enabled('stall')) {
      return [];
    }
    const limitMs = this._thresholds.stall.minutes * 60_000;
    const alerts: IAlert[] = [];
    for (const [runId, state] of this._runs) {
      if (
        !state.running ||
        nowMs - state.lastRecordMs < limitMs ||
        unread(runId)
      ) {
        continue;
      }
      const minutes = Math.floor((nowMs - state.lastRecordMs) / 60_000);
      this._fire(alerts, runId, state, {
        rule: 'stall',
        key: 'stall',
        metric: null,
        value: null,
        step: state.lastStep,
        epoch: state.lastEpoch,
        timestamp: new Date(nowMs).toISOString(),
        message:
          `No record from ${describeRun(state, runId)} for ${minutes} ` +
          'minutes while it is still running'
      });
    }
    return alerts;
  }

  /** Runs followed now (bounded by MAX_RUNS). */
  get runCount(): number {
    return this._runs.size;
  }

  private _enabled(rule: AlertRule): boolean {
    return this._thresholds.enabled.includes(rule);
  }

  private _state(
    runId: string,
    identity: {
      runName: string | null;
      notebook: string | null;
      kernelId: string | null;
      user: string;
    }
  ): IRunState {
    let state = this._runs.get(runId);
    if (state === undefined) {
      state = {
        ...identity,
        running: true,
        lastRecordMs: 0,
        lastStep: null,
        lastEpoch: null,
        fired: new Set(),
        windows: new Map(),
        plateaus: new Map(),
        problems: []
      };
      if (this._runs.size >= MAX_RUNS) {
        const oldest = this._runs.keys().next().value;
        if (oldest !== undefined) {
          this._runs.delete(oldest);
        }
      }
    } else {
      // Re-inserted so that the map's order is least recently active first.
      this._runs.delete(runId);
      state.runName = identity.runName ?? state.runName;
      state.notebook = identity.notebook ?? state.notebook;
      state.kernelId = identity.kernelId ?? state.kernelId;
      state.user = identity.user || state.user;
    }
    this._runs.set(runId, state);
    return state;
  }

  private _observeDocument(document: ITflogDocument, alerts: IAlert[]): void {
    const fields = document.tflog;
    const state = this._state(fields.run_id, {
      runName: fields.run_name,
      notebook: fields.notebook,
      kernelId: fields.kernel_id,
      user: document.user.name
    });
    const ms = timeMs(document.event.created ?? document['@timestamp']);
    state.lastRecordMs = Math.max(state.lastRecordMs, ms);
    state.lastStep = fields.step ?? state.lastStep;
    state.lastEpoch = fields.epoch ?? state.lastEpoch;
    if (fields.kind === 'run_start') {
      state.running = true;
    } else if (fields.kind === 'run_end') {
      state.running = false;
    }
    const step = fields.step ?? null;
    const epoch = fields.epoch ?? null;
    const timestamp = document['@timestamp'];

    if (this._enabled('nonfinite')) {
      const nonfinite = Object.entries(fields.nonfinite ?? {});
      if (nonfinite.length > 0) {
        const [metric, value] = nonfinite[0];
        this._fireNonfinite(alerts, fields.run_id, state, {
          metric,
          value,
          step,
          epoch,
          timestamp
        });
      } else if (NONFINITE_TEXT.test(document.message)) {
        this._fire(alerts, fields.run_id, state, {
          rule: 'nonfinite',
          key: 'nonfinite',
          metric: null,
          value: null,
          step,
          epoch,
          timestamp,
          message:
            `${describeRun(state, fields.run_id)} reported a non-finite ` +
            `loss${at(step, epoch)}: ${document.message.slice(0, 200)}`
        });
      }
    }

    if (
      this._enabled('burst') &&
      PROBLEM_LEVELS.has(document.log.level.toLowerCase())
    ) {
      this._observeProblem(alerts, fields.run_id, state, ms, timestamp);
    }
  }

  private _observeProblem(
    alerts: IAlert[],
    runId: string,
    state: IRunState,
    ms: number,
    timestamp: string
  ): void {
    const { records, seconds } = this._thresholds.burst;
    state.problems.push(ms);
    const since = ms - seconds * 1000;
    while (state.problems.length > 0 && state.problems[0] < since) {
      state.problems.shift();
    }
    if (state.problems.length > records) {
      state.problems.splice(0, state.problems.length - records);
    }
    if (state.problems.length >= records) {
      this._fire(alerts, runId, state, {
        rule: 'burst',
        key: 'burst',
        metric: null,
        value: state.problems.length,
        step: state.lastStep,
        epoch: state.lastEpoch,
        timestamp,
        message:
          `${describeRun(state, runId)} logged ${records} warnings or ` +
          `errors within ${seconds} s`
      });
    }
  }

  private _observePoint(point: IMetricPoint, alerts: IAlert[]): void {
    const state = this._state(point.run_id, {
      runName: null,
      notebook: point.notebook,
      kernelId: null,
      user: point.user
    });
    const ms = timeMs(point.created ?? point['@timestamp']);
    state.lastRecordMs = Math.max(state.lastRecordMs, ms);
    const step = point.step ?? null;
    const epoch = point.epoch ?? null;
    state.lastStep = step ?? state.lastStep;
    state.lastEpoch = epoch ?? state.lastEpoch;
    const timestamp = point['@timestamp'];

    if (point.nonfinite !== undefined) {
      if (this._enabled('nonfinite')) {
        this._fireNonfinite(alerts, point.run_id, state, {
          metric: point.name,
          value: point.nonfinite,
          step,
          epoch,
          timestamp
        });
      }
      return;
    }
    const value = point.value;
    if (value === undefined) {
      return;
    }
    if (this._enabled('grad_norm') && GRAD_NORM_NAME.test(point.name)) {
      const { max } = this._thresholds.grad_norm;
      if (value > max) {
        this._fireOnPoint(
          alerts,
          point,
          state,
          'grad_norm',
          value,
          `${point.name} of ${describeRun(state, point.run_id)} is ` +
            `${value}${at(step, epoch)}, above ${max}`
        );
      }
    }
    if (!LOSS_NAME.test(point.name)) {
      return;
    }
    if (this._enabled('divergence')) {
      this._observeDivergence(alerts, point, state, value);
    }
    if (this._enabled('plateau') && point.scope === 'epoch' && epoch !== null) {
      this._observePlateau(alerts, point, state, value, epoch);
    }
  }

  private _observeDivergence(
    alerts: IAlert[],
    point: IMetricPoint,
    state: IRunState,
    value: number
  ): void {
    const {
      factor,
      window,
      min_points: minPoints
    } = this._thresholds.divergence;
    const key = `${point.name}|${point.scope}`;
    let values = state.windows.get(key);
    if (values === undefined) {
      values = [];
      state.windows.set(key, values);
    }
    if (values.length >= minPoints) {
      const lowest = lowestOf(values);
      if (lowest > 0 && value > factor * lowest) {
        const where = at(point.step ?? null, point.epoch ?? null);
        this._fireOnPoint(
          alerts,
          point,
          state,
          'divergence',
          value,
          `${point.name} of ${describeRun(state, point.run_id)} rose to ` +
            `${value}${where}, over ${factor}× its recent low of ${lowest}`
        );
      }
    }
    values.push(value);
    if (values.length > window) {
      values.shift();
    }
  }

  private _observePlateau(
    alerts: IAlert[],
    point: IMetricPoint,
    state: IRunState,
    value: number,
    epoch: number
  ): void {
    // A run with validation loss is watched on it alone: the training loss
    // of an overfitting run keeps improving while the model does not.
    if (!VALIDATION_LOSS.test(point.name) && state.plateaus.has('val_loss')) {
      return;
    }
    if (VALIDATION_LOSS.test(point.name)) {
      for (const name of [...state.plateaus.keys()]) {
        if (!VALIDATION_LOSS.test(name)) {
          state.plateaus.delete(name);
        }
      }
    }
    const key = VALIDATION_LOSS.test(point.name) ? 'val_loss' : point.name;
    const previous = state.plateaus.get(key);
    if (previous === undefined) {
      state.plateaus.set(key, {
        best: value,
        epochsWithoutGain: 0,
        lastEpoch: epoch
      });
      return;
    }
    if (epoch <= previous.lastEpoch) {
      return;
    }
    previous.lastEpoch = epoch;
    const { epochs, min_delta: minDelta } = this._thresholds.plateau;
    if (value < previous.best - Math.abs(previous.best) * minDelta) {
      previous.best = value;
      previous.epochsWithoutGain = 0;
      return;
    }
    previous.epochsWithoutGain += 1;
    if (previous.epochsWithoutGain >= epochs) {
      this._fireOnPoint(
        alerts,
        point,
        state,
        'plateau',
        value,
        `${point.name} of ${describeRun(state, point.run_id)} has not ` +
          `improved on ${previous.best} for ${epochs} epochs (epoch ${epoch})`
      );
    }
  }

  /** An alert about one metric, at the point that raised it. */
  private _fireOnPoint(
    alerts: IAlert[],
    point: IMetricPoint,
    state: IRunState,
    rule: 'grad_norm' | 'divergence' | 'plateau',
    value: number,
    message: string
  ): void {
    this._fire(alerts, point.run_id, state, {
      rule,
      key: `${rule}|${point.name}`,
      metric: point.name,
      value,
      step: point.step ?? null,
      epoch: point.epoch ?? null,
      timestamp: point['@timestamp'],
      message
    });
  }

  private _fireNonfinite(
    alerts: IAlert[],
    runId: string,
    state: IRunState,
    found: {
      metric: string;
      value: MetricValue;
      step: number | null;
      epoch: number | null;
      timestamp: string;
    }
  ): void {
    this._fire(alerts, runId, state, {
      rule: 'nonfinite',
      key: 'nonfinite',
      ...found,
      message:
        `${found.metric} of ${describeRun(state, runId)} became ` +
        `${String(found.value)}${at(found.step, found.epoch)}`
    });
  }

  private _fire(
    alerts: IAlert[],
    runId: string,
    state: IRunState,
    alert: {
      rule: AlertRule;
      key: string;
      metric: string | null;
      value: MetricValue | null;
      step: number | null;
      epoch: number | null;
      timestamp: string;
      message: string;
    }
  ): void {
    if (state.fired.has(alert.key)) {
      return;
    }
    state.fired.add(alert.key);
    alerts.push({
      alert_id: boundedId(`${runId}:alert:${alert.key}`),
      rule: alert.rule,
      run_id: runId,
      run_name: state.runName,
      notebook: state.notebook,
      kernel_id: state.kernelId,
      user: state.user,
      metric: alert.metric,
      value: alert.value,
      step: alert.step,
      epoch: alert.epoch,
      '@timestamp': alert.timestamp,
      message: alert.message
    });
  }

  private _runs = new Map<string, IRunState>();
}
