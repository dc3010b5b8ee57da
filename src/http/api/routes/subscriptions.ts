import { z } from 'zod';
import { createSubscription } from '../../../subscriptions/create.ts';
import { cancelSubscription } from '../../../subscriptions/cancel.ts';
import { getSubscription, listSubscriptions, parseStatus } from '../../../subscriptions/queries.ts';
import { readSubscriptionTimes } from '../../../subscriptions/request.ts';
import { toPage } from '../../../db/paging.ts';
import { subscriptionCreatedJson, subscriptionDetailJson, subscriptionJson } from '../../../cli/views/subscription.ts';
import { cancelResultJson } from '../../../cli/views/operations.ts';
import { idParam, pageQuery } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';
import { listJson } from '../views.ts';

const subscriptionId = idParam('subscription id (sub_…)');

export const subscriptionsResource: ApiResource = {
  name: 'subscriptions',
  description: 'Subscriptions: create (first charge at once), inspect, cancel.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/subscriptions',
      operationId: 'createSubscription',
      summary: 'Subscribe a customer to a plan and make the first (InitRecurring) charge',
      description:
        "Answers with the first charge's outcome; `redirectUrl` is set when the customer must complete 3-D Secure.",
      status: 201,
      body: z.strictObject({
        customerId: z.string().describe('customer id (cust_…)'),
        planCode: z.string().describe('plan code (its newest active version is used)'),
        paymentMethodId: z.string().describe('payment method id (card_…) of that customer'),
        start: z
          .string()
          .optional()
          .describe('billing anchor: a date or date-time, local to timezone unless it has an offset (default: now)'),
        timezone: z.string().optional().describe('IANA time zone the periods are computed in (default UTC)'),
      }),
      handler: async ({ body }, { ctx }) => {
        const { timeZone, start } = readSubscriptionTimes({ start: body.start, timezone: body.timezone });
        const r = await createSubscription(ctx, {
          customerId: body.customerId,
          planCode: body.planCode,
          paymentMethodId: body.paymentMethodId,
          start,
          timeZone,
        });
        return subscriptionCreatedJson(r);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions',
      operationId: 'listSubscriptions',
      summary: 'List subscriptions, oldest first',
      query: z.strictObject({
        ...pageQuery,
        status: z.string().optional().describe('only this status'),
        customer: z.string().optional().describe('only this customer (cust_…)'),
      }),
      handler: async ({ query }, { ctx }) => {
        if (query.status !== undefined) parseStatus(query.status, 'status');
        const rows = await listSubscriptions(ctx.db, {
          status: query.status,
          customerId: query.customer,
          limit: query.limit + 1,
          cursorField: 'starting_after',
          ...(query.starting_after !== undefined ? { startingAfter: query.starting_after } : {}),
        });
        return listJson(toPage(rows, query.limit), subscriptionJson);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions/{id}',
      operationId: 'getSubscription',
      summary: 'Show a subscription with its invoices and charge attempts',
      params: subscriptionId,
      handler: async ({ params }, { ctx }) => subscriptionDetailJson(await getSubscription(ctx.db, params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/cancel',
      operationId: 'cancelSubscription',
      summary: 'Cancel now (open invoices are voided), or at the end of the current period',
      params: subscriptionId,
      body: z.strictObject({
        atPeriodEnd: z.boolean().optional().describe('keep it until the current period ends'),
        refundUnused: z.boolean().optional().describe('refund the unused part of the current period (prorated)'),
      }),
      handler: async ({ params, body }, { ctx }) =>
        cancelResultJson(
          params.id,
          await cancelSubscription(ctx, params.id, {
            atPeriodEnd: body.atPeriodEnd === true,
            refundUnused: body.refundUnused === true,
          }),
        ),
    }),
  ],
};
