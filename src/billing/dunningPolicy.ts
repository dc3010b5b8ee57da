/**
 * The dunning policy: ONE object per subscription (the default, or its plan's override merged
 * over it) from which both the retry schedule and the subscription's states are derived, so the
 * two can never disagree (the classic open-source mistake is configuring them apart).
 */
import { ValidationError } from '../errors.ts';

/** Why 30: an invoice left in dunning longer is stale debt; the issue caps it at 30 days. */
export const MAX_DUNNING_DAYS_LIMIT = 30;
/** Why 7: a 3-D Secure link older than a week is forgotten; the issue caps the deadline at 7 days. */
export const MAX_ACTION_DEADLINE_HOURS = 7 * 24;
/** Why 20: more automatic attempts per invoice than any card network tolerates in 30 days. */
export const MAX_ATTEMPTS_LIMIT = 20;

export const FINAL_ACTIONS = ['canceled', 'unpaid'] as const;
export type FinalAction = (typeof FINAL_ACTIONS)[number];

export interface DunningPolicy {
  /** Hours to wait after the n-th counted failure before the next attempt; the last repeats. */
  retryDelayHours: readonly number[];
  /** Automatic attempts per invoice that may end in a decline, the first one included. */
  maxAttempts: number;
  /** The longest an invoice may stay in dunning, from its first failure. */
  maxDays: number;
  /** What happens to the subscription when dunning is exhausted. */
  finalAction: FinalAction;
  /** How long a renewal waiting on the customer (3-D Secure) stays open. */
  actionDeadlineHours: number;
  /** How long a pay link stays open; automatic retries for its invoice wait meanwhile. */
  payLinkHours: number;
}

/** 1, 3 and 5 days after each failure, four attempts, at most 30 days, then cancel. */
export const DEFAULT_DUNNING_POLICY: DunningPolicy = Object.freeze({
  retryDelayHours: Object.freeze([24, 72, 120]),
  maxAttempts: 4,
  maxDays: MAX_DUNNING_DAYS_LIMIT,
  finalAction: 'canceled',
  actionDeadlineHours: 72,
  payLinkHours: 48,
});

export type DunningPolicyOverride = Partial<DunningPolicy>;

const KEYS: readonly (keyof DunningPolicy)[] = [
  'retryDelayHours',
  'maxAttempts',
  'maxDays',
  'finalAction',
  'actionDeadlineHours',
  'payLinkHours',
];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intIn(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new ValidationError(
      field,
      `integer ${min}..${max}`,
      `${JSON.stringify(v)} is not an integer from ${min} to ${max}`,
    );
  }
  return v;
}

/**
 * Reads an override (from the environment or a plan) without trusting its shape. Throws a
 * ValidationError naming the field (prefixed with `field`), the rule and the problem.
 */
export function parseDunningOverride(raw: unknown, field = 'dunning'): DunningPolicyOverride {
  if (!isRecord(raw)) throw new ValidationError(field, 'object', 'must be a JSON object');
  const out: { -readonly [K in keyof DunningPolicy]?: DunningPolicy[K] } = {};
  for (const k of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(k))
      throw new ValidationError(`${field}.${k}`, 'known key', `unknown key; expected one of ${KEYS.join(', ')}`);
  }
  if (raw.retryDelayHours !== undefined) {
    const v = raw.retryDelayHours;
    if (!Array.isArray(v) || v.length === 0 || v.length > MAX_ATTEMPTS_LIMIT)
      throw new ValidationError(
        `${field}.retryDelayHours`,
        `1..${MAX_ATTEMPTS_LIMIT} delays`,
        'must be a non-empty list of hours',
      );
    out.retryDelayHours = v.map((h, i) => intIn(`${field}.retryDelayHours[${i}]`, h, 1, MAX_DUNNING_DAYS_LIMIT * 24));
  }
  if (raw.maxAttempts !== undefined)
    out.maxAttempts = intIn(`${field}.maxAttempts`, raw.maxAttempts, 1, MAX_ATTEMPTS_LIMIT);
  if (raw.maxDays !== undefined) out.maxDays = intIn(`${field}.maxDays`, raw.maxDays, 1, MAX_DUNNING_DAYS_LIMIT);
  if (raw.finalAction !== undefined) {
    const v = raw.finalAction;
    const found = FINAL_ACTIONS.find((a) => a === v);
    if (!found)
      throw new ValidationError(
        `${field}.finalAction`,
        'enum',
        `${JSON.stringify(v)} is not one of ${FINAL_ACTIONS.join(', ')}`,
      );
    out.finalAction = found;
  }
  if (raw.actionDeadlineHours !== undefined)
    out.actionDeadlineHours = intIn(
      `${field}.actionDeadlineHours`,
      raw.actionDeadlineHours,
      1,
      MAX_ACTION_DEADLINE_HOURS,
    );
  if (raw.payLinkHours !== undefined)
    out.payLinkHours = intIn(`${field}.payLinkHours`, raw.payLinkHours, 1, MAX_ACTION_DEADLINE_HOURS);
  return out;
}

/** The effective policy: override over base, checked as a whole. */
export function effectivePolicy(base: DunningPolicy, override?: DunningPolicyOverride | null): DunningPolicy {
  const merged: DunningPolicy = { ...base, ...(override ?? {}) };
  return validatePolicy(merged);
}

/** Cross-field rules; throws a ValidationError. */
export function validatePolicy(p: DunningPolicy, field = 'dunning'): DunningPolicy {
  parseDunningOverride({ ...p, retryDelayHours: [...p.retryDelayHours] }, field);
  const firstRetryHours = p.retryDelayHours[0] ?? 0;
  if (p.maxAttempts > 1 && firstRetryHours > p.maxDays * 24) {
    throw new ValidationError(
      `${field}.retryDelayHours`,
      'within maxDays',
      `the first retry (${firstRetryHours} h) comes after dunning ends (${p.maxDays} days)`,
    );
  }
  return p;
}
