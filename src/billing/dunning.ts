/**
 * Dunning step math, pure: given the policy, what the invoice has been through and the time,
 * what happens next. The workflow (src/dunning/) applies the answer; the schedule and the
 * subscription's states both come from here.
 */
import type { DunningPolicy, FinalAction } from './dunningPolicy.ts';
import type { OutcomeClass } from './outcomeClasses.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export type DunningDecision =
  /** Try the same card again at `at`. */
  | { action: 'retry'; at: Date }
  /** Hard decline: no retry on this card; wait for a new payment method until `until`. */
  | { action: 'await_payment_method'; until: Date }
  /** Retries are used up or the window closed: apply the final action now. */
  | { action: 'exhausted'; finalAction: FinalAction; reason: 'max_attempts' | 'max_days' };

export interface DunningState {
  /** Counted failures on this invoice (soft/hard declines, abandoned customer actions), this one included. */
  failedAttempts: number;
  /** When the invoice's first counted failure happened (this one, if it is the first). */
  firstFailureAt: Date;
}

/** When dunning of an invoice ends at the latest. */
export function dunningEndsAt(policy: DunningPolicy, firstFailureAt: Date): Date {
  return new Date(firstFailureAt.getTime() + policy.maxDays * DAY_MS);
}

/** The delay before attempt `failedAttempts + 1`; the schedule's last delay repeats. */
export function retryDelayMs(policy: DunningPolicy, failedAttempts: number): number {
  const list = policy.retryDelayHours;
  const h = list[Math.min(Math.max(failedAttempts, 1), list.length) - 1] ?? list[list.length - 1] ?? 24;
  return h * HOUR_MS;
}

export function nextDunningStep(
  policy: DunningPolicy,
  state: DunningState,
  outcomeClass: OutcomeClass,
  now: Date,
): DunningDecision {
  const ends = dunningEndsAt(policy, state.firstFailureAt);
  if (now.getTime() >= ends.getTime())
    return { action: 'exhausted', finalAction: policy.finalAction, reason: 'max_days' };
  if (outcomeClass === 'hard_decline') return { action: 'await_payment_method', until: ends };
  if (state.failedAttempts >= policy.maxAttempts)
    return { action: 'exhausted', finalAction: policy.finalAction, reason: 'max_attempts' };
  const at = new Date(now.getTime() + retryDelayMs(policy, state.failedAttempts));
  if (at.getTime() >= ends.getTime())
    return { action: 'exhausted', finalAction: policy.finalAction, reason: 'max_days' };
  return { action: 'retry', at };
}

/** Deadline of a renewal waiting on the customer (3-D Secure), from when it went pending. */
export function actionDeadline(policy: DunningPolicy, since: Date): Date {
  return new Date(since.getTime() + policy.actionDeadlineHours * HOUR_MS);
}

export function payLinkExpiry(policy: DunningPolicy, since: Date): Date {
  return new Date(since.getTime() + policy.payLinkHours * HOUR_MS);
}
