import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { and, eq, lte, sql } from 'drizzle-orm';
import { chargeAttempts, invoices, subscriptions } from '../../src/db/schema.ts';
import { advanceTestClock, waitQuiet } from '../../src/testClock/advance.ts';
import { readTestClock } from '../../src/testClock/store.ts';
import { reconcileOpenAttempts } from '../../src/renewals/reconcile.ts';
import { chargeInvoice } from '../../src/renewals/charge.ts';
import { cancelSubscription } from '../../src/subscriptions/cancel.ts';
import { startEngine } from '../../src/engine.ts';
import { silentLogger } from '../../src/logger.ts';
import { ManualClock } from '../../src/clock.ts';
import { DateTime } from 'luxon';
import { Redis } from 'ioredis';
import {
  startTestEngine,
  makePlan,
  subscribe,
  wipeRedisPrefix,
  CARDS,
  DAY_MS,
  type TestEngine,
} from '../support/engine.ts';
import { startPrivatePostgres } from '../support/privatePostgres.ts';
import { killOwnRedisConnections } from '../support/redisConnections.ts';

/**
 * Invariant 2 (no due renewal is missed) and invariant 1 under process death: a charge worker
 * killed with SIGKILL mid-call, Redis losing every key, the scheduler down for months, a
 * subscription canceled while its charge job waits in Redis.
 */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const LUXON_UNIT = { day: 'days', week: 'weeks', month: 'months', year: 'years' } as const;

/**
 * Every period up to the engine's clock charged once, in order. The expected period starts
 * do not come from src/billing/periods.ts: they are luxon's own calendar arithmetic from the
 * sign-up instant the test chose (none of these schedules has a wall time in a DST gap or
 * overlap), and the sign-up instant is checked to be the stored anchor.
 */
async function expectEveryPeriodChargedOnce(
  t: TestEngine,
  subIds: string[],
  signUp: string,
  unit: keyof typeof LUXON_UNIT,
): Promise<void> {
  const now = await readTestClock(t.ctx.db);
  const ledger = t.engine.sandbox!.ledger();
  expect(subIds.length).toBeGreaterThan(0);
  for (const id of subIds) {
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
    expect(s.anchor.toISOString()).toBe(new Date(signUp).toISOString());
    expect(s.interval).toBe(unit);
    const anchor = DateTime.fromISO(signUp, { zone: s.timeZone });
    const expected: string[] = [];
    for (let n = 0; ; n++) {
      const b = anchor.plus({ [LUXON_UNIT[unit]]: n });
      if (b.toMillis() > now.getTime()) break;
      expected.push(b.toUTC().toISO()!);
    }
    // At least one renewal after the first charge, so the comparison cannot pass on nothing.
    expect(expected.length).toBeGreaterThan(1);
    const got = ledger
      .filter((l) => (l.remark ?? '').startsWith(`subscription ${id} `) && l.status === 'success')
      .map((l) => /period (\S+)/.exec(l.remark ?? '')?.[1]);
    expect(got).toEqual(expected);
  }
}

/**
 * Errors a lost Postgres connection or a restarting server produce (pg, pg-pool, drizzle's
 * wrapper via `cause`). Anything else is a real failure and must not be retried away.
 */
function isConnectionLoss(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    // 08xxx connection exceptions, 57P01–57P03 admin shutdown / crash shutdown / cannot connect now.
    if (
      typeof code === 'string' &&
      (/^08/.test(code) || /^57P0[123]$/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(code))
    )
      return true;
    if (
      /Connection terminated|connection error|terminating connection due to administrator command|Client was closed|database system is (starting up|shutting down)/i.test(
        e.message,
      )
    )
      return true;
  }
  return false;
}

/** Runs the clock driver to `to`, retrying only when its own connection was cut under it. */
async function driveClock(t: TestEngine, to: string, deadlineMs = 90_000): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  let cut = 0;
  for (;;) {
    try {
      await advanceTestClock(t.ctx.db, t.engine.queues, {
        to: new Date(to),
        wait: true,
        stepMs: DAY_MS,
        timeoutMs: 30_000,
      });
      return cut;
    } catch (err) {
      if (!isConnectionLoss(err) || Date.now() > deadline) throw err;
      cut += 1;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function spawnChargeWorker(t: TestEngine): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/charge.ts'], {
    // One process (tsx's loader in-process, not its CLI wrapper): SIGKILL must hit the worker itself.
    cwd: process.cwd(),
    env: {
      ...process.env,
      DATABASE_URL: t.dbUrl,
      REDIS_URL,
      BILLING_QUEUE_PREFIX: t.prefix,
      BILLING_CLOCK: 'test',
      BILLING_JOB_LOCK_MS: '2000',
      ASIABILL_PAYMENT_URL: t.engine.sandbox!.paymentUrl,
      ASIABILL_OPENAPI_URL: t.engine.sandbox!.openapiUrl,
      ASIABILL_GATEWAY_NO: t.config.gateway.gatewayNo,
      ASIABILL_SIGN_KEY: t.config.gateway.signKey,
      BILLING_PUBLIC_URL: t.engine.httpUrl ?? '',
      LOG_LEVEL: 'silent',
    },
    stdio: 'ignore',
  });
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return child;
}

