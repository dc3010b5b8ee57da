import { and, asc, eq, inArray } from 'drizzle-orm';
import { isIP } from 'node:net';
import { DateTime } from 'luxon';
import type { AppContext } from '../context.ts';
import { chargeAttempts, customers, invoices, paymentMethods, plans, subscriptions } from '../db/schema.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { ConflictError, ValidationError, NotFoundError } from '../errors.ts';
import { periodAt, periodContaining, validateTimeZone } from '../billing/periods.ts';
import { LIVE } from '../billing/subscriptionStatus.ts';
import { runIdempotent, validateIdempotencyKey } from '../idempotency/store.ts';
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
  /**
   * A start more than one billing period in the past is refused unless this is true: every
   * period since the start would be invoiced and charged at once (catch-up policy).
   */
  billPastPeriods?: boolean;
  /** Create even though the customer already has a live subscription to this plan. */
  allowDuplicate?: boolean;
  /** The same key again returns this call's result and does nothing else (src/idempotency). */
  idempotencyKey?: string;
}

export interface CreateSubscriptionResult {
  subscriptionId: string;
  status: string;
  invoiceId: string | null;
  charge: ChargeResult | null;
  redirectUrl: string | null;
  /** True when an idempotency key matched an earlier call and that call's result was returned. */
  replayed: boolean;
}

/** A start more than this far in the future is refused (future-dated starts are a later feature). */
const MAX_START_SKEW_MS = 60 * 1000;
/**
 * How many whole billing periods a start may lie in the past without `billPastPeriods`: one
 * (a subscription recorded a little late); more means many charges at once (`--start 1990`).
 */
export const MAX_PAST_PERIODS_WITHOUT_CONSENT = 1;

export const CREATE_SUBSCRIPTION_SCOPE = 'subscriptions.create';

export async function createSubscription(
  ctx: AppContext,
  input: CreateSubscriptionInput,
): Promise<CreateSubscriptionResult> {
  if (input.idempotencyKey === undefined) {
    return createWithId(ctx, input, newId(ID_PREFIX.subscription));
  }
  validateIdempotencyKey(input.idempotencyKey);
  const { result, replayed } = await runIdempotent(ctx.db, {
    scope: CREATE_SUBSCRIPTION_SCOPE,
    key: input.idempotencyKey,
    request: {
      customerId: input.customerId,
      planCode: input.planCode,
      paymentMethodId: input.paymentMethodId,
      start: input.start ?? null,
      timeZone: input.timeZone ?? 'UTC',
      billPastPeriods: input.billPastPeriods === true,
      allowDuplicate: input.allowDuplicate === true,
      trialEnd: input.trialEnd ?? null,
    },
    newRef: () => newId(ID_PREFIX.subscription),
    execute: (ref) => createWithId(ctx, input, ref),
    find: (ref) => findCreateResult(ctx, ref),
    now: await ctx.time.now(),
  });
  return { ...result, replayed };
}

async function createWithId(
  ctx: AppContext,
  input: CreateSubscriptionInput,
  subscriptionId: string,
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
  const dueNow = now.getTime() >= first.end.getTime() ? periodContaining(schedule, now).index + 1 : 1;
  // A start less than one period ago has one period due (the current one); each further
  // period back is one more charge made at once.
  if (dueNow > MAX_PAST_PERIODS_WITHOUT_CONSENT && input.billPastPeriods !== true) {
    throw new ValidationError(
      'start',
      `at most ${MAX_PAST_PERIODS_WITHOUT_CONSENT} billing period in the past`,
      `${anchor.toISOString()} is more than one billing period (${plan.intervalCount} ${interval}) before the engine's current time ${now.toISOString()}: ${dueNow} periods would be charged at once; give a later start, or pass billPastPeriods (--bill-past-periods) to bill them`,
    );
  }

  const invoiceId = await ctx.db.transaction(async (tx) => {
    // The customer row lock serialises concurrent creates for one customer, so two retries
    // of the same request cannot both pass the duplicate check.
    await tx.select({ id: customers.id }).from(customers).where(eq(customers.id, customer.id)).for('update');
    if (input.allowDuplicate !== true) {
      const [live] = await tx
        .select({ id: subscriptions.id, status: subscriptions.status })
        .from(subscriptions)
        .innerJoin(plans, eq(plans.id, subscriptions.planId))
        .where(
          and(
            eq(subscriptions.customerId, customer.id),
            eq(plans.code, plan.code),
            inArray(subscriptions.status, [...LIVE]),
          ),
        )
        .limit(1);
      if (live !== undefined) {
        throw new ConflictError(
          `customer ${customer.id} already has a live subscription ${live.id} (${live.status}) to plan ${plan.code}; pass allowDuplicate (--allow-duplicate) to create another, and use an idempotency key (--idempotency-key) to make retries safe`,
        );
      }
    }
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
    replayed: false,
  };
}

/**
 * What `createSubscription` returned for a subscription created earlier, as it stands now:
 * its current status, its first invoice and that invoice's first (InitRecurring) attempt.
 */
async function findCreateResult(
  ctx: AppContext,
  subscriptionId: string,
): Promise<CreateSubscriptionResult | undefined> {
  const [sub] = await ctx.db
    .select({ status: subscriptions.status, trialEnd: subscriptions.trialEnd })
    .from(subscriptions)
    .where(eq(subscriptions.id, subscriptionId));
  if (sub === undefined) return undefined;
  const result: CreateSubscriptionResult = {
    subscriptionId,
    status: sub.status,
    invoiceId: null,
    charge: null,
    redirectUrl: null,
    replayed: true,
  };
  if (sub.trialEnd !== null) return result;
  const [invoice] = await ctx.db
    .select({ id: invoices.id })
    .from(invoices)
    .where(and(eq(invoices.subscriptionId, subscriptionId), eq(invoices.periodIndex, 0)));
  if (invoice === undefined) return result;
  const [attempt] = await ctx.db
    .select()
    .from(chargeAttempts)
    .where(eq(chargeAttempts.invoiceId, invoice.id))
    .orderBy(asc(chargeAttempts.attemptNo))
    .limit(1);
  return {
    ...result,
    invoiceId: invoice.id,
    charge:
      attempt === undefined
        ? null
        : {
            kind: 'attempted',
            attemptId: attempt.id,
            orderNo: attempt.orderNo,
            tokenType: attempt.tokenType,
            // A `started` attempt (its call may or may not have gone out) is, to the caller,
            // an outcome not yet known; the reconciler settles it.
            status: attempt.status === 'started' ? 'unknown' : attempt.status,
            ...(attempt.orderInfo !== null ? { orderInfo: attempt.orderInfo } : {}),
            ...(attempt.redirectUrl !== null ? { redirectUrl: attempt.redirectUrl } : {}),
            renewalDue: false,
            subscriptionId,
          },
    redirectUrl: attempt?.redirectUrl ?? null,
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
