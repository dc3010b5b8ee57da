import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from './client.ts';
import { chargeAttempts, invoices, subscriptions } from './schema.ts';
import type { AttemptRow, InvoiceRow, SubscriptionRow } from './rows.ts';
import { OPEN_ATTEMPT_STATUSES, type AttemptStatus } from '../billing/attemptStatus.ts';

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

/** The attempt, locked, and the id of another attempt of the same invoice that succeeded, if any. */
export async function lockAttempt(
  tx: Tx,
  id: string,
): Promise<(AttemptRow & { otherSuccessId: string | null }) | undefined> {
  const other = tx
    .select({ id: sql`o.id` })
    .from(sql`${chargeAttempts} o`)
    .where(
      sql`o.invoice_id = ${chargeAttempts.invoiceId} and o.status = ${'succeeded' satisfies AttemptStatus} and o.id <> ${chargeAttempts.id}`,
    )
    .limit(1);
  const rows = await tx
    .select({ attempt: chargeAttempts, otherSuccessId: sql<string | null>`(${other})` })
    .from(chargeAttempts)
    .where(eq(chargeAttempts.id, id))
    .for('update', { of: chargeAttempts });
  const r = rows[0];
  return r ? { ...r.attempt, otherSuccessId: r.otherSuccessId } : undefined;
}

export interface AttemptChain {
  sub: SubscriptionRow;
  invoice: InvoiceRow & { hasOpenAttempt: boolean };
  attempt: AttemptRow & { otherSuccessId: string | null };
}

/**
 * Locks the subscription → invoice → attempt chain for an attempt, in the canonical order.
 * Callers that already know the parent ids pass them and save a round trip.
 */
export async function lockAttemptChain(
  tx: Tx,
  attemptId: string,
  known?: { invoiceId: string; subscriptionId: string },
): Promise<AttemptChain | undefined> {
  const peek =
    known ??
    (
      await tx
        .select({ invoiceId: chargeAttempts.invoiceId, subscriptionId: invoices.subscriptionId })
        .from(chargeAttempts)
        .innerJoin(invoices, eq(invoices.id, chargeAttempts.invoiceId))
        .where(eq(chargeAttempts.id, attemptId))
    )[0];
  if (!peek) return undefined;
  const sub = await lockSubscription(tx, peek.subscriptionId);
  const invoice = await lockInvoice(tx, peek.invoiceId);
  const attempt = await lockAttempt(tx, attemptId);
  if (!sub || !invoice || !attempt || attempt.invoiceId !== invoice.id || invoice.subscriptionId !== sub.id)
    return undefined;
  return { sub, invoice, attempt };
}
