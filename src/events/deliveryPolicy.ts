/**
 * Merchant webhook delivery policy. The first retry delay and the per-POST timeout come from
 * the configuration (BILLING_WEBHOOK_RETRY_BASE_MS, BILLING_WEBHOOK_TIMEOUT_MS) so tests can
 * compress them; the numbers below are fixed policy.
 */

/** Back-off doubles up to this: a receiver down for a day is tried every 6 hours, not once a day. */
export const DELIVERY_RETRY_CAP_MS = 6 * 3600_000;

/** A delivery is retried for 3 days (what Stripe users expect) before it is marked failed. */
export const DELIVERY_GIVE_UP_AFTER_MS = 3 * 24 * 3600_000;

/** An endpoint that has not answered 2xx for 5 days is disabled (a weekend outage is not enough). */
export const ENDPOINT_DISABLE_AFTER_MS = 5 * 24 * 3600_000;

/** After rotate-secret the old secret keeps signing (as a second v1) this long: receivers switch over. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3600_000;

/** A claimed delivery is re-offered this long after its POST's timeout: the worker died mid-post. */
export const DELIVERY_LEASE_MARGIN_MS = 5_000;

/** Events fanned out per publish transaction; a scan repeats until the outbox is drained. */
export const PUBLISH_BATCH = 500;

/** Due deliveries enqueued per scan. */
export const DUE_BATCH = 1_000;

/** A receiver's answer body kept for the operator, at most this many characters. */
export const ANSWER_EXCERPT_CHARS = 300;

/** Delay before attempt `attemptNo + 1`, after `attemptNo` attempts failed (1-based). */
export function retryDelayMs(attemptNo: number, baseMs: number): number {
  const exp = Math.min(attemptNo - 1, 30);
  return Math.min(baseMs * 2 ** exp, Math.max(baseMs, DELIVERY_RETRY_CAP_MS));
}
