import { z } from 'zod';
import { getInvoice, listInvoices, parseInvoiceStatus } from '../../../invoices/queries.ts';
import { toPage } from '../../../db/paging.ts';
import { showInvoice } from '../../../invoices/operations.ts';
import { idParam, pageQuery } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { invoiceDetailJson, invoiceJson, listJson } from '../views.ts';

export const invoicesResource: ApiResource = {
  name: 'invoices',
  description: 'Invoices: one per subscription period, with every charge attempt and the dunning state.',
  routes: [
    defineRoute({
      method: 'GET',
      path: '/invoices',
      operationId: 'listInvoices',
      summary: 'List invoices, newest first',
      query: z.strictObject({
        ...pageQuery,
        status: z.string().optional().describe('open, paid, void or uncollectible'),
        subscription: z.string().optional().describe('only this subscription (sub_…)'),
      }),
      handler: async ({ query }, { ctx }) => {
        if (query.status !== undefined) parseInvoiceStatus(query.status);
        const rows = await listInvoices(ctx.db, {
          status: query.status,
          subscriptionId: query.subscription,
          limit: query.limit + 1,
          ...(query.starting_after !== undefined ? { startingAfter: query.starting_after } : {}),
        });
        return listJson(toPage(rows, query.limit), invoiceJson);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/invoices/{id}',
      operationId: 'getInvoice',
      summary: 'Show an invoice, its charge attempts, and its next dunning step and why',
      params: idParam('invoice id (inv_…)'),
      handler: async ({ params }, { ctx }) => {
        const invoice = await getInvoice(ctx.db, params.id);
        // The next step is worded by the function `billing invoices show` uses.
        const shown = await showInvoice(ctx, params.id);
        return {
          ...invoiceDetailJson(invoice),
          subscriptionStatus: shown.subscriptionStatus,
          nextStep: shown.nextStep,
        };
      },
    }),
  ],
};
