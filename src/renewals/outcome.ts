import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { chargeAttempts, invoices } from '../db/schema.ts';
import { canTransition, type AttemptStatus } from '../billing/attemptStatus.ts';
import { classifyDecline } from '../billing/declines.ts';
import { classifyOutcome } from '../billing/outcomeClasses.ts';
import { applyDecline, applyRequiresAction, parkRefused } from '../dunning/invoiceDunning.ts';
import { recordEvents, type NewEvent } from '../events/outbox.ts';
import {
  chargeDuplicateDetected,
  chargeOutcome,
  chargeSucceeded,
  invoicePaid,
  subscriptionTransition,
  type ChargeEventKind,
} from '../events/builders.ts';
import { lockAttemptChain, type AttemptChain } from '../db/locks.ts';
import { isBillable, isPayable } from '../billing/subscriptionStatus.ts';
import { queueDuplicateRefund } from '../refunds/refunds.ts';
import { writeSuccess } from './writeSuccess.ts';

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
  /**
   * The gateway does not have this order. `refusalCode`: it refused it before processing
   * (L000x/P000x) or we refused to build it — a merchant-side fault, parked, never a decline.
   * `seenStatus`: the reconciler's compare-and-set — applied only if the attempt is still in
   * the status the decision was based on.
   */
  | { status: 'not_charged'; orderInfo: string; refusalCode?: string; seenStatus?: AttemptStatus }
  /** A customer-action deadline passed with the order still not final (dunning/deadlines.ts). */
  | { status: 'abandoned'; orderInfo: string };

export type OutcomeSource = 'response' | 'notification' | 'reconcile' | 'deadline';

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
): Promise<ApplyResult | undefined> {
  const chain = await lockAttemptChain(tx, attemptId);
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

  const casMismatch =
    outcome.status === 'not_charged' &&
    outcome.seenStatus !== undefined &&
    (from !== outcome.seenStatus || attempt.tradeNo !== null);
  if (casMismatch || !canTransition(from, outcome.status)) {
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

  const finished = outcome.status === 'failed' || outcome.status === 'not_charged' || outcome.status === 'abandoned';
  const refusalCode = outcome.status === 'not_charged' ? outcome.refusalCode : undefined;
  const classified = classifyOutcome({ status: outcome.status, orderInfo: outcome.orderInfo, refusalCode });
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
      outcomeClass: finished ? classified.class : null,
    })
    .where(eq(chargeAttempts.id, attempt.id));

  const learned = (kind: ChargeEventKind, extra: { redirectUrl?: string | null } = {}) =>
    chargeOutcome(kind, attempt, invoice.id, source, outcome.orderInfo ?? null, now, extra);
  if (outcome.status === 'pending') {
    emit(learned('pending', { redirectUrl: outcome.redirectUrl ?? null }));
    await applyRequiresAction(tx, sub, invoice, attempt, outcome.redirectUrl ?? null, now, emit);
  } else if (outcome.status === 'unknown') {
    emit(learned('unknown_outcome'));
  } else if (outcome.status === 'not_charged' && refusalCode !== undefined) {
    emit(learned('not_charged'));
    await parkRefused(tx, sub, invoice, refusalCode, outcome.orderInfo, now, emit);
  } else if (outcome.status === 'not_charged') {
    // The gateway never saw it: not a decline, so no dunning step — try again at once.
    emit(learned('not_charged'));
    if (invoice.status === 'open' && isBillable(sub.status)) {
      await tx.update(invoices).set({ nextAttemptAt: now }).where(eq(invoices.id, invoice.id));
    }
  } else if (outcome.status === 'failed' || outcome.status === 'abandoned') {
    emit(learned(outcome.status));
    await applyDecline(tx, sub, invoice, attempt, classified, outcome.orderInfo, now, emit);
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

  emit(chargeSucceeded(attempt, invoice.id, outcome.tradeNo ?? null, source, now));
  emit(invoicePaid(invoice, sub.id, now));
  // `unpaid` (dunning's final action) resumes on payment; ended subscriptions stay ended:
  // paid after the subscription ended (a late 3-D Secure completion, a success that arrived
  // after cancel), the money is real, the subscription stays as it is, and invoice.paid is
  // the operator's cue to refund.
  const resumes = isPayable(sub.status);
  const isCurrent = invoice.periodIndex === sub.currentPeriodIndex;
  const next = isCurrent ? sub.currentPeriodEnd : sub.nextRenewalAt;
  const endsNow = isCurrent && sub.cancelAtPeriodEnd;
  if (resumes && sub.status !== 'active') {
    emit(subscriptionTransition(sub, sub.status, 'active', now, { invoiceId: invoice.id }));
  }
  // A pay link is paid on AsiaBill's page, not with the stored card: it sets up no mandate.
  const mandate = attempt.tokenType === 'InitRecurring' && attempt.kind === 'charge' && outcome.tradeNo;
  // One statement for every write of a success and its events (the hot path's last round
  // trip); the events recorded here are taken off the list applyOutcome writes at the end.
  await writeSuccess(tx, {
    attemptId: attempt.id,
    tradeNo: outcome.tradeNo ?? attempt.tradeNo,
    orderInfo: outcome.orderInfo ?? attempt.orderInfo,
    now,
    mandateTradeNo: mandate ? (outcome.tradeNo ?? null) : null,
    paymentMethodId: sub.paymentMethodId,
    invoiceId: invoice.id,
    subscriptionId: resumes ? sub.id : null,
    nextRenewalAt: next,
    events: events.splice(0),
  });
  if (!resumes) return { applied: true, attempt: 'succeeded', renewalDue: false };
  return {
    applied: true,
    attempt: 'succeeded',
    renewalDue: !endsNow && next !== null && next.getTime() <= now.getTime(),
  };
}
