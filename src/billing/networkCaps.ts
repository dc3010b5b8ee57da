/**
 * Card-network limits on merchant-initiated reattempts, per card across all invoices. A retry
 * that would break a cap moves to the earliest time at which it would not.
 *
 * A "reattempt" here is every automatic attempt on a card after the first attempt of its
 * invoice that reached the gateway (refusals before processing never reach the network and do
 * not count). Counting slightly more than the networks do errs on the safe side.
 */

/** Why 15: Visa's limit of reattempts per card in 30 days; merchants with an agreement may go to 20. */
export const VISA_REATTEMPTS_PER_30_DAYS = 15;
/** Why 20: the most Visa allows under any agreement. */
export const VISA_REATTEMPTS_PER_30_DAYS_MAX = 20;
/** Why 10: Mastercard's excessive-retry rule, per card in 24 hours. */
export const MASTERCARD_REATTEMPTS_PER_24_HOURS = 10;
/** Why 35: Mastercard's excessive-retry rule, per card in 30 days. */
export const MASTERCARD_REATTEMPTS_PER_30_DAYS = 35;

const DAY_MS = 86_400_000;

export interface CapWindow {
  windowMs: number;
  limit: number;
}

export type CardNetwork = 'visa' | 'mastercard' | 'other';

export function networkOf(brand: string | null | undefined): CardNetwork {
  const b = (brand ?? '').toLowerCase().replace(/[^a-z]/g, '');
  if (b.startsWith('visa')) return 'visa';
  if (b.startsWith('master') || b === 'mc') return 'mastercard';
  return 'other';
}

export function capsFor(network: CardNetwork, visaPer30Days = VISA_REATTEMPTS_PER_30_DAYS): CapWindow[] {
  if (network === 'visa') return [{ windowMs: 30 * DAY_MS, limit: visaPer30Days }];
  if (network === 'mastercard')
    return [
      { windowMs: DAY_MS, limit: MASTERCARD_REATTEMPTS_PER_24_HOURS },
      { windowMs: 30 * DAY_MS, limit: MASTERCARD_REATTEMPTS_PER_30_DAYS },
    ];
  return [];
}

/**
 * The earliest time ≥ `proposed` at which one more reattempt keeps every window within its
 * limit, given the card's earlier reattempts (`past`, any order). A window is half-open:
 * an attempt at t counts against (t - windowMs, t].
 */
export function earliestAllowed(proposed: Date, past: readonly Date[], caps: readonly CapWindow[]): Date {
  const times = past.map((d) => d.getTime()).sort((a, b) => a - b);
  let t = proposed.getTime();
  for (let guard = 0; guard < 1000; guard++) {
    let moved = false;
    for (const cap of caps) {
      const inWindow = times.filter((x) => x > t - cap.windowMs && x <= t);
      if (inWindow.length >= cap.limit) {
        // The window frees a slot when the oldest of the attempts that must fall out leaves it.
        const mustLeave = inWindow.length - cap.limit + 1;
        const leaving = inWindow[mustLeave - 1] ?? t;
        t = leaving + cap.windowMs;
        moved = true;
      }
    }
    if (!moved) return new Date(t);
  }
  return new Date(t);
}
