import type { Command } from 'commander';
import { eq } from 'drizzle-orm';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, moneyJson } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { invoices } from '../../db/schema.ts';
import { NotFoundError } from '../../errors.ts';
import { parseAmount, formatMoney } from '../../money.ts';
import { refundInvoice } from '../../refunds/refunds.ts';

/**
 * `billing invoices refund ID [--amount X]`, registered on the `invoices` command by whoever
 * builds it (kept in its own file so the invoices command group can grow elsewhere).
 */
export function registerInvoiceRefund(invoicesCmd: Command, deps: CliDeps): void {
  withJson(invoicesCmd.command('refund'))
    .description("refund an invoice's payment through AsiaBill, in full or in part (over-refunds are refused)")
    .argument('<id>', 'invoice id (inv_…)')
    .option('--amount <amount>', 'decimal amount in the invoice currency (default: everything not yet refunded)')
    .option('--reason <text>', 'refund reason sent to AsiaBill', 'requested by merchant')
    .action(async (id: string, opts: JsonFlag & { amount?: string; reason: string }) => {
      const r = await deps.withContext(async (ctx) => {
        const inv = (await ctx.db.select().from(invoices).where(eq(invoices.id, id)))[0];
        if (!inv) throw new NotFoundError('invoice', id);
        const amount =
          opts.amount === undefined ? undefined : parseAmount(opts.amount, inv.currency, '--amount').amount;
        const refund = await refundInvoice(ctx, id, { amount, reason: opts.reason });
        const after = (await ctx.db.select().from(invoices).where(eq(invoices.id, id)))[0];
        return { refund, amountRefunded: after?.amountRefunded ?? 0, invoiceAmount: inv.amount };
      });
      const m = (amount: number) => ({ amount, currency: r.refund.currency });
      emit(
        deps.out,
        opts.json,
        {
          id: r.refund.id,
          invoiceId: r.refund.invoiceId,
          status: r.refund.status,
          amount: moneyJson(m(r.refund.amount)),
          batchNo: r.refund.batchNo,
          failureReason: r.refund.failureReason,
          invoiceAmountRefunded: moneyJson(m(r.amountRefunded)),
        },
        () =>
          formatKeyValue([
            ['refund', r.refund.id],
            ['invoice', r.refund.invoiceId],
            ['amount', formatMoney(m(r.refund.amount))],
            ['status', r.refund.status + (r.refund.failureReason ? ` (${r.refund.failureReason})` : '')],
            ['invoice refunded', `${formatMoney(m(r.amountRefunded))} of ${formatMoney(m(r.invoiceAmount))}`],
          ]),
      );
    });
}
