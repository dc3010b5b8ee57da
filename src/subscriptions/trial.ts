import { eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { subscriptions } from '../db/schema.ts';
import { lockSubscription } from '../db/locks.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionTrialEnded } from '../events/builders.ts';
import { renewSubscription } from '../renewals/renew.ts';
import { chargeInvoice, type ChargeResult } from '../renewals/charge.ts';

/**
 * Ending a trial early: the billing anchor moves to now and the first period starts at once,
 * through the same renewal and charge (InitRecurring: it sets up the mandate) as a trial that
 * ends on its own.
 */
export async function endTrial(
  ctx: AppContext,
  id: string,
): Promise<{ status: string; invoiceId: string | null; charge: ChargeResult | null }> {
  const now = new Date(Math.floor((await ctx.time.now()).getTime() / 1000) * 1000);
  await ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, id);
    if (!sub) throw new NotFoundError('subscription', id);
    if (sub.status !== 'trialing') throw new ConflictError(`subscription ${id} is ${sub.status}, not trialing`);
    await tx
      .update(subscriptions)
      .set({ anchor: now, trialEnd: now, currentPeriodEnd: now, nextRenewalAt: now, updatedAt: now })
      .where(eq(subscriptions.id, id));
    await recordEvent(tx, subscriptionTrialEnded(sub, { early: true, trialEnd: now }, now));
  });
  const renewed = await renewSubscription(ctx.db, id, now);
  const invoiceId = renewed.kind === 'invoiced' || renewed.kind === 'paid_without_charge' ? renewed.invoiceId : null;
  const charge = renewed.kind === 'invoiced' ? await chargeInvoice(ctx, renewed.invoiceId) : null;
  const status =
    (await ctx.db.select({ s: subscriptions.status }).from(subscriptions).where(eq(subscriptions.id, id)))[0]?.s ??
    'trialing';
  return { status, invoiceId, charge };
}
