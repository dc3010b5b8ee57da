import { formatMoney } from '../../money.ts';
import type { AttemptRow, InvoiceRow } from '../../db/rows.ts';
import type { InvoiceDetail } from '../../invoices/operations.ts';
import { formatKeyValue, formatTable, moneyJson, type Column, type JsonObject } from '../output.ts';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const INVOICE_COLUMNS: readonly Column<InvoiceRow>[] = [
  { header: 'ID', value: (i) => i.id },
  {
    header: 'STATUS',
    value: (i) => i.status + (i.parkedCode && i.refusalCount > 0 ? ` (parked ${i.parkedCode})` : ''),
  },
  { header: 'SUBSCRIPTION', value: (i) => i.subscriptionId },
  { header: 'PERIOD', value: (i) => String(i.periodIndex) },
  { header: 'AMOUNT', value: (i) => formatMoney({ amount: i.amount, currency: i.currency }), align: 'right' },
  { header: 'ATTEMPTS', value: (i) => String(i.attemptCount), align: 'right' },
  { header: 'NEXT ATTEMPT', value: (i) => iso(i.nextAttemptAt) ?? '-' },
];

export function invoiceJson(i: InvoiceRow): JsonObject {
  return {
    id: i.id,
    status: i.status,
    subscriptionId: i.subscriptionId,
    periodIndex: i.periodIndex,
    periodStart: i.periodStart.toISOString(),
    periodEnd: i.periodEnd.toISOString(),
    amount: moneyJson({ amount: i.amount, currency: i.currency }),
    attemptCount: i.attemptCount,
    nextAttemptAt: iso(i.nextAttemptAt),
    paidAt: iso(i.paidAt),
    firstFailedAt: iso(i.firstFailedAt),
    dunningEndsAt: iso(i.dunningEndsAt),
    parkedCode: i.parkedCode,
    refusalCount: i.refusalCount,
    actionUrl: i.actionUrl,
    actionDeadline: iso(i.actionDeadline),
    nextStepReason: i.nextStepReason,
  };
}

function attemptJson(a: AttemptRow): JsonObject {
  return {
    id: a.id,
    attemptNo: a.attemptNo,
    orderNo: a.orderNo,
    kind: a.kind,
    tokenType: a.tokenType,
    status: a.status,
    outcomeClass: a.outcomeClass,
    orderInfo: a.orderInfo,
    declineCode: a.declineCode,
    tradeNo: a.tradeNo,
    reattempt: a.reattempt,
    createdAt: a.createdAt.toISOString(),
  };
}

export function invoiceDetailJson(d: InvoiceDetail): JsonObject {
  return {
    ...invoiceJson(d.invoice),
    subscriptionStatus: d.subscriptionStatus,
    nextStep: d.nextStep,
    attempts: d.attempts.map(attemptJson),
  };
}

const ATTEMPT_COLUMNS: readonly Column<AttemptRow>[] = [
  { header: '#', value: (a) => String(a.attemptNo), align: 'right' },
  { header: 'AT', value: (a) => a.createdAt.toISOString() },
  { header: 'KIND', value: (a) => (a.kind === 'pay_link' ? 'pay link' : a.tokenType) },
  { header: 'STATUS', value: (a) => a.status },
  { header: 'CLASS', value: (a) => a.outcomeClass ?? '-' },
  { header: 'INFO', value: (a) => (a.orderInfo ?? '').slice(0, 60) },
];

export function invoiceDetailLines(d: InvoiceDetail): string[] {
  const i = d.invoice;
  return [
    ...formatKeyValue([
      ['id', i.id],
      ['status', i.status],
      ['subscription', `${i.subscriptionId} (${d.subscriptionStatus})`],
      ['period', `${i.periodIndex}: ${i.periodStart.toISOString()} – ${i.periodEnd.toISOString()}`],
      ['amount', formatMoney({ amount: i.amount, currency: i.currency })],
      ['next step', d.nextStep],
      ...(i.actionUrl ? [['customer action', i.actionUrl] as const] : []),
      ...(i.dunningEndsAt ? [['dunning ends', i.dunningEndsAt.toISOString()] as const] : []),
    ]),
    '',
    ...formatTable(ATTEMPT_COLUMNS, d.attempts),
  ];
}
