import { asc, eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { coupons, subscriptions } from '../db/schema.ts';
import type { CouponRow } from '../db/rows.ts';
import { lockSubscription } from '../db/locks.ts';
import { isUniqueViolation } from '../db/pgErrors.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { normalizeCurrency, parseAmount, assertPositive } from '../money.ts';
import { MAX_COUPON_PERIODS, initialPeriods, parseCouponDuration, parsePercentOff } from '../billing/coupons.ts';
import { isEnded } from '../billing/subscriptionStatus.ts';
import { validatePlanCode } from '../catalog/planPolicy.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionCouponApplied } from '../events/builders.ts';

/**
 * Coupons: a percentage or a fixed amount off the next invoices of a subscription, once, for
 * N invoices, or forever. Applied by the renewal (subscriptions/nextCycle.ts, rounding in
 * billing/invoiceLines.ts); a 100 % coupon makes a zero invoice that is paid without a charge.
 */
export interface CouponInput {
  code: string;
  percentOff?: string;
  amountOff?: string;
  currency?: string;
  duration: string;
  periods?: number;
}

export async function createCoupon(ctx: Pick<AppContext, 'db' | 'time'>, input: CouponInput): Promise<CouponRow> {
  const code = validatePlanCode(input.code, 'code');
  const duration = parseCouponDuration(input.duration, 'duration');
  if ((input.percentOff === undefined) === (input.amountOff === undefined)) {
    throw new ValidationError('percent-off', 'exactly one of --percent-off or --amount-off', 'give one of the two');
  }
  let percentOffBp: number | null = null;
  let amountOff: number | null = null;
  let currency: string | null = null;
  if (input.percentOff !== undefined) {
    if (input.currency !== undefined) {
      throw new ValidationError('currency', 'only with --amount-off', 'a percentage has no currency');
    }
    percentOffBp = parsePercentOff(input.percentOff, 'percent-off');
  } else {
    if (input.currency === undefined) throw new ValidationError('currency', 'required with --amount-off', 'missing');
    currency = normalizeCurrency(input.currency);
    const m = parseAmount(input.amountOff ?? '', currency, 'amount-off');
    assertPositive(m, 'amount-off');
    amountOff = m.amount;
  }
  let durationPeriods: number | null = null;
  if (duration === 'repeating') {
    const n = input.periods;
    if (n === undefined || !Number.isSafeInteger(n) || n < 1 || n > MAX_COUPON_PERIODS) {
      throw new ValidationError('periods', `1-${MAX_COUPON_PERIODS} with --duration repeating`, `${n ?? 'missing'}`);
    }
    durationPeriods = n;
  } else if (input.periods !== undefined) {
    throw new ValidationError('periods', 'only with --duration repeating', `not allowed with ${duration}`);
  }
  const now = await ctx.time.now();
  try {
    const [row] = await ctx.db
      .insert(coupons)
      .values({
        id: newId(ID_PREFIX.coupon),
        code,
        percentOffBp,
        amountOff,
        currency,
        duration,
        durationPeriods,
        createdAt: now,
      })
      .returning();
    if (!row) throw new Error('insert into coupons returned no row');
    return row;
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`coupon ${code} already exists`);
    throw err;
  }
}

export async function listCoupons(ctx: Pick<AppContext, 'db'>): Promise<CouponRow[]> {
  return ctx.db.select().from(coupons).orderBy(asc(coupons.code));
}

export async function applyCoupon(
  ctx: AppContext,
  subscriptionId: string,
  code: string,
): Promise<{ couponId: string; periodsLeft: number | null }> {
  const now = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    const coupon = (await tx.select().from(coupons).where(eq(coupons.code, code)))[0];
    if (!coupon) throw new NotFoundError('coupon', code);
    const sub = await lockSubscription(tx, subscriptionId);
    if (!sub) throw new NotFoundError('subscription', subscriptionId);
    if (isEnded(sub.status)) throw new ConflictError(`subscription ${subscriptionId} is ${sub.status}`);
    if (coupon.currency !== null && coupon.currency !== sub.currency) {
      throw new ValidationError(
        'coupon',
        'same currency as the subscription',
        `coupon ${code} is in ${coupon.currency}; the subscription is billed in ${sub.currency}`,
      );
    }
    const periodsLeft = initialPeriods(coupon.duration, coupon.durationPeriods);
    await tx
      .update(subscriptions)
      .set({ couponId: coupon.id, couponPeriodsLeft: periodsLeft, updatedAt: now })
      .where(eq(subscriptions.id, subscriptionId));
    await recordEvent(tx, subscriptionCouponApplied(sub, { couponId: coupon.id, code }, now));
    return { couponId: coupon.id, periodsLeft };
  });
}
