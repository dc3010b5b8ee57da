import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { chargeAttempts, invoices, plans, subscriptions } from '../db/schema.ts';
import type { AttemptRow, InvoiceRow, SubscriptionRow } from '../db/rows.ts';
import type { NewEvent } from '../events/outbox.ts';
import {
  dunningExhausted,
  gatewayRefusing,
  invoicePaymentFailed,
  invoiceRequiresAction,
  invoiceRetryScheduled,
  invoiceUncollectible,
  subscriptionTransition,
} from '../events/builders.ts';
import { DEFAULT_DUNNING_POLICY, effectivePolicy, type DunningPolicy } from '../billing/dunningPolicy.ts';
import { actionDeadline, dunningEndsAt, nextDunningStep } from '../billing/dunning.ts';
import { COUNTS_TOWARD_DUNNING, type Classified, type OutcomeClass } from '../billing/outcomeClasses.ts';
import { refusalBackoffMs } from '../billing/refusalBackoff.ts';
import { isBillable, isInGoodStanding, isInvoiceOpen } from '../billing/subscriptionStatus.ts';

/**
 * What an outcome does to an invoice and its subscription, by outcome class, inside the
 * caller's transaction (applyOutcome holds the subscription → invoice → attempt locks). The
 * schedule and the subscription's states both come from one policy (billing/dunningPolicy.ts).
 */
type Emit = (e: NewEvent) => void;

/** The plan's override merged over the default; a stored override was validated when written. */
export async function policyForPlan(tx: Tx, planId: string): Promise<DunningPolicy> {
  const row = (await tx.select({ p: plans.dunningPolicy }).from(plans).where(eq(plans.id, planId)))[0];
  return effectivePolicy(DEFAULT_DUNNING_POLICY, row?.p ?? null);
}

async function countedFailures(tx: Tx, invoiceId: string): Promise<number> {
  const r = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(chargeAttempts)
    .where(
      and(
        eq(chargeAttempts.invoiceId, invoiceId),
        eq(chargeAttempts.kind, 'charge'),
        inArray(chargeAttempts.outcomeClass, [...COUNTS_TOWARD_DUNNING]),
      ),
    );
  return r[0]?.n ?? 0;
}

async function toPastDue(tx: Tx, sub: SubscriptionRow, invoiceId: string, reason: string, now: Date, emit: Emit) {
  if (sub.status === 'past_due') return;
  await tx
    .update(subscriptions)
    .set({ status: 'past_due', statusReason: reason.slice(0, 500), nextRenewalAt: null, updatedAt: now })
    .where(eq(subscriptions.id, sub.id));
  emit(subscriptionTransition(sub, sub.status, 'past_due', now, { invoiceId }));
}

/**
 * A decline (soft or hard) or an abandoned customer action on a renewal: count it, then retry,
 * wait for a new card, or apply the final action — as the policy says.
 */
