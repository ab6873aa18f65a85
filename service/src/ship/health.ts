/**
 * A run's health score (docs/alerts.md, "Run health"): 0–100 from how it
 * ended, whether its values stayed finite, how far its loss came down, how
 * close it ended to its best, and how many errors and warnings it logged.
 * Folded with the run summary from the same records, so it is stored,
 * sortable, and the same after a replay.
 */
import type { IMetricPoint, IRunSummary } from '../types';
import type { IRunHealth, IRunHealthLoss } from '../wire';

/** Weights of the components; those without data are left out. */
export const HEALTH_WEIGHTS = {
  outcome: 0.25,
  stability: 0.25,
  convergence: 0.2,
  final: 0.15,
  cleanliness: 0.15
} as const;

/** HEALTH_WEIGHTS as pairs, made once: every record of a run is scored. */
const WEIGHTED_COMPONENTS = Object.entries(HEALTH_WEIGHTS) as [
  keyof typeof HEALTH_WEIGHTS,
  number
][];

const OUTCOME_SCORES: Record<IRunSummary['status'], number> = {
  running: 100,
  finished: 100,
  stopped: 80,
  interrupted: 50,
  failed: 0
};

/** A loss halved from its first value is full marks for convergence. */
const FULL_CONVERGENCE = 0.5;

function clamp(value: number): number {
  return Math.min(100, Math.max(0, value));
}

/** The losses followed: validation loss when there is one, else the training loss. */
function watched(health: IRunHealth | undefined): IRunHealthLoss | null {
  return health?.losses.val_loss ?? health?.losses.loss ?? null;
}

const SOURCE_RANK: Record<IRunHealthLoss['from'], number> = {
  exact: 3,
  epoch: 2,
  other: 1
};

function sourceOf(point: IMetricPoint): IRunHealthLoss['from'] {
  if (point.scope !== 'epoch') {
    return 'other';
  }
  return point.source === 'callback' ? 'exact' : 'epoch';
}

/** Which loss a point is, if it is one that counts. */
function lossSlot(point: IMetricPoint): 'loss' | 'val_loss' | null {
  if (point.scope === 'system' || typeof point.value !== 'number') {
    return null;
  }
  if (point.name === 'loss' || point.name === 'val_loss') {
    return point.name;
  }
  return null;
}

/** Health inputs of a run nothing was folded into yet. */
function unscoredHealth(): IRunHealth {
  return { score: 100, components: {}, losses: {} };
}

/** Folds one more point into the health inputs (in place; made when absent). */
export function foldHealthPoint(
  health: IRunHealth | undefined,
  point: IMetricPoint
): IRunHealth | undefined {
  const slot = lossSlot(point);
  if (slot === null) {
    return health;
  }
  const value = point.value as number;
  const from = sourceOf(point);
  const folded = health ?? unscoredHealth();
  const known = folded.losses[slot];
  if (known === undefined || SOURCE_RANK[from] > SOURCE_RANK[known.from]) {
    // Exact epoch values replace rounded ones and the running means of bars.
    folded.losses[slot] = { first: value, best: value, last: value, from };
  } else if (from === known.from) {
    known.best = Math.min(known.best, value);
    known.last = value;
  }
  return folded;
}

/**
 * The score and its components from the summary and the losses seen, set
 * in `health` (made when absent): runs are scored once a record.
 */
export function scoreHealth(
  summary: IRunSummary,
  health: IRunHealth | undefined
): IRunHealth {
  const scored = health ?? unscoredHealth();
  const components = scored.components;
  components.outcome = OUTCOME_SCORES[summary.status];
  components.stability = summary.counts.nan > 0 ? 0 : 100;
  components.cleanliness = clamp(
    100 - 25 * summary.counts.errors - 2 * summary.counts.warnings
  );
  const loss = watched(scored);
  if (loss === null || loss.first <= 0) {
    // Rare (no loss yet, or one at or below 0): no data, no component.
    if (components.convergence !== undefined) {
      delete components.convergence;
      delete components.final;
    }
  } else {
    const improvement = (loss.first - loss.best) / loss.first;
    components.convergence = Math.round(
      clamp((improvement / FULL_CONVERGENCE) * 100)
    );
    const fromBest = loss.best > 0 ? (loss.last - loss.best) / loss.best : 0;
    // 10 % above its best at the end costs 20 points.
    components.final = Math.round(clamp(100 - fromBest * 200));
  }
  let weighted = 0;
  let weights = 0;
  for (const [name, weight] of WEIGHTED_COMPONENTS) {
    const value = components[name];
    if (value !== undefined) {
      weighted += value * weight;
      weights += weight;
    }
  }
  scored.score = Math.round(weighted / weights);
  return scored;
}
