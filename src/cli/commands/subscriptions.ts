import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { createSubscription } from '../../subscriptions/create.ts';
import { cancelSubscription } from '../../subscriptions/cancel.ts';
import { getSubscription, listSubscriptions, parseStatus } from '../../subscriptions/queries.ts';
import { readSubscriptionTimes } from '../../subscriptions/request.ts';
import {
  SUBSCRIPTION_COLUMNS,
  subscriptionDetailJson,
  subscriptionDetailLines,
  subscriptionCreatedJson,
  subscriptionJson,
} from '../views/subscription.ts';

interface CreateOptions extends JsonFlag {
  customer: string;
  plan: string;
  paymentMethod: string;
  start?: string;
  timezone?: string;
}

export function register(program: Command, deps: CliDeps): void {
  const subs = program.command('subscriptions').description('subscriptions: create, inspect, cancel');

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
    .action(async (opts: CreateOptions) => {
      const { timeZone, start } = readSubscriptionTimes(
        { start: opts.start, timezone: opts.timezone },
        { start: '--start', timezone: '--timezone' },
      );
      const r = await deps.withContext((ctx) =>
        createSubscription(ctx, {
          customerId: opts.customer,
          planCode: opts.plan,
          paymentMethodId: opts.paymentMethod,
          start,
          timeZone,
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
        ]),
      );
    });

  withJson(subs.command('list'))
    .description('list subscriptions')
    .option('--status <status>', 'only this status')
    .option('--customer <id>', 'only this customer')
    .action(async (opts: JsonFlag & { status?: string; customer?: string }) => {
      if (opts.status !== undefined) parseStatus(opts.status, '--status');
      const rows = await deps.withContext((ctx) =>
        listSubscriptions(ctx.db, { status: opts.status, customerId: opts.customer }),
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
    .action(async (id: string, opts: JsonFlag & { atPeriodEnd?: boolean }) => {
      const r = await deps.withContext((ctx) =>
        cancelSubscription(ctx, id, { atPeriodEnd: opts.atPeriodEnd === true }),
      );
      emit(deps.out, opts.json, { id, status: r.status, cancelAtPeriodEnd: r.cancelAtPeriodEnd }, () => [
        r.cancelAtPeriodEnd
          ? `subscription ${id} will cancel at the end of its current period`
          : `subscription ${id} canceled`,
      ]);
    });
}
