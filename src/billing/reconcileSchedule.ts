/**
 * When the reconciler looks an open attempt up, and for how long one pass may run. Pure:
 * times are passed in. (What a lookup *decides* is reconcile.ts / reconcilePolicy.ts.)
 *
 * Renewals must never wait behind reconciliation: the reconciler has its own queue, each pass
 * stops at a time budget, and every lookup — successful, empty or failed — pushes the
 * attempt's next check back, so attempts whose search always errors cannot starve newer ones.
 */

/** One pass stops starting lookups after this: shorter than the pass interval, so passes never pile up. */
export const RECONCILE_PASS_BUDGET_MS = 10_000;

/** How often a reconcile pass is scheduled. */
export const RECONCILE_INTERVAL_MS = 15_000;

/** Most attempts one pass considers: a bound on one query, not on the work (the budget is). */
export const RECONCILE_PASS_BATCH = 200;

/** First re-check of an attempt comes this soon: an unknown outcome usually resolves at once. */
export const LOOKUP_BACKOFF_MIN_MS = 15_000;

/** Longest gap between two lookups of one attempt: a lost answer is still found within minutes. */
export const LOOKUP_BACKOFF_MAX_MS = 10 * 60_000;

/** The gap grows with the attempt's age (a quarter of it): young attempts are checked often, stale ones rarely. */
export const LOOKUP_BACKOFF_AGE_FRACTION = 0.25;

/** An attempt whose outcome is still unknown this long after its request raises `charge.unresolved`. */
export const UNRESOLVED_ALERT_AFTER_MS = 60 * 60_000;

/**
 * When the next lookup of an attempt is due, given that one starts at `wallNow`.
 * `decisionAt` — the moment the reconciler can decide without the gateway's help (e.g. the
 * end of AsiaBill's request window) — is never overshot: the back-off is clamped to it.
 */
export function nextLookupAt(requestTime: Date, wallNow: Date, decisionAt?: Date): Date {
  const age = Math.max(0, wallNow.getTime() - requestTime.getTime());
  const gap = Math.min(LOOKUP_BACKOFF_MAX_MS, Math.max(LOOKUP_BACKOFF_MIN_MS, age * LOOKUP_BACKOFF_AGE_FRACTION));
  let next = wallNow.getTime() + gap;
  if (decisionAt !== undefined && decisionAt.getTime() > wallNow.getTime()) next = Math.min(next, decisionAt.getTime());
  return new Date(next);
}
