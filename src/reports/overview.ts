import { and, desc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { chargeAttempts, invoices, subscriptions } from '../db/schema.ts';
import { OPEN_ATTEMPT_STATUSES, UNRESOLVED_ATTEMPT_STATUSES, type AttemptStatus } from '../billing/attemptStatus.ts';
import { COLLECTABLE_INVOICE } from '../billing/subscriptionStatus.ts';
import { formatMoney } from '../money.ts';
import { refusalCodeIn } from '../asiabill/codes.ts';

/**
 * What the billing console shows an operator, computed from Postgres (the source of truth)
 * in a handful of grouped queries. Days and months are UTC calendar days/months of engine
 * time (the test clock when it is on), so a demo year shows as a year.
 */

/** The console's windows: enough history to see a trend, bounded so the page stays one query each. */
export const OVERVIEW_DAYS = 60;
export const OVERVIEW_MONTHS = 24;
export const OVERVIEW_ROWS = 50;

export interface Overview {
  subscriptionsByStatus: Array<{ status: string; count: number }>;
  chargesPerDay: Array<{ day: string; succeeded: number; failed: number; other: number }>;
  revenuePerMonth: Array<{ month: string; currency: string; amount: number; display: string }>;
  dunning: DunningRow[];
  refusals: { total: number; latest: RefusalRow[] };
}

export interface DunningRow {
  invoiceId: string;
  subscriptionId: string;
  subscriptionStatus: string;
  amount: number;
  currency: string;
  display: string;
  failedAttempts: number;
  nextAttemptAt: string | null;
  nextStep: string;
}

export interface RefusalRow {
  attemptId: string;
  invoiceId: string;
  orderNo: string;
  code: string;
  orderInfo: string | null;
  at: string;
}

export async function overview(db: DbOrTx): Promise<Overview> {
  const [byStatus, perDay, perMonth, dunning, refusals] = await Promise.all([
    db
      .select({ status: subscriptions.status, count: sql<number>`count(*)::int` })
      .from(subscriptions)
      .groupBy(subscriptions.status)
      .orderBy(subscriptions.status),
    chargesPerDay(db),
    revenuePerMonth(db),
    dunningInvoices(db),
    gatewayRefusals(db),
  ]);
  return { subscriptionsByStatus: byStatus, chargesPerDay: perDay, revenuePerMonth: perMonth, dunning, refusals };
}

async function chargesPerDay(db: DbOrTx): Promise<Overview['chargesPerDay']> {
  const day = sql<string>`to_char(${chargeAttempts.createdAt} at time zone 'UTC', 'YYYY-MM-DD')`;
  const rows = await db
    .select({
      day,
      succeeded: sql<number>`(count(*) filter (where ${chargeAttempts.status} = 'succeeded'))::int`,
      failed: sql<number>`(count(*) filter (where ${chargeAttempts.status} = 'failed'))::int`,
      total: sql<number>`count(*)::int`,
    })
    .from(chargeAttempts)
    .groupBy(day)
    .orderBy(desc(day))
    .limit(OVERVIEW_DAYS);
  return rows
    .map((r) => ({ day: r.day, succeeded: r.succeeded, failed: r.failed, other: r.total - r.succeeded - r.failed }))
    .reverse();
}

async function revenuePerMonth(db: DbOrTx): Promise<Overview['revenuePerMonth']> {
  const month = sql<string>`to_char(${invoices.paidAt} at time zone 'UTC', 'YYYY-MM')`;
  const rows = await db
    .select({ month, currency: invoices.currency, amount: sql<number>`sum(${invoices.amount})::bigint` })
    .from(invoices)
    .where(isNotNull(invoices.paidAt))
    .groupBy(month, invoices.currency)
    .orderBy(desc(month), invoices.currency)
    .limit(OVERVIEW_MONTHS * 8);
  return rows
    .map((r) => ({ ...r, display: formatMoney({ amount: r.amount, currency: r.currency }) }))
    .reverse()
    .sort((a, b) => a.month.localeCompare(b.month) || a.currency.localeCompare(b.currency));
}

async function dunningInvoices(db: DbOrTx): Promise<DunningRow[]> {
  const rows = await db
    .select({ invoice: invoices, subscriptionStatus: subscriptions.status })
    .from(invoices)
    .innerJoin(subscriptions, eq(subscriptions.id, invoices.subscriptionId))
    .where(and(inArray(invoices.status, [...COLLECTABLE_INVOICE]), gt(invoices.attemptCount, 0)))
    .orderBy(invoices.nextAttemptAt, invoices.id)
    .limit(OVERVIEW_ROWS);
  if (rows.length === 0) return [];
  const attempts = await db
    .select({ invoiceId: chargeAttempts.invoiceId, status: chargeAttempts.status, attemptNo: chargeAttempts.attemptNo })
    .from(chargeAttempts)
    .where(
      inArray(
        chargeAttempts.invoiceId,
        rows.map((r) => r.invoice.id),
      ),
    );
  return rows.map(({ invoice, subscriptionStatus }) => {
    const mine = attempts.filter((a) => a.invoiceId === invoice.id);
    const failed = mine.filter((a) => a.status === 'failed').length;
    const last = mine.sort((a, b) => b.attemptNo - a.attemptNo)[0]?.status;
    return {
      invoiceId: invoice.id,
      subscriptionId: invoice.subscriptionId,
      subscriptionStatus,
      amount: invoice.amount,
      currency: invoice.currency,
      display: formatMoney({ amount: invoice.amount, currency: invoice.currency }),
      failedAttempts: failed,
      nextAttemptAt: invoice.nextAttemptAt?.toISOString() ?? null,
      nextStep: invoice.nextStepReason ?? nextStep(invoice.nextAttemptAt, last, failed),
    };
  });
}

/** The operator's answer to "what happens to this invoice next?". */
export function nextStep(nextAttemptAt: Date | null, lastAttempt: AttemptStatus | undefined, failed: number): string {
  if (lastAttempt !== undefined && UNRESOLVED_ATTEMPT_STATUSES.includes(lastAttempt))
    return 'reconciling the last attempt (outcome unknown)';
  if (lastAttempt !== undefined && OPEN_ATTEMPT_STATUSES.includes(lastAttempt))
    return 'waiting for the customer (3-D Secure)';
  if (nextAttemptAt !== null) {
    // A first charge with no failure yet is simply due; otherwise it is dunning retry N of M.
    if (failed === 0) return `attempt 1 at ${nextAttemptAt.toISOString()}`;
    return `retry after ${failed} failed attempt${failed === 1 ? '' : 's'} at ${nextAttemptAt.toISOString()}`;
  }
  return 'no automatic retry: customer action or operator';
}

async function gatewayRefusals(db: DbOrTx): Promise<Overview['refusals']> {
  // Refusals before processing (L000x/P000x, or a request we refused to build) are attempts
  // classed `merchant_refusal` (billing/outcomeClasses.ts); the code is the one the invoice
  // was parked with.
  const refused = await db
    .select({ a: chargeAttempts, parkedCode: invoices.parkedCode })
    .from(chargeAttempts)
    .innerJoin(invoices, eq(invoices.id, chargeAttempts.invoiceId))
    .where(eq(chargeAttempts.outcomeClass, 'merchant_refusal'))
    .orderBy(desc(chargeAttempts.createdAt))
    .limit(1000);
  return {
    total: refused.length,
    latest: refused.slice(0, OVERVIEW_ROWS).map(({ a, parkedCode }) => ({
      attemptId: a.id,
      invoiceId: a.invoiceId,
      orderNo: a.orderNo,
      code: refusalCodeIn(a.orderInfo) ?? parkedCode ?? '',
      orderInfo: a.orderInfo,
      at: a.createdAt.toISOString(),
    })),
  };
}
