import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { payLinkJson, retryResultJson } from '../views/operations.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { listInvoices, retryInvoice, showInvoice, voidInvoice } from '../../invoices/operations.ts';
import { createPayLink, parsePayLinkMethod } from '../../invoices/payLink.ts';
import { INVOICE_COLUMNS, invoiceDetailJson, invoiceDetailLines, invoiceJson } from '../views/invoice.ts';
import { INVOICE_STATUSES, parseInvoiceStatus } from '../../billing/subscriptionStatus.ts';
import { ValidationError } from '../../errors.ts';
import { registerInvoiceRefund } from './invoiceRefund.ts';

export function register(program: Command, deps: CliDeps): void {
  const inv = program.command('invoices').description('invoices: list, inspect, retry, void, pay links, refunds');
  registerInvoiceRefund(inv, deps);

  withJson(inv.command('list'))
    .description('list invoices, newest first')
    .option('--status <status>', `only this status (${INVOICE_STATUSES.join('|')})`)
    .option('--subscription <id>', 'only this subscription')
    .action(async (opts: JsonFlag & { status?: string; subscription?: string }) => {
      if (opts.status !== undefined && !parseInvoiceStatus(opts.status))
        throw new ValidationError('--status', 'enum', `"${opts.status}" is not one of ${INVOICE_STATUSES.join(', ')}`);
      const rows = await deps.withContext((ctx) =>
        listInvoices(ctx, { status: opts.status, subscriptionId: opts.subscription }),
      );
      emit(deps.out, opts.json, rows.map(invoiceJson), () => formatTable(INVOICE_COLUMNS, rows));
    });

  withJson(inv.command('show'))
    .description('show an invoice: attempts, outcomes and their classes, the next step and why')
    .argument('<id>', 'invoice id (inv_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const d = await deps.withContext((ctx) => showInvoice(ctx, id));
      emit(deps.out, opts.json, invoiceDetailJson(d), () => invoiceDetailLines(d));
    });

  withJson(inv.command('retry'))
    .description('charge an open invoice now (card-network caps and any payment in flight are respected)')
    .argument('<id>', 'invoice id (inv_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const r = await deps.withContext((ctx) => retryInvoice(ctx, id));
      emit(deps.out, opts.json, retryResultJson(id, r), () =>
        r.kind === 'attempted'
          ? [`invoice ${id}: ${r.tokenType} ${r.status}${r.orderInfo ? ` (${r.orderInfo})` : ''}`]
          : [`invoice ${id}: not charged now (${r.reason})`],
      );
    });

  withJson(inv.command('void'))
    .description('void an open invoice (refused while a payment is in flight)')
    .argument('<id>', 'invoice id (inv_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const row = await deps.withContext((ctx) => voidInvoice(ctx, id));
      emit(deps.out, opts.json, invoiceJson(row), () => [`invoice ${id} voided`]);
    });

  withJson(inv.command('pay-link'))
    .description('create an AsiaBill hosted checkout for an open invoice and print its URL')
    .argument('<id>', 'invoice id (inv_…)')
    .option('--method <method>', 'card (default) or a local method such as Alipay')
    .action(async (id: string, opts: JsonFlag & { method?: string }) => {
      parsePayLinkMethod(opts.method);
      const link = await deps.withContext((ctx) => createPayLink(ctx, id, opts.method));
      emit(deps.out, opts.json, payLinkJson(link), () =>
        formatKeyValue([
          ['invoice', link.invoiceId],
          ['method', link.method],
          ['url', link.url],
          ['expires', link.expiresAt.toISOString()],
        ]),
      );
    });
}
