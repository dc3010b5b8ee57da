import { describe, it, expect, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import pg from 'pg';
import { eq } from 'drizzle-orm';
import { chargeAttempts, invoices, subscriptions } from '../../src/db/schema.ts';
import { advanceTestClock, waitQuiet } from '../../src/testClock/advance.ts';
import { readTestClock } from '../../src/testClock/store.ts';
import { reconcileOpenAttempts } from '../../src/renewals/reconcile.ts';
import { chargeInvoice } from '../../src/renewals/charge.ts';
import { cancelSubscription } from '../../src/subscriptions/cancel.ts';
import { startEngine } from '../../src/engine.ts';
import { silentLogger } from '../../src/logger.ts';
import { ManualClock } from '../../src/clock.ts';
import { boundary, type Interval } from '../../src/billing/periods.ts';
import {
  startTestEngine,
  makePlan,
  subscribe,
  wipeRedisPrefix,
  CARDS,
  DAY_MS,
  type TestEngine,
} from '../support/engine.ts';

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

async function expectEveryPeriodChargedOnce(t: TestEngine, subIds: string[]): Promise<void> {
  const now = await readTestClock(t.ctx.db);
  const ledger = t.engine.sandbox!.ledger();
  for (const id of subIds) {
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
    const schedule = {
      anchor: s.anchor,
      interval: s.interval as Interval,
      intervalCount: s.intervalCount,
      timeZone: s.timeZone,
    };
    const expected: string[] = [];
    for (let n = 0; boundary(schedule, n) <= now; n++) expected.push(boundary(schedule, n).toISOString());
    const got = ledger
      .filter((l) => l.remark?.includes(id) && l.status === 'success')
      .map((l) => /period (\S+)/.exec(l.remark ?? '')?.[1]);
    expect(got).toEqual(expected);
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
    await expectEveryPeriodChargedOnce(t, [s.id]);
  });

  it('Redis wiped mid-run (jobs queued, schedulers gone): nothing missed, nothing doubled, schedulers restored', async () => {
    const t = await startTestEngine({ start: '2027-01-31T10:00:00Z', env: { BILLING_SCAN_INTERVAL_MS: '1000' } });
    cleanups.push(() => t.stop());
    const plan = await makePlan(t.ctx, { interval: 'month' });
    const weekly = await makePlan(t.ctx, { interval: 'week' });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(
        (
          await subscribe(t.ctx, i % 2 ? plan : weekly, CARDS.success, {
            timeZone: i % 3 ? 'Asia/Shanghai' : 'America/New_York',
          })
        ).subscriptionId,
      );
    await t.advanceTo('2027-03-15T00:00:00Z');
    // Jump ahead without waiting, so charge jobs are sitting in Redis, then lose everything.
    await advanceTestClock(t.ctx.db, t.engine.queues, {
      to: new Date('2027-04-10T00:00:00Z'),
      wait: false,
      stepMs: DAY_MS,
      timeoutMs: 10_000,
    });
    const wiped = await wipeRedisPrefix(REDIS_URL, t.prefix);
    expect(wiped).toBeGreaterThan(0);
    await until(
      'the job schedulers to be restored',
      // The scan's scheduler on the maintenance queue, the reconciler's on its own queue.
      async () =>
        (await t.engine.queues.maintenance.getJobSchedulers()).length +
          (await t.engine.queues.reconcile.getJobSchedulers()).length ===
        2,
      15_000,
    );
    await waitQuiet(t.ctx.db, t.engine.queues, new Date('2027-04-10T00:00:00Z'), { timeoutMs: 30_000 });
    await t.advanceTo('2027-06-30T00:00:00Z');
    await wipeRedisPrefix(REDIS_URL, t.prefix);
    await t.advanceTo('2027-08-01T00:00:00Z');
    await expectEveryPeriodChargedOnce(t, ids);
  });

  it('Postgres restarted mid-run (every engine connection dropped, repeatedly): nothing missed, nothing doubled', async () => {
    const t = await startTestEngine({ start: '2027-04-30T06:00:00Z', env: { BILLING_SCAN_INTERVAL_MS: '1000' } });
    cleanups.push(() => t.stop());
    const plan = await makePlan(t.ctx, { interval: 'week' });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++)
      ids.push((await subscribe(t.ctx, plan, CARDS.success, { timeZone: 'Europe/London' })).subscriptionId);
    const admin = new pg.Client({ connectionString: t.dbUrl });
    await admin.connect();
    cleanups.push(() => admin.end());
    let dropped = 0;
    let restarts = 0;
    const killer = setInterval(() => {
      if (++restarts > 12) return;
      // What a Postgres restart looks like from the engine: every connection it holds dies.
      admin
        .query(
          'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
        )
        .then(
          (r: { rows: Array<{ n: number }> }) => {
            dropped += r.rows[0]?.n ?? 0;
          },
          () => {},
        );
    }, 400);
    try {
      // The clock driver itself shares the pool that is being cut: retry its steps.
      for (const to of ['2027-05-14T06:00:00Z', '2027-05-28T06:00:00Z', '2027-06-11T06:00:00Z']) {
        for (let tries = 0; ; tries++) {
          try {
            await advanceTestClock(t.ctx.db, t.engine.queues, {
              to: new Date(to),
              wait: true,
              stepMs: DAY_MS,
              timeoutMs: 30_000,
            });
            break;
          } catch (err) {
            if (tries > 50) throw err;
          }
        }
      }
    } finally {
      clearInterval(killer);
    }
    expect(dropped).toBeGreaterThan(0);
    // Outcomes lost with a connection are reconciled (the gateway has them); then the clock
    // driver sees nothing left, and every week is charged exactly once.
    await reconcileOpenAttempts({ ...t.ctx, wall: new ManualClock(new Date(Date.now() + 60_000)) });
    await t.advanceTo('2027-06-11T06:00:00Z');
    await expectEveryPeriodChargedOnce(t, ids);
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
    await expectEveryPeriodChargedOnce(t, ids);
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
