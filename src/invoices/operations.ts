import { and, asc, desc, eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { chargeAttempts, invoices, subscriptions } from '../db/schema.ts';
import type { AttemptRow, InvoiceRow } from '../db/rows.ts';
import { lockInvoice, lockSubscription } from '../db/locks.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { invoiceVoided, subscriptionTransition } from '../events/builders.ts';
import { INVOICE_STATUSES, isInvoiceOpen, isRecoverable, parseInvoiceStatus } from '../billing/subscriptionStatus.ts';
import { chargeInvoice, type ChargeResult } from '../renewals/charge.ts';

/** Operator commands on invoices: list, show (attempts, outcomes, classes, next step and why), retry, void. */
export interface InvoiceDetail {
  invoice: InvoiceRow;
  subscriptionStatus: string;
  attempts: AttemptRow[];
  nextStep: string;
}

export async function listInvoices(
  ctx: Pick<AppContext, 'db'>,
  opts: { status?: string; subscriptionId?: string; limit?: number } = {},
): Promise<InvoiceRow[]> {
  let status: InvoiceRow['status'] | undefined;
  if (opts.status !== undefined) {
    status = parseInvoiceStatus(opts.status);
    if (!status)
      throw new ValidationError('status', 'enum', `"${opts.status}" is not one of ${INVOICE_STATUSES.join(', ')}`);
  }
  return ctx.db
    .select()
    .from(invoices)
    .where(
      and(
        status ? eq(invoices.status, status) : undefined,
        opts.subscriptionId ? eq(invoices.subscriptionId, opts.subscriptionId) : undefined,
      ),
    )
    .orderBy(desc(invoices.createdAt), asc(invoices.id))
    .limit(opts.limit ?? 1000);
}

export async function showInvoice(ctx: Pick<AppContext, 'db'>, id: string): Promise<InvoiceDetail> {
  const row = (
    await ctx.db
      .select({ i: invoices, s: subscriptions.status })
      .from(invoices)
      .innerJoin(subscriptions, eq(subscriptions.id, invoices.subscriptionId))
      .where(eq(invoices.id, id))
  )[0];
  if (!row) throw new NotFoundError('invoice', id);
  const attempts = await ctx.db
    .select()
    .from(chargeAttempts)
    .where(eq(chargeAttempts.invoiceId, id))
    .orderBy(asc(chargeAttempts.attemptNo));
  return { invoice: row.i, subscriptionStatus: row.s, attempts, nextStep: describeNextStep(row.i, row.s) };
}

function describeNextStep(i: InvoiceRow, subStatus: string): string {
  if (!isInvoiceOpen(i.status)) return `none: invoice ${i.status}`;
  const why = i.nextStepReason ? ` (${i.nextStepReason})` : '';
  if (i.actionDeadline) return `waiting for the customer until ${i.actionDeadline.toISOString()}${why}`;
  if (i.nextAttemptAt) return `automatic attempt at ${i.nextAttemptAt.toISOString()}${why}`;
  return `no automatic attempt; subscription ${subStatus}${why}`;
}

/** Charges the invoice now (respecting the card-network caps and any payment in flight). */
export async function retryInvoice(ctx: AppContext, id: string): Promise<ChargeResult> {
  const inv = (await ctx.db.select({ status: invoices.status }).from(invoices).where(eq(invoices.id, id)))[0];
  if (!inv) throw new NotFoundError('invoice', id);
  if (inv.status !== 'open') throw new ConflictError(`invoice ${id} is ${inv.status}; only an open invoice is retried`);
  return chargeInvoice(ctx, id, { manual: true });
}

/**
 * Voids an open invoice: nothing more is attempted. Refused while a payment is in flight (a
 * 3-D Secure or a pay link the customer may still complete). The subscription is not changed.
 */
export async function voidInvoice(ctx: AppContext, id: string): Promise<InvoiceRow> {
  const now = await ctx.time.now();
  return ctx.db.transaction(async (tx) => {
    const peek = (await tx.select({ s: invoices.subscriptionId }).from(invoices).where(eq(invoices.id, id)))[0];
    if (!peek) throw new NotFoundError('invoice', id);
    const sub = await lockSubscription(tx, peek.s);
    const inv = await lockInvoice(tx, id);
    if (!inv) throw new NotFoundError('invoice', id);
    if (!isInvoiceOpen(inv.status)) throw new ConflictError(`invoice ${id} is ${inv.status}`);
    if (inv.hasOpenAttempt)
      throw new ConflictError(`invoice ${id} has a payment in flight; void it once that is settled`);
    const [updated] = await tx
      .update(invoices)
      .set({ status: 'void', nextAttemptAt: null, actionDeadline: null, nextStepReason: 'voided by an operator' })
      .where(eq(invoices.id, id))
      .returning();
    await recordEvent(tx, invoiceVoided(inv, { subscriptionId: inv.subscriptionId, by: 'operator' }, now));
    // The debt is forgiven: a subscription held in dunning by this invoice goes on renewing.
    if (sub && isRecoverable(sub.status) && inv.periodIndex === sub.currentPeriodIndex) {
      await tx
        .update(subscriptions)
        .set({ status: 'active', statusReason: null, nextRenewalAt: sub.currentPeriodEnd, updatedAt: now })
        .where(eq(subscriptions.id, sub.id));
      await recordEvent(
        tx,
        subscriptionTransition(sub, sub.status, 'active', now, { invoiceId: id, reason: 'invoice_voided' }),
      );
    }
    if (!updated) throw new NotFoundError('invoice', id);
    return updated;
  });
}
