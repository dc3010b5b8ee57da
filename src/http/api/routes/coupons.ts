import { z } from 'zod';
import { createCoupon, listCoupons } from '../../../coupons/coupons.ts';
import { pageInMemory } from '../../../db/paging.ts';
import { couponJson } from '../../../cli/views/operations.ts';
import { pageQuery } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { listJson } from '../views.ts';

/** Coupons, over the functions `billing coupons create|list` call (same checks, same JSON). */
export const couponsResource: ApiResource = {
  name: 'coupons',
  description: 'Discounts on subscription invoices: a percentage or a fixed amount, once, for N invoices or forever.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/coupons',
      operationId: 'createCoupon',
      summary: 'Create a coupon',
      status: 201,
      body: z.strictObject({
        code: z.string().describe('coupon code'),
        percentOff: z.string().optional().describe('percentage, up to 2 decimals ("12.5")'),
        amountOff: z.string().optional().describe('fixed amount in `currency` ("5.00")'),
        currency: z.string().optional().describe('ISO 4217 currency of amountOff'),
        duration: z.string().describe('once | repeating | forever'),
        periods: z.number().int().optional().describe('invoices a repeating coupon applies to'),
      }),
      handler: async ({ body }, { ctx }) => couponJson(await createCoupon(ctx, body)),
    }),
    defineRoute({
      method: 'GET',
      path: '/coupons',
      operationId: 'listCoupons',
      summary: 'List coupons',
      query: z.strictObject(pageQuery),
      handler: async ({ query }, { ctx }) =>
        listJson(
          pageInMemory(await listCoupons(ctx), { limit: query.limit, startingAfter: query.starting_after }),
          couponJson,
        ),
    }),
  ],
};
