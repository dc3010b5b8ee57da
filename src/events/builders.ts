import type { NewEvent } from './outbox.ts';
import type { SubscriptionStatus } from '../billing/subscriptionStatus.ts';
import { isInvoiceOpen, type InvoiceStatus } from '../billing/subscriptionStatus.ts';
import type { OutcomeClass } from '../billing/outcomeClasses.ts';
import type { FinalAction } from '../billing/dunningPolicy.ts';
import type { TokenType } from '../asiabill/types.ts';
import type { DeclineClass } from '../billing/declines.ts';

/**
 * Typed builders for the outbox, one per event type: the type string, the subject and the
 * shape of `data` are fixed here, so a workflow says *what happened* in one short call and a
 * merchant's webhook payload cannot drift from one call site to the next.
 */
type Sub = { id: string };
type Inv = { id: string };
type Att = { id: string; orderNo: string; tokenType: TokenType };

const at = (occurredAt: Date) => ({ occurredAt });

// ── subscriptions ────────────────────────────────────────────────────────────────────────

export function subscriptionCreated(
  subscriptionId: string,
  data: {
    customerId: string;
    planId: string;
    planCode: string;
    status: SubscriptionStatus;
    anchor: Date;
    timeZone: string;
  },
  now: Date,
): NewEvent {
  return {
    type: 'subscription.created',
    subjectType: 'subscription',
    subjectId: subscriptionId,
    data: { ...data, anchor: data.anchor.toISOString() },
    ...at(now),
  };
}

/**
 * A status change. The event type names the new status (`subscription.past_due`,
 * `subscription.canceled`…), except a return to `active`, which says how it got there.
 */
export function subscriptionTransition(
  sub: Sub,
  from: SubscriptionStatus,
  to: SubscriptionStatus,
  now: Date,
  extra: { invoiceId?: string; reason?: string | null } = {},
): NewEvent {
  const type =
    to === 'active'
      ? from === 'past_due' || from === 'unpaid'
        ? 'subscription.recovered'
        : from === 'paused'
          ? 'subscription.resumed'
          : 'subscription.activated'
      : `subscription.${to}`;
  return { type, subjectType: 'subscription', subjectId: sub.id, data: { from, to, ...extra }, ...at(now) };
}

export function subscriptionCancelScheduled(sub: Sub, periodEnd: Date, now: Date): NewEvent {
  return {
    type: 'subscription.cancel_scheduled',
    subjectType: 'subscription',
    subjectId: sub.id,
    data: { at: periodEnd.toISOString() },
    ...at(now),
  };
}

export function subscriptionPaymentMethodUpdated(sub: Sub, from: string, to: string, now: Date): NewEvent {
  return {
    type: 'subscription.payment_method_updated',
    subjectType: 'subscription',
    subjectId: sub.id,
    data: { from, to },
    ...at(now),
  };
}

export function subscriptionPlanChanged(
  sub: Sub,
  data: {
    fromPlanId: string;
    toPlanId: string;
    when: 'now' | 'period_end' | 'scheduled';
    invoiceId?: string | null;
    amountDue?: number;
    creditAdded?: number;
    newAnchor?: Date | null;
  },
  now: Date,
): NewEvent {
  const { newAnchor, ...rest } = data;
  return {
    type: data.when === 'scheduled' ? 'subscription.plan_change_scheduled' : 'subscription.plan_changed',
    subjectType: 'subscription',
    subjectId: sub.id,
    data: { ...rest, newAnchor: newAnchor ? newAnchor.toISOString() : null },
    ...at(now),
  };
}

export function subscriptionReactivated(sub: Sub, now: Date): NewEvent {
  return { type: 'subscription.reactivated', subjectType: 'subscription', subjectId: sub.id, data: {}, ...at(now) };
}

export function subscriptionPauseScheduled(sub: Sub, resumeAt: Date | null, now: Date): NewEvent {
  return {
    type: 'subscription.resume_scheduled',
    subjectType: 'subscription',
    subjectId: sub.id,
    data: { resumeAt: resumeAt ? resumeAt.toISOString() : null },
    ...at(now),
  };
}

export function subscriptionCouponApplied(sub: Sub, data: { couponId: string; code: string }, now: Date): NewEvent {
  return { type: 'subscription.coupon_applied', subjectType: 'subscription', subjectId: sub.id, data, ...at(now) };
}

