import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { formatMoney } from '../../money.ts';
import { refundInvoiceRequest } from '../../refunds/refundRequest.ts';
import { refundResultJson } from '../views/operations.ts';

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
      const r = await deps.withContext((ctx) =>
        refundInvoiceRequest(ctx, id, { amount: opts.amount, reason: opts.reason }, '--amount'),
      );
      const m = (amount: number) => ({ amount, currency: r.refund.currency });
      emit(deps.out, opts.json, refundResultJson(r), () =>
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
