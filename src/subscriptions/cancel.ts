import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { invoices, subscriptions } from '../db/schema.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionCancelScheduled, subscriptionReactivated, subscriptionTransition } from '../events/builders.ts';
import { lockSubscription } from '../db/locks.ts';
import { CANCELABLE_AT_PERIOD_END, COLLECTABLE_INVOICE, isEnded } from '../billing/subscriptionStatus.ts';
import { unusedParts } from './unused.ts';
import { insertRefund, sendRefund, type RefundView } from '../refunds/refunds.ts';

/**
 * Cancel now, or at the end of the current period. Cancelling now voids open invoices, so a
 * charge job already waiting in Redis finds nothing to charge (chargeInvoice re-checks under
 * the same row lock). An attempt already in flight may still succeed; that money is recorded
 * and flagged (`invoice.paid_after_close`) for a refund, never silently dropped.
 *
 * `refundUnused`: every paid invoice whose span contains the cancel time (the period's cycle
 * invoice, and the proration invoice of a plan change inside it) is refunded the price of its
 * unused seconds, by the proration rule (docs/lifecycle.md), capped at what is left to refund.
 * The refund intents are written in the cancel's transaction and sent after it.
 */
export async function cancelSubscription(
  ctx: AppContext,
  id: string,
  opts: { atPeriodEnd?: boolean; refundUnused?: boolean } = {},
): Promise<{ status: string; cancelAtPeriodEnd: boolean; refunds: RefundView[] }> {
  if (opts.atPeriodEnd && opts.refundUnused) {
    throw new ValidationError(
      'refund-unused',
      'only with an immediate cancel',
      'a subscription canceled at period end has no unused time to refund',
    );
  }
  const now = await ctx.time.now();
  const written = await ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, id);
    if (!sub) throw new NotFoundError('subscription', id);
    if (isEnded(sub.status)) {
      throw new ConflictError(`subscription ${id} is already ${sub.status}`);
    }
    if (opts.atPeriodEnd && CANCELABLE_AT_PERIOD_END.includes(sub.status)) {
      await tx.update(subscriptions).set({ cancelAtPeriodEnd: true, updatedAt: now }).where(eq(subscriptions.id, id));
      await recordEvent(tx, subscriptionCancelScheduled(sub, sub.currentPeriodEnd, now));
      return { status: sub.status, cancelAtPeriodEnd: true, refundIds: [] as string[] };
    }
    await tx
      .update(subscriptions)
      .set({ status: 'canceled', canceledAt: now, nextRenewalAt: null, updatedAt: now })
      .where(eq(subscriptions.id, id));
    await tx
      .update(invoices)
      .set({ status: 'void', nextAttemptAt: null, actionDeadline: null })
      .where(and(eq(invoices.subscriptionId, id), inArray(invoices.status, [...COLLECTABLE_INVOICE])));
    await recordEvent(tx, subscriptionTransition(sub, sub.status, 'canceled', now, { reason: 'requested' }));
    const refundIds: string[] = [];
    if (opts.refundUnused) {
      for (const { invoice, attempt, unused } of await unusedParts(tx, id, now)) {
        if (!attempt.tradeNo) continue;
        refundIds.push(
          await insertRefund(tx, {
            invoiceId: invoice.id,
            attempt: { id: attempt.id, amount: attempt.amount, currency: attempt.currency, tradeNo: attempt.tradeNo },
            amount: unused,
            reason: 'unused time after cancellation',
            now,
          }),
        );
      }
    }
    return { status: 'canceled', cancelAtPeriodEnd: false, refundIds };
  });
  const refunds: RefundView[] = [];
  for (const refundId of written.refundIds) refunds.push(await sendRefund(ctx, refundId));
  return { status: written.status, cancelAtPeriodEnd: written.cancelAtPeriodEnd, refunds };
}

/** Undoes `cancel --at-period-end` while the period has not ended yet. */
export async function reactivateSubscription(ctx: AppContext, id: string): Promise<{ status: string }> {
  const now = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, id);
    if (!sub) throw new NotFoundError('subscription', id);
    if (isEnded(sub.status)) {
      throw new ConflictError(`subscription ${id} is already ${sub.status}; it cannot be reactivated`);
    }
    if (!sub.cancelAtPeriodEnd) throw new ConflictError(`subscription ${id} is not set to cancel at period end`);
    await tx.update(subscriptions).set({ cancelAtPeriodEnd: false, updatedAt: now }).where(eq(subscriptions.id, id));
    await recordEvent(tx, subscriptionReactivated(sub, now));
    return { status: sub.status };
  });
}