export function subscriptionTrialWillEnd(sub: Sub, trialEnd: Date, now: Date): NewEvent {
  return {
    type: 'subscription.trial_will_end',
    subjectType: 'subscription',
    subjectId: sub.id,
    data: { trialEnd: trialEnd.toISOString() },
    ...at(now),
  };
}

export function subscriptionTrialEnded(sub: Sub, data: { early: boolean; trialEnd: Date }, now: Date): NewEvent {
  return {
    type: 'subscription.trial_ended',
    subjectType: 'subscription',
    subjectId: sub.id,
    data: { early: data.early, trialEnd: data.trialEnd.toISOString() },
    ...at(now),
  };
}

// ── refunds ──────────────────────────────────────────────────────────────────────────────

export function refundEvent(
  kind: 'created' | 'succeeded' | 'failed' | 'pending',
  refund: { id: string; invoiceId: string; attemptId: string; amount: number; currency: string; reason: string },
  extra: { batchNo?: string | null; failureReason?: string | null; source?: string } = {},
  now: Date,
): NewEvent {
  return {
    type: `refund.${kind}`,
    subjectType: 'refund',
    subjectId: refund.id,
    data: {
      invoiceId: refund.invoiceId,
      attemptId: refund.attemptId,
      amount: refund.amount,
      currency: refund.currency,
      reason: refund.reason,
      ...extra,
    },
    ...at(now),
  };
}

// ── customers and payment methods ────────────────────────────────────────────────────────

export function customerChanged(
  kind: 'updated' | 'deleted',
  customerId: string,
  data: Record<string, unknown>,
  now: Date,
): NewEvent {
  return { type: `customer.${kind}`, subjectType: 'customer', subjectId: customerId, data, ...at(now) };
}

export function paymentMethodDetached(paymentMethodId: string, customerId: string, now: Date): NewEvent {
  return {
    type: 'payment_method.detached',
    subjectType: 'payment_method',
    subjectId: paymentMethodId,
    data: { customerId },
    ...at(now),
  };
}

// ── invoices ─────────────────────────────────────────────────────────────────────────────

export function invoiceCreated(
  invoiceId: string,
  data: {
    subscriptionId: string;
    periodIndex: number;
    periodStart: Date;
    periodEnd: Date;
    amount: number;
    currency: string;
  },
  now: Date,
): NewEvent {
  return {
    type: 'invoice.created',
    subjectType: 'invoice',
    subjectId: invoiceId,
    data: { ...data, periodStart: data.periodStart.toISOString(), periodEnd: data.periodEnd.toISOString() },
    ...at(now),
  };
}

export function invoicePaid(
  invoice: Inv & { status: InvoiceStatus; amount: number; currency: string; periodStart: Date },
  subscriptionId: string,
  now: Date,
): NewEvent {
  // Paid after it was closed (voided by a cancel, expired): the money is real, an operator refunds.
  const type = isInvoiceOpen(invoice.status) ? 'invoice.paid' : 'invoice.paid_after_close';
  return {
    type,
    subjectType: 'invoice',
    subjectId: invoice.id,
    data: {
      subscriptionId,
      previousStatus: invoice.status,
      amount: invoice.amount,
      currency: invoice.currency,
      periodStart: invoice.periodStart.toISOString(),
    },
    ...at(now),
  };
}

export function invoicePaymentFailed(
  invoice: Inv,
  data: {
    subscriptionId: string;
    orderInfo: string;
    declineClass?: DeclineClass;
    retryAt?: Date | null;
    failedAttempts?: number;
    outcomeClass?: OutcomeClass;
    nextStep?: string;
  },
  now: Date,
): NewEvent {
  const { retryAt, ...rest } = data;
  return {
    type: 'invoice.payment_failed',
    subjectType: 'invoice',
    subjectId: invoice.id,
    data: { ...rest, retryAt: retryAt ? retryAt.toISOString() : null },
    ...at(now),
  };
}

export function invoiceRequiresAction(
  invoice: Inv,
  subscriptionId: string,
  redirectUrl: string | null,
  now: Date,
  deadline: Date | null = null,
): NewEvent {
  return {
    type: 'invoice.requires_action',
    subjectType: 'invoice',
    subjectId: invoice.id,
    data: { subscriptionId, redirectUrl, deadline: deadline ? deadline.toISOString() : null },
    ...at(now),
  };
}

