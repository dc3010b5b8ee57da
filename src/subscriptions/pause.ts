import { and, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { invoices, subscriptions } from '../db/schema.ts';
import type { SubscriptionRow } from '../db/rows.ts';
import { lockSubscription } from '../db/locks.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { COLLECTABLE_INVOICE, PAUSABLE } from '../billing/subscriptionStatus.ts';
import { periodContaining } from '../billing/periods.ts';
import { elapsedSeconds, periodSeconds, proratedPart } from '../billing/proration.ts';
import { totalInvoice } from '../billing/invoiceLines.ts';
import { recordEvents, type NewEvent } from '../events/outbox.ts';
import { invoiceCreated, invoicePaid, subscriptionPauseScheduled, subscriptionTransition } from '../events/builders.ts';
import { chargeInvoice, type ChargeResult } from '../renewals/charge.ts';
import { computeNextCycle, loadNextCycleInputs } from './nextCycle.ts';
import { unusedParts } from './unused.ts';

/**
 * Pause and resume. A paused subscription is neither billable nor renewable
 * (billing/subscriptionStatus.ts), so no invoice is created while it is paused and a charge
 * job already queued for it finds `not_billable` under the row lock and charges nothing.
 * Pausing voids its open invoices (the period they were for is not served) and turns the
 * paid-for time it leaves unused into credit (by the proration rule), which the invoices after
 * resuming use: the customer pays for the time they have the service, no more.
 *
 * Resume starts a new period at the resume time (a new anchor), invoiced and charged at once
 * like a renewal. With `keepAnchor`, the original schedule continues: the rest of the current
 * period is invoiced prorated (docs/lifecycle.md) and the next renewal is at its boundary.
 */
export async function pauseSubscription(
  ctx: AppContext,
  id: string,
  opts: { until?: Date } = {},
): Promise<{ status: string; resumeAt: Date | null; creditAdded: number }> {
  const now = await ctx.time.now();
  if (opts.until && opts.until.getTime() <= now.getTime()) {
    throw new ValidationError(
      'until',
      'in the future',
      `${opts.until.toISOString()} is not after the engine's time ${now.toISOString()}`,
    );
  }
  return ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, id);
    if (!sub) throw new NotFoundError('subscription', id);
    if (!PAUSABLE.includes(sub.status))
      throw new ConflictError(`subscription ${id} is ${sub.status}; only an active one can be paused`);
    if (sub.cancelAtPeriodEnd) throw new ConflictError(`subscription ${id} cancels at period end; reactivate it first`);
    const resumeAt = opts.until ? new Date(Math.floor(opts.until.getTime() / 1000) * 1000) : null;
    // The paid-for time the pause leaves unused becomes credit for the invoices after resuming.
    const unused = await unusedParts(tx, id, now);
    const credit = unused.reduce((sum, u) => sum + u.unused, 0);
    for (const u of unused) {
      await tx.update(invoices).set({ unusedCreditedAt: now }).where(eq(invoices.id, u.invoice.id));
    }
    await tx
      .update(subscriptions)
      .set({
        status: 'paused',
        pausedAt: now,
        resumeAt,
        nextRenewalAt: null,
        statusReason: null,
        creditBalance: sub.creditBalance + credit,
        updatedAt: now,
      })
      .where(eq(subscriptions.id, id));
    await tx
      .update(invoices)
      .set({ status: 'void', nextAttemptAt: null })
      .where(and(eq(invoices.subscriptionId, id), inArray(invoices.status, [...COLLECTABLE_INVOICE])));
    const events: NewEvent[] = [subscriptionTransition(sub, sub.status, 'paused', now, { reason: 'requested' })];
    if (resumeAt) events.push(subscriptionPauseScheduled(sub, resumeAt, now));
    await recordEvents(tx, events);
    return { status: 'paused', resumeAt, creditAdded: credit };
  });
}

export interface ResumeWritten {
  invoiceId: string | null;
  /** The invoice has something to charge (otherwise it was paid without a charge). */
  owes: boolean;
}

/**
 * Resumes a locked paused subscription at `at` (now, or the `--until` time) inside the caller's
 * transaction. The caller charges the invoice after commit.
 */
