/**
 * A charge job whose hash survived in Redis while its place in the queue was lost (a wipe racing
 * an enqueue; found by the fault suite at 2,000 subscriptions) makes every re-enqueue of the same
 * job id a silent no-op: the invoice would never be charged. The scan notices an invoice that
 * stays due without an attempt, checks its job, and puts a stray one back in the queue.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { invoices } from '../../../src/db/schema.ts';
import { scanDueWork, type ScanDeps } from '../../../src/renewals/scan.ts';
import { StuckDueTracker, STUCK_DUE_AFTER_MS } from '../../../src/renewals/stuckDue.ts';
import { chargeJobId } from '../../../src/queue/names.ts';
import { setTestClock } from '../../../src/testClock/store.ts';
import { makePlan, startTestEngine, subscribe, type TestEngine } from '../../support/engine.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
let t: TestEngine;
let redis: Redis;
beforeAll(async () => {
  // No scheduler and no charge worker: only this test's scans touch the queue.
  t = await startTestEngine({ start: '2031-04-10T10:00:00Z', parts: { scheduler: false, charge: false } });
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await redis.quit();
  await t.stop();
});

it('an invoice whose job hash lost its place in the queue is put back after it stayed due', async () => {
  const plan = await makePlan(t.ctx, { interval: 'month' });
  const r = await subscribe(t.ctx, plan);
  expect(r.status).toBe('active');
  const renewalAt = new Date('2031-05-10T10:00:00Z');
  await setTestClock(t.ctx.db, renewalAt);

  let wall = 1_000_000;
  const stuck = new StuckDueTracker();
  const deps: ScanDeps = {
    db: t.ctx.db,
    enqueueCharge: (j) => t.engine.queues.enqueueCharge(j),
    batchSize: 100,
    stuck,
    repairCharge: (j) => t.engine.queues.repairCharge(j),
    wallNow: () => wall,
  };
  const first = await scanDueWork(deps, renewalAt);
  expect(first.renewed).toBe(1);
  const renewal = (
    await t.ctx.db
      .select()
      .from(invoices)
      .where(and(eq(invoices.subscriptionId, r.subscriptionId), eq(invoices.periodIndex, 1)))
  )[0];
  expect(renewal?.status).toBe('open');
  const jobId = chargeJobId(renewal!.id, 1);
  expect(await t.engine.queues.charge.getJobState(jobId)).toBe('waiting');

  // Redis loses the queue's list but keeps the job's hash.
  expect(await redis.del(`${t.prefix}:charge:wait`)).toBe(1);
  expect(await t.engine.queues.charge.getJobState(jobId)).toBe('unknown');

  // Re-enqueueing the same id is a no-op: the job stays lost.
  wall += 1_000;
  const second = await scanDueWork(deps, renewalAt);
  expect(second.repaired).toBe(0);
  expect(await t.engine.queues.charge.getJobState(jobId)).toBe('unknown');

  // Still due, still no attempt, long enough: the scan checks the job and puts it back.
  wall += STUCK_DUE_AFTER_MS;
  const third = await scanDueWork(deps, renewalAt);
  expect(third.repaired).toBe(1);
  expect(await t.engine.queues.charge.getJobState(jobId)).toBe('waiting');
  expect((await t.engine.queues.charge.getJob(jobId))?.data).toEqual({ invoiceId: renewal!.id, attemptNo: 1 });

  // A healthy waiting job is left alone.
  wall += STUCK_DUE_AFTER_MS;
  const fourth = await scanDueWork(deps, renewalAt);
  expect(fourth.repaired).toBe(0);
});
