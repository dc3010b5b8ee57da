import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { chargeAttempts, invoices } from '../db/schema.ts';
import { lockInvoice, lockSubscription } from '../db/locks.ts';
import { recordEvent, recordEvents, type NewEvent } from '../events/outbox.ts';
import { invoiceActionExpired } from '../events/builders.ts';
import { applyOutcome } from '../renewals/outcome.ts';
import { lookUpOrder } from '../renewals/reconcile.ts';
import { OPEN_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';
import { COLLECTABLE_INVOICE, IN_DUNNING } from '../billing/subscriptionStatus.ts';
import { sqlList } from '../db/sqlLists.ts';
import { errorMessage } from '../errors.ts';
import { applyFinalAction, policyForPlan } from './invoiceDunning.ts';

/**
 * Nothing in dunning stays open forever. Run with every scan:
 *  1. customer-action deadlines (3-D Secure on a renewal, a pay link): ask the gateway once
 *     more; a final answer is applied, otherwise the attempt is closed as `abandoned` and
 *     dunning continues (a later success notification is still recorded);
 *  2. the policy's dunning window: an invoice still unpaid at `dunning_ends_at` (e.g. a hard
 *     decline nobody replaced the card for) gets the final action.
 * The SQL conditions are exported so the test clock's "is everything due done?" asks exactly
 * the same question.
 */
export function actionDeadlineDue(now: Date): SQL {
  return sql`(i.status in ${sqlList(COLLECTABLE_INVOICE)} and i.action_deadline is not null and i.action_deadline <= ${now})`;
}

/** A parked invoice (merchant-side refusal) never reaches a final action through this path. */
export function dunningWindowDue(now: Date): SQL {
  return sql`(i.status in ${sqlList(COLLECTABLE_INVOICE)} and i.dunning_ends_at is not null and i.dunning_ends_at <= ${now}
    and i.refusal_count = 0
    and exists (select 1 from subscriptions s where s.id = i.subscription_id and s.status in ${sqlList(IN_DUNNING)})
    and not exists (select 1 from charge_attempts a where a.invoice_id = i.id and a.status in ${sqlList(OPEN_ATTEMPT_STATUSES)}))`;
}

export interface DeadlineReport {
  actionsClosed: number;
  dunningEnded: number;
}

export async function runDunningDeadlines(ctx: AppContext, now: Date, batch = 200): Promise<DeadlineReport> {
  const report: DeadlineReport = { actionsClosed: 0, dunningEnded: 0 };
  const actions = await ctx.db.execute<{ id: string }>(
    sql`select i.id from invoices i where ${actionDeadlineDue(now)} order by i.action_deadline limit ${batch}`,
  );
  for (const { id } of actions.rows) {
    try {
      if (await closeCustomerAction(ctx, id, now)) report.actionsClosed += 1;
    } catch (err) {
      ctx.logger.warn({ invoiceId: id, err: errorMessage(err) }, 'customer-action deadline: will retry');
    }
  }
  const ended = await ctx.db.execute<{ id: string }>(
    sql`select i.id from invoices i where ${dunningWindowDue(now)} order by i.dunning_ends_at limit ${batch}`,
  );
  for (const { id } of ended.rows) {
    if (await endDunningWindow(ctx, id, now)) report.dunningEnded += 1;
  }
  return report;
}

async function closeCustomerAction(ctx: AppContext, invoiceId: string, now: Date): Promise<boolean> {
  const open = (
    await ctx.db
      .select()
      .from(chargeAttempts)
      .where(and(eq(chargeAttempts.invoiceId, invoiceId), inArray(chargeAttempts.status, [...OPEN_ATTEMPT_STATUSES])))
  )[0];
  if (open?.status !== 'pending') {
    // Nothing waits on the customer any more (settled meanwhile, or an attempt the reconciler
    // owns): the deadline has no object.
    await ctx.db.update(invoices).set({ actionDeadline: null }).where(eq(invoices.id, invoiceId));
    return false;
  }
  // Ask the gateway once more: the customer may have finished and the notification be late.
  const found = await lookUpOrder(ctx, open);
  if (found && (found.status === 'succeeded' || found.status === 'failed')) {
    await ctx.db.transaction((tx) => applyOutcome(tx, open.id, found, now, 'deadline'));
    return true;
  }
  await ctx.db.transaction(async (tx) => {
    const applied = await applyOutcome(
      tx,
      open.id,
      { status: 'abandoned', orderInfo: `customer action not completed by the deadline (${open.kind})` },
      now,
      'deadline',
    );
    if (applied?.applied) {
      await recordEvent(
        tx,
        invoiceActionExpired(
          { id: invoiceId },
          { subscriptionId: applied.subscriptionId, attemptId: open.id, orderNo: open.orderNo, kind: open.kind },
          now,
        ),
      );
    }
  });
  ctx.logger.info({ invoiceId, orderNo: open.orderNo }, 'customer-action deadline passed: attempt abandoned');
  return true;
}

async function endDunningWindow(ctx: AppContext, invoiceId: string, now: Date): Promise<boolean> {
  return ctx.db.transaction(async (tx) => {
    const peek = (
      await tx.select({ sub: invoices.subscriptionId }).from(invoices).where(eq(invoices.id, invoiceId))
    )[0];
    if (!peek) return false;
    const sub = await lockSubscription(tx, peek.sub);
    const invoice = await lockInvoice(tx, invoiceId);
    if (!sub || !invoice || invoice.hasOpenAttempt || invoice.refusalCount > 0) return false;
    if (!IN_DUNNING.includes(sub.status) || !COLLECTABLE_INVOICE.includes(invoice.status)) return false;
    if (!invoice.dunningEndsAt || invoice.dunningEndsAt.getTime() > now.getTime()) return false;
    const policy = await policyForPlan(tx, sub.planId);
    const events: NewEvent[] = [];
    await applyFinalAction(
      tx,
      policy,
      sub,
      invoice,
      { reason: 'max_days', failed: 0, lastClass: null, orderInfo: invoice.nextStepReason ?? 'dunning window ended' },
      now,
      (e) => {
        events.push(e);
      },
    );
    await recordEvents(tx, events);
    return true;
  });
}
