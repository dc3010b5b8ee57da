import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { formatMoney } from '../money.ts';
import { formatTable, type Column } from '../cli/output.ts';

/**
 * The demo's closing summary, computed from Postgres and cross-checked against the sandbox's
 * own ledger of charges: the two must agree on every successful charge.
 */
export interface LedgerLike {
  orderNo: string;
  status: string;
  tokenType?: string;
}

export interface DemoReport {
  lines: string[];
  successfulCharges: number;
  ledgerSuccesses: number;
  invoicesChargedTwice: number;
  byStatus: Record<string, number>;
  revenue: Record<string, number>;
  elapsedMs: number;
}

/** The demo's tables: first column left-aligned, the numbers right-aligned. */
function table(headers: string[], rows: string[][]): string[] {
  const columns: Column<string[]>[] = headers.map((header, i) => ({
    header,
    value: (r) => r[i] ?? '',
    align: i === 0 ? 'left' : 'right',
  }));
  return formatTable(columns, rows);
}

export async function buildDemoReport(db: Db, ledger: readonly LedgerLike[], elapsedMs: number): Promise<DemoReport> {
  const perMonth = await db.execute<{
    month: string;
    init: number;
    recurring: number;
    ok: number;
    failed: number;
    other: number;
  }>(sql`
    select to_char(date_trunc('month', i.period_start at time zone 'UTC'), 'YYYY-MM') as month,
           count(*) filter (where a.token_type = 'InitRecurring')::int as init,
           count(*) filter (where a.token_type = 'Recurring')::int as recurring,
           count(*) filter (where a.status = 'succeeded')::int as ok,
           count(*) filter (where a.status = 'failed')::int as failed,
           count(*) filter (where a.status <> 'succeeded' and a.status <> 'failed')::int as other
    from charge_attempts a join invoices i on i.id = a.invoice_id
    group by 1 order by 1`);
  const states = await db.execute<{ status: string; n: number }>(
    sql`select status, count(*)::int as n from subscriptions group by 1 order by 2 desc, 1`,
  );
  const revenue = await db.execute<{ currency: string; amount: number; n: number }>(sql`
    select currency, sum(amount)::bigint as amount, count(*)::int as n from charge_attempts where status = 'succeeded' group by 1 order by 1`);
  const twice = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from (select invoice_id from charge_attempts where status = 'succeeded' group by 1 having count(*) > 1) t`);
  const succeeded = await db.execute<{ order_no: string }>(
    sql`select order_no from charge_attempts where status = 'succeeded'`,
  );

  const ledgerOk = ledger.filter((l) => l.status === 'success');
  const ours = new Set(succeeded.rows.map((r) => r.order_no));
  const ledgerOnly = ledgerOk.filter((l) => !ours.has(l.orderNo)).length;
  const ledgerInvoices = new Map<string, number>();
  for (const l of ledgerOk) {
    const inv = l.orderNo.replace(/-\d+$/, '');
    ledgerInvoices.set(inv, (ledgerInvoices.get(inv) ?? 0) + 1);
  }
  const ledgerTwice = [...ledgerInvoices.values()].filter((n) => n > 1).length;

  const lines: string[] = ['', 'Charges by billing month (period start, UTC)'];
  lines.push(
    ...table(
      ['month', 'InitRecurring', 'Recurring', 'succeeded', 'failed', 'pending/open'],
      perMonth.rows.map((r) => [
        r.month,
        String(r.init),
        String(r.recurring),
        String(r.ok),
        String(r.failed),
        String(r.other),
      ]),
    ),
  );
  lines.push('', 'Subscriptions by state');
  lines.push(
    ...table(
      ['state', 'count'],
      states.rows.map((r) => [r.status, String(r.n)]),
    ),
  );
  lines.push('', 'Revenue collected');
  lines.push(
    ...table(
      ['currency', 'charges', 'total'],
      revenue.rows.map((r) => [r.currency, String(r.n), formatMoney({ amount: r.amount, currency: r.currency })]),
    ),
  );
  const totalOk = succeeded.rows.length;
  lines.push('', 'Exactly-once check (engine database vs. the sandbox gateway ledger)');
  lines.push(`  successful charges recorded by the engine : ${totalOk}`);
  lines.push(
    `  successful charges in the gateway ledger   : ${ledgerOk.length}${ledgerOnly ? `  (${ledgerOnly} unknown to the engine!)` : ''}`,
  );
  lines.push(
    `  invoices charged more than once            : ${twice.rows[0]?.n ?? 0} (engine), ${ledgerTwice} (gateway)`,
  );
  lines.push(
    `  ${totalOk === ledgerOk.length && ledgerOnly === 0 && ledgerTwice === 0 ? 'OK: every successful charge is accounted for, none twice' : 'MISMATCH: see above'}`,
  );
  lines.push(`  finished in ${(elapsedMs / 1000).toFixed(1)} s`);
  return {
    lines,
    successfulCharges: totalOk,
    ledgerSuccesses: ledgerOk.length,
    invoicesChargedTwice: (twice.rows[0]?.n ?? 0) + ledgerTwice,
    byStatus: Object.fromEntries(states.rows.map((r) => [r.status, r.n])),
    revenue: Object.fromEntries(revenue.rows.map((r) => [r.currency, r.amount])),
    elapsedMs,
  };
}