/** The next automatic attempt of a dunning invoice is scheduled. */
export function invoiceRetryScheduled(
  invoice: Inv,
  data: { subscriptionId: string; at: Date; failedAttempts: number; reason: string },
  now: Date,
): NewEvent {
  return {
    type: 'invoice.retry_scheduled',
    subjectType: 'invoice',
    subjectId: invoice.id,
    data: { ...data, at: data.at.toISOString() },
    ...at(now),
  };
}

/** A customer-action deadline (3-D Secure, pay link) passed with the order still not final. */
export function invoiceActionExpired(
  invoice: Inv,
  data: { subscriptionId: string; attemptId: string; orderNo: string; kind: string },
  now: Date,
): NewEvent {
  return { type: 'invoice.action_expired', subjectType: 'invoice', subjectId: invoice.id, data, ...at(now) };
}

/** A pay link (hosted checkout) was created for an open invoice. */
export function invoicePayLinkCreated(
  invoice: Inv,
  data: { subscriptionId: string; orderNo: string; url: string; method: string; expiresAt: Date },
  now: Date,
): NewEvent {
  return {
    type: 'invoice.pay_link_created',
    subjectType: 'invoice',
    subjectId: invoice.id,
    data: { ...data, expiresAt: data.expiresAt.toISOString() },
    ...at(now),
  };
}

export function invoiceVoided(invoice: Inv, data: { subscriptionId: string; by: string }, now: Date): NewEvent {
  return { type: 'invoice.voided', subjectType: 'invoice', subjectId: invoice.id, data, ...at(now) };
}

/** Dunning gave up on an invoice: the policy's final action follows. */
export function dunningExhausted(
  invoice: Inv,
  data: {
    subscriptionId: string;
    reason: 'max_attempts' | 'max_days';
    finalAction: FinalAction;
    failedAttempts: number;
    lastOutcomeClass: OutcomeClass | null;
  },
  now: Date,
): NewEvent {
  return { type: 'dunning.exhausted', subjectType: 'invoice', subjectId: invoice.id, data, ...at(now) };
}

/**
 * AsiaBill (or our own request builder) refused a charge before any processing: a fault on our
 * side (key, clock, account, field rule). Not a decline; an operator must act.
 */
export function gatewayRefusing(
  invoice: Inv,
  data: { subscriptionId: string; code: string; orderInfo: string; refusals: number; retryAt: Date | null },
  now: Date,
): NewEvent {
  return {
    type: 'gateway.refusing',
    subjectType: 'invoice',
    subjectId: invoice.id,
    data: { ...data, retryAt: data.retryAt ? data.retryAt.toISOString() : null },
    ...at(now),
  };
}

export function invoiceUncollectible(
  invoice: Inv,
  data: { subscriptionId: string; orderInfo: string; declineClass: DeclineClass; failedAttempts: number },
  now: Date,
): NewEvent {
  return { type: 'invoice.uncollectible', subjectType: 'invoice', subjectId: invoice.id, data, ...at(now) };
}

// ── charge attempts ──────────────────────────────────────────────────────────────────────

export type ChargeEventKind = 'pending' | 'unknown_outcome' | 'not_charged' | 'failed' | 'abandoned';

/** What one source (response, notification, reconciler) learned about an attempt. */
export function chargeOutcome(
  kind: ChargeEventKind,
  attempt: Att,
  invoiceId: string,
  source: string,
  orderInfo: string | null,
  now: Date,
  extra: { redirectUrl?: string | null } = {},
): NewEvent {
  return {
    type: `charge.${kind}`,
    subjectType: 'charge_attempt',
    subjectId: attempt.id,
    data: { invoiceId, orderNo: attempt.orderNo, tokenType: attempt.tokenType, source, orderInfo, ...extra },
    ...at(now),
  };
}

export function chargeSucceeded(
  attempt: Att & { amount: number; currency: string },
  invoiceId: string,
  tradeNo: string | null,
  source: string,
  now: Date,
): NewEvent {
  return {
    type: 'charge.succeeded',
    subjectType: 'charge_attempt',
    subjectId: attempt.id,
    data: {
      invoiceId,
      orderNo: attempt.orderNo,
      tradeNo,
      tokenType: attempt.tokenType,
      amount: attempt.amount,
      currency: attempt.currency,
      source,
    },
    ...at(now),
  };
}