export async function resumeInTx(
  tx: Tx,
  sub: SubscriptionRow,
  at: Date,
  now: Date,
  opts: { keepAnchor?: boolean; reason?: string } = {},
): Promise<ResumeWritten> {
  const events: NewEvent[] = [];
  const whole = new Date(Math.floor(at.getTime() / 1000) * 1000);
  const inputs = await loadNextCycleInputs(tx, sub);
  let written: ResumeWritten;
  if (opts.keepAnchor) {
    const period = periodContaining(
      { anchor: sub.anchor, interval: sub.interval, intervalCount: sub.intervalCount, timeZone: sub.timeZone },
      whole,
    );
    const total = periodSeconds(period);
    const rest = proratedPart(sub.amount, elapsedSeconds(period, whole), total, total);
    const totals = totalInvoice(
      rest > 0 ? [{ kind: 'proration', description: `Rest of the period after resuming`, amount: rest }] : [],
      { creditBalance: sub.creditBalance },
    );
    let invoiceId: string | null = null;
    if (totals.amountDue > 0) {
      invoiceId = newId(ID_PREFIX.invoice);
      await tx.insert(invoices).values({
        id: invoiceId,
        subscriptionId: sub.id,
        periodIndex: period.index,
        periodStart: whole,
        periodEnd: period.end,
        amount: totals.amountDue,
        currency: sub.currency,
        status: 'open',
        attemptCount: 0,
        nextAttemptAt: now,
        createdAt: now,
        kind: 'proration',
        lines: totals.lines,
      });
      events.push(
        invoiceCreated(
          invoiceId,
          {
            subscriptionId: sub.id,
            periodIndex: period.index,
            periodStart: whole,
            periodEnd: period.end,
            amount: totals.amountDue,
            currency: sub.currency,
          },
          now,
        ),
      );
    }
    await tx
      .update(subscriptions)
      .set({
        status: 'active',
        pausedAt: null,
        resumeAt: null,
        currentPeriodIndex: period.index,
        currentPeriodStart: period.start,
        currentPeriodEnd: period.end,
        creditBalance: sub.creditBalance - totals.creditUsed,
        nextRenewalAt: period.end,
        updatedAt: now,
      })
      .where(eq(subscriptions.id, sub.id));
    written = { invoiceId, owes: invoiceId !== null };
  } else {
    // A new anchor at the resume time: the next cycle computed as if the previous period ended then.
    const next = computeNextCycle({ ...sub, anchor: whole, currentPeriodIndex: -1, currentPeriodEnd: whole }, inputs);
    const free = next.totals.amountDue === 0;
    const invoiceId = newId(ID_PREFIX.invoice);
    const data = {
      subscriptionId: sub.id,
      periodIndex: 0,
      periodStart: next.period.start,
      periodEnd: next.period.end,
      amount: next.totals.amountDue,
      currency: next.currency,
    };
    await tx.insert(invoices).values({
      id: invoiceId,
      ...data,
      status: free ? 'paid' : 'open',
      paidAt: free ? now : null,
      attemptCount: 0,
      nextAttemptAt: free ? null : now,
      createdAt: now,
      // A resume inside a second that already started a cycle would collide with it: kind proration.
      kind: 'proration',
      lines: next.totals.lines,
    });
    events.push(invoiceCreated(invoiceId, data, now));
    if (free) events.push(invoicePaid({ id: invoiceId, status: 'open', ...data }, sub.id, now));
    await tx
      .update(subscriptions)
      .set({
        status: 'active',
        pausedAt: null,
        resumeAt: null,
        planId: next.planId,
        amount: next.amount,
        interval: next.interval,
        intervalCount: next.intervalCount,
        pendingPlanId: null,
        anchor: next.period.start,
        currentPeriodIndex: 0,
        currentPeriodStart: next.period.start,
        currentPeriodEnd: next.period.end,
        creditBalance: next.creditAfter,
        couponId: next.couponId,
        couponPeriodsLeft: next.couponPeriodsLeft,
        nextRenewalAt: free ? next.period.end : null,
        updatedAt: now,
      })
      .where(eq(subscriptions.id, sub.id));
    written = { invoiceId, owes: !free };
  }
  events.push(subscriptionTransition(sub, 'paused', 'active', now, { reason: opts.reason ?? 'requested' }));
  await recordEvents(tx, events);
  return written;
}

export async function resumeSubscription(
  ctx: AppContext,
  id: string,
  opts: { keepAnchor?: boolean } = {},
): Promise<{ status: string; invoiceId: string | null; charge: ChargeResult | null }> {
  const now = await ctx.time.now();
  const written = await ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, id);
    if (!sub) throw new NotFoundError('subscription', id);
    if (sub.status !== 'paused') throw new ConflictError(`subscription ${id} is ${sub.status}, not paused`);
    return resumeInTx(tx, sub, now, now, { keepAnchor: opts.keepAnchor });
  });
  const charge = written.invoiceId && written.owes ? await chargeInvoice(ctx, written.invoiceId) : null;
  const status =
    (await ctx.db.select({ s: subscriptions.status }).from(subscriptions).where(eq(subscriptions.id, id)))[0]?.s ??
    'active';
  return { status, invoiceId: written.invoiceId, charge };
}
