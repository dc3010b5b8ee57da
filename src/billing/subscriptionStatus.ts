/**
 * Every subscription and invoice status, and every set of them the engine branches on, named
 * once. Code never lists statuses inline: it asks `isBillable(s)` or passes `RENEWABLE` to a
 * query, so adding a status is a change here that the compiler then walks through the rest.
 */
export const SUBSCRIPTION_STATUSES = [
  'incomplete',
  'incomplete_expired',
  'trialing',
  'active',
  'past_due',
  'canceled',
  'unpaid',
  'paused',
] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** May be charged: a first charge, a renewal, or a dunning retry may go out. */
export const BILLABLE: readonly SubscriptionStatus[] = ['incomplete', 'trialing', 'active', 'past_due'];
/**
 * Not over: may still be charged, or resumed. A second subscription of the same customer to
 * the same plan while one of these exists is almost always a retried request, so creating one
 * needs an explicit `allowDuplicate`. (`unpaid` is left out: re-subscribing is the way back.)
 */
export const LIVE: readonly SubscriptionStatus[] = ['incomplete', 'trialing', 'active', 'past_due', 'paused'];
/** May move into its next period (a past_due one waits: dunning runs on the open invoice). */
export const RENEWABLE: readonly SubscriptionStatus[] = ['trialing', 'active'];
/** Over for good: never charged again, cannot be canceled again. */
export const ENDED: readonly SubscriptionStatus[] = ['canceled', 'incomplete_expired'];
/** May be set to end at the close of its current period. */
export const CANCELABLE_AT_PERIOD_END: readonly SubscriptionStatus[] = ['trialing', 'active', 'past_due'];
/** A renewal that needs the customer (3-D Secure) moves these to past_due. */
export const IN_GOOD_STANDING: readonly SubscriptionStatus[] = ['trialing', 'active'];

export const isBillable = (s: SubscriptionStatus): boolean => BILLABLE.includes(s);
export const isRenewable = (s: SubscriptionStatus): boolean => RENEWABLE.includes(s);
export const isEnded = (s: SubscriptionStatus): boolean => ENDED.includes(s);
export const isInGoodStanding = (s: SubscriptionStatus): boolean => IN_GOOD_STANDING.includes(s);

export function parseSubscriptionStatus(s: string): SubscriptionStatus | undefined {
  return SUBSCRIPTION_STATUSES.find((x) => x === s);
}

export const INVOICE_STATUSES = ['open', 'paid', 'void', 'uncollectible'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Still collectable: automatic attempts may be scheduled on it. */
export const isInvoiceOpen = (s: InvoiceStatus): boolean => s === 'open';

export const PLAN_STATUSES = ['active', 'archived'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
