import { z } from 'zod';
import { retryInvoice, voidInvoice } from '../../../invoices/operations.ts';
import { createPayLink, parsePayLinkMethod } from '../../../invoices/payLink.ts';
import { refundInvoiceRequest } from '../../../refunds/refundRequest.ts';
import { payLinkJson, refundResultJson, retryResultJson } from '../../../cli/views/operations.ts';
import { idParam } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { invoiceJson } from '../views.ts';

const invoiceId = idParam('invoice id (inv_…)');

/** Money-moving invoice operations, over the functions `billing invoices <command>` calls. */
export const invoiceOperationsResource: ApiResource = {
  name: 'invoice operations',
  description: 'Retry, void, hosted pay links and refunds of an invoice.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/invoices/{id}/retry',
      operationId: 'retryInvoice',
      summary: 'Charge an open invoice now (card-network caps and any payment in flight are respected)',
      params: invoiceId,
      handler: async ({ params }, { ctx }) => retryResultJson(params.id, await retryInvoice(ctx, params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/invoices/{id}/void',
      operationId: 'voidInvoice',
      summary: 'Void an open invoice (refused while a payment is in flight)',
      params: invoiceId,
      handler: async ({ params }, { ctx }) => invoiceJson(await voidInvoice(ctx, params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/invoices/{id}/pay-link',
      operationId: 'createPayLink',
      summary: 'Create an AsiaBill hosted checkout for an open invoice',
      status: 201,
      params: invoiceId,
      body: z.strictObject({
        method: z.string().optional().describe('card (default) or a local method such as Alipay'),
      }),
      handler: async ({ params, body }, { ctx }) => {
        parsePayLinkMethod(body.method);
        return payLinkJson(await createPayLink(ctx, params.id, body.method));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/invoices/{id}/refund',
      operationId: 'refundInvoice',
      summary: "Refund an invoice's payment through AsiaBill, in full or in part (over-refunds are refused)",
      status: 201,
      params: invoiceId,
      body: z.strictObject({
        amount: z
          .string()
          .optional()
          .describe('decimal amount in the invoice currency, e.g. "1.50" (default: everything not yet refunded)'),
        reason: z.string().optional().describe('refund reason sent to AsiaBill (default "requested by merchant")'),
      }),
      handler: async ({ params, body }, { ctx }) =>
        refundResultJson(await refundInvoiceRequest(ctx, params.id, { amount: body.amount, reason: body.reason })),
    }),
  ],
};
