import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { coupons, plans } from '../db/schema.ts';
import type { CouponRow, PlanRow, SubscriptionRow } from '../db/rows.ts';
import { periodAt, type Interval, type Period } from '../billing/periods.ts';
import { totalInvoice, type InvoiceLine, type Totalled } from '../billing/invoiceLines.ts';
import { periodsLeftAfterUse } from '../billing/coupons.ts';
import { formatMoney } from '../money.ts';

/**
 * The next cycle invoice of a subscription, as the renewal will write it: the plan it will be
 * on (a change scheduled for period end takes effect here), its period, and its lines after
 * coupon and credit. The renewal and every preview call this one function, so what a preview
 * shows is what the renewal charges.
 */
export interface NextCycle {
  planId: string;
  planCode: string;
  amount: number;
  currency: string;
  interval: Interval;
  intervalCount: number;
  anchor: Date;
  period: Period;
  /** True when a scheduled plan change is applied by this renewal. */
  planChanged: boolean;
  totals: Totalled;
  creditAfter: number;
  couponId: string | null;
  couponPeriodsLeft: number | null;
}

export async function loadNextCycleInputs(
  db: DbOrTx,
  sub: SubscriptionRow,
): Promise<{ plan: PlanRow; pending: PlanRow | null; coupon: CouponRow | null }> {
  const plan = (await db.select().from(plans).where(eq(plans.id, sub.planId)))[0];
  if (!plan) throw new Error(`subscription ${sub.id} references a missing plan`);
  const pending = sub.pendingPlanId
    ? ((await db.select().from(plans).where(eq(plans.id, sub.pendingPlanId)))[0] ?? null)
    : null;
  const coupon = sub.couponId
    ? ((await db.select().from(coupons).where(eq(coupons.id, sub.couponId)))[0] ?? null)
    : null;
  return { plan, pending, coupon };
}

/** Pure given its inputs. */
export function computeNextCycle(
  sub: SubscriptionRow,
  inputs: { plan: PlanRow; pending: PlanRow | null; coupon: CouponRow | null },
): NextCycle {
  const target = inputs.pending ?? null;
  const newSchedule =
    target !== null && (target.interval !== sub.interval || target.intervalCount !== sub.intervalCount);
  // A different interval starts a new anchor at the boundary; the same interval keeps the anchor.
  const anchor = newSchedule ? sub.currentPeriodEnd : sub.anchor;
  const interval = target?.interval ?? sub.interval;
  const intervalCount = target?.intervalCount ?? sub.intervalCount;
  const index = newSchedule ? 0 : sub.currentPeriodIndex + 1;
  const period = periodAt({ anchor, interval, intervalCount, timeZone: sub.timeZone }, index);
  const amount = target?.amount ?? sub.amount;
  const currency = target?.currency ?? sub.currency;
  const planCode = target?.code ?? inputs.plan.code;
  const charges: InvoiceLine[] = [
    { kind: 'plan', description: `${planCode} (${formatMoney({ amount, currency })})`, amount },
  ];
  const coupon = inputs.coupon;
  const couponUsable =
    coupon !== null &&
    (sub.couponPeriodsLeft === null || sub.couponPeriodsLeft > 0) &&
    (coupon.currency === null || coupon.currency === currency);
  const totals = totalInvoice(charges, {
    discount: couponUsable
      ? { code: coupon.code, percentOffBp: coupon.percentOffBp, amountOff: coupon.amountOff }
      : null,
    creditBalance: sub.creditBalance,
  });
  let couponId = sub.couponId;
  let couponPeriodsLeft = sub.couponPeriodsLeft;
  if (couponUsable) {
    couponPeriodsLeft = periodsLeftAfterUse(coupon.duration, sub.couponPeriodsLeft);
    if (couponPeriodsLeft === 0) {
      couponId = null;
      couponPeriodsLeft = null;
    }
  }
  return {
    planId: target?.id ?? sub.planId,
    planCode,
    amount,
    currency,
    interval,
    intervalCount,
    anchor,
    period,
    planChanged: target !== null,
    totals,
    creditAfter: sub.creditBalance - totals.creditUsed + totals.creditAdded,
    couponId,
    couponPeriodsLeft,
  };
}
