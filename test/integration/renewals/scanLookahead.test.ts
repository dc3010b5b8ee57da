import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { scanDueWork, SCAN_FOLLOW_UP_MS, type ScanDeps } from '../../../src/renewals/scan.ts';
import { runMaintenanceJob } from '../../../src/renewals/jobs.ts';
import { chargeInvoice } from '../../../src/renewals/charge.ts';
import { cancelSubscription } from '../../../src/subscriptions/cancel.ts';
import { setTestClock } from '../../../src/testClock/store.ts';
import { chargeJobId, type ChargeJob } from '../../../src/queue/names.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';

/**
 * The scan's bounded look-ahead (BILLING_SCAN_MAX_QUEUED): a month start with more due
 * renewals than the look-ahead renews them all in Postgres at once but lets at most about
 * maxQueued charge jobs wait in Redis; follow-up scans hand over the rest as workers drain
 * the queue, until every due invoice has been charged exactly once. The queue here is an
 * in-memory stand-in with BullMQ's job-id semantics (adding an existing id is a no-op); the
 * "workers" are chargeInvoice calls, and the sandbox's ledger is the judge.
 */
const START = '2027-03-10T09:00:00Z';
const SUBS = 13;
const MAX_QUEUED = 4;

describe('scan look-ahead', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({
      start: START,
      parts: { scheduler: false, charge: false },
      sandboxNotify: { delayMs: 600_000 },
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('renews every due subscription at once, keeps at most 1.5 × maxQueued jobs queued, and charges each due invoice exactly once', async () => {
    const plan = await makePlan(t.ctx);
    const subs = [];
    for (let i = 0; i < SUBS; i++) subs.push(await subscribe(t.ctx, plan, CARDS.success));
    expect(subs.every((s) => s.status === 'active')).toBe(true);
    // One of them ends at its period boundary instead of renewing (the one-by-one path).
    const ending = subs[0]!.subscriptionId;
    await cancelSubscription(t.ctx, ending, { atPeriodEnd: true });
    const ids = subs.map((s) => s.subscriptionId);
    const end = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, ending)))[0]!.currentPeriodEnd;
    const at = new Date(end.getTime() + 60_000);
    await setTestClock(t.ctx.db, at);

    const queue = new Map<string, ChargeJob>();
    const put = (j: ChargeJob) => {
      const id = chargeJobId(j.invoiceId, j.attemptNo);
      if (!queue.has(id)) queue.set(id, j);
    };
    const deps: ScanDeps = {
      db: t.ctx.db,
      batchSize: 5,
      enqueueCharge: async (j) => put(j),
      enqueueCharges: async (js) => js.forEach(put),
      queuedCharges: async () => queue.size,
      maxQueued: MAX_QUEUED,
    };

    const first = await scanDueWork(deps, at);
    // Postgres: every due subscription renewed (or ended) in this one scan.
    expect(first.renewed).toBe(SUBS - 1);
    expect(first.ended).toBe(1);
    // Redis: only the look-ahead; the rest waits in Postgres and the scan asks to be run again.
    expect(queue.size).toBe(MAX_QUEUED);
    expect(first.deferred).toBe(SUBS - 1 - MAX_QUEUED);
    expect(first.more).toBe(true);

    const charged = new Set<string>();
    let rounds = 0;
    let last = first;
    while (last.more || queue.size > 0) {
      rounds += 1;
      expect(rounds).toBeLessThan(20);
      // The workers take up to three jobs, then the follow-up scan tops the queue up.
      for (const [id, job] of [...queue].slice(0, 3)) {
        queue.delete(id);
        const r = await chargeInvoice(t.ctx, job.invoiceId, { expectAttemptNo: job.attemptNo });
        if (r.kind === 'attempted') {
          expect(charged.has(job.invoiceId)).toBe(false);
          charged.add(job.invoiceId);
        }
      }
      last = await scanDueWork(deps, at);
      expect(queue.size).toBeLessThanOrEqual(MAX_QUEUED * 1.5);
    }
    expect(rounds).toBeGreaterThan(1);
    expect(charged.size).toBe(SUBS - 1);

    // Exactly one renewal invoice per renewed subscription, paid once at the gateway, and one
    // invoice.created event for each (written by the batch in the same transaction).
    const renewals = await t.ctx.db
      .select()
      .from(invoices)
      .where(and(inArray(invoices.subscriptionId, ids), eq(invoices.periodIndex, 1)));
    expect(renewals).toHaveLength(SUBS - 1);
    expect(renewals.every((i) => i.status === 'paid')).toBe(true);
    expect(renewals.some((i) => i.subscriptionId === ending)).toBe(false);
    const ledger = t.engine.sandbox!.ledger();
    for (const inv of renewals) {
      expect(ledger.filter((l) => l.orderNo.startsWith(inv.id) && l.status === 'success')).toHaveLength(1);
    }
    const created = await t.ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(events)
      .where(
        and(
          eq(events.type, 'invoice.created'),
          inArray(
            events.subjectId,
            renewals.map((r) => r.id),
          ),
        ),
      );
    expect(created[0]?.n).toBe(SUBS - 1);
    const ended = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, ending)))[0]!;
    expect(ended.status).toBe('canceled');
  });

  it('a scan that finds the charge queue full asks for a follow-up scan soon, and one with room does not', async () => {
    const asked: number[] = [];
    const deps = (queued: number) => ({
      ctx: t.ctx,
      enqueueCharge: async () => {},
      enqueueCharges: async () => {},
      queuedCharges: async () => queued,
      scheduleScan: async (ms: number) => {
        asked.push(ms);
      },
    });
    const full = await runMaintenanceJob(deps(t.config.scanMaxQueued), { kind: 'scan' });
    expect(full).toMatchObject({ more: true });
    expect(asked).toEqual([SCAN_FOLLOW_UP_MS]);
    const room = await runMaintenanceJob(deps(0), { kind: 'scan' });
    expect(room).toMatchObject({ more: false });
    expect(asked).toEqual([SCAN_FOLLOW_UP_MS]);
  });
});
