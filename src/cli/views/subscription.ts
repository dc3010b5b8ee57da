import { formatMoney } from '../../money.ts';
import { formatInZone } from '../../billing/periods.ts';
import type { SubscriptionView, SubscriptionDetail } from '../../subscriptions/queries.ts';
import type { CreateSubscriptionResult } from '../../subscriptions/create.ts';
import { cell, formatKeyValue, formatTable, moneyJson, type Column, type JsonObject } from '../output.ts';
import { describeInterval } from './plan.ts';

/** How a subscription looks on the command line, in both output forms. */
export function subscriptionJson(s: SubscriptionView): JsonObject {
  return {
    id: s.id,
    status: s.status,
    customerId: s.customerId,
    plan: { code: s.planCode, version: s.planVersion, id: s.planId },
    paymentMethodId: s.paymentMethodId,
    amount: moneyJson({ amount: s.amount, currency: s.currency }),
    interval: s.interval,
    intervalCount: s.intervalCount,
    timeZone: s.timeZone,
    anchor: formatInZone(s.anchor, s.timeZone),
    currentPeriod: {
      index: s.currentPeriodIndex,
      start: formatInZone(s.currentPeriodStart, s.timeZone),
      end: formatInZone(s.currentPeriodEnd, s.timeZone),
    },
    nextRenewalAt: s.nextRenewalAt ? formatInZone(s.nextRenewalAt, s.timeZone) : null,
    cancelAtPeriodEnd: s.cancelAtPeriodEnd,
    canceledAt: s.canceledAt?.toISOString() ?? null,
    trialEnd: s.trialEnd ? formatInZone(s.trialEnd, s.timeZone) : null,
    statusReason: s.statusReason,
    creditBalance: moneyJson({ amount: s.creditBalance, currency: s.currency }),
    pendingPlanId: s.pendingPlanId,
    couponId: s.couponId,
    couponPeriodsLeft: s.couponPeriodsLeft,
    pausedAt: s.pausedAt?.toISOString() ?? null,
    resumeAt: s.resumeAt ? formatInZone(s.resumeAt, s.timeZone) : null,
    createdAt: s.createdAt.toISOString(),
  };
}

/** The answer to "subscribe" (CLI --json and the admin API): the first charge's outcome included. */
export function subscriptionCreatedJson(r: CreateSubscriptionResult): JsonObject {
  const charge =
    r.charge?.kind === 'attempted'
      ? {
          orderNo: r.charge.orderNo,
          tokenType: r.charge.tokenType,
          status: r.charge.status,
          orderInfo: r.charge.orderInfo ?? null,
        }
      : null;
  return {
    id: r.subscriptionId,
    status: r.status,
    invoiceId: r.invoiceId,
    redirectUrl: r.redirectUrl,
    charge,
    replayed: r.replayed ?? false,
  };
}

export const SUBSCRIPTION_COLUMNS: readonly Column<SubscriptionView>[] = [
  { header: 'ID', value: (s) => s.id },
  { header: 'STATUS', value: (s) => s.status + (s.cancelAtPeriodEnd ? ' (cancels at period end)' : '') },
  { header: 'CUSTOMER', value: (s) => s.customerId },
  { header: 'PLAN', value: (s) => `${s.planCode} v${s.planVersion}` },
  { header: 'AMOUNT', value: (s) => formatMoney({ amount: s.amount, currency: s.currency }), align: 'right' },
  { header: 'BILLED', value: (s) => describeInterval(s.interval, s.intervalCount) },
  { header: 'PERIOD END', value: (s) => formatInZone(s.currentPeriodEnd, s.timeZone) },
];

export function subscriptionDetailJson(d: SubscriptionDetail): JsonObject {
  return {
    ...subscriptionJson(d.subscription),
    invoices: d.invoices.map((i) => ({
      id: i.id,
      periodIndex: i.periodIndex,
      periodStart: formatInZone(i.periodStart, d.subscription.timeZone),
      periodEnd: formatInZone(i.periodEnd, d.subscription.timeZone),
      amount: moneyJson({ amount: i.amount, currency: i.currency }),
      amountRefunded: moneyJson({ amount: i.amountRefunded, currency: i.currency }),
      kind: i.kind,
      status: i.status,
      nextAttemptAt: i.nextAttemptAt?.toISOString() ?? null,
      paidAt: i.paidAt?.toISOString() ?? null,
      attempts: i.attempts.map((a) => ({
        id: a.id,
        attemptNo: a.attemptNo,
        orderNo: a.orderNo,
        tokenType: a.tokenType,
        status: a.status,
        tradeNo: a.tradeNo,
        orderInfo: a.orderInfo,
        redirectUrl: a.redirectUrl,
        requestTime: a.requestTime.toISOString(),
      })),
    })),
  };
}

export function subscriptionDetailLines(d: SubscriptionDetail): string[] {
  const s = d.subscription;
  const kv: Array<[string, string]> = [
    ['id', s.id],
    ['status', s.status + (s.statusReason ? ` (${s.statusReason})` : '')],
    ['customer', s.customerId],
    ['plan', `${s.planCode} v${s.planVersion}`],
    ['amount', formatMoney({ amount: s.amount, currency: s.currency })],
    ['billed', describeInterval(s.interval, s.intervalCount)],
    ['time zone', s.timeZone],
    ['anchor', formatInZone(s.anchor, s.timeZone)],
    [
      'current period',
      `${formatInZone(s.currentPeriodStart, s.timeZone)} → ${formatInZone(s.currentPeriodEnd, s.timeZone)}`,
    ],
    ['next renewal', s.nextRenewalAt ? formatInZone(s.nextRenewalAt, s.timeZone) : cell(null)],
    ['cancel at period end', s.cancelAtPeriodEnd ? 'yes' : 'no'],
    ['credit balance', formatMoney({ amount: s.creditBalance, currency: s.currency })],
    ...(s.pendingPlanId ? [['plan at period end', s.pendingPlanId] as [string, string]] : []),
    ...(s.couponId
      ? [
          [
            'coupon',
            `${s.couponId}${s.couponPeriodsLeft === null ? ' (forever)' : ` (${s.couponPeriodsLeft} left)`}`,
          ] as [string, string],
        ]
      : []),
    ...(s.resumeAt ? [['resumes at', formatInZone(s.resumeAt, s.timeZone)] as [string, string]] : []),
  ];
  const lines = formatKeyValue(kv);
  lines.push('', 'invoices:');
  lines.push(...formatTable(INVOICE_COLUMNS(s.timeZone), d.invoices));
  return lines;
}

type InvoiceWithAttempts = SubscriptionDetail['invoices'][number];

const INVOICE_COLUMNS = (zone: string): readonly Column<InvoiceWithAttempts>[] => [
  { header: 'PERIOD', value: (i) => String(i.periodIndex), align: 'right' },
  { header: 'START', value: (i) => formatInZone(i.periodStart, zone) },
  { header: 'AMOUNT', value: (i) => formatMoney({ amount: i.amount, currency: i.currency }), align: 'right' },
  {
    header: 'REFUNDED',
    value: (i) => (i.amountRefunded > 0 ? formatMoney({ amount: i.amountRefunded, currency: i.currency }) : '-'),
    align: 'right',
  },
  { header: 'STATUS', value: (i) => i.status },
  { header: 'ATTEMPTS', value: (i) => cell(i.attempts.map((a) => `${a.tokenType}:${a.status}`).join(' ')) },
  { header: 'ID', value: (i) => i.id },
];