/**
 * An attempt whose outcome is still unknown an hour after its request (the gateway search
 * keeps failing, or never answers): an operator must look the order up at AsiaBill.
 */
export function chargeUnresolved(
  attempt: Att & { invoiceId: string; status: string; requestTime: Date; reconcileChecks: number },
  data: { ageMs: number },
  now: Date,
): NewEvent {
  return {
    type: 'charge.unresolved',
    subjectType: 'charge_attempt',
    subjectId: attempt.id,
    data: {
      invoiceId: attempt.invoiceId,
      orderNo: attempt.orderNo,
      tokenType: attempt.tokenType,
      status: attempt.status,
      requestTime: attempt.requestTime.toISOString(),
      checks: attempt.reconcileChecks,
      ageSeconds: Math.round(data.ageMs / 1000),
    },
    ...at(now),
  };
}

/**
 * A verified notification about an attempt that states another amount or currency than the
 * attempt charged: stored, never applied; an operator must look at the order.
 */
export function chargeNotificationMismatch(
  attempt: Att & { invoiceId: string; amount: number; currency: string },
  data: {
    notificationId: string;
    type: string;
    tradeNo: string;
    statedAmount: string | null;
    statedCurrency: string | null;
  },
  now: Date,
): NewEvent {
  return {
    type: 'charge.notification_mismatch',
    subjectType: 'charge_attempt',
    subjectId: attempt.id,
    data: {
      invoiceId: attempt.invoiceId,
      orderNo: attempt.orderNo,
      tokenType: attempt.tokenType,
      amount: attempt.amount,
      currency: attempt.currency,
      ...data,
    },
    ...at(now),
  };
}

/** A second success for one invoice: our invariant broke somewhere; an operator must refund. */
export function chargeDuplicateDetected(
  attempt: Att,
  invoiceId: string,
  otherAttemptId: string,
  tradeNo: string | null,
  now: Date,
): NewEvent {
  return {
    type: 'charge.duplicate_detected',
    subjectType: 'charge_attempt',
    subjectId: attempt.id,
    data: { invoiceId, orderNo: attempt.orderNo, otherAttemptId, tradeNo },
    ...at(now),
  };
}

// ── gateway notifications ────────────────────────────────────────────────────────────────

export function notificationUnmatched(
  notificationId: string,
  data: { type: string; orderNo: string; tradeNo: string },
  now: Date,
): NewEvent {
  return { type: 'notification.unmatched', subjectType: 'notification', subjectId: notificationId, data, ...at(now) };
}

// ── merchant webhook endpoints ───────────────────────────────────────────────────────────

export function webhookEndpointCreated(
  endpoint: { id: string; url: string; eventTypes: string[] | null },
  now: Date,
): NewEvent {
  return {
    type: 'webhook_endpoint.created',
    subjectType: 'webhook_endpoint',
    subjectId: endpoint.id,
    data: { url: endpoint.url, eventTypes: endpoint.eventTypes },
    ...at(now),
  };
}

/** Disabled by an operator (`reason: 'requested'`) or for failing too long. */
export function webhookEndpointDisabled(
  endpoint: { id: string; url: string },
  reason: string,
  data: { failingSince?: Date | null; abandonedDeliveries?: number },
  now: Date,
): NewEvent {
  return {
    type: 'webhook_endpoint.disabled',
    subjectType: 'webhook_endpoint',
    subjectId: endpoint.id,
    data: {
      url: endpoint.url,
      reason,
      failingSince: data.failingSince ? data.failingSince.toISOString() : null,
      abandonedDeliveries: data.abandonedDeliveries ?? 0,
    },
    ...at(now),
  };
}

/** Enabled again by an operator after it was disabled (`previousReason`: why it had been). */
export function webhookEndpointEnabled(
  endpoint: { id: string; url: string },
  data: { previousReason: string | null; replayed: number },
  now: Date,
): NewEvent {
  return {
    type: 'webhook_endpoint.enabled',
    subjectType: 'webhook_endpoint',
    subjectId: endpoint.id,
    data: { url: endpoint.url, previousReason: data.previousReason, replayed: data.replayed },
    ...at(now),
  };
}

export function webhookEndpointSecretRotated(endpoint: { id: string }, now: Date): NewEvent {
  return {
    type: 'webhook_endpoint.secret_rotated',
    subjectType: 'webhook_endpoint',
    subjectId: endpoint.id,
    data: {},
    ...at(now),
  };
}
