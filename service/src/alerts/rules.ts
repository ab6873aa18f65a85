/**
 * The alert rules and their thresholds. Admins set the defaults for
 * everyone (TFLOG_ALERTS, JSON); a user's settings may adjust them within the
 * same shape. Every threshold is validated here, once, so a bad value is
 * refused with its path instead of silently turning a rule off.
 */

import type { AlertRule, IAlertThresholds } from '../wire';

export const ALERT_RULES = [
  'nonfinite',
  'divergence',
  'plateau',
  'stall',
  'burst',
  'grad_norm'
] as const satisfies readonly AlertRule[];

export type { AlertRule, IAlertThresholds };

/** Fails to compile when ALERT_RULES misses a rule the wire knows. */
const ALERT_RULES_COMPLETE: Exclude<
  AlertRule,
  (typeof ALERT_RULES)[number]
> extends never
  ? true
  : never = true;
void ALERT_RULES_COMPLETE;

export const DEFAULT_THRESHOLDS: IAlertThresholds = {
  enabled: [...ALERT_RULES],
  divergence: { factor: 3, window: 20, min_points: 5 },
  plateau: { epochs: 10, min_delta: 1e-4 },
  stall: { minutes: 10 },
  burst: { records: 20, seconds: 60 },
  grad_norm: { max: 1000 }
};

export class AlertConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertConfigError';
  }
}

type NumericRule = Exclude<keyof IAlertThresholds, 'enabled'>;

/** Which number each threshold must be: a positive number, or a whole one. */
const LIMITS: Record<NumericRule, Record<string, 'positive' | 'count'>> = {
  divergence: { factor: 'positive', window: 'count', min_points: 'count' },
  plateau: { epochs: 'count', min_delta: 'positive' },
  stall: { minutes: 'positive' },
  burst: { records: 'count', seconds: 'positive' },
  grad_norm: { max: 'positive' }
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkNumber(
  path: string,
  value: unknown,
  kind: 'positive' | 'count'
): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new AlertConfigError(`${path} must be a number above 0`);
  }
  if (kind === 'count' && !Number.isInteger(value)) {
    throw new AlertConfigError(`${path} must be a whole number`);
  }
  return value;
}

function checkEnabled(value: unknown): AlertRule[] {
  if (!Array.isArray(value)) {
    throw new AlertConfigError(
      `enabled must be a list of rules (${ALERT_RULES.join(', ')})`
    );
  }
  return value.map((rule, index) => {
    if (!(ALERT_RULES as readonly unknown[]).includes(rule)) {
      throw new AlertConfigError(
        `enabled[${index}]: unknown rule ${JSON.stringify(rule)}; ` +
          `known: ${ALERT_RULES.join(', ')}`
      );
    }
    return rule as AlertRule;
  });
}

/**
 * `base` with the thresholds of `override` laid over it: an admin's JSON
 * over the defaults, or a user's over the admin's. Unknown keys are refused,
 * so a misspelt rule is told, not ignored.
 */
export function mergeThresholds(
  base: IAlertThresholds,
  override: unknown
): IAlertThresholds {
  if (override === undefined || override === null) {
    return base;
  }
  if (!isObject(override)) {
    throw new AlertConfigError('alert thresholds must be a JSON object');
  }
  const merged: IAlertThresholds = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (key === 'enabled') {
      merged.enabled = checkEnabled(value);
      continue;
    }
    if (!(key in LIMITS)) {
      throw new AlertConfigError(
        `unknown alert setting ${JSON.stringify(key)}; known: enabled, ` +
          Object.keys(LIMITS).join(', ')
      );
    }
    const rule = key as NumericRule;
    if (!isObject(value)) {
      throw new AlertConfigError(`${rule} must be an object`);
    }
    const target = merged[rule] as unknown as Record<string, number>;
    for (const [name, number] of Object.entries(value)) {
      const kind = LIMITS[rule][name];
      if (kind === undefined) {
        throw new AlertConfigError(
          `unknown setting ${rule}.${name}; known: ` +
            Object.keys(LIMITS[rule]).join(', ')
        );
      }
      target[name] = checkNumber(`${rule}.${name}`, number, kind);
    }
  }
  return merged;
}

/**
 * The admin's thresholds from TFLOG_ALERTS (JSON), over the defaults; the
 * caller names the variable in the error.
 */
export function thresholdsFromEnv(text: string | undefined): IAlertThresholds {
  if (text === undefined || text.trim() === '') {
    return DEFAULT_THRESHOLDS;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AlertConfigError(`not valid JSON: ${(error as Error).message}`);
  }
  return mergeThresholds(DEFAULT_THRESHOLDS, parsed);
}
