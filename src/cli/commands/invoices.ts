import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { registerInvoiceRefund } from './invoiceRefund.ts';

/** `billing invoices …` (issue 10 adds `refund`; list/show/retry/void/pay-link come from the dunning work). */
export function register(program: Command, deps: CliDeps): void {
  const inv = program.command('invoices').description('invoices: refunds');
  registerInvoiceRefund(inv, deps);
}
