import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { chargeAttempts, invoices, paymentMethods, subscriptions } from '../db/schema.ts';
import { canTransition, type AttemptStatus } from '../billing/attemptStatus.ts';
import { classifyDecline } from '../billing/declines.ts';
import { nextDunningStep } from '../billing/dunning.ts';
import { recordEvents, type NewEvent } from '../events/outbox.ts';
import {
  chargeDuplicateDetected,
  chargeOutcome,
  chargeSucceeded,
  invoicePaid,
  invoicePaymentFailed,
  invoiceRequiresAction,
  invoiceUncollectible,
  subscriptionTransition,
  type ChargeEventKind,
} from '../events/builders.ts';
import { lockAttemptChain, type AttemptChain, type InvoiceRow, type SubscriptionRow } from '../db/locks.ts';
import { isBillable, isInGoodStanding } from '../billing/subscriptionStatus.ts';
import { queueDuplicateRefund } from '../refunds/refunds.ts';

/**
 * Applying what we learned about a charge attempt — from the confirmCharge response, an
 * AsiaBill notification or the reconciler — is one function, so all three sources obey the
 * same monotonic rules (billing/attemptStatus.ts) and produce the same end state in any order.
 */
export type Outcome =
  | { status: 'succeeded'; tradeNo?: string; orderInfo?: string }
  | { status: 'failed'; tradeNo?: string; orderInfo: string; declineCode?: string }
  | { status: 'pending'; tradeNo?: string; orderInfo?: string; redirectUrl?: string }
  | { status: 'unknown'; orderInfo: string }
  | { status: 'not_charged'; orderInfo: string };

export type OutcomeSource = 'response' | 'notification' | 'reconcile';

export interface ApplyResult {
  applied: boolean;
  attempt: AttemptStatus;
  /** True when the subscription is paid up and its next renewal is already due. */
  renewalDue: boolean;
  subscriptionId: string;
  /** A duplicate success was recorded and its automatic refund queued (send it after commit). */
  refundId?: string;
}

export async function applyOutcome(
  tx: Tx,
  attemptId: string,
  outcome: Outcome,
  now: Date,
  source: OutcomeSource,
  known?: { invoiceId: string; subscriptionId: string },
): Promise<ApplyResult | undefined> {
  const chain = await lockAttemptChain(tx, attemptId, known);
  if (!chain) return undefined;
  const events: NewEvent[] = [];
  const result = await transition(tx, chain, outcome, now, source, events);
  await recordEvents(tx, events);
  return result;
}

