/**
 * Renewal throughput: the engine's charge pipeline against a plain loop that does the same
 * essential SQL and HTTP — the machine's own limit for this work — in the same run, on the
 * same Postgres, Redis and sandbox. Prints a table; never asserts (see README: performance is
 * measured here, not in tests).
 *
 *   npm run bench               # N=300 renewals, concurrency 8
 *   BENCH_N=1000 npm run bench
 */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { startEngine } from '../src/engine.ts';
import { loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/logger.ts';
import { migrateDatabase, dropDatabase } from '../src/db/migrate.ts';
import { setTestClock } from '../src/testClock/store.ts';
import { createPlan } from '../src/catalog/plans.ts';
import { createCustomer } from '../src/customers/customers.ts';
import { addCardPaymentMethod } from '../src/customers/paymentMethods.ts';
import { createSubscription } from '../src/subscriptions/create.ts';
import { waitQuiet } from '../src/testClock/advance.ts';
import { chargeAttempts, invoices, subscriptions } from '../src/db/schema.ts';
import { buildChargeRequest } from '../src/renewals/chargeRequest.ts';
import { deleteQueueKeys } from '../src/queue/cleanup.ts';
import type { AppContext } from '../src/context.ts';

const N = Number(process.env.BENCH_N ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const START = new Date('2030-01-31T00:00:00Z');
const BASE = process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/';

async function setup(name: string) {
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const prefix = `billing-bench-${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    BILLING_QUEUE_PREFIX: prefix,
    BILLING_CLOCK: 'test',
    BILLING_HTTP_PORT: '0',
    BILLING_SCAN_INTERVAL_MS: '3600000',
    BILLING_CHARGE_CONCURRENCY: String(CONCURRENCY),
    LOG_LEVEL: 'silent',
  });
  const engine = await startEngine({
    config,
    logger: silentLogger,
    parts: { http: true, scheduler: true, charge: true, sandbox: true },
    sandboxOptions: { port: 0, stateFile: undefined, notify: { delayMs: 3_600_000 } },
  });
  await setTestClock(engine.ctx.db, START);
  const ctx = engine.ctx;
  await createPlan(ctx, { code: 'bench', name: 'Bench', amount: '9.99', currency: 'USD', interval: 'month' });
  for (let i = 0; i < N; i++) {
    const c = await createCustomer(ctx, { email: `b${i}@example.com`, firstName: 'Bench', lastName: `N${i}` });
    const pm = await addCardPaymentMethod(ctx, {
      customerId: c.id,
      cardNumber: '4242424242424242',
      expMonth: '12',
      expYear: '2035',
      cvc: '123',
    });
    await createSubscription(ctx, { customerId: c.id, planCode: 'bench', paymentMethodId: pm.id });
  }
  const renewalAt = new Date('2030-02-28T00:00:00Z');
  await setTestClock(ctx.db, renewalAt);
  return { engine, ctx, url: url.toString(), prefix, config, renewalAt };
}

/** The engine: scan (renew + enqueue) → BullMQ → charge workers → outcome, until Postgres is quiet. */
async function runEngine(): Promise<number> {
  const s = await setup(`billing_bench_engine_${randomBytes(3).toString('hex')}`);
  try {
    const t0 = performance.now();
    await s.engine.queues.triggerScan();
    await waitQuiet(s.ctx.db, s.engine.queues, s.renewalAt, { timeoutMs: 600_000, pollMs: 10 });
    const ms = performance.now() - t0;
    const paid = await s.ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(chargeAttempts)
      .where(eq(chargeAttempts.status, 'succeeded'));
    if ((paid[0]?.n ?? 0) !== 2 * N) throw new Error(`engine charged ${paid[0]?.n} of ${2 * N}`);
    return ms;
  } finally {
    await s.engine.close();
    await deleteQueueKeys(s.config.redisUrl, s.prefix);
    await dropDatabase(s.url);
  }
}

/**
 * The baseline: the same renewals with the minimum work that still writes the intent before
 * the call — insert invoice+attempt in one transaction, confirmCharge, record the outcome in
 * one transaction — in a plain loop with the same concurrency, no queue, no locks, no events.
 */
async function runBaseline(): Promise<number> {
  const s = await setup(`billing_bench_base_${randomBytes(3).toString('hex')}`);
  try {
    // Stop the engine's workers from competing: only the database and gateway are used.
    const ctx: AppContext = s.ctx;
    const subs = await ctx.db.select().from(subscriptions);
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      for (;;) {
        const sub = subs[next++];
        if (!sub) return;
        const invoiceId = `inv_b${randomBytes(8).toString('hex')}`;
        const attemptId = `att_b${randomBytes(8).toString('hex')}`;
        const orderNo = `${invoiceId}-1`;
        const requestTime = new Date();
        await ctx.db.transaction(async (tx) => {
          await tx.insert(invoices).values({
            id: invoiceId,
            subscriptionId: sub.id,
            periodIndex: 1,
            periodStart: sub.currentPeriodEnd,
            periodEnd: sub.currentPeriodEnd,
            amount: sub.amount,
            currency: sub.currency,
            createdAt: s.renewalAt,
          });
          await tx.insert(chargeAttempts).values({
            id: attemptId,
            invoiceId,
            attemptNo: 1,
            orderNo,
            tokenType: 'Recurring',
            amount: sub.amount,
            currency: sub.currency,
            status: 'started',
            requestTime,
            createdAt: s.renewalAt,
          });
        });
        const pm = await ctx.db.execute<{ cus: string; pm: string }>(
          sql`select c.asiabill_customer_id as cus, p.asiabill_payment_method_id as pm from customers c join payment_methods p on p.customer_id = c.id where c.id = ${sub.customerId}`,
        );
        const res = await ctx.gateway.confirmCharge(
          buildChargeRequest({
            orderNo,
            amount: sub.amount,
            currency: sub.currency,
            tokenType: 'Recurring',
            asiabillCustomerId: pm.rows[0]!.cus,
            asiabillPaymentMethodId: pm.rows[0]!.pm,
            planName: 'Bench',
            subscriptionId: sub.id,
            periodStart: sub.currentPeriodEnd,
            publicUrl: 'http://127.0.0.1:1',
            webSite: 'https://merchant.example',
            customerIp: ctx.config.serverIp,
          }),
          { requestTime: requestTime.getTime() },
        );
        await ctx.db.transaction(async (tx) => {
          await tx
            .update(chargeAttempts)
            .set({ status: res.orderStatus === 'success' ? 'succeeded' : 'failed', tradeNo: res.tradeNo ?? null })
            .where(eq(chargeAttempts.id, attemptId));
          await tx.update(invoices).set({ status: 'paid', paidAt: s.renewalAt }).where(eq(invoices.id, invoiceId));
        });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    return performance.now() - t0;
  } finally {
    await s.engine.close();
    await deleteQueueKeys(s.config.redisUrl, s.prefix);
    await dropDatabase(s.url);
  }
}

const engineMs = await runEngine();
const baseMs = await runBaseline();
const rate = (ms: number) => (N / (ms / 1000)).toFixed(1);
const rows = [
  ['plain loop (same SQL + HTTP, no queue)', N, baseMs.toFixed(0), rate(baseMs), '1.00'],
  ['engine (scan → BullMQ → charge workers)', N, engineMs.toFixed(0), rate(engineMs), (baseMs / engineMs).toFixed(2)],
];
const head = ['pipeline', 'renewals', 'ms', 'renewals/s', 'vs baseline'];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r: Array<string | number>) =>
  r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]!) : String(c).padStart(w[i]!))).join('  ');
console.log(`\nRenewal throughput, concurrency ${CONCURRENCY}, N=${N} (target: engine ≥ 0.80× baseline)\n`);
console.log(line(head));
console.log(line(w.map((n) => '-'.repeat(n))));
for (const r of rows) console.log(line(r));
process.exit(0);
