/**
 * Seeds subscriptions with plain SQL (generate_series), not through the gateway one by one:
 * 100,000 subscriptions take seconds. The stub accepts any cus_/pm_ ids, and every payment
 * method already carries a mandate (tradeNo of an InitRecurring), so renewals are `Recurring`.
 *
 * Subscriptions are daily, in UTC, so a period's start can be any instant: subscription g's
 * first renewal (period 1) starts exactly at its due time. Seeded rows are *parked*
 * (next_renewal_at null) until `makeDue` sets the due times, so engine processes can start
 * and settle before the clock of a bench row starts.
 */
import type pg from 'pg';

export const BENCH_PLAN_ID = 'plan_bench';
export const BENCH_AMOUNT = 999; // 9.99 USD in minor units

export async function seedSubscriptions(
  client: pg.Client,
  n: number,
  opts: { dueAt?: Date; firstIndex?: number; dueCount?: number } = {},
): Promise<void> {
  const from = opts.firstIndex ?? 1;
  const to = from + n - 1;
  const due = opts.dueAt ?? new Date();
  await client.query('set synchronous_commit = off');
  await client.query(
    `insert into plans (id, code, version, name, amount, currency, interval, interval_count)
     values ($1, 'bench', 1, 'Bench', $2, 'USD', 'day', 1) on conflict do nothing`,
    [BENCH_PLAN_ID, BENCH_AMOUNT],
  );
  await client.query(
    `insert into customers (id, email, first_name, last_name, asiabill_customer_id)
     select 'cust_b' || g, 'b' || g || '@example.com', 'Bench', 'N' || g, 'cus_bench' || g
     from generate_series($1::int, $2::int) g`,
    [from, to],
  );
  await client.query(
    `insert into payment_methods (id, customer_id, asiabill_payment_method_id, brand, last4, exp_month, exp_year, mandate_trade_no)
     select 'card_b' || g, 'cust_b' || g, 'pm_bench' || g, 'visa', '4242', '12', '2035', 'TMANDATE' || g
     from generate_series($1::int, $2::int) g`,
    [from, to],
  );
  await client.query(
    `insert into subscriptions (id, customer_id, plan_id, payment_method_id, status, time_zone, anchor, interval,
       interval_count, amount, currency, current_period_index, current_period_start, current_period_end,
       next_renewal_at, created_at, updated_at)
     select 'sub_b' || g, 'cust_b' || g, $3, 'card_b' || g, 'active', 'UTC', $4::timestamptz - interval '1 day', 'day',
       1, $5, 'USD', 0, $4::timestamptz - interval '1 day', $4::timestamptz,
       case when $6::int < 0 then null when g < $1 + $6::int then $4::timestamptz
            else $4::timestamptz + (1 + g % 29) * interval '1 day' end,
       now(), now()
     from generate_series($1::int, $2::int) g`,
    [from, to, BENCH_PLAN_ID, due.toISOString(), BENCH_AMOUNT, opts.dueCount ?? -1],
  );
  await client.query('set synchronous_commit = on');
}

/**
 * Makes parked subscriptions due: all at `at`, or spread evenly over `spreadMs` from `at`
 * (subscription g of n due at at + g/n·spreadMs) for a steady load. Only subscriptions 1..limit
 * become due; the rest stay parked. The anchor moves with the
 * due time so that period 1 starts exactly then.
 */
export async function makeDue(client: pg.Client, at: Date, spreadMs = 0, n = 1, limit = n): Promise<void> {
  await client.query(
    `update subscriptions s set
       anchor = d.due - interval '1 day', current_period_start = d.due - interval '1 day',
       current_period_end = d.due, next_renewal_at = d.due
     from (select id, $1::timestamptz + (substr(id, 6)::int - 1) * ($2::float8 / $3::float8) * interval '1 millisecond' as due
           from subscriptions where id like 'sub_b%' and substr(id, 6)::int <= $4) d
     where s.id = d.id`,
    [at.toISOString(), spreadMs, n, limit],
  );
}

/** Time from due (the later of the period start and the moment the row started) to paid. */
export async function paidLatencies(
  client: pg.Client,
  t0: Date,
): Promise<{ paid: number; p50: number; p99: number; max: number }> {
  const r = await client.query<{ paid: number; p50: number | null; p99: number | null; max: number | null }>(
    `select count(*)::int as paid,
       percentile_cont(0.5) within group (order by ms) as p50,
       percentile_cont(0.99) within group (order by ms) as p99,
       max(ms) as max
     from (select extract(epoch from (paid_at - greatest(period_start, $1::timestamptz))) * 1000 as ms
           from invoices where status = 'paid' and period_index = 1) x`,
    [t0.toISOString()],
  );
  const row = r.rows[0];
  return { paid: row?.paid ?? 0, p50: row?.p50 ?? 0, p99: row?.p99 ?? 0, max: row?.max ?? 0 };
}
