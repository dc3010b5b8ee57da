import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { invoices, subscriptions } from '../db/schema.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { periodAt } from '../billing/periods.ts';
import { recordEvent } from '../events/outbox.ts';
import { invoiceCreated, subscriptionTransition } from '../events/builders.ts';
import { lockSubscription } from '../db/locks.ts';
import { isRenewable } from '../billing/subscriptionStatus.ts';

/**
 * Moves one due subscription into its next period: creates that period's invoice (unique per
 * subscription + period start, so a second scheduler doing the same is a no-op) or, when the
 * subscription was set to cancel at period end, ends it. Each subscription gets its own short
 * transaction, locked with SKIP LOCKED so several schedulers share the work without waiting.
 *
 * A subscription advances one period per call, and only once the previous invoice is settled
 * (nextRenewalAt is cleared while an invoice is open), so missed periods are caught up one by
 * one, in order, each charged once.
 */
export type RenewResult =
  | { kind: 'invoiced'; invoiceId: string; attemptNo: number; periodIndex: number }
  | { kind: 'ended' }
  | { kind: 'skipped' };

export async function renewSubscription(db: Db, subscriptionId: string, now: Date): Promise<RenewResult> {
  return db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, subscriptionId, { skipLocked: true });
    if (!sub?.nextRenewalAt || sub.nextRenewalAt.getTime() > now.getTime()) return { kind: 'skipped' as const };
    if (!isRenewable(sub.status)) return { kind: 'skipped' as const };

    if (sub.cancelAtPeriodEnd) {
      await tx
        .update(subscriptions)
        .set({ status: 'canceled', canceledAt: sub.nextRenewalAt, nextRenewalAt: null, updatedAt: now })
        .where(eq(subscriptions.id, sub.id));
      await recordEvent(
        tx,
        subscriptionTransition(sub, sub.status, 'canceled', now, { reason: 'cancel_at_period_end' }),
      );
      return { kind: 'ended' as const };
    }

    const index = sub.currentPeriodIndex + 1;
    const period = periodAt(
      { anchor: sub.anchor, interval: sub.interval, intervalCount: sub.intervalCount, timeZone: sub.timeZone },
      index,
    );
    const invoiceId = newId(ID_PREFIX.invoice);
    const inserted = await tx
      .insert(invoices)
      .values({
        id: invoiceId,
        subscriptionId: sub.id,
        periodIndex: index,
        periodStart: period.start,
        periodEnd: period.end,
        amount: sub.amount,
        currency: sub.currency,
        status: 'open',
        attemptCount: 0,
        // Due at the period start, which may be in the past when catching up.
        nextAttemptAt: period.start,
        createdAt: now,
      })
      .onConflictDoNothing({ target: [invoices.subscriptionId, invoices.periodStart] })
      .returning({ id: invoices.id });
    if (inserted.length === 0) return { kind: 'skipped' as const };
    await tx
      .update(subscriptions)
      .set({
        currentPeriodIndex: index,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        nextRenewalAt: null,
        updatedAt: now,
      })
      .where(eq(subscriptions.id, sub.id));
    await recordEvent(
      tx,
      invoiceCreated(
        invoiceId,
        {
          subscriptionId: sub.id,
          periodIndex: index,
          periodStart: period.start,
          periodEnd: period.end,
          amount: sub.amount,
          currency: sub.currency,
        },
        now,
      ),
    );
    return { kind: 'invoiced' as const, invoiceId, attemptNo: 1, periodIndex: index };
  });
}
