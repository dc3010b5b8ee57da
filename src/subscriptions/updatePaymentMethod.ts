import { and, asc, eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { invoices, paymentMethods, subscriptions } from '../db/schema.ts';
import { lockSubscription } from '../db/locks.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionPaymentMethodUpdated } from '../events/builders.ts';
import { isEnded, isRecoverable } from '../billing/subscriptionStatus.ts';
import { chargeInvoice, type ChargeResult } from '../renewals/charge.ts';

/**
 * A customer fixes their card. Later renewals use the new method; on a `past_due` or `unpaid`
 * subscription the open invoice is retried at once — an `InitRecurring` for the new card (it
 * has no mandate yet), through the same chargeInvoice as every other charge, so the invoice is
 * re-checked under its lock and a payment already in flight (a pay link, a 3-D Secure) wins.
 */
export interface UpdatePaymentMethodResult {
  subscriptionId: string;
  paymentMethodId: string;
  retried: { invoiceId: string; charge: ChargeResult } | null;
}

export async function updatePaymentMethod(
  ctx: AppContext,
  subscriptionId: string,
  paymentMethodId: string,
): Promise<UpdatePaymentMethodResult> {
  if (!paymentMethodId.trim()) throw new ValidationError('payment-method', 'required', 'must name a payment method');
  const now = await ctx.time.now();
  const openInvoice = await ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, subscriptionId);
    if (!sub) throw new NotFoundError('subscription', subscriptionId);
    if (isEnded(sub.status)) throw new ConflictError(`subscription ${subscriptionId} is ${sub.status}`);
    const pm = (await tx.select().from(paymentMethods).where(eq(paymentMethods.id, paymentMethodId)))[0];
    if (!pm) throw new NotFoundError('payment method', paymentMethodId);
    if (pm.customerId !== sub.customerId)
      throw new ValidationError('payment-method', 'same customer', `${paymentMethodId} belongs to another customer`);
    await tx.update(subscriptions).set({ paymentMethodId, updatedAt: now }).where(eq(subscriptions.id, subscriptionId));
    await recordEvent(tx, subscriptionPaymentMethodUpdated(sub, sub.paymentMethodId, paymentMethodId, now));
    if (!isRecoverable(sub.status)) return null;
    const inv = (
      await tx
        .select({ id: invoices.id })
        .from(invoices)
        .where(and(eq(invoices.subscriptionId, subscriptionId), eq(invoices.status, 'open')))
        .orderBy(asc(invoices.periodIndex))
        .limit(1)
    )[0];
    return inv?.id ?? null;
  });
  if (!openInvoice) return { subscriptionId, paymentMethodId, retried: null };
  const charge = await chargeInvoice(ctx, openInvoice, { manual: true });
  return { subscriptionId, paymentMethodId, retried: { invoiceId: openInvoice, charge } };
}
