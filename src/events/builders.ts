import type { NewEvent } from './outbox.ts';
import type { SubscriptionStatus } from '../billing/subscriptionStatus.ts';
import type { InvoiceStatus } from '../billing/subscriptionStatus.ts';
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
      ? from === 'past_due'
        ? 'subscription.recovered'
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
  const type = invoice.status === 'open' ? 'invoice.paid' : 'invoice.paid_after_close';
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
): NewEvent {
  return {
    type: 'invoice.requires_action',
    subjectType: 'invoice',
    subjectId: invoice.id,
    data: { subscriptionId, redirectUrl },
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

export type ChargeEventKind = 'pending' | 'unknown_outcome' | 'not_charged' | 'failed';

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
