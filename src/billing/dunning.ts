import type { DeclineClass } from './declines.ts';

/**
 * The simplest honest dunning policy: a fixed retry schedule for soft declines, none for hard
 * ones, and a terminal action when retries run out. The dunning issue replaces this module
 * (decline-aware schedules, card-network retry caps, pay links) behind the same function.
 */
export const RETRY_DELAYS_MS: readonly number[] = [1, 3, 5].map((d) => d * 24 * 3600 * 1000);

/** What happens to a subscription when dunning gives up: 'canceled' or 'unpaid'. */
export const EXHAUSTED_ACTION: 'canceled' | 'unpaid' = 'canceled';

export type DunningDecision =
  | { action: 'retry'; at: Date }
  | { action: 'exhausted'; subscriptionStatus: 'canceled' | 'unpaid' };

/**
 * @param failedAttempts failures so far on this invoice, including the one just recorded
 */
export function nextDunningStep(failedAttempts: number, declineClass: DeclineClass, now: Date): DunningDecision {
  const delay = RETRY_DELAYS_MS[failedAttempts - 1];
  if (declineClass === 'hard' || delay === undefined) {
    return { action: 'exhausted', subscriptionStatus: EXHAUSTED_ACTION };
  }
  return { action: 'retry', at: new Date(now.getTime() + delay) };
}
