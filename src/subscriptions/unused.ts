import { and, eq, gt, isNull, lte } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { chargeAttempts, invoices } from '../db/schema.ts';
import type { AttemptRow, InvoiceRow } from '../db/rows.ts';
import { lockInvoice } from '../db/locks.ts';
import { elapsedSeconds, periodSeconds, proratedPart } from '../billing/proration.ts';

/**
 * What the paid invoices of a subscription still owe the customer at `at`: every paid invoice
 * whose span contains `at` (the period's cycle invoice, a plan change's proration invoice) is
 * worth the price of its unused seconds by the proration rule (docs/lifecycle.md), capped at
 * what was not refunded yet. An invoice whose unused rest was already credited by a pause is
 * worth nothing more. Cancel --refund-unused refunds these; pause credits them.
 */
export interface UnusedPart {
  invoice: InvoiceRow;
  attempt: AttemptRow;
  unused: number;
}

export async function unusedParts(tx: Tx, subscriptionId: string, at: Date): Promise<UnusedPart[]> {
  const covering = await tx
    .select({ invoice: invoices, attempt: chargeAttempts })
    .from(invoices)
    .innerJoin(chargeAttempts, and(eq(chargeAttempts.invoiceId, invoices.id), eq(chargeAttempts.status, 'succeeded')))
    .where(
      and(
        eq(invoices.subscriptionId, subscriptionId),
        eq(invoices.status, 'paid'),
        isNull(invoices.unusedCreditedAt),
        lte(invoices.periodStart, at),
        gt(invoices.periodEnd, at),
      ),
    )
    .orderBy(invoices.createdAt);
  const out: UnusedPart[] = [];
  for (const { invoice, attempt } of covering) {
    await lockInvoice(tx, invoice.id);
    const span = { start: invoice.periodStart, end: invoice.periodEnd };
    const total = periodSeconds(span);
    const unused = Math.min(
      proratedPart(invoice.amount, elapsedSeconds(span, at), total, total),
      invoice.amount - invoice.amountRefunded,
    );
    if (unused > 0) out.push({ invoice, attempt, unused });
  }
  return out;
}
