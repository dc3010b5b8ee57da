import { z } from 'zod';
import { changePlan, parseChangeWhen, previewPlanChange } from '../../../subscriptions/planChange.ts';
import { pauseSubscription, resumeSubscription } from '../../../subscriptions/pause.ts';
import { reactivateSubscription } from '../../../subscriptions/cancel.ts';
import { applyCoupon } from '../../../coupons/coupons.ts';
import { upcomingInvoice } from '../../../subscriptions/upcoming.ts';
import { endTrial } from '../../../subscriptions/trial.ts';
import { updatePaymentMethod } from '../../../subscriptions/updatePaymentMethod.ts';
import { parseAnchor } from '../../../billing/periods.ts';
import { quoteJson } from '../../../cli/views/lifecycle.ts';
import { chargeJson, updatePaymentMethodJson, upcomingJson } from '../../../cli/views/operations.ts';
import { idParam } from '../input.ts';
import { defineRoute, type ApiResource } from '../route.ts';

const subscriptionId = idParam('subscription id (sub_…)');
const planChangeBody = z.strictObject({
  planCode: z.string().describe('plan code (its newest active version)'),
  when: z.string().optional().describe('now | period_end (default now)'),
});

/**
 * The lifecycle operations of a subscription, each a thin adapter over the workflow function
 * `billing subscriptions <command>` calls (src/cli/commands/subscriptionLifecycle.ts), with the
 * same value checks and the same JSON answer.
 */
export const subscriptionLifecycleResource: ApiResource = {
  name: 'subscription lifecycle',
  description: 'Plan changes (prorated), pause and resume, reactivation, coupons, trials, the card used.',
  routes: [
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/preview-change',
      operationId: 'previewPlanChange',
      summary: 'What a plan change would charge now and on the next invoice (writes nothing)',
      params: subscriptionId,
      body: planChangeBody,
      handler: async ({ params, body }, { ctx }) => {
        const when = parseChangeWhen(body.when ?? 'now', 'when');
        return quoteJson(await previewPlanChange(ctx, params.id, { planCode: body.planCode, when }));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/change-plan',
      operationId: 'changePlan',
      summary: 'Move to another plan now (the prorated difference is charged at once) or at period end',
      params: subscriptionId,
      body: planChangeBody,
      handler: async ({ params, body }, { ctx }) => {
        const when = parseChangeWhen(body.when ?? 'now', 'when');
        const r = await changePlan(ctx, params.id, { planCode: body.planCode, when });
        return { ...quoteJson(r.quote), invoiceId: r.invoiceId, charge: chargeJson(r.charge) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/subscriptions/{id}/upcoming',
      operationId: 'upcomingInvoice',
      summary: 'The next invoice exactly as the renewal will write it (coupon, credit, scheduled plan change)',
      params: subscriptionId,
      handler: async ({ params }, { ctx }) => upcomingJson(params.id, await upcomingInvoice(ctx, params.id)),
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/pause',
      operationId: 'pauseSubscription',
      summary: 'Stop renewals (open invoices are voided) until resumed, or until `until`',
      params: subscriptionId,
      body: z.strictObject({
        until: z.string().optional().describe('resume by itself at this time (UTC unless it has an offset)'),
      }),
      handler: async ({ params, body }, { ctx }) => {
        const until = body.until === undefined ? undefined : parseAnchor(body.until, 'UTC', 'until');
        const r = await pauseSubscription(ctx, params.id, { until });
        return { id: params.id, status: r.status, resumeAt: r.resumeAt?.toISOString() ?? null };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/resume',
      operationId: 'resumeSubscription',
      summary: 'Resume a paused subscription: a new period starts now, or the original schedule with keepAnchor',
      params: subscriptionId,
      body: z.strictObject({
        keepAnchor: z
          .boolean()
          .optional()
          .describe('keep the original billing anchor; the rest of the current period is charged prorated'),
      }),
      handler: async ({ params, body }, { ctx }) => {
        const r = await resumeSubscription(ctx, params.id, { keepAnchor: body.keepAnchor === true });
        return { id: params.id, status: r.status, invoiceId: r.invoiceId, charge: chargeJson(r.charge) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/reactivate',
      operationId: 'reactivateSubscription',
      summary: 'Undo a cancel at period end before the period ends',
      params: subscriptionId,
      handler: async ({ params }, { ctx }) => {
        const r = await reactivateSubscription(ctx, params.id);
        return { id: params.id, status: r.status, cancelAtPeriodEnd: false };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/apply-coupon',
      operationId: 'applyCoupon',
      summary: 'Apply a coupon to the next invoices of a subscription',
      params: subscriptionId,
      body: z.strictObject({ coupon: z.string().describe('coupon code') }),
      handler: async ({ params, body }, { ctx }) => {
        const r = await applyCoupon(ctx, params.id, body.coupon);
        return { id: params.id, couponId: r.couponId, periodsLeft: r.periodsLeft };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/end-trial',
      operationId: 'endTrial',
      summary: 'End a trial now: the first period starts and is charged at once',
      params: subscriptionId,
      handler: async ({ params }, { ctx }) => {
        const r = await endTrial(ctx, params.id);
        return { id: params.id, status: r.status, invoiceId: r.invoiceId, charge: chargeJson(r.charge) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/subscriptions/{id}/payment-method',
      operationId: 'updateSubscriptionPaymentMethod',
      summary: 'Switch to another card of the customer; a past_due/unpaid subscription is retried at once with it',
      params: subscriptionId,
      body: z.strictObject({
        paymentMethodId: z.string().describe('payment method id (card_…) of the same customer'),
      }),
      handler: async ({ params, body }, { ctx }) =>
        updatePaymentMethodJson(params.id, await updatePaymentMethod(ctx, params.id, body.paymentMethodId)),
    }),
  ],
};
