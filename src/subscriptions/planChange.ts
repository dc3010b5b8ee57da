import { eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { invoices, plans, subscriptions } from '../db/schema.ts';
import type { CouponRow, PlanRow, SubscriptionRow } from '../db/rows.ts';
import { lockSubscription } from '../db/locks.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { getLatestActivePlan } from '../catalog/plans.ts';
import { periodAt, type Period } from '../billing/periods.ts';
import { elapsedSeconds, periodSeconds, proratedPart, type ChangeProration } from '../billing/proration.ts';
import { totalInvoice, type InvoiceLine } from '../billing/invoiceLines.ts';
import { recordEvents, type NewEvent } from '../events/outbox.ts';
import { invoiceCreated, subscriptionPlanChanged } from '../events/builders.ts';
import { chargeInvoice, type ChargeResult } from '../renewals/charge.ts';
import { computeNextCycle, loadNextCycleInputs } from './nextCycle.ts';
import { PLAN_CHANGEABLE } from '../billing/subscriptionStatus.ts';

/**
 * Plan changes, now (prorated) or at period end. `previewPlanChange` and `changePlan` call the
 * same `quote` with the same inputs, so at the same engine time the preview is exactly what
 * gets charged (docs/lifecycle.md has the rule and worked examples).
 *
 * Now, same interval: the anchor stays; the customer pays the rest of the period at the new
 * price and gets the rest at the old price back: R_new(T) − R_new(e) − (R_old(T) − R_old(e)).
 * A positive difference is a Recurring charge on its own invoice at once; a negative one is
 * credit that the next invoices use. Now, different interval (month → year): the current
 * period ends at the change, a new anchor starts there, the new plan's full price is invoiced
 * minus the old plan's unused part.
 */
export type ChangeWhen = 'now' | 'period_end';

export function parseChangeWhen(s: string, field = 'when'): ChangeWhen {
  const v = s.replace('-', '_');
  if (v === 'now' || v === 'period_end') return v;
  throw new ValidationError(field, 'enum', `"${s}" is not one of now, period-end`);
}

export interface AmountJson {
  amount: number;
  currency: string;
}

export interface PlanChangeQuote {
  subscriptionId: string;
  when: ChangeWhen;
  at: Date;
  fromPlan: { id: string; code: string; version: number };
  toPlan: { id: string; code: string; version: number };
  proration: ChangeProration | null;
  /** Charged at the change (0 = nothing charged now). */
  now: { amountDue: AmountJson; lines: InvoiceLine[]; creditAdded: number; creditUsed: number };
  /** The next cycle invoice after the change. */
  next: { amountDue: AmountJson; lines: InvoiceLine[]; periodStart: Date; periodEnd: Date };
  newAnchor: Date | null;
}

interface Quoted {
  quote: PlanChangeQuote;
  patch: Partial<SubscriptionRow>;
  /** Invoice written by a change now (absent when nothing is invoiced). */
  invoice: { period: Period; periodIndex: number; amountDue: number; lines: InvoiceLine[] } | null;
}

function ref(p: PlanRow) {
  return { id: p.id, code: p.code, version: p.version };
}

function quote(
  sub: SubscriptionRow,
  current: PlanRow,
  target: PlanRow,
  coupon: CouponRow | null,
  when: ChangeWhen,
  at: Date,
): Quoted {
  if (target.currency !== sub.currency) {
    throw new ValidationError(
      'plan',
      'same currency as the subscription',
      `plan ${target.code} is priced in ${target.currency}; the subscription is billed in ${sub.currency}`,
    );
  }
  if (target.id === sub.planId && sub.pendingPlanId === null) {
    throw new ConflictError(`subscription ${sub.id} is already on plan ${target.code} v${target.version}`);
  }
  const cur = sub.currency;
  const base = { subscriptionId: sub.id, when, at, fromPlan: ref(current), toPlan: ref(target) };
  const nextOf = (after: SubscriptionRow, pending: PlanRow | null) => {
    const n = computeNextCycle(after, { plan: pending ? current : target, pending, coupon });
    return {
      amountDue: { amount: n.totals.amountDue, currency: cur },
      lines: n.totals.lines,
      periodStart: n.period.start,
      periodEnd: n.period.end,
    };
  };
  const planFields = {
    planId: target.id,
    amount: target.amount,
    interval: target.interval,
    intervalCount: target.intervalCount,
    pendingPlanId: null,
  };
  const nothingNow = { amountDue: { amount: 0, currency: cur }, lines: [], creditAdded: 0, creditUsed: 0 };

  if (when === 'period_end' || sub.status === 'trialing') {
    // Nothing was paid for a trial, so a change during one is simply the plan it converts to.
    // Scheduling the current plan again cancels a scheduled change.
    const pending = when === 'period_end' && target.id !== sub.planId ? target : null;
    const patch: Partial<SubscriptionRow> =
      when === 'period_end' ? { pendingPlanId: pending?.id ?? null } : { ...planFields };
    const after = { ...sub, ...patch };
    return {
      quote: {
        ...base,
        proration: null,
        now: nothingNow,
        next: nextOf(after, pending),
        newAnchor: null,
      },
      patch,
      invoice: null,
    };
  }

  const period = { start: sub.currentPeriodStart, end: sub.currentPeriodEnd };
  const total = periodSeconds(period);
  const elapsed = elapsedSeconds(period, at);
  const unusedOld = proratedPart(sub.amount, elapsed, total, total);
  const sameSchedule = target.interval === sub.interval && target.intervalCount === sub.intervalCount;
  const charges: InvoiceLine[] = [];
  let newPeriod: Period;
  let patch: Partial<SubscriptionRow>;
  let newAnchor: Date | null = null;
  let remainingNew = 0;
  if (sameSchedule) {
    remainingNew = proratedPart(target.amount, elapsed, total, total);
    if (remainingNew > 0)
      charges.push({ kind: 'proration', description: `Remaining time on ${target.code}`, amount: remainingNew });
    newPeriod = {
      index: sub.currentPeriodIndex,
      start: new Date(Math.floor(at.getTime() / 1000) * 1000),
      end: period.end,
    };
    patch = { ...planFields };
  } else {
    newAnchor = new Date(Math.floor(at.getTime() / 1000) * 1000);
    newPeriod = periodAt(
      { anchor: newAnchor, interval: target.interval, intervalCount: target.intervalCount, timeZone: sub.timeZone },
      0,
    );
    charges.push({
      kind: 'plan',
      description: `${target.code} from ${newAnchor.toISOString()}`,
      amount: target.amount,
    });
    patch = {
      ...planFields,
      anchor: newAnchor,
      currentPeriodIndex: 0,
      currentPeriodStart: newPeriod.start,
      currentPeriodEnd: newPeriod.end,
    };
  }
  if (unusedOld > 0)
    charges.push({ kind: 'proration', description: `Unused time on ${current.code}`, amount: -unusedOld });
  const totals = totalInvoice(charges, { creditBalance: sub.creditBalance });
  patch.creditBalance = sub.creditBalance - totals.creditUsed + totals.creditAdded;
  const owes = totals.amountDue > 0;
  if (!sameSchedule) patch.nextRenewalAt = owes ? null : newPeriod.end;
  const after = { ...sub, ...patch } as SubscriptionRow;
  return {
    quote: {
      ...base,
      proration: {
        totalSeconds: total,
        elapsedSeconds: elapsed,
        remainingSeconds: total - elapsed,
        unusedOld,
        remainingNew,
      },
      now: {
        amountDue: { amount: totals.amountDue, currency: cur },
        lines: totals.lines,
        creditAdded: totals.creditAdded,
        creditUsed: totals.creditUsed,
      },
      next: nextOf(after, null),
      newAnchor,
    },
    patch,
    // A new schedule always gets its first invoice (paid at once when nothing is due).
    invoice:
      owes || !sameSchedule
        ? { period: newPeriod, periodIndex: newPeriod.index, amountDue: totals.amountDue, lines: totals.lines }
        : null,
  };
}

async function quoteFor(
  tx: Tx,
  sub: SubscriptionRow,
  planCode: string,
  when: ChangeWhen,
  at: Date,
): Promise<Quoted & { target: PlanRow }> {
  if (!PLAN_CHANGEABLE.includes(sub.status)) {
    throw new ConflictError(`subscription ${sub.id} is ${sub.status}; only an active or trialing one can change plan`);
  }
  if (when === 'now' && sub.cancelAtPeriodEnd) {
    throw new ConflictError(`subscription ${sub.id} cancels at period end; reactivate it before changing plan now`);
  }
  const target = await getLatestActivePlan(tx, planCode);
  const inputs = await loadNextCycleInputs(tx, sub);
  const current = (await tx.select().from(plans).where(eq(plans.id, sub.planId)))[0];
  if (!current) throw new Error(`subscription ${sub.id} references a missing plan`);
  return { ...quote(sub, current, target, inputs.coupon, when, at), target };
}

export async function previewPlanChange(
  ctx: AppContext,
  id: string,
  input: { planCode: string; when?: ChangeWhen },
): Promise<PlanChangeQuote> {
  const at = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    const sub = (await tx.select().from(subscriptions).where(eq(subscriptions.id, id)))[0];
    if (!sub) throw new NotFoundError('subscription', id);
    return (await quoteFor(tx, sub, input.planCode, input.when ?? 'now', at)).quote;
  });
}

