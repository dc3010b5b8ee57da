import type { Plan } from '../../catalog/plans.ts';
import { formatMoney } from '../../money.ts';
import { cell, formatTimestamp, moneyJson, type Column, type JsonObject } from '../output.ts';

/** How a plan looks on the command line, in both output forms. */
export function planJson(p: Plan): JsonObject {
  return {
    id: p.id,
    code: p.code,
    version: p.version,
    name: p.name,
    status: p.status,
    amount: moneyJson(priceOf(p)),
    interval: p.interval,
    intervalCount: p.intervalCount,
    trialDays: p.trialDays,
    createdAt: p.createdAt.toISOString(),
  };
}

export const PLAN_COLUMNS: readonly Column<Plan>[] = [
  { header: 'CODE', value: (p) => p.code },
  { header: 'VERSION', value: (p) => String(p.version), align: 'right' },
  { header: 'NAME', value: (p) => p.name },
  { header: 'AMOUNT', value: (p) => formatMoney(priceOf(p)), align: 'right' },
  { header: 'BILLED', value: (p) => describeInterval(p.interval, p.intervalCount) },
  { header: 'TRIAL', value: (p) => describeTrial(p.trialDays) },
  { header: 'STATUS', value: (p) => p.status },
  { header: 'ID', value: (p) => p.id },
];

export const PLAN_VERSION_COLUMNS: readonly Column<Plan>[] = [
  { header: 'VERSION', value: (p) => String(p.version), align: 'right' },
  { header: 'NAME', value: (p) => p.name },
  { header: 'AMOUNT', value: (p) => formatMoney(priceOf(p)), align: 'right' },
  { header: 'BILLED', value: (p) => describeInterval(p.interval, p.intervalCount) },
  { header: 'TRIAL', value: (p) => describeTrial(p.trialDays) },
  { header: 'STATUS', value: (p) => p.status },
  { header: 'CREATED', value: (p) => formatTimestamp(p.createdAt) },
  { header: 'ID', value: (p) => p.id },
];

export function planDetails(p: Plan): Array<[string, string]> {
  return [
    ['id', p.id],
    ['code', p.code],
    ['version', String(p.version)],
    ['name', p.name],
    ['status', p.status],
    ['amount', formatMoney(priceOf(p))],
    ['billed', describeInterval(p.interval, p.intervalCount)],
    ['trial', describeTrial(p.trialDays)],
    ['created', formatTimestamp(p.createdAt)],
  ];
}

/** "every month", "every 3 months". */
export function describeInterval(interval: string, count: number): string {
  return count === 1 ? `every ${interval}` : `every ${count} ${interval}s`;
}

function describeTrial(days: number): string {
  return days === 0 ? cell(null) : `${days} day${days === 1 ? '' : 's'}`;
}

function priceOf(p: Plan): { amount: number; currency: string } {
  return { amount: p.amount, currency: p.currency };
}
