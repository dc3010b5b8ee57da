import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { invoices, subscriptions } from '../db/schema.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionCancelScheduled, subscriptionTransition } from '../events/builders.ts';
import { lockSubscription } from '../db/locks.ts';
import { CANCELABLE_AT_PERIOD_END, COLLECTABLE_INVOICE, isEnded } from '../billing/subscriptionStatus.ts';

/**
 * Cancel now, or at the end of the current period. Cancelling now voids open invoices, so a
 * charge job already waiting in Redis finds nothing to charge (chargeInvoice re-checks under
 * the same row lock). An attempt already in flight may still succeed; that money is recorded
 * and flagged (`invoice.paid_after_close`) for a refund, never silently dropped.
 */
export async function cancelSubscription(
  ctx: AppContext,
  id: string,
  opts: { atPeriodEnd?: boolean } = {},
): Promise<{ status: string; cancelAtPeriodEnd: boolean }> {
  const now = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, id);
    if (!sub) throw new NotFoundError('subscription', id);
    if (isEnded(sub.status)) {
      throw new ConflictError(`subscription ${id} is already ${sub.status}`);
    }
    if (opts.atPeriodEnd && CANCELABLE_AT_PERIOD_END.includes(sub.status)) {
      await tx.update(subscriptions).set({ cancelAtPeriodEnd: true, updatedAt: now }).where(eq(subscriptions.id, id));
      await recordEvent(tx, subscriptionCancelScheduled(sub, sub.currentPeriodEnd, now));
      return { status: sub.status, cancelAtPeriodEnd: true };
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
    return { status: 'canceled', cancelAtPeriodEnd: false };
  });
}
