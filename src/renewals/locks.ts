import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { chargeAttempts, invoices, subscriptions } from '../db/schema.ts';

/**
 * Row locks are always taken in one order — subscription, then invoice, then attempt — by
 * every path (charging, notifications, reconciliation, cancellation, renewal), so two
 * paths racing on the same subscription queue up instead of deadlocking.
 */
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type InvoiceRow = typeof invoices.$inferSelect;
export type AttemptRow = typeof chargeAttempts.$inferSelect;

export async function lockSubscription(tx: Tx, id: string, opts: { skipLocked?: boolean } = {}): Promise<SubscriptionRow | undefined> {
  const q = tx.select().from(subscriptions).where(eq(subscriptions.id, id));
  const rows = opts.skipLocked ? await q.for('update', { skipLocked: true }) : await q.for('update');
  return rows[0];
}

export async function lockInvoice(tx: Tx, id: string): Promise<InvoiceRow | undefined> {
  return (await tx.select().from(invoices).where(eq(invoices.id, id)).for('update'))[0];
}

export async function lockAttempt(tx: Tx, id: string): Promise<AttemptRow | undefined> {
  return (await tx.select().from(chargeAttempts).where(eq(chargeAttempts.id, id)).for('update'))[0];
}

/** Locks the subscription → invoice → attempt chain for an attempt, in the canonical order. */
export async function lockAttemptChain(tx: Tx, attemptId: string): Promise<{ sub: SubscriptionRow; invoice: InvoiceRow; attempt: AttemptRow } | undefined> {
  const peek = (await tx
    .select({ invoiceId: chargeAttempts.invoiceId, subscriptionId: invoices.subscriptionId })
    .from(chargeAttempts)
    .innerJoin(invoices, eq(invoices.id, chargeAttempts.invoiceId))
    .where(eq(chargeAttempts.id, attemptId)))[0];
  if (!peek) return undefined;
  const sub = await lockSubscription(tx, peek.subscriptionId);
  const invoice = await lockInvoice(tx, peek.invoiceId);
  const attempt = await lockAttempt(tx, attemptId);
  if (!sub || !invoice || !attempt) return undefined;
  return { sub, invoice, attempt };
}