describe('processes die, Redis forgets', () => {
  it('a charge worker killed (SIGKILL) in the middle of confirmCharge: reconciled, never charged twice', async () => {
    // AsiaBill's notification is held back, so only the reconciler can learn the outcome.
    const t = await startTestEngine({
      start: '2027-08-31T09:00:00Z',
      parts: { charge: false },
      env: { BILLING_SCAN_INTERVAL_MS: '3600000' },
      sandboxNotify: { delayMs: 600_000 },
    });
    cleanups.push(() => t.stop());
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;

    const child = spawnChargeWorker(t);
    // The gateway records the charge, then sits on its answer: the worker is mid-call.
    t.engine.sandbox!.setKnobs({ holdNextResponses: 1, holdResponseMs: 30_000 });
    await advanceTestClock(t.ctx.db, t.engine.queues, {
      to: s.currentPeriodEnd,
      wait: false,
      stepMs: DAY_MS,
      timeoutMs: 10_000,
    });
    const renewal = async () =>
      (
        await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, s.id)).orderBy(invoices.periodIndex)
      )[1];
    await until('the renewal charge to reach the gateway', async () => {
      const inv = await renewal();
      return !!inv && t.engine.sandbox!.ledger().some((l) => l.orderNo.startsWith(inv.id));
    });
    child.kill('SIGKILL');
    await until('the worker to die', async () => child.exitCode !== null || child.signalCode !== null);

    const inv = (await renewal())!;
    expect(
      (await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, inv.id))).map((a) => a.status),
    ).toEqual(['started']);
    // A second worker picking the job up (BullMQ re-delivers stalled jobs) must not charge again.
    expect(await chargeInvoice(t.ctx, inv.id)).toEqual({ kind: 'skipped', reason: 'not_due' });
    // The reconciler finds the order at the gateway and records the success — once the
    // deadline of the worker that made the attempt (its 30 s default timeout, stored on the
    // attempt as respond_by) has passed: never earlier, whatever the reconciler's own setting.
    const wall = new ManualClock(new Date(Date.now() + 40_000));
    await reconcileOpenAttempts({ ...t.ctx, wall });
    const atts = await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, inv.id));
    expect(atts.map((a) => a.status)).toEqual(['succeeded']);
    expect(t.engine.sandbox!.ledger().filter((l) => l.orderNo.startsWith(inv.id))).toHaveLength(1);

    // A fresh worker carries on with the next period.
    spawnChargeWorker(t);
    const s2 = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, s.id)))[0]!;
    expect(s2.status).toBe('active');
    await advanceTestClock(t.ctx.db, t.engine.queues, {
      to: s2.currentPeriodEnd,
      wait: true,
      stepMs: DAY_MS,
      timeoutMs: 30_000,
    });
    await expectEveryPeriodChargedOnce(t, [s.id], '2027-08-31T09:00:00Z', 'month');
  });

  it('Redis restarted empty mid-run (charge jobs queued, every connection cut, schedulers gone): nothing missed, nothing doubled, schedulers restored', async () => {
    const t = await startTestEngine({ start: '2027-01-31T10:00:00Z', env: { BILLING_SCAN_INTERVAL_MS: '1000' } });
    cleanups.push(() => t.stop());
    const admin = new Redis(REDIS_URL);
    cleanups.push(async () => {
      admin.disconnect();
    });
    const monthly = await makePlan(t.ctx, { interval: 'month' });
    const weekly = await makePlan(t.ctx, { interval: 'week' });
    const byUnit = { month: [] as string[], week: [] as string[] };
    for (let i = 0; i < 6; i++) {
      const unit = i % 2 ? 'month' : 'week';
      byUnit[unit].push(
        (
          await subscribe(t.ctx, unit === 'month' ? monthly : weekly, CARDS.success, {
            timeZone: i % 3 ? 'Asia/Shanghai' : 'America/New_York',
          })
        ).subscriptionId,
      );
    }
    await t.advanceTo('2027-03-15T00:00:00Z');
    // Hold the charge queue, then jump ahead without waiting: the renewals the jump makes due
    // are invoiced in Postgres and their charge jobs sit in Redis, untaken, when Redis goes.
    await t.engine.queues.charge.pause();
    const jumpTo = new Date('2027-04-10T00:00:00Z');
    await advanceTestClock(t.ctx.db, t.engine.queues, { to: jumpTo, wait: false, stepMs: DAY_MS, timeoutMs: 10_000 });
    const dueInvoices = async () =>
      (
        await t.ctx.db
          .select({ id: invoices.id })
          .from(invoices)
          .where(and(eq(invoices.status, 'open'), lte(invoices.nextAttemptAt, jumpTo)))
      )
        .map((r) => `charge-${r.id}-1`)
        .sort();
    let queued: string[] = [];
    await until('every due renewal to have its charge job queued', async () => {
      const due = await dueInvoices();
      queued = (await t.engine.queues.charge.getJobs(['waiting', 'prioritized'])).map((j) => j.id ?? '').sort();
      return due.length === 6 && JSON.stringify(queued) === JSON.stringify(due);
    });
    expect(queued).toHaveLength(6);
    // A Redis restart that lost its data: every connection of the engine cut, every key gone.
    const killed = await killOwnRedisConnections(admin);
    const wiped = await wipeRedisPrefix(REDIS_URL, t.prefix);
    expect(killed).toBeGreaterThanOrEqual(4);
    // At least the six queued job hashes went (the scan may re-enqueue them at any moment now,
    // so the queue itself is not asserted empty).
    expect(wiped).toBeGreaterThanOrEqual(6);
    await until(
      'the job schedulers to be restored',
      // The scan's scheduler on the maintenance queue, the reconciler's on its own queue.
      async () =>
        (await t.engine.queues.maintenance.getJobSchedulers()).length +
          (await t.engine.queues.reconcile.getJobSchedulers()).length ===
        2,
      15_000,
    );
    await waitQuiet(t.ctx.db, t.engine.queues, jumpTo, { timeoutMs: 30_000 });
    await t.advanceTo('2027-06-30T00:00:00Z');
    expect(await killOwnRedisConnections(admin)).toBeGreaterThanOrEqual(4);
    await wipeRedisPrefix(REDIS_URL, t.prefix);
    await t.advanceTo('2027-08-01T00:00:00Z');
    await expectEveryPeriodChargedOnce(t, byUnit.week, '2027-01-31T10:00:00Z', 'week');
    await expectEveryPeriodChargedOnce(t, byUnit.month, '2027-01-31T10:00:00Z', 'month');
  });

  // Generous timeouts: with connections cut every 400 ms a loaded machine makes slow progress.
  it('Postgres connections dropped mid-run, one inside a charge transaction and the rest throughout the run: nothing missed, nothing doubled', {
    timeout: 240_000,
  }, async () => {
    const t = await startTestEngine({ start: '2027-04-30T06:00:00Z', env: { BILLING_SCAN_INTERVAL_MS: '1000' } });
    cleanups.push(() => t.stop());
    const plan = await makePlan(t.ctx, { interval: 'week' });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++)
      ids.push((await subscribe(t.ctx, plan, CARDS.success, { timeZone: 'Europe/London' })).subscriptionId);
    const admin = new pg.Client({ connectionString: t.dbUrl });
    await admin.connect();
    cleanups.push(() => admin.end());

    // 1. A charge transaction cut in flight. With the charge queue held, the first renewal's
    // invoices are created and their jobs queued; one invoice row is then locked from outside,
    // the queue released, and the charge transaction for that invoice blocks inside itself —
    // subscription row already locked, waiting for the invoice row. Exactly that connection
    // is terminated.
    await t.engine.queues.charge.pause();
    const renewalAt = new Date('2027-05-07T06:00:00Z');
    await advanceTestClock(t.ctx.db, t.engine.queues, {
      to: renewalAt,
      wait: false,
      stepMs: DAY_MS,
      timeoutMs: 10_000,
    });
    await until(
      'the renewal charge jobs to be queued',
      async () => (await t.engine.queues.charge.getJobs(['waiting', 'prioritized'])).length === 8,
    );
    const target = (
      await t.ctx.db
        .select({ id: invoices.id })
        .from(invoices)
        .where(and(eq(invoices.status, 'open'), lte(invoices.nextAttemptAt, renewalAt)))
    )[0]!;
    await admin.query('begin');
    // Whatever happens below, the row lock must not outlive the test (the engine would hang on it).
    cleanups.push(async () => {
      await admin.query('rollback').catch(() => {});
    });
    await admin.query('select id from invoices where id = $1 for update', [target.id]);
    await t.engine.queues.charge.resume();
    // Only a charge (chargeInvoice's lockChargeTarget / applyOutcome's lockAttemptChain) locks an
    // invoice row here, and it does so after locking the subscription row (`for update of s, i`):
    // a backend blocked on our invoice lock whose transaction already has an xid (row locks
    // write xmax) is a charge transaction mid-way.
    let inFlight: { pid: number; in_transaction: boolean; holds_row_locks: boolean; query: string } | undefined;
    await until('the charge transaction to block on the invoice row', async () => {
      // Inside a transaction pg_stat_activity is a snapshot taken at first use: refresh it.
      await admin.query('select pg_stat_clear_snapshot()');
      const r = await admin.query<{ pid: number; in_transaction: boolean; holds_row_locks: boolean; query: string }>(
        `select pid, xact_start is not null as in_transaction, backend_xid is not null as holds_row_locks, query from pg_stat_activity
          where datname = current_database() and pg_backend_pid() = any(pg_blocking_pids(pid))`,
      );
      inFlight = r.rows[0];
      return inFlight !== undefined;
    });
    expect(inFlight!.holds_row_locks).toBe(true);
    expect(inFlight!.query).toMatch(/join invoices i .*for update of s, i/is);
    expect(inFlight!.in_transaction).toBe(true);
    const cut = await admin.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [inFlight!.pid]);
    expect(cut.rows[0]?.ok).toBe(true);
    await admin.query('commit');
    await until(
      'the cut backend to be gone',
      async () => (await admin.query('select 1 from pg_stat_activity where pid = $1', [inFlight!.pid])).rowCount === 0,
    );

    // 2. Then every connection the engine holds is cut again and again for the whole run.
    // Only connections in use (a statement running or a transaction open) count as dropped.
    let droppedInUse = 0;
    let rounds = 0;
    let killing = true;
    const killer = (async () => {
      while (killing) {
        const r = await admin.query<{ in_use: number; n: number }>(
          `select count(*) filter (where state <> 'idle')::int as in_use, count(pg_terminate_backend(pid))::int as n
             from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        );
        droppedInUse += r.rows[0]?.in_use ?? 0;
        rounds += 1;
        // Often enough that even a quick run (an idle machine renews these weeks in ~2 s) is
        // cut many times over.
        await new Promise((res) => setTimeout(res, 150));
      }
    })();
    let clockCut = 0;
    try {
      clockCut = await driveClock(t, '2027-05-28T06:00:00Z', 180_000);
    } finally {
      killing = false;
      await killer;
    }
    expect(rounds).toBeGreaterThan(3);
    expect(droppedInUse).toBeGreaterThan(0);
    expect(clockCut).toBeGreaterThan(0);
    // Outcomes lost with a connection are reconciled (the gateway has them); then the clock
    // driver sees nothing left, and every week is charged exactly once.
    await reconcileOpenAttempts({ ...t.ctx, wall: new ManualClock(new Date(Date.now() + 60_000)) });
    await t.advanceTo('2027-05-28T06:00:00Z');
    await expectEveryPeriodChargedOnce(t, ids, '2027-04-30T06:00:00Z', 'week');
    // The cut transaction committed nothing (no orphan intent): its invoice was charged by
    // a fresh first attempt, once.
    const attempts = await t.ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.invoiceId, target.id));
    expect(attempts.map((x) => [x.attemptNo, x.status])).toEqual([[1, 'succeeded']]);
  });

  it('Postgres really restarted (a private server stopped and started while renewals are charged): nothing missed, nothing doubled', {
    timeout: 180_000,
  }, async () => {
    // A server of its own: restarting the shared one would cut every other test file running
    // in parallel (and everyone else on the machine) for reasons of this test's own.
    const server = await startPrivatePostgres();
    cleanups.push(() => server.stop());
    const t = await startTestEngine({
      start: '2027-04-30T06:00:00Z',
      env: { BILLING_SCAN_INTERVAL_MS: '1000' },
      databaseBaseUrl: server.baseUrl,
    });
    cleanups.push(() => t.stop());
    const plan = await makePlan(t.ctx, { interval: 'week' });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++)
      ids.push((await subscribe(t.ctx, plan, CARDS.success, { timeZone: 'Europe/London' })).subscriptionId);
    const startedAt = async () =>
      Date.parse(
        (await t.ctx.db.execute<{ at: string }>(sql`select pg_postmaster_start_time()::text as at`)).rows[0]!.at,
      );
    const before = await startedAt();
    // Three weeks due at once, then the server goes away while they are being charged.
    await advanceTestClock(t.ctx.db, t.engine.queues, {
      to: new Date('2027-05-21T06:00:00Z'),
      wait: false,
      stepMs: DAY_MS,
      timeoutMs: 10_000,
    });
    await until('renewal charges to reach the gateway', async () =>
      t.engine.sandbox!.ledger().some((l) => l.tokenType === 'Recurring'),
    );
    await server.restart(1_500);
    await driveClock(t, '2027-06-11T06:00:00Z');
    expect(await startedAt()).toBeGreaterThan(before);
    await reconcileOpenAttempts({ ...t.ctx, wall: new ManualClock(new Date(Date.now() + 60_000)) });
    await t.advanceTo('2027-06-11T06:00:00Z');
    await expectEveryPeriodChargedOnce(t, ids, '2027-04-30T06:00:00Z', 'week');
  });

  it('the scheduler down for months: on return it catches up every missed period once, in order, by itself', async () => {
    const t = await startTestEngine({ start: '2027-10-31T23:00:00Z', env: { BILLING_SCAN_INTERVAL_MS: '500' } });
    cleanups.push(() => t.stop());
    const plan = await makePlan(t.ctx, { interval: 'month' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await subscribe(t.ctx, plan, CARDS.success, { timeZone: 'Australia/Sydney' })).subscriptionId);
    // No --wait, no nudging: the clock jumps five months and only the engine's own schedule runs.
    await advanceTestClock(
      t.ctx.db,
      { ...t.engine.queues, triggerScan: async () => {} },
      { to: new Date('2028-04-01T00:00:00Z'), wait: false, stepMs: DAY_MS, timeoutMs: 10_000 },
    );
    await until(
      'the backlog to drain',
      async () => {
        const ledger = t.engine.sandbox!.ledger().filter((l) => l.status === 'success');
        return ledger.length >= 5 * 6;
      },
      30_000,
    );
    await waitQuiet(t.ctx.db, t.engine.queues, new Date('2028-04-01T00:00:00Z'), { timeoutMs: 30_000 });
    await expectEveryPeriodChargedOnce(t, ids, '2027-10-31T23:00:00Z', 'month');
  });

  it('a subscription canceled while its charge job waits in Redis is not charged', async () => {
    const t = await startTestEngine({
      start: '2027-02-28T10:00:00Z',
      parts: { charge: false },
      env: { BILLING_SCAN_INTERVAL_MS: '3600000' },
    });
    cleanups.push(() => t.stop());
    const plan = await makePlan(t.ctx);
    const r = await subscribe(t.ctx, plan, CARDS.success);
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;
    await advanceTestClock(t.ctx.db, t.engine.queues, {
      to: s.currentPeriodEnd,
      wait: false,
      stepMs: DAY_MS,
      timeoutMs: 10_000,
    });
    await until(
      'the charge job to be queued',
      async () => (await t.engine.queues.charge.getJobCounts('waiting')).waiting === 1,
    );
    await cancelSubscription(t.ctx, s.id);

    // Now a charge worker comes up and takes the job.
    const worker = await startEngine({
      config: t.config,
      logger: silentLogger,
      parts: { http: false, scheduler: false, charge: true, sandbox: false },
      overrides: { gateway: t.ctx.gateway, time: t.ctx.time },
    });
    cleanups.push(() => worker.close());
    await until('the queue to drain', async () => {
      const c = await t.engine.queues.charge.getJobCounts('waiting', 'active');
      return (c.waiting ?? 0) + (c.active ?? 0) === 0;
    });
    const invs = await t.ctx.db
      .select()
      .from(invoices)
      .where(eq(invoices.subscriptionId, s.id))
      .orderBy(invoices.periodIndex);
    expect(invs.map((i) => i.status)).toEqual(['paid', 'void']);
    expect(
      t.engine
        .sandbox!.ledger()
        .filter((l) => l.remark?.includes(s.id))
        .map((l) => l.tokenType),
    ).toEqual(['InitRecurring']);
  });
});
