import { formatMoney } from '../../money.ts';
import type { InvoiceLine } from '../../billing/invoiceLines.ts';
import type { PlanChangeQuote } from '../../subscriptions/planChange.ts';
import { formatKeyValue, type JsonObject } from '../output.ts';

/** How plan-change quotes and other lifecycle results print. */
export function linesJson(lines: readonly InvoiceLine[]): JsonObject[] {
  return lines.map((l) => ({ kind: l.kind, description: l.description, amount: l.amount }));
}

export function quoteJson(q: PlanChangeQuote): JsonObject {
  return {
    id: q.subscriptionId,
    when: q.when,
    at: q.at.toISOString(),
    fromPlan: q.fromPlan,
    toPlan: q.toPlan,
    proration: q.proration ? { ...q.proration } : null,
    now: {
      amountDue: { ...q.now.amountDue },
      lines: linesJson(q.now.lines),
      creditAdded: q.now.creditAdded,
      creditUsed: q.now.creditUsed,
    },
    next: {
      amountDue: { ...q.next.amountDue },
      lines: linesJson(q.next.lines),
      periodStart: q.next.periodStart.toISOString(),
      periodEnd: q.next.periodEnd.toISOString(),
    },
    newAnchor: q.newAnchor ? q.newAnchor.toISOString() : null,
  };
}

export function quoteLines(q: PlanChangeQuote): string[] {
  const cur = q.now.amountDue.currency;
  const fmt = (n: number) => formatMoney({ amount: n, currency: cur });
  const lines = formatKeyValue([
    ['subscription', q.subscriptionId],
    ['change', `${q.fromPlan.code} v${q.fromPlan.version} → ${q.toPlan.code} v${q.toPlan.version} (${q.when})`],
    ['charged now', fmt(q.now.amountDue.amount)],
    ['credit added', fmt(q.now.creditAdded)],
    [
      'next invoice',
      `${fmt(q.next.amountDue.amount)} for ${q.next.periodStart.toISOString()} → ${q.next.periodEnd.toISOString()}`,
    ],
  ]);
  for (const l of q.now.lines) lines.push(`  now:  ${l.description}  ${fmt(l.amount)}`);
  for (const l of q.next.lines) lines.push(`  next: ${l.description}  ${fmt(l.amount)}`);
  return lines;
}
