/**
 * Back-off for an invoice parked by a merchant-side refusal (L000x/P000x, a request we refused
 * to build): not a decline, so no dunning; the invoice is simply tried again later, sooner at
 * first (a clock or key fix is often minutes away) and then at most every few hours, so a
 * long outage costs a handful of refused requests per invoice, never a hot loop.
 */

/** Why 5 min: long enough not to hammer a gateway that refuses us, short for a quick fix. */
export const REFUSAL_BACKOFF_BASE_MS = 5 * 60_000;
/** Why 4 h: a fixed fault is picked up within a working morning, and an outage costs ~6 calls a day. */
export const REFUSAL_BACKOFF_MAX_MS = 4 * 3_600_000;

/** Delay before the next try after `refusals` consecutive refusals (1 = the first). */
export function refusalBackoffMs(refusals: number): number {
  const n = Math.max(1, Math.floor(refusals));
  if (n > 30) return REFUSAL_BACKOFF_MAX_MS;
  return Math.min(REFUSAL_BACKOFF_BASE_MS * 2 ** (n - 1), REFUSAL_BACKOFF_MAX_MS);
}
