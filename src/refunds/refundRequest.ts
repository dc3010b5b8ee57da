import { eq } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { invoices } from '../db/schema.ts';
import { NotFoundError } from '../errors.ts';
import { parseAmount } from '../money.ts';
import { refundInvoice, type RefundView } from './refunds.ts';

export interface RefundRequestResult {
  refund: RefundView;
  /** The invoice's refunded total after this refund. */
  amountRefunded: number;
  invoiceAmount: number;
}

/**
 * A refund as an operator asks for it (CLI `invoices refund`, API `POST /invoices/{id}/refund`):
 * the amount is decimal text in the invoice's currency (default: everything not yet refunded),
 * checked against that currency's decimals before anything is sent.
 */
export async function refundInvoiceRequest(
  ctx: AppContext,
  invoiceId: string,
  opts: { amount?: string; reason?: string },
  amountField = 'amount',
): Promise<RefundRequestResult> {
  const inv = (await ctx.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0];
  if (!inv) throw new NotFoundError('invoice', invoiceId);
  const amount = opts.amount === undefined ? undefined : parseAmount(opts.amount, inv.currency, amountField).amount;
  const refund = await refundInvoice(ctx, invoiceId, { amount, reason: opts.reason ?? 'requested by merchant' });
  const after = (await ctx.db.select().from(invoices).where(eq(invoices.id, invoiceId)))[0];
  return { refund, amountRefunded: after?.amountRefunded ?? 0, invoiceAmount: inv.amount };
}
