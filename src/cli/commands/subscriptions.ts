import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { cancelResultJson, updatePaymentMethodJson } from '../views/operations.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { pageQuery, withPaging, type PageFlags } from '../paging.ts';
import { createSubscription } from '../../subscriptions/create.ts';
import { cancelSubscription } from '../../subscriptions/cancel.ts';
import { updatePaymentMethod } from '../../subscriptions/updatePaymentMethod.ts';
import { getSubscription, listSubscriptions, parseStatus } from '../../subscriptions/queries.ts';
import { readSubscriptionTimes } from '../../subscriptions/request.ts';
import { parseAnchor } from '../../billing/periods.ts';
import {
  SUBSCRIPTION_COLUMNS,
  subscriptionDetailJson,
  subscriptionDetailLines,
  subscriptionCreatedJson,
  subscriptionJson,
} from '../views/subscription.ts';
import { registerLifecycle } from './subscriptionLifecycle.ts';

interface CreateOptions extends JsonFlag {
  customer: string;
  plan: string;
  paymentMethod: string;
  start?: string;
  timezone?: string;
  customerIp?: string;
  trialEnd?: string;
  billPastPeriods?: boolean;
  allowDuplicate?: boolean;
  idempotencyKey?: string;
}

export function register(program: Command, deps: CliDeps): void {
  const subs = program.command('subscriptions').description('subscriptions: create, inspect, cancel');
  registerLifecycle(subs, deps);

  withJson(subs.command('create'))
    .description('subscribe a customer to a plan and make the first (InitRecurring) charge')
    .requiredOption('--customer <id>', 'customer id (cust_…)')
    .requiredOption('--plan <code>', 'plan code (its newest active version is used)')
    .requiredOption('--payment-method <id>', 'payment method id (card_…) of that customer')
    .option(
      '--start <iso>',
      'billing anchor: a date or date-time, local to --timezone unless it has an offset (default: now)',
    )
    .option('--timezone <zone>', 'IANA time zone the periods are computed in (default UTC)')
    .option('--customer-ip <ip>', "the subscribing customer's IP address, sent on the first (InitRecurring) charge")
    .option(
      '--trial-end <iso>',
      'trial until then (overrides the plan trial days); local to --timezone unless it has an offset',
    )
    .option(
      '--bill-past-periods',
      'allow a --start more than one billing period ago: every period since then is invoiced and charged at once',
    )
    .option('--allow-duplicate', 'subscribe even if the customer already has a live subscription to this plan')
    .option(
      '--idempotency-key <key>',
      'retry-safe: the same key again prints the first result and charges nothing (a different request with it is refused)',
    )
    .action(async (opts: CreateOptions) => {
      const { timeZone, start } = readSubscriptionTimes(
        { start: opts.start, timezone: opts.timezone },
        { start: '--start', timezone: '--timezone' },
      );
      const trialEnd = opts.trialEnd === undefined ? undefined : parseAnchor(opts.trialEnd, timeZone, '--trial-end');
      const r = await deps.withContext((ctx) =>
        createSubscription(ctx, {
          customerId: opts.customer,
          planCode: opts.plan,
          paymentMethodId: opts.paymentMethod,
          start,
          timeZone,
          customerIp: opts.customerIp,
          trialEnd,
          billPastPeriods: opts.billPastPeriods === true,
          allowDuplicate: opts.allowDuplicate === true,
          ...(opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {}),
        }),
      );
      const created = subscriptionCreatedJson(r);
      const charge = r.charge?.kind === 'attempted' ? r.charge : null;
      emit(deps.out, opts.json, created, () =>
        formatKeyValue([
          ['id', r.subscriptionId],
          ['status', r.status],
          ['first invoice', r.invoiceId ?? '- (trialing: first charge at trial end)'],
          [
            'first charge',
            charge ? `${charge.tokenType} ${charge.status}${charge.orderInfo ? ` (${charge.orderInfo})` : ''}` : '-',
          ],
          ...(r.redirectUrl ? [['3-D Secure', `send the customer to ${r.redirectUrl}`] as [string, string]] : []),
          ...(r.replayed
            ? [['replayed', 'yes: this idempotency key was used before; nothing new was done'] as [string, string]]
            : []),
        ]),
      );
    });

  withPaging(withJson(subs.command('list')))
    .description('list subscriptions, oldest first')
    .option('--status <status>', 'only this status')
    .option('--customer <id>', 'only this customer')
    .action(async (opts: JsonFlag & PageFlags & { status?: string; customer?: string }) => {
      if (opts.status !== undefined) parseStatus(opts.status, '--status');
      const page = pageQuery(opts);
      const rows = await deps.withContext((ctx) =>
        listSubscriptions(ctx.db, { status: opts.status, customerId: opts.customer, ...page }),
      );
      emit(deps.out, opts.json, rows.map(subscriptionJson), () => formatTable(SUBSCRIPTION_COLUMNS, rows));
    });

  withJson(subs.command('show'))
    .description('show a subscription with its invoices and charge attempts')
    .argument('<id>', 'subscription id (sub_…)')
    .action(async (id: string, opts: JsonFlag) => {
      const d = await deps.withContext((ctx) => getSubscription(ctx.db, id));
      emit(deps.out, opts.json, subscriptionDetailJson(d), () => subscriptionDetailLines(d));
    });

  withJson(subs.command('cancel'))
    .description('cancel now (open invoices are voided), or at the end of the current period')
    .argument('<id>', 'subscription id (sub_…)')
    .option('--at-period-end', 'keep it until the current period ends')
    .option('--refund-unused', 'refund the unused part of the current period (prorated)')
    .action(async (id: string, opts: JsonFlag & { atPeriodEnd?: boolean; refundUnused?: boolean }) => {
      const r = await deps.withContext((ctx) =>
        cancelSubscription(ctx, id, {
          atPeriodEnd: opts.atPeriodEnd === true,
          refundUnused: opts.refundUnused === true,
        }),
      );
      const refunds = r.refunds;
      emit(deps.out, opts.json, cancelResultJson(id, r), () => [
        r.cancelAtPeriodEnd
          ? `subscription ${id} will cancel at the end of its current period`
          : `subscription ${id} canceled`,
        ...refunds.map(
          (x) => `refund ${x.id} of ${x.amount} (minor units, ${x.currency}) on ${x.invoiceId}: ${x.status}`,
        ),
      ]);
    });

  withJson(subs.command('update-payment-method'))
    .description('switch to another card of the customer; a past_due/unpaid subscription is retried at once with it')
    .argument('<id>', 'subscription id (sub_…)')
    .requiredOption('--payment-method <id>', 'payment method id (card_…) of the same customer')
    .action(async (id: string, opts: JsonFlag & { paymentMethod: string }) => {
      const r = await deps.withContext((ctx) => updatePaymentMethod(ctx, id, opts.paymentMethod));
      const c = r.retried?.charge;
      emit(deps.out, opts.json, updatePaymentMethodJson(id, r), () =>
        formatKeyValue([
          ['id', id],
          ['payment method', r.paymentMethodId],
          [
            'open invoice retried',
            c?.kind === 'attempted' ? `${c.tokenType} ${c.status}` : c ? `no (${c.reason})` : '-',
          ],
        ]),
      );
    });
}