async function transition(
  tx: Tx,
  chain: AttemptChain,
  outcome: Outcome,
  now: Date,
  source: OutcomeSource,
  events: NewEvent[],
): Promise<ApplyResult> {
  const emit = (e: NewEvent): void => {
    events.push(e);
  };
  const { sub, invoice, attempt } = chain;
  const from = attempt.status;
  const base = { attempt: from, renewalDue: false, subscriptionId: sub.id };

  if (!canTransition(from, outcome.status)) {
    // Same status again may still carry news (a tradeNo or 3DS URL we did not have yet).
    if (from === outcome.status && outcome.status === 'pending' && (outcome.tradeNo || outcome.redirectUrl)) {
      await tx
        .update(chargeAttempts)
        .set({
          tradeNo: attempt.tradeNo ?? outcome.tradeNo ?? null,
          redirectUrl: attempt.redirectUrl ?? outcome.redirectUrl ?? null,
        })
        .where(eq(chargeAttempts.id, attempt.id));
    }
    return { ...base, applied: false };
  }

  if (outcome.status === 'succeeded') {
    return { ...(await applySuccess(tx, chain, outcome, now, source, events)), subscriptionId: sub.id };
  }

  const finished = outcome.status === 'failed' || outcome.status === 'not_charged';
  await tx
    .update(chargeAttempts)
    .set({
      status: outcome.status,
      tradeNo: ('tradeNo' in outcome ? outcome.tradeNo : undefined) ?? attempt.tradeNo,
      orderInfo: outcome.orderInfo ?? attempt.orderInfo,
      declineCode:
        outcome.status === 'failed'
          ? (outcome.declineCode ?? classifyDecline(outcome.orderInfo).code)
          : attempt.declineCode,
      redirectUrl: outcome.status === 'pending' ? (outcome.redirectUrl ?? attempt.redirectUrl) : attempt.redirectUrl,
      finishedAt: finished ? now : null,
    })
    .where(eq(chargeAttempts.id, attempt.id));

  const learned = (kind: ChargeEventKind, extra: { redirectUrl?: string | null } = {}) =>
    chargeOutcome(kind, attempt, invoice.id, source, outcome.orderInfo ?? null, now, extra);
  if (outcome.status === 'pending') {
    emit(learned('pending', { redirectUrl: outcome.redirectUrl ?? null }));
    if (isInGoodStanding(sub.status) && invoice.status === 'open') {
      // A merchant-initiated charge that wants the cardholder (3-D Secure) cannot complete on
      // its own: the subscription is past due until the customer acts (API.md §6).
      await tx
        .update(subscriptions)
        .set({
          status: 'past_due',
          statusReason: 'requires customer action (3-D Secure)',
          nextRenewalAt: null,
          updatedAt: now,
        })
        .where(eq(subscriptions.id, sub.id));
      emit(invoiceRequiresAction(invoice, sub.id, outcome.redirectUrl ?? null, now));
      emit(
        subscriptionTransition(sub, sub.status, 'past_due', now, { invoiceId: invoice.id, reason: 'requires_action' }),
      );
    }
  } else if (outcome.status === 'unknown') {
    emit(learned('unknown_outcome'));
  } else if (outcome.status === 'not_charged') {
    // The gateway never saw it: not a decline, so no dunning step — try again at once.
    emit(learned('not_charged'));
    if (invoice.status === 'open' && isBillable(sub.status)) {
      await tx.update(invoices).set({ nextAttemptAt: now }).where(eq(invoices.id, invoice.id));
    }
  } else if (outcome.status === 'failed') {
    emit(learned('failed'));
    await applyFailureToInvoice(tx, sub, invoice, outcome.orderInfo, now, events);
  }
  return { ...base, applied: true, attempt: outcome.status };
}

async function applySuccess(
  tx: Tx,
  { sub, invoice, attempt }: AttemptChain,
  outcome: { tradeNo?: string; orderInfo?: string },
  now: Date,
  source: OutcomeSource,
  events: NewEvent[],
): Promise<Omit<ApplyResult, 'subscriptionId'>> {
  const emit = (e: NewEvent): void => {
    events.push(e);
  };
  const other = attempt.otherSuccessId ? { id: attempt.otherSuccessId } : null;
  if (other) {
    // Two successful charges for one invoice would mean our own invariant broke (or a pay link
    // and a renewal both got paid). The unique index refuses to record it as a second success;
    // we record the fact loudly, queue a full refund of this later charge (the intent only: the
    // call goes out after commit — refunds/refunds.ts), and leave the attempt where it was.
    await tx
      .update(chargeAttempts)
      .set({
        orderInfo: `DUPLICATE SUCCESS reported by ${source}: ${outcome.orderInfo ?? ''}`.slice(0, 500),
        tradeNo: attempt.tradeNo ?? outcome.tradeNo ?? null,
      })
      .where(eq(chargeAttempts.id, attempt.id));
    emit(chargeDuplicateDetected(attempt, invoice.id, other.id, outcome.tradeNo ?? null, now));
    const refundId = await queueDuplicateRefund(tx, {
      invoiceId: invoice.id,
      attempt,
      tradeNo: attempt.tradeNo ?? outcome.tradeNo ?? null,
      now,
    });
    return { applied: false, attempt: attempt.status, renewalDue: false, ...(refundId ? { refundId } : {}) };
  }

  await tx
    .update(chargeAttempts)
    .set({
      status: 'succeeded',
      tradeNo: outcome.tradeNo ?? attempt.tradeNo,
      orderInfo: outcome.orderInfo ?? attempt.orderInfo,
      finishedAt: now,
    })
    .where(eq(chargeAttempts.id, attempt.id));
  emit(chargeSucceeded(attempt, invoice.id, outcome.tradeNo ?? null, source, now));

  if (attempt.tokenType === 'InitRecurring' && outcome.tradeNo) {
    await tx
      .update(paymentMethods)
      .set({ mandateTradeNo: outcome.tradeNo })
      .where(and(eq(paymentMethods.id, sub.paymentMethodId), isNull(paymentMethods.mandateTradeNo)));
  }

  await tx
    .update(invoices)
    .set({ status: 'paid', paidAt: now, nextAttemptAt: null })
    .where(eq(invoices.id, invoice.id));
  emit(invoicePaid(invoice, sub.id, now));

  if (!isBillable(sub.status)) {
    // Paid after the subscription ended (a late 3-D Secure completion, a success that arrived
    // after cancel): the money is real, the subscription stays ended; the event above is
    // the operator's cue to refund.
    return { applied: true, attempt: 'succeeded', renewalDue: false };
  }
  const isCurrent = invoice.periodIndex === sub.currentPeriodIndex;
  const next = isCurrent ? sub.currentPeriodEnd : sub.nextRenewalAt;
  const endsNow = isCurrent && sub.cancelAtPeriodEnd;
  await tx
    .update(subscriptions)
    .set({
      status: 'active',
      statusReason: null,
      incompleteExpiresAt: null,
      nextRenewalAt: next,
      updatedAt: now,
    })
    .where(eq(subscriptions.id, sub.id));
  if (sub.status !== 'active') {
    emit(subscriptionTransition(sub, sub.status, 'active', now, { invoiceId: invoice.id }));
  }
  return {
    applied: true,
    attempt: 'succeeded',
    renewalDue: !endsNow && next !== null && next.getTime() <= now.getTime(),
  };
}

