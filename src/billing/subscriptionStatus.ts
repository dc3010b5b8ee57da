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

/** May be paused (renewals stop; paused is neither BILLABLE nor RENEWABLE, so queued charges skip it). */
export const PAUSABLE: readonly SubscriptionStatus[] = ['active'];
/** May change plan (a trialing one simply converts to the new plan at trial end). */
export const PLAN_CHANGEABLE: readonly SubscriptionStatus[] = ['active', 'trialing'];

export const isBillable = (s: SubscriptionStatus): boolean => BILLABLE.includes(s);
export const isRenewable = (s: SubscriptionStatus): boolean => RENEWABLE.includes(s);
export const isEnded = (s: SubscriptionStatus): boolean => ENDED.includes(s);
export const isInGoodStanding = (s: SubscriptionStatus): boolean => IN_GOOD_STANDING.includes(s);

export function parseSubscriptionStatus(s: string): SubscriptionStatus | undefined {
  return SUBSCRIPTION_STATUSES.find((x) => x === s);
}

/** Subscriptions in dunning: a renewal invoice is unpaid and the final action has not been taken. */
export const IN_DUNNING: readonly SubscriptionStatus[] = ['past_due'];
/** May have its payment method replaced to recover an unpaid invoice. */
export const RECOVERABLE: readonly SubscriptionStatus[] = ['past_due', 'unpaid'];
/** The customer may still pay (a pay link, a new card); `unpaid` resumes on payment. */
export const PAYABLE: readonly SubscriptionStatus[] = ['incomplete', 'trialing', 'active', 'past_due', 'unpaid'];

export const isRecoverable = (s: SubscriptionStatus): boolean => RECOVERABLE.includes(s);
export const isPayable = (s: SubscriptionStatus): boolean => PAYABLE.includes(s);

/**
 * `requires_action`: a renewal is waiting on the customer (3-D Secure), with a URL and a
 * deadline on the invoice; no automatic attempt is scheduled meanwhile.
 */
export const INVOICE_STATUSES = ['open', 'requires_action', 'paid', 'void', 'uncollectible'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Still collectable: not paid, voided or written off. */
export const COLLECTABLE_INVOICE: readonly InvoiceStatus[] = ['open', 'requires_action'];
export const isInvoiceOpen = (s: InvoiceStatus): boolean => COLLECTABLE_INVOICE.includes(s);
export function parseInvoiceStatus(s: string): InvoiceStatus | undefined {
  return INVOICE_STATUSES.find((x) => x === s);
}

export const PLAN_STATUSES = ['active', 'archived'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];