export async function applyDecline(
  tx: Tx,
  sub: SubscriptionRow,
  invoice: InvoiceRow,
  attempt: AttemptRow,
  classified: Classified,
  orderInfo: string,
  now: Date,
  emit: Emit,
): Promise<void> {
  if (!isInvoiceOpen(invoice.status) || !isBillable(sub.status)) return;
  if (attempt.kind === 'pay_link') {
    // The customer did not finish a pay link: not a dunning attempt. Automatic retries,
    // which waited while it was open, resume now (if dunning had any left).
    const resume = invoice.firstFailedAt !== null && invoice.dunningEndsAt !== null && sub.status === 'past_due';
    await tx
      .update(invoices)
      .set({
        status: 'open',
        actionUrl: null,
        actionDeadline: null,
        nextAttemptAt: resume ? now : invoice.nextAttemptAt,
        nextStepReason: resume ? 'pay link closed unpaid: automatic retries resume' : 'pay link closed unpaid',
      })
      .where(eq(invoices.id, invoice.id));
    return;
  }
  if (sub.status === 'incomplete') {
    // The customer-present first charge failed: no automatic retries (AsiaBill wants a new,
    // successful InitRecurring first). The subscription waits for customer action or expiry.
    await tx
      .update(invoices)
      .set({ nextAttemptAt: null, status: 'open', actionUrl: null, actionDeadline: null })
      .where(eq(invoices.id, invoice.id));
    await tx
      .update(subscriptions)
      .set({ statusReason: orderInfo.slice(0, 500), updatedAt: now })
      .where(eq(subscriptions.id, sub.id));
    emit(invoicePaymentFailed(invoice, { subscriptionId: sub.id, orderInfo, retryAt: null }, now));
    return;
  }
  const policy = await policyForPlan(tx, sub.planId);
  const failed = await countedFailures(tx, invoice.id);
  const firstFailureAt = invoice.firstFailedAt ?? now;
  const ends = invoice.dunningEndsAt ?? dunningEndsAt(policy, firstFailureAt);
  const step = nextDunningStep(policy, { failedAttempts: failed, firstFailureAt }, classified.class, now);
  const declineClass = classified.class === 'hard_decline' ? 'hard' : 'soft';
  const base = {
    firstFailedAt: firstFailureAt,
    dunningEndsAt: ends,
    refusalCount: 0,
    parkedCode: null,
    actionUrl: null,
    actionDeadline: null,
    status: 'open' as const,
  };
  // The same failure event in every branch; only the next step (and its time) differs.
  const failedEvent = (nextStep: string, retryAt: Date | null) =>
    invoicePaymentFailed(
      invoice,
      {
        subscriptionId: sub.id,
        orderInfo,
        declineClass,
        outcomeClass: classified.class,
        retryAt,
        failedAttempts: failed,
        nextStep,
      },
      now,
    );
  if (step.action === 'retry') {
    const reason = `${classified.rule}: retry ${failed} of ${policy.maxAttempts - 1} per the dunning policy`;
    await tx
      .update(invoices)
      .set({ ...base, nextAttemptAt: step.at, nextStepReason: reason })
      .where(eq(invoices.id, invoice.id));
    emit(failedEvent('retry', step.at));
    emit(invoiceRetryScheduled(invoice, { subscriptionId: sub.id, at: step.at, failedAttempts: failed, reason }, now));
    await toPastDue(tx, sub, invoice.id, orderInfo, now, emit);
    return;
  }
  if (step.action === 'await_payment_method') {
    await tx
      .update(invoices)
      .set({
        ...base,
        dunningEndsAt: step.until,
        nextAttemptAt: null,
        nextStepReason: `${classified.rule}: this card is never retried; waiting for a new payment method until ${step.until.toISOString()}`,
      })
      .where(eq(invoices.id, invoice.id));
    emit(failedEvent('update_payment_method', null));
    await toPastDue(tx, sub, invoice.id, orderInfo, now, emit);
    return;
  }
  emit(failedEvent(step.finalAction, null));
  await applyFinalAction(
    tx,
    policy,
    sub,
    { ...invoice, ...base },
    { reason: step.reason, failed, lastClass: classified.class, orderInfo },
    now,
    emit,
  );
}

/**
 * Dunning is over for this invoice: `canceled` writes the invoice off and ends the
 * subscription; `unpaid` keeps both (the invoice stays collectable by hand — a pay link or a
 * new card — and the subscription resumes when it is paid), but nothing is charged automatically.
 */
