import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { invoices, subscriptions } from '../db/schema.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { computeNextCycle, loadNextCycleInputs } from '../subscriptions/nextCycle.ts';
import { recordEvent } from '../events/outbox.ts';
import { invoiceCreated, invoicePaid, subscriptionPlanChanged, subscriptionTransition } from '../events/builders.ts';
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
  | { kind: 'paid_without_charge'; invoiceId: string; periodIndex: number }
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

    const next = computeNextCycle(sub, await loadNextCycleInputs(tx, sub));
    const { period } = next;
    const index = period.index;
    const invoiceId = newId(ID_PREFIX.invoice);
    // A zero total (100 % coupon, credit covering it) is paid without any charge.
    const free = next.totals.amountDue === 0;
    const inserted = await tx
      .insert(invoices)
      .values({
        id: invoiceId,
        subscriptionId: sub.id,
        periodIndex: index,
        periodStart: period.start,
        periodEnd: period.end,
        amount: next.totals.amountDue,
        currency: next.currency,
        status: free ? 'paid' : 'open',
        paidAt: free ? now : null,
        attemptCount: 0,
        // Due at the period start, which may be in the past when catching up.
        nextAttemptAt: free ? null : period.start,
        createdAt: now,
        kind: 'cycle',
        lines: next.totals.lines,
      })
      .onConflictDoNothing({
        target: [invoices.subscriptionId, invoices.periodStart],
        where: sql.raw(`kind = 'cycle'`),
      })
      .returning({ id: invoices.id });
    if (inserted.length === 0) return { kind: 'skipped' as const };
    await tx
      .update(subscriptions)
      .set({
        planId: next.planId,
        amount: next.amount,
        currency: next.currency,
        interval: next.interval,
        intervalCount: next.intervalCount,
        anchor: next.anchor,
        pendingPlanId: null,
        creditBalance: next.creditAfter,
        couponId: next.couponId,
        couponPeriodsLeft: next.couponPeriodsLeft,
        currentPeriodIndex: index,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        nextRenewalAt: free ? period.end : null,
        updatedAt: now,
      })
      .where(eq(subscriptions.id, sub.id));
    const invoiceData = {
      subscriptionId: sub.id,
      periodIndex: index,
      periodStart: period.start,
      periodEnd: period.end,
      amount: next.totals.amountDue,
      currency: next.currency,
    };
    await recordEvent(tx, invoiceCreated(invoiceId, invoiceData, now));
    if (next.planChanged) {
      await recordEvent(
        tx,
        subscriptionPlanChanged(sub, { fromPlanId: sub.planId, toPlanId: next.planId, when: 'period_end' }, now),
      );
    }
    if (free) {
      await recordEvent(tx, invoicePaid({ id: invoiceId, status: 'open', ...invoiceData }, sub.id, now));
      if (sub.status !== 'active') {
        await tx
          .update(subscriptions)
          .set({ status: 'active', statusReason: null })
          .where(eq(subscriptions.id, sub.id));
        await recordEvent(tx, subscriptionTransition(sub, sub.status, 'active', now, { invoiceId }));
      }
      return { kind: 'paid_without_charge' as const, invoiceId, periodIndex: index };
    }
    return { kind: 'invoiced' as const, invoiceId, attemptNo: 1, periodIndex: index };
  });
}
