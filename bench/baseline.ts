/**
 * The baseline: what renewing costs when only the minimal safe work is done, in a plain loop
 * with the engine's concurrency — the machine's own limit for this job. Per renewal:
 *   1. one statement writes the intent: the period's invoice (unique per subscription and
 *      period start) and its `started` attempt with the orderNo and signed request-time;
 *   2. the signed confirmCharge call (same body builder and signature as the engine);
 *   3. one statement records the outcome: attempt succeeded, invoice paid, subscription
 *      advanced to its next period.
 * No queue, no locks beyond the rows' own, no events, no dunning. Statements are prepared
 * (named), which is what a hand-written loop would do.
 *
 * Started by bench/run.ts with an IPC channel: it waits for `{type:'go', …}`, renews every due
 * subscription and answers `{type:'done', renewed, failed}`.
 */
import pg from 'pg';
import { request } from 'undici';
import { randomUUID } from 'node:crypto';
import { newId, ID_PREFIX } from '../src/ids.ts';
import { periodAt } from '../src/billing/periods.ts';
import { buildChargeRequest, orderNoFor } from '../src/renewals/chargeRequest.ts';
import { signRequest } from '../src/asiabill/sign.ts';
import { SANDBOX_GATEWAY_NO, SANDBOX_SIGN_KEY } from '../src/config.ts';

interface Go {
  type: 'go';
  databaseUrl: string;
  stubUrl: string;
  concurrency: number;
}

interface Due {
  id: string;
  anchor: Date;
  amount: number;
  currency: string;
  cus: string;
  pm: string;
  plan_name: string;
}

const INTENT = `with i as (
    insert into invoices (id, subscription_id, period_index, period_start, period_end, amount, currency, status,
      attempt_count, next_attempt_at, created_at)
    values ($1, $2, 1, $3, $4, $5, $6, 'open', 1, null, now())
    on conflict (subscription_id, period_start) where kind = 'cycle' do nothing returning id)
  insert into charge_attempts (id, invoice_id, attempt_no, order_no, token_type, amount, currency, status, request_time, created_at)
  select $7, i.id, 1, $8, 'Recurring', $5, $6, 'started', $9, now() from i returning id`;

const OUTCOME = `with a as (
    update charge_attempts set status = $2, trade_no = $3, order_info = $4, finished_at = now() where id = $1 returning invoice_id),
  i as (update invoices set status = case when $2 = 'succeeded' then 'paid' else status end,
          paid_at = case when $2 = 'succeeded' then now() end
        where id = (select invoice_id from a) returning subscription_id)
  update subscriptions set current_period_index = 1, current_period_start = $5, current_period_end = $6,
    next_renewal_at = $6, updated_at = now()
  where id = (select subscription_id from i) and $2 = 'succeeded'`;

async function run(go: Go): Promise<{ renewed: number; failed: number }> {
  const pool = new pg.Pool({ connectionString: go.databaseUrl, max: Math.min(go.concurrency, 10) });
  const due = (
    await pool.query<Due>(
      `select s.id, s.anchor, s.amount::float8 as amount, s.currency, c.asiabill_customer_id as cus, p.asiabill_payment_method_id as pm,
         pl.name as plan_name
       from subscriptions s join customers c on c.id = s.customer_id
       join payment_methods p on p.id = s.payment_method_id join plans pl on pl.id = s.plan_id
       where s.next_renewal_at <= now() order by s.next_renewal_at, s.id`,
    )
  ).rows;
  const url = `${go.stubUrl}/confirmCharge`;
  let next = 0;
  let renewed = 0;
  let failed = 0;
  const lane = async () => {
    for (;;) {
      const sub = due[next++];
      if (!sub) return;
      const period = periodAt({ anchor: sub.anchor, interval: 'day', intervalCount: 1, timeZone: 'UTC' }, 1);
      const invoiceId = newId(ID_PREFIX.invoice);
      const attemptId = newId(ID_PREFIX.attempt);
      const orderNo = orderNoFor(invoiceId, 1);
      const requestTime = Date.now();
      const intent = await pool.query({
        name: 'bench-intent',
        text: INTENT,
        values: [
          invoiceId,
          sub.id,
          period.start,
          period.end,
          sub.amount,
          sub.currency,
          attemptId,
          orderNo,
          new Date(requestTime),
        ],
      });
      if (intent.rowCount === 0) continue;
      const body = JSON.stringify(
        buildChargeRequest({
          orderNo,
          amount: sub.amount,
          currency: sub.currency,
          tokenType: 'Recurring',
          asiabillCustomerId: sub.cus,
          asiabillPaymentMethodId: sub.pm,
          planName: sub.plan_name,
          subscriptionId: sub.id,
          periodStart: period.start,
          publicUrl: 'http://127.0.0.1:9',
          webSite: 'https://merchant.example',
          customerIp: '127.0.0.1',
        }),
      );
      const requestId = randomUUID().toUpperCase();
      // The same HTTP client as the engine (undici's request(): src/asiabill/transport.ts).
      const res = await request(url, {
        method: 'POST',
        headers: {
          'gateway-no': SANDBOX_GATEWAY_NO,
          'request-id': requestId,
          'request-time': String(requestTime),
          'sign-info': signRequest({
            gatewayNo: SANDBOX_GATEWAY_NO,
            requestId,
            requestTime,
            rawBody: body,
            signKey: SANDBOX_SIGN_KEY,
          }),
          'content-type': 'application/json;charset=UTF-8',
        },
        body,
      });
      const env = (await res.body.json()) as { code?: string; data?: { orderStatus?: string; tradeNo?: string } };
      const ok = env.code === '00000' && env.data?.orderStatus === 'success';
      await pool.query({
        name: 'bench-outcome',
        text: OUTCOME,
        values: [
          attemptId,
          ok ? 'succeeded' : 'failed',
          env.data?.tradeNo ?? null,
          ok ? 'Success' : 'declined',
          period.start,
          period.end,
        ],
      });
      if (ok) renewed += 1;
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: go.concurrency }, lane));
  await pool.end();
  return { renewed, failed };
}

process.on('message', (m: unknown) => {
  const msg = m as Go | { type?: string };
  if (msg.type !== 'go') return;
  run(msg as Go).then(
    (r) => {
      process.send?.({ type: 'done', ...r });
    },
    (err: unknown) => process.send?.({ type: 'done', renewed: 0, failed: -1, error: String(err) }),
  );
});
// bench/instrument.ts unrefs the channel; this process lives for its messages, so it holds it.
process.channel?.ref();
process.send?.({ type: 'ready' });