async function applyFailureToInvoice(
  tx: Tx,
  sub: SubscriptionRow,
  invoice: InvoiceRow,
  orderInfo: string,
  now: Date,
  events: NewEvent[],
): Promise<void> {
  const emit = (e: NewEvent): void => {
    events.push(e);
  };
  if (invoice.status !== 'open' || !isBillable(sub.status)) return;
  if (sub.status === 'incomplete') {
    // The customer-present first charge failed: no automatic retries (AsiaBill wants a new,
    // successful InitRecurring first). The subscription waits for customer action or expiry.
    await tx.update(invoices).set({ nextAttemptAt: null }).where(eq(invoices.id, invoice.id));
    await tx
      .update(subscriptions)
      .set({ statusReason: orderInfo.slice(0, 500), updatedAt: now })
      .where(eq(subscriptions.id, sub.id));
    emit(invoicePaymentFailed(invoice, { subscriptionId: sub.id, orderInfo, retryAt: null }, now));
    return;
  }
  const failed =
    (
      await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(chargeAttempts)
        .where(and(eq(chargeAttempts.invoiceId, invoice.id), eq(chargeAttempts.status, 'failed')))
    )[0]?.n ?? 1;
  const decline = classifyDecline(orderInfo);
  const step = nextDunningStep(failed, decline.class, now);
  if (step.action === 'retry') {
    await tx.update(invoices).set({ nextAttemptAt: step.at }).where(eq(invoices.id, invoice.id));
    emit(
      invoicePaymentFailed(
        invoice,
        { subscriptionId: sub.id, orderInfo, declineClass: decline.class, retryAt: step.at, failedAttempts: failed },
        now,
      ),
    );
    if (sub.status !== 'past_due') {
      await tx
        .update(subscriptions)
        .set({ status: 'past_due', statusReason: orderInfo.slice(0, 500), nextRenewalAt: null, updatedAt: now })
        .where(eq(subscriptions.id, sub.id));
      emit(subscriptionTransition(sub, sub.status, 'past_due', now, { invoiceId: invoice.id }));
    }
    return;
  }
  await tx.update(invoices).set({ status: 'uncollectible', nextAttemptAt: null }).where(eq(invoices.id, invoice.id));
  emit(
    invoiceUncollectible(
      invoice,
      { subscriptionId: sub.id, orderInfo, declineClass: decline.class, failedAttempts: failed },
      now,
    ),
  );
  await tx
    .update(subscriptions)
    .set({
      status: step.subscriptionStatus,
      statusReason: `dunning exhausted: ${orderInfo}`.slice(0, 500),
      nextRenewalAt: null,
      canceledAt: step.subscriptionStatus === 'canceled' ? now : null,
      updatedAt: now,
    })
    .where(eq(subscriptions.id, sub.id));
  emit(
    subscriptionTransition(sub, sub.status, step.subscriptionStatus, now, {
      reason: 'dunning_exhausted',
      invoiceId: invoice.id,
    }),
  );
}