export interface PlanChangeResult {
  quote: PlanChangeQuote;
  invoiceId: string | null;
  charge: ChargeResult | null;
}

export async function changePlan(
  ctx: AppContext,
  id: string,
  input: { planCode: string; when?: ChangeWhen },
): Promise<PlanChangeResult> {
  const at = await ctx.time.now();
  const when = input.when ?? 'now';
  const written = await ctx.db.transaction(async (tx) => {
    const sub = await lockSubscription(tx, id);
    if (!sub) throw new NotFoundError('subscription', id);
    const q = await quoteFor(tx, sub, input.planCode, when, at);
    const events: NewEvent[] = [];
    await tx
      .update(subscriptions)
      .set({ ...q.patch, updatedAt: at })
      .where(eq(subscriptions.id, id));
    let invoiceId: string | null = null;
    if (q.invoice) {
      invoiceId = newId(ID_PREFIX.invoice);
      const owes = q.invoice.amountDue > 0;
      await tx.insert(invoices).values({
        id: invoiceId,
        subscriptionId: sub.id,
        periodIndex: q.invoice.periodIndex,
        periodStart: q.invoice.period.start,
        periodEnd: q.invoice.period.end,
        amount: q.invoice.amountDue,
        currency: sub.currency,
        status: owes ? 'open' : 'paid',
        paidAt: owes ? null : at,
        attemptCount: 0,
        nextAttemptAt: owes ? at : null,
        createdAt: at,
        kind: 'proration',
        lines: q.invoice.lines,
      });
      events.push(
        invoiceCreated(
          invoiceId,
          {
            subscriptionId: sub.id,
            periodIndex: q.invoice.periodIndex,
            periodStart: q.invoice.period.start,
            periodEnd: q.invoice.period.end,
            amount: q.invoice.amountDue,
            currency: sub.currency,
          },
          at,
        ),
      );
    }
    events.push(
      subscriptionPlanChanged(
        sub,
        {
          fromPlanId: sub.planId,
          toPlanId: q.target.id,
          when: when === 'period_end' ? 'scheduled' : 'now',
          invoiceId,
          amountDue: q.quote.now.amountDue.amount,
          creditAdded: q.quote.now.creditAdded,
          newAnchor: q.quote.newAnchor,
        },
        at,
      ),
    );
    await recordEvents(tx, events);
    return { quote: q.quote, invoiceId, owes: (q.invoice?.amountDue ?? 0) > 0 };
  });
  // Charged after the commit, through the same path as every renewal (intent first, once).
  const charge = written.invoiceId && written.owes ? await chargeInvoice(ctx, written.invoiceId) : null;
  return { quote: written.quote, invoiceId: written.invoiceId, charge };
}
