import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { cancelSubscription } from '../../../src/subscriptions/cancel.ts';
import { pauseSubscription, resumeSubscription } from '../../../src/subscriptions/pause.ts';
import { renewSubscription } from '../../../src/renewals/renew.ts';
import { runChargeJob } from '../../../src/renewals/jobs.ts';
import { upcomingInvoice } from '../../../src/subscriptions/upcoming.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { fetchLedger, paidOrdersOf } from '../../support/ledger.ts';

/** Pause, resume (new anchor, kept anchor, --until) and queued charge jobs that must not charge. */
describe('pause and resume', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2028-01-10T00:00:00Z' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const sub = async (id: string) => (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
  const invoicesOf = (id: string) =>
    t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, id)).orderBy(invoices.createdAt);
  const ledgerAmounts = async (invoiceId: string) =>
    (await paidOrdersOf(t.engine.sandbox!.url, invoiceId)).map((e) => `${e.amount} ${e.currency}`);
  const eventTypes = async (id: string) =>
    (await t.ctx.db.select({ type: events.type }).from(events).where(eq(events.subjectId, id)).orderBy(events.seq)).map(
      (e) => e.type,
    );

  it('no invoice while paused, however long; the unused paid time becomes credit; resume starts a new period at the resume time', async () => {
    const plan = await makePlan(t.ctx, { amount: '10.00' });
    const r = await subscribe(t.ctx, plan, CARDS.success);
    await t.advanceTo('2028-01-20T00:00:00Z');
    // Jan 10 → Feb 10 = 31 days, 10 used: R = 1000 × 10/31 = 322.58 → 323; unused 677 becomes credit.
    expect((await pauseSubscription(t.ctx, r.subscriptionId)).creditAdded).toBe(677);
    const before = (await fetchLedger(t.engine.sandbox!.url)).length;
    await t.advanceTo('2028-03-01T00:00:00Z'); // two period ends (02-10, 03-10) would have passed
    expect(await invoicesOf(r.subscriptionId)).toHaveLength(1);
    expect((await fetchLedger(t.engine.sandbox!.url)).length).toBe(before);
    expect((await sub(r.subscriptionId)).status).toBe('paused');

    const resumed = await resumeSubscription(t.ctx, r.subscriptionId);
    expect(resumed.status).toBe('active');
    // A new month at 10.00 minus the 6.77 credit.
    expect(await ledgerAmounts(resumed.invoiceId!)).toEqual(['3.23 USD']);
    expect((await sub(r.subscriptionId)).creditBalance).toBe(0);
    const s = await sub(r.subscriptionId);
    expect(s.anchor.toISOString()).toBe('2028-03-01T00:00:00.000Z');
    expect(s.currentPeriodEnd.toISOString()).toBe('2028-04-01T00:00:00.000Z');
    expect(s.nextRenewalAt?.toISOString()).toBe('2028-04-01T00:00:00.000Z');
    expect(await eventTypes(r.subscriptionId)).toEqual([
      'subscription.created',
      'subscription.activated',
      'subscription.paused',
      'subscription.resumed',
    ]);
    await expect(resumeSubscription(t.ctx, r.subscriptionId)).rejects.toThrow(/not paused/);
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('pause --until resumes by itself at that time, with the new period anchored there', async () => {
    const plan = await makePlan(t.ctx, { amount: '10.00' });
    const r = await subscribe(t.ctx, plan, CARDS.success); // 2028-03-01
    await t.advanceTo('2028-03-05T00:00:00Z');
    await expect(
      pauseSubscription(t.ctx, r.subscriptionId, { until: new Date('2028-03-01T00:00:00Z') }),
    ).rejects.toThrow(/until: .* \(rule: in the future\)/);
    // Mar 1 → Apr 1 = 31 days, 4 used: R = 129.03 → 129; credit 871.
    await pauseSubscription(t.ctx, r.subscriptionId, { until: new Date('2028-03-15T00:00:00Z') });
    await t.advanceTo('2028-03-16T00:00:00Z');
    const s = await sub(r.subscriptionId);
    expect(s.status).toBe('active');
    expect(s.anchor.toISOString()).toBe('2028-03-15T00:00:00.000Z');
    expect(s.currentPeriodEnd.toISOString()).toBe('2028-04-15T00:00:00.000Z');
    const resumeInvoice = (await invoicesOf(r.subscriptionId)).at(-1)!;
    expect(resumeInvoice.periodStart.toISOString()).toBe('2028-03-15T00:00:00.000Z');
    expect(await ledgerAmounts(resumeInvoice.id)).toEqual(['1.29 USD']);
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('resume --keep-anchor: the rest of the current period is covered by the pause credit; the paused days stay as credit', async () => {
    const plan = await makePlan(t.ctx, { amount: '10.00' });
    const r = await subscribe(t.ctx, plan, CARDS.success); // 2028-03-16 → 04-16 (31 days)
    await t.advanceTo('2028-03-20T00:00:00Z');
    // Paused after 4 of 31 days: R(4 d) = 129, credit 871.
    await pauseSubscription(t.ctx, r.subscriptionId);
    await t.advanceTo('2028-04-01T00:00:00Z');
    // Resumed after 16 days: R(16 d) = 516.13 → 516; the rest costs 484, taken from the credit.
    // Left: 871 − 484 = 387 = R(16 d) − R(4 d), exactly the 12 paused days.
    const resumed = await resumeSubscription(t.ctx, r.subscriptionId, { keepAnchor: true });
    expect(resumed.invoiceId).toBeNull();
    const s = await sub(r.subscriptionId);
    expect(s.creditBalance).toBe(387);
    expect(s.anchor.toISOString()).toBe('2028-03-16T00:00:00.000Z');
    expect(s.nextRenewalAt?.toISOString()).toBe('2028-04-16T00:00:00.000Z');
    expect((await upcomingInvoice(t.ctx, r.subscriptionId)).amountDue).toEqual({ amount: 613, currency: 'USD' });
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('a charge job already queued for a subscription that is then paused or canceled does not charge', async () => {
    const plan = await makePlan(t.ctx, { amount: '10.00' });
    const paused = await subscribe(t.ctx, plan, CARDS.success); // 2028-04-01 → 05-01
    const canceled = await subscribe(t.ctx, plan, CARDS.success);
    const periodEnd = (await sub(paused.subscriptionId)).currentPeriodEnd;
    // The scheduler's renewal ran and the job is in the queue (as the scan would enqueue it) …
    const jobs = [];
    for (const id of [paused.subscriptionId, canceled.subscriptionId]) {
      const renewed = await renewSubscription(t.ctx.db, id, periodEnd);
      expect(renewed.kind).toBe('invoiced');
      if (renewed.kind === 'invoiced') jobs.push({ invoiceId: renewed.invoiceId, attemptNo: renewed.attemptNo });
    }
    expect(jobs).toHaveLength(2);
    // … and before a worker takes it, the subscription is paused / canceled.
    await pauseSubscription(t.ctx, paused.subscriptionId);
    await cancelSubscription(t.ctx, canceled.subscriptionId);
    await t.advanceTo(new Date(periodEnd.getTime() + 1000));
    for (const job of jobs) {
      const result = await runChargeJob({ ctx: t.ctx, enqueueCharge: async () => {} }, job);
      expect(result).toEqual({ kind: 'skipped', reason: 'invoice_not_open' });
      expect((await fetchLedger(t.engine.sandbox!.url)).filter((e) => e.orderNo.startsWith(job.invoiceId))).toEqual([]);
    }
    expect((await sub(paused.subscriptionId)).status).toBe('paused');
    expect((await sub(canceled.subscriptionId)).status).toBe('canceled');
  });
});
