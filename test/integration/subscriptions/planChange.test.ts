import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { invoices, subscriptions } from '../../../src/db/schema.ts';
import { cancelSubscription } from '../../../src/subscriptions/cancel.ts';
import { changePlan, previewPlanChange } from '../../../src/subscriptions/planChange.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { paidOrdersOf, fetchLedger } from '../../support/ledger.ts';

/**
 * Plan changes on the test clock, at awkward moments, each checked against the sandbox's
 * ledger: what the preview said is what AsiaBill charged, to the minor unit. Expected amounts
 * are worked by hand in the comments (rule: docs/lifecycle.md, R(s) = round_half_up(p·s/T)).
 * Tests run in calendar order on one clock; each cancels its subscription when done.
 */
describe('plan changes with proration', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2027-01-31T12:00:00Z' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const sub = async (id: string) => (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
  const cycleInvoice = async (id: string, periodStart: string) =>
    (await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, id))).find(
      (i) => i.kind === 'cycle' && i.periodStart.toISOString() === periodStart,
    );
  const ledgerAmounts = async (invoiceId: string) =>
    (await paidOrdersOf(t.engine.sandbox!.url, invoiceId)).map((e) => `${e.amount} ${e.currency}`);

  it('upgrade mid-period on a month-end anchor: preview = the Recurring charge = the ledger; the renewal uses the new price', async () => {
    const basic = await makePlan(t.ctx, { amount: '10.00' });
    const pro = await makePlan(t.ctx, { amount: '30.00' });
    const r = await subscribe(t.ctx, basic, CARDS.success); // anchored 2027-01-31T12:00Z
    await t.advanceTo('2027-02-14T12:00:00Z');
    // Period Jan 31 → Feb 28 = 28 days; half used. Unused 10.00 → 5.00; remaining 30.00 → 15.00.
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: pro });
    expect(preview.now.amountDue).toEqual({ amount: 1000, currency: 'USD' });
    expect(preview.now.lines.map((l) => l.amount)).toEqual([1500, -500]);
    expect(preview.next.amountDue).toEqual({ amount: 3000, currency: 'USD' });
    expect(preview.next.periodStart.toISOString()).toBe('2027-02-28T12:00:00.000Z');

    const done = await changePlan(t.ctx, r.subscriptionId, { planCode: pro });
    expect(done.quote).toEqual(preview);
    expect(done.charge).toMatchObject({ kind: 'attempted', status: 'succeeded', tokenType: 'Recurring' });
    expect(await ledgerAmounts(done.invoiceId!)).toEqual(['10.00 USD']);
    const s = await sub(r.subscriptionId);
    expect(s).toMatchObject({ status: 'active', amount: 3000, creditBalance: 0 });
    expect(s.anchor.toISOString()).toBe('2027-01-31T12:00:00.000Z');

    await t.advanceTo('2027-02-28T12:00:00Z');
    const renewal = await cycleInvoice(r.subscriptionId, '2027-02-28T12:00:00.000Z');
    expect(renewal?.status).toBe('paid');
    expect(await ledgerAmounts(renewal!.id)).toEqual(['30.00 USD']);
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('across DST in New York: the period is 3,600 s short and the proration uses real seconds', async () => {
    await t.advanceTo('2027-03-01T05:00:00Z'); // 2027-03-01 00:00 EST
    const a = await makePlan(t.ctx, { amount: '31.00' });
    const b = await makePlan(t.ctx, { amount: '62.00' });
    const r = await subscribe(t.ctx, a, CARDS.success, { timeZone: 'America/New_York' });
    await t.advanceTo('2027-03-16T04:00:00Z'); // 03-16 00:00 EDT, after the spring-forward of 03-14
    // T = 31 d − 1 h = 2,674,800 s; e = 15 d − 1 h = 1,292,400 s.
    // Unused 31.00: 3100 − round(3100·e/T = 1497.85) = 1602. Remaining 62.00: 6200 − round(2995.69) = 3204.
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: b });
    expect(preview.proration).toMatchObject({ totalSeconds: 2_674_800, elapsedSeconds: 1_292_400 });
    expect(preview.now.lines.map((l) => l.amount)).toEqual([3204, -1602]);
    expect(preview.now.amountDue).toEqual({ amount: 1602, currency: 'USD' });
    const done = await changePlan(t.ctx, r.subscriptionId, { planCode: b });
    expect(await ledgerAmounts(done.invoiceId!)).toEqual(['16.02 USD']);
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('downgrade leaves a credit that the next invoice uses: the ledger shows the reduced renewal', async () => {
    await t.advanceTo('2027-04-03T00:00:00Z');
    const big = await makePlan(t.ctx, { amount: '30.00' });
    const small = await makePlan(t.ctx, { amount: '10.00' });
    const r = await subscribe(t.ctx, big, CARDS.success);
    await t.advanceTo('2027-04-25T12:00:00Z');
    // Apr 3 → May 3 = 30 days, 22.5 used = 3/4. Unused 30.00 → 7.50; remaining 10.00 → 2.50; credit 5.00.
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: small });
    expect(preview.now).toMatchObject({ amountDue: { amount: 0, currency: 'USD' }, creditAdded: 500 });
    expect(preview.next.amountDue).toEqual({ amount: 500, currency: 'USD' });
    expect(preview.next.lines.map((l) => [l.kind, l.amount])).toEqual([
      ['plan', 1000],
      ['credit', -500],
    ]);
    const before = (await fetchLedger(t.engine.sandbox!.url)).length;
    const done = await changePlan(t.ctx, r.subscriptionId, { planCode: small });
    expect(done.invoiceId).toBeNull();
    expect((await fetchLedger(t.engine.sandbox!.url)).length).toBe(before);
    expect((await sub(r.subscriptionId)).creditBalance).toBe(500);

    await t.advanceTo('2027-05-03T00:00:00Z');
    const renewal = await cycleInvoice(r.subscriptionId, '2027-05-03T00:00:00.000Z');
    expect(await ledgerAmounts(renewal!.id)).toEqual(['5.00 USD']);
    expect((await sub(r.subscriptionId)).creditBalance).toBe(0);
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('JPY (no minor unit): amounts are whole yen', async () => {
    await t.advanceTo('2027-06-01T00:00:00Z');
    const a = await makePlan(t.ctx, { amount: '1000', currency: 'JPY' });
    const b = await makePlan(t.ctx, { amount: '3000', currency: 'JPY' });
    const r = await subscribe(t.ctx, a, CARDS.success);
    await t.advanceTo('2027-06-02T00:00:00Z');
    // June = 30 days, 1 used. Unused 1000 − round(33.33) = 967; remaining 3000 − 100 = 2900; due 1933.
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: b });
    expect(preview.now.amountDue).toEqual({ amount: 1933, currency: 'JPY' });
    const done = await changePlan(t.ctx, r.subscriptionId, { planCode: b });
    expect(await ledgerAmounts(done.invoiceId!)).toEqual(['1933 JPY']);
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('monthly → yearly starts a new anchor at the change and invoices the year minus the unused month', async () => {
    await t.advanceTo('2027-07-01T00:00:00Z');
    const monthly = await makePlan(t.ctx, { amount: '10.00' });
    const yearly = await makePlan(t.ctx, { amount: '100.00', interval: 'year' });
    const r = await subscribe(t.ctx, monthly, CARDS.success);
    await t.advanceTo('2027-07-16T12:00:00Z');
    // July = 31 days, 15.5 used = half: unused 5.00; due 100.00 − 5.00 = 95.00.
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: yearly });
    expect(preview.now.amountDue).toEqual({ amount: 9500, currency: 'USD' });
    expect(preview.newAnchor?.toISOString()).toBe('2027-07-16T12:00:00.000Z');
    expect(preview.next.periodStart.toISOString()).toBe('2028-07-16T12:00:00.000Z');
    const done = await changePlan(t.ctx, r.subscriptionId, { planCode: yearly });
    expect(await ledgerAmounts(done.invoiceId!)).toEqual(['95.00 USD']);
    const s = await sub(r.subscriptionId);
    expect(s).toMatchObject({ interval: 'year', currentPeriodIndex: 0, status: 'active' });
    expect(s.currentPeriodEnd.toISOString()).toBe('2028-07-16T12:00:00.000Z');
    expect(s.nextRenewalAt?.toISOString()).toBe('2028-07-16T12:00:00.000Z');
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('--when period-end: nothing now; the renewal charges the new plan, as previewed', async () => {
    await t.advanceTo('2027-08-01T00:00:00Z');
    const a = await makePlan(t.ctx, { amount: '10.00' });
    const b = await makePlan(t.ctx, { amount: '30.00' });
    const r = await subscribe(t.ctx, a, CARDS.success);
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: b, when: 'period_end' });
    expect(preview.now.amountDue.amount).toBe(0);
    expect(preview.next.amountDue).toEqual({ amount: 3000, currency: 'USD' });
    // Scheduling the current plan again cancels the scheduled change; then schedule it for real.
    await changePlan(t.ctx, r.subscriptionId, { planCode: b, when: 'period_end' });
    const undone = await changePlan(t.ctx, r.subscriptionId, { planCode: a, when: 'period_end' });
    expect(undone.quote.next.amountDue.amount).toBe(1000);
    expect((await sub(r.subscriptionId)).pendingPlanId).toBeNull();
    const done = await changePlan(t.ctx, r.subscriptionId, { planCode: b, when: 'period_end' });
    expect(done.quote).toEqual(preview);
    expect(done.invoiceId).toBeNull();
    expect((await sub(r.subscriptionId)).amount).toBe(1000);
    await t.advanceTo('2027-09-01T00:00:00Z');
    const renewal = await cycleInvoice(r.subscriptionId, '2027-09-01T00:00:00.000Z');
    expect(await ledgerAmounts(renewal!.id)).toEqual(['30.00 USD']);
    const s = await sub(r.subscriptionId);
    expect(s).toMatchObject({ amount: 3000, pendingPlanId: null });
    await cancelSubscription(t.ctx, r.subscriptionId);
  });

  it('in the last second of a period a change costs and credits nothing; a different currency or a past-due subscription is refused', async () => {
    const a = await makePlan(t.ctx, { amount: '30.00' });
    const b = await makePlan(t.ctx, { amount: '10.00' });
    const eur = await makePlan(t.ctx, { amount: '10.00', currency: 'EUR' });
    const r = await subscribe(t.ctx, a, CARDS.success); // 2027-09-01 → 10-01 (30 days)
    await t.advanceTo('2027-09-30T23:59:59Z');
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: b });
    expect(preview.proration).toMatchObject({ remainingSeconds: 1, unusedOld: 0, remainingNew: 0 });
    expect(preview.now).toMatchObject({ amountDue: { amount: 0, currency: 'USD' }, creditAdded: 0 });
    await expect(previewPlanChange(t.ctx, r.subscriptionId, { planCode: eur })).rejects.toThrow(/same currency/);
    await cancelSubscription(t.ctx, r.subscriptionId);
    await expect(changePlan(t.ctx, r.subscriptionId, { planCode: b })).rejects.toThrow(/canceled/);
  });

  it('a declined upgrade charge goes through dunning like a renewal: past_due, retry scheduled, no second invoice', async () => {
    const a = await makePlan(t.ctx, { amount: '10.00' });
    const b = await makePlan(t.ctx, { amount: '30.00' });
    const r = await subscribe(t.ctx, a, CARDS.approveThenDecline); // InitRecurring approved
    const preview = await previewPlanChange(t.ctx, r.subscriptionId, { planCode: b });
    expect(preview.now.amountDue).toEqual({ amount: 2000, currency: 'USD' }); // nothing used yet
    const done = await changePlan(t.ctx, r.subscriptionId, { planCode: b });
    expect(done.charge).toMatchObject({ kind: 'attempted', status: 'failed' });
    const orders = (await fetchLedger(t.engine.sandbox!.url)).filter((e) => e.orderNo.startsWith(`${done.invoiceId}-`));
    expect(orders.map((o) => `${o.amount} ${o.status}`)).toEqual(['20.00 fail']);
    const s = await sub(r.subscriptionId);
    expect(s.status).toBe('past_due');
    const inv = (await t.ctx.db.select().from(invoices).where(eq(invoices.id, done.invoiceId!)))[0]!;
    expect(inv).toMatchObject({ status: 'open', kind: 'proration' });
    expect(inv.nextAttemptAt).not.toBeNull();
    await cancelSubscription(t.ctx, r.subscriptionId);
  });
});