export async function applyFinalAction(
  tx: Tx,
  policy: DunningPolicy,
  sub: SubscriptionRow,
  invoice: InvoiceRow,
  why: { reason: 'max_attempts' | 'max_days'; failed: number; lastClass: OutcomeClass | null; orderInfo: string },
  now: Date,
  emit: Emit,
): Promise<void> {
  const action = policy.finalAction;
  emit(
    dunningExhausted(
      invoice,
      {
        subscriptionId: sub.id,
        reason: why.reason,
        finalAction: action,
        failedAttempts: why.failed,
        lastOutcomeClass: why.lastClass,
      },
      now,
    ),
  );
  if (action === 'canceled') {
    await tx
      .update(invoices)
      .set({
        status: 'uncollectible',
        nextAttemptAt: null,
        actionDeadline: null,
        nextStepReason: `dunning exhausted (${why.reason}): written off`,
      })
      .where(eq(invoices.id, invoice.id));
    emit(
      invoiceUncollectible(
        invoice,
        {
          subscriptionId: sub.id,
          orderInfo: why.orderInfo,
          declineClass: why.lastClass === 'hard_decline' ? 'hard' : 'soft',
          failedAttempts: why.failed,
        },
        now,
      ),
    );
  } else {
    await tx
      .update(invoices)
      .set({
        status: 'open',
        nextAttemptAt: null,
        actionDeadline: null,
        dunningEndsAt: null,
        nextStepReason: `dunning exhausted (${why.reason}): subscription unpaid; collectable by pay link or a new card`,
      })
      .where(eq(invoices.id, invoice.id));
  }
  await tx
    .update(subscriptions)
    .set({
      status: action,
      statusReason: `dunning exhausted: ${why.orderInfo}`.slice(0, 500),
      nextRenewalAt: null,
      canceledAt: action === 'canceled' ? now : null,
      updatedAt: now,
    })
    .where(eq(subscriptions.id, sub.id));
  emit(subscriptionTransition(sub, sub.status, action, now, { reason: 'dunning_exhausted', invoiceId: invoice.id }));
}

/**
 * A renewal answered `pending` (3-D Secure): the invoice `requires_action` with the URL and a
 * deadline; the subscription is past due meanwhile. At the deadline the engine asks the gateway
 * once more and then closes the attempt as abandoned (src/dunning/deadlines.ts).
 */
export async function applyRequiresAction(
  tx: Tx,
  sub: SubscriptionRow,
  invoice: InvoiceRow,
  attempt: AttemptRow,
  redirectUrl: string | null,
  now: Date,
  emit: Emit,
): Promise<void> {
  if (!isInvoiceOpen(invoice.status) || !isBillable(sub.status)) return;
  if (attempt.kind === 'pay_link') return;
  const policy = await policyForPlan(tx, sub.planId);
  // The first charge of an `incomplete` subscription has its own expiry (BILLING_INCOMPLETE_EXPIRY_HOURS).
  const deadline = sub.status === 'incomplete' ? null : actionDeadline(policy, now);
  await tx
    .update(invoices)
    .set({
      status: sub.status === 'incomplete' ? invoice.status : 'requires_action',
      actionUrl: redirectUrl ?? invoice.actionUrl,
      actionDeadline: deadline,
      nextAttemptAt: null,
      nextStepReason: deadline
        ? `waiting for the customer (3-D Secure) until ${deadline.toISOString()}`
        : 'waiting for the customer (3-D Secure)',
    })
    .where(eq(invoices.id, invoice.id));
  if (sub.status === 'incomplete') return;
  emit(invoiceRequiresAction(invoice, sub.id, redirectUrl, now, deadline));
  if (isInGoodStanding(sub.status)) {
    await toPastDue(tx, sub, invoice.id, 'requires customer action (3-D Secure)', now, emit);
  }
}

/**
 * A merchant-side refusal (L000x/P000x, a request we refused to build): not a decline. The
 * invoice is parked and tried again with back-off; the subscription's status is not touched
 * and nothing counts toward dunning. The caller logs at error level; this writes the event.
 */
export async function parkRefused(
  tx: Tx,
  sub: SubscriptionRow,
  invoice: InvoiceRow,
  code: string,
  orderInfo: string,
  now: Date,
  emit: Emit,
): Promise<void> {
  if (!isInvoiceOpen(invoice.status)) return;
  const refusals = invoice.refusalCount + 1;
  // A first charge (incomplete) is never retried automatically; every other billable invoice
  // is, once the fault is fixed.
  const retryAt =
    isBillable(sub.status) && sub.status !== 'incomplete' ? new Date(now.getTime() + refusalBackoffMs(refusals)) : null;
  await tx
    .update(invoices)
    .set({
      refusalCount: refusals,
      parkedCode: code,
      nextAttemptAt: retryAt,
      nextStepReason: `parked: gateway refused (${code}), a fault on our side; ${retryAt ? `next try ${retryAt.toISOString()}` : 'no automatic try'}`,
    })
    .where(eq(invoices.id, invoice.id));
  emit(gatewayRefusing(invoice, { subscriptionId: sub.id, code, orderInfo, refusals, retryAt }, now));
}
