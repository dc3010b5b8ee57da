import { eq } from 'drizzle-orm';
import { isIP } from 'node:net';
import { DateTime } from 'luxon';
import type { AppContext } from '../context.ts';
import { customers, invoices, paymentMethods, subscriptions } from '../db/schema.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { ValidationError, NotFoundError } from '../errors.ts';
import { periodAt, validateTimeZone } from '../billing/periods.ts';
import { getLatestActivePlan } from '../catalog/plans.ts';
import { recordEvent } from '../events/outbox.ts';
import { invoiceCreated, subscriptionCreated } from '../events/builders.ts';
import { chargeInvoice, type ChargeResult } from '../renewals/charge.ts';

/**
 * Subscribing: the subscription and its first invoice are written in one transaction, then
 * the first charge (tokenType=InitRecurring: customer present, sets up the mandate) is made
 * at once through the same chargeInvoice the workers use, so the caller gets the outcome —
 * and the 3-D Secure redirect URL when there is one — in the same call.
 *
 * Trials: AsiaBill has no zero-amount card verification in V2022-03, so a trial does not
 * charge up front. The subscription starts `trialing`, its anchor is the trial end, and the
 * first real charge at the trial end is the InitRecurring one that sets up the mandate.
 */
export interface CreateSubscriptionInput {
  customerId: string;
  planCode: string;
  paymentMethodId: string;
  start?: Date;
  timeZone?: string;
  /** The subscribing customer's IP address, sent on the customer-present first charge. */
  customerIp?: string;
  /** Trial until this instant (overrides the plan's trial days); the first charge is then. */
  trialEnd?: Date;
}

export interface CreateSubscriptionResult {
  subscriptionId: string;
  status: string;
  invoiceId: string | null;
  charge: ChargeResult | null;
  redirectUrl: string | null;
}

/** A start more than this far in the future is refused (future-dated starts are a later feature). */
const MAX_START_SKEW_MS = 60 * 1000;

export async function createSubscription(
  ctx: AppContext,
  input: CreateSubscriptionInput,
): Promise<CreateSubscriptionResult> {
  const now = await ctx.time.now();
  const timeZone = input.timeZone ?? 'UTC';
  validateTimeZone(timeZone, 'timezone');
  if (input.customerIp !== undefined) validateCustomerIp(input.customerIp);
  // Anchors are whole seconds: period boundaries read cleanly and match what people type.
  const start = new Date(Math.floor((input.start ?? now).getTime() / 1000) * 1000);
  if (start.getTime() > now.getTime() + MAX_START_SKEW_MS) {
    throw new ValidationError(
      'start',
      'not in the future',
      `${start.toISOString()} is after the engine's current time ${now.toISOString()}`,
    );
  }
  const customer = (await ctx.db.select().from(customers).where(eq(customers.id, input.customerId)))[0];
  if (!customer) throw new NotFoundError('customer', input.customerId);
  const pm = (await ctx.db.select().from(paymentMethods).where(eq(paymentMethods.id, input.paymentMethodId)))[0];
  if (!pm) throw new NotFoundError('payment method', input.paymentMethodId);
  if (customer.deletedAt) throw new ValidationError('customer', 'not deleted', `${customer.id} is deleted`);
  if (pm.detachedAt) throw new ValidationError('payment-method', 'attached', `${pm.id} is detached`);
  if (pm.customerId !== customer.id) {
    throw new ValidationError('payment-method', 'belongs to the customer', `${pm.id} belongs to another customer`);
  }
  const plan = await getLatestActivePlan(ctx.db, input.planCode);

  const subscriptionId = newId(ID_PREFIX.subscription);
  const interval = plan.interval;
  if (input.trialEnd !== undefined && input.trialEnd.getTime() <= start.getTime()) {
    throw new ValidationError(
      'trial-end',
      'after the start',
      `${input.trialEnd.toISOString()} is not after the start ${start.toISOString()}`,
    );
  }
  const trialing = input.trialEnd !== undefined || plan.trialDays > 0;
  const trialEnd =
    input.trialEnd !== undefined
      ? new Date(Math.floor(input.trialEnd.getTime() / 1000) * 1000)
      : trialing
        ? DateTime.fromJSDate(start, { zone: timeZone }).plus({ days: plan.trialDays }).toJSDate()
        : null;
  const anchor = trialEnd ?? start;
  const schedule = { anchor, interval, intervalCount: plan.intervalCount, timeZone };
  const first = periodAt(schedule, 0);

  const invoiceId = await ctx.db.transaction(async (tx) => {
    await tx.insert(subscriptions).values({
      id: subscriptionId,
      customerId: customer.id,
      planId: plan.id,
      paymentMethodId: pm.id,
      status: trialing ? 'trialing' : 'incomplete',
      timeZone,
      anchor,
      interval,
      intervalCount: plan.intervalCount,
      amount: plan.amount,
      currency: plan.currency,
      currentPeriodIndex: trialing ? -1 : 0,
      currentPeriodStart: trialing ? start : first.start,
      currentPeriodEnd: trialing ? anchor : first.end,
      nextRenewalAt: trialing ? anchor : null,
      trialEnd,
      incompleteExpiresAt: trialing ? null : new Date(now.getTime() + ctx.config.incompleteExpiryHours * 3600 * 1000),
      createdAt: now,
      updatedAt: now,
    });
    await recordEvent(
      tx,
      subscriptionCreated(
        subscriptionId,
        {
          customerId: customer.id,
          planId: plan.id,
          planCode: plan.code,
          status: trialing ? 'trialing' : 'incomplete',
          anchor,
          timeZone,
        },
        now,
      ),
    );
    if (trialing) return null;
    const id = newId(ID_PREFIX.invoice);
    await tx.insert(invoices).values({
      id,
      subscriptionId,
      periodIndex: 0,
      periodStart: first.start,
      periodEnd: first.end,
      amount: plan.amount,
      currency: plan.currency,
      status: 'open',
      attemptCount: 0,
      nextAttemptAt: now,
      createdAt: now,
    });
    await recordEvent(
      tx,
      invoiceCreated(
        id,
        {
          subscriptionId,
          periodIndex: 0,
          periodStart: first.start,
          periodEnd: first.end,
          amount: plan.amount,
          currency: plan.currency,
        },
        now,
      ),
    );
    return id;
  });

  const charge = invoiceId ? await chargeInvoice(ctx, invoiceId, { customerIp: input.customerIp }) : null;
  const status =
    (
      await ctx.db
        .select({ status: subscriptions.status })
        .from(subscriptions)
        .where(eq(subscriptions.id, subscriptionId))
    )[0]?.status ?? 'incomplete';
  return {
    subscriptionId,
    status,
    invoiceId,
    charge,
    redirectUrl: charge?.kind === 'attempted' ? (charge.redirectUrl ?? null) : null,
  };
}

function validateCustomerIp(ip: string): void {
  if (isIP(ip) === 0)
    throw new ValidationError(
      'customer-ip',
      'IP address',
      "must be an IPv4 or IPv6 address (the subscribing customer's)",
    );
}
