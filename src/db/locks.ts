import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from './client.ts';
import { chargeAttempts, invoices, subscriptions } from './schema.ts';
import type { AttemptRow, InvoiceRow, SubscriptionRow } from './rows.ts';
import { DECLINED_ATTEMPT_STATUSES, OPEN_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';
import type { InvoiceStatus, SubscriptionStatus } from '../billing/subscriptionStatus.ts';
import { rawShape } from './rawRows.ts';
import { run, statement } from './prepared.ts';
import { sqlListText } from './sqlLists.ts';

/**
 * Row locks are always taken in one order — subscription, then invoice, then attempt — by
 * every path (charging, notifications, reconciliation, cancellation, renewal), so two
 * paths racing on the same subscription queue up instead of deadlocking.
 *
 * Each lock is one round trip and also returns what the caller must check under it (an open
 * attempt, another success): on the hot path every query counts.
 */
export type { AttemptRow, InvoiceRow, SubscriptionRow };

export async function lockSubscription(
  tx: Tx,
  id: string,
  opts: { skipLocked?: boolean } = {},
): Promise<SubscriptionRow | undefined> {
  const q = tx.select().from(subscriptions).where(eq(subscriptions.id, id));
  const rows = opts.skipLocked ? await q.for('update', { skipLocked: true }) : await q.for('update');
  return rows[0];
}

/** The invoice, locked, and whether one of its attempts still has an open outcome. */
export async function lockInvoice(tx: Tx, id: string): Promise<(InvoiceRow & { hasOpenAttempt: boolean }) | undefined> {
  const rows = await tx
    .select({
      invoice: invoices,
      hasOpenAttempt: sql<boolean>`exists (select 1 from ${chargeAttempts} where ${and(eq(chargeAttempts.invoiceId, invoices.id), inArray(chargeAttempts.status, [...OPEN_ATTEMPT_STATUSES]))})`,
    })
    .from(invoices)
    .where(eq(invoices.id, id))
    .for('update', { of: invoices });
  const r = rows[0];
  return r ? { ...r.invoice, hasOpenAttempt: r.hasOpenAttempt } : undefined;
}

export interface AttemptChain {
  sub: SubscriptionRow;
  invoice: InvoiceRow;
  attempt: AttemptRow & { otherSuccessId: string | null };
}

const S = rawShape(subscriptions, 's');
const I = rawShape(invoices, 'i');
const A = rawShape(chargeAttempts, 'a');

/**
 * `FOR UPDATE OF s, i, a` takes the row locks in the order the list names them (Postgres
 * builds its row marks from the OF list and locks each output row's marks in that order), so
 * one statement locks the chain in the canonical order; test/integration/db/locks.test.ts
 * checks that the subscription is held while the statement waits for the invoice.
 */
const LOCK_ATTEMPT_CHAIN = statement(
  'lock_attempt_chain',
  `select ${S.select}, ${I.select}, ${A.select},
     (select o.id from charge_attempts o where o.invoice_id = a.invoice_id and o.status = 'succeeded' and o.id <> a.id limit 1) as "other_success_id"
   from charge_attempts a
   join invoices i on i.id = a.invoice_id
   join subscriptions s on s.id = i.subscription_id
   where a.id = $1
   for update of s, i, a`,
);

/** Locks the subscription → invoice → attempt chain of an attempt, in the canonical order, in one round trip. */
export async function lockAttemptChain(tx: Tx, attemptId: string): Promise<AttemptChain | undefined> {
  const row = (await run(tx, LOCK_ATTEMPT_CHAIN, [attemptId]))[0];
  if (!row) return undefined;
  return {
    sub: S.map(row),
    invoice: I.map(row),
    attempt: { ...A.map(row), otherSuccessId: typeof row.other_success_id === 'string' ? row.other_success_id : null },
  };
}

/** What a charge needs to decide and build its request, read under the subscription and invoice locks. */
export interface ChargeTarget {
  subscriptionId: string;
  subscriptionStatus: SubscriptionStatus;
  invoiceId: string;
  invoiceStatus: InvoiceStatus;
  attemptCount: number;
  nextAttemptAt: Date | null;
  amount: number;
  currency: string;
  periodStart: Date;
  hasOpenAttempt: boolean;
  /** An earlier attempt on this invoice was declined: this one is a reattempt (card-network caps). */
  reattempt: boolean;
  /** Null when the subscription's customer, plan or card row is missing (a broken reference). */
  refs: {
    paymentMethodId: string;
    brand: string | null;
    mandateTradeNo: string | null;
    asiabillPaymentMethodId: string;
    asiabillCustomerId: string;
    planName: string;
  } | null;
}

export interface ChargeTargetRow {
  sid: string;
  sstatus: SubscriptionStatus;
  iid: string;
  istatus: InvoiceStatus;
  attempt_count: number;
  next_attempt_at: Date | null;
  amount: number;
  currency: string;
  period_start: Date;
  has_open_attempt: boolean;
  reattempt: boolean;
  pm_id: string | null;
  brand: string | null;
  mandate_trade_no: string | null;
  asiabill_payment_method_id: string | null;
  asiabill_customer_id: string | null;
  plan_name: string | null;
}

/** Also the first step of renewals/claimIntent.ts's one-statement intent. */
export const CHARGE_TARGET_SELECT = `select s.id as sid, s.status as sstatus, i.id as iid, i.status as istatus, i.attempt_count, i.next_attempt_at,
     i.amount, i.currency, i.period_start,
     exists (select 1 from charge_attempts o where o.invoice_id = i.id and o.status in ${sqlListText(OPEN_ATTEMPT_STATUSES)}) as has_open_attempt,
     exists (select 1 from charge_attempts o where o.invoice_id = i.id and o.status in ${sqlListText(DECLINED_ATTEMPT_STATUSES)}) as reattempt,
     pm.id as pm_id, pm.brand, pm.mandate_trade_no, pm.asiabill_payment_method_id, c.asiabill_customer_id, pl.name as plan_name
   from subscriptions s
   join invoices i on i.subscription_id = s.id
   left join payment_methods pm on pm.id = s.payment_method_id
   left join customers c on c.id = s.customer_id
   left join plans pl on pl.id = s.plan_id
   where i.id = $1
   for update of s, i`;

const LOCK_CHARGE_TARGET = statement('lock_charge_target', CHARGE_TARGET_SELECT);

/** The invoice to charge, its subscription locked first (canonical order), and the card, customer and plan references, in one round trip. */
export async function lockChargeTarget(tx: Tx, invoiceId: string): Promise<ChargeTarget | undefined> {
  const r = (await run<ChargeTargetRow>(tx, LOCK_CHARGE_TARGET, [invoiceId]))[0];
  return r ? chargeTargetOf(r) : undefined;
}

export function chargeTargetOf(r: ChargeTargetRow): ChargeTarget {
  const refs =
    r.pm_id !== null && r.asiabill_payment_method_id !== null && r.asiabill_customer_id !== null && r.plan_name !== null
      ? {
          paymentMethodId: r.pm_id,
          brand: r.brand,
          mandateTradeNo: r.mandate_trade_no,
          asiabillPaymentMethodId: r.asiabill_payment_method_id,
          asiabillCustomerId: r.asiabill_customer_id,
          planName: r.plan_name,
        }
      : null;
  return {
    subscriptionId: r.sid,
    subscriptionStatus: r.sstatus,
    invoiceId: r.iid,
    invoiceStatus: r.istatus,
    attemptCount: r.attempt_count,
    nextAttemptAt: r.next_attempt_at,
    amount: r.amount,
    currency: r.currency,
    periodStart: r.period_start,
    hasOpenAttempt: r.has_open_attempt,
    reattempt: r.reattempt,
    refs,
  };
}
