import type { Command } from 'commander';
import type { CliDeps } from '../deps.ts';
import { emit, formatKeyValue, formatTable } from '../output.ts';
import { withJson, type JsonFlag } from '../options.ts';
import { createSubscription } from '../../subscriptions/create.ts';
import { cancelSubscription } from '../../subscriptions/cancel.ts';
import { getSubscription, listSubscriptions, parseStatus } from '../../subscriptions/queries.ts';
import { parseAnchor, validateTimeZone } from '../../billing/periods.ts';
import {
  SUBSCRIPTION_COLUMNS,
  subscriptionDetailJson,
  subscriptionDetailLines,
  subscriptionJson,
} from '../views/subscription.ts';

interface CreateOptions extends JsonFlag {
  customer: string;
  plan: string;
  paymentMethod: string;
  start?: string;
  timezone?: string;
  billPastPeriods?: boolean;
  allowDuplicate?: boolean;
  idempotencyKey?: string;
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
      const timeZone = validateTimeZone(opts.timezone ?? 'UTC', '--timezone');
      const start = opts.start === undefined ? undefined : parseAnchor(opts.start, timeZone, '--start');
      const r = await deps.withContext((ctx) =>
        createSubscription(ctx, {
          customerId: opts.customer,
          planCode: opts.plan,
          paymentMethodId: opts.paymentMethod,
          start,
          timeZone,
          billPastPeriods: opts.billPastPeriods === true,
          allowDuplicate: opts.allowDuplicate === true,
          ...(opts.idempotencyKey !== undefined ? { idempotencyKey: opts.idempotencyKey } : {}),
        }),
      );
      const charge =
        r.charge?.kind === 'attempted'
          ? {
              orderNo: r.charge.orderNo,
              tokenType: r.charge.tokenType,
              status: r.charge.status,
              orderInfo: r.charge.orderInfo ?? null,
            }
          : null;
      emit(
        deps.out,
        opts.json,
        {
          id: r.subscriptionId,
          status: r.status,
          invoiceId: r.invoiceId,
          redirectUrl: r.redirectUrl,
          charge,
          replayed: r.replayed,
        },
        () =>
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
