import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { cancelSubscription, reactivateSubscription } from '../../../src/subscriptions/cancel.ts';
import { changePlan } from '../../../src/subscriptions/planChange.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { paidOrdersOf } from '../../support/ledger.ts';

/** Cancel now with a prorated refund of the unused part, and reactivating a cancel-at-period-end. */
describe('cancel --refund-unused and reactivate', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2029-06-01T00:00:00Z' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const sub = async (id: string) => (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;
  const gatewayRefunds = async (invoiceId: string) => {
    const tradeNos = (await paidOrdersOf(t.engine.sandbox!.url, invoiceId)).map((o) => o.tradeNo);
    return t.engine
      .sandbox!.dump()
      .refunds.filter((r) => tradeNos.includes(r.tradeNo))
      .map((r) => `${r.refundAmount} ${r.currency}`);
  };

  it('refunds the unused two thirds of a 30-day period', async () => {
    const r = await subscribe(t.ctx, await makePlan(t.ctx, { amount: '30.00' }), CARDS.success); // June: 30 days
    await t.advanceTo('2029-06-11T00:00:00Z');
    // 10 of 30 days used: R = 3000 × 1/3 = 1000; unused 2000.
    const done = await cancelSubscription(t.ctx, r.subscriptionId, { refundUnused: true });
    expect(done.refunds.map((x) => [x.amount, x.status])).toEqual([[2000, 'succeeded']]);
    expect(await gatewayRefunds(r.invoiceId!)).toEqual(['20.00 USD']);
    expect((await sub(r.subscriptionId)).status).toBe('canceled');
    const inv = (await t.ctx.db.select().from(invoices).where(eq(invoices.id, r.invoiceId!)))[0]!;
    expect(inv.amountRefunded).toBe(2000);
  });

  it('after a mid-period upgrade both the period invoice and the proration invoice are refunded their unused part', async () => {
    await t.advanceTo('2029-07-01T00:00:00Z');
    const small = await makePlan(t.ctx, { amount: '10.00' });
    const big = await makePlan(t.ctx, { amount: '30.00' });
    const r = await subscribe(t.ctx, small, CARDS.success); // July: 31 days
    await t.advanceTo('2029-07-16T12:00:00Z');
    const up = await changePlan(t.ctx, r.subscriptionId, { planCode: big }); // 15.00 − 5.00 = 10.00
    expect(await paidOrdersOf(t.engine.sandbox!.url, up.invoiceId!)).toHaveLength(1);
    await t.advanceTo('2029-07-24T06:00:00Z');
    // Period invoice (10.00, 31 d): 23.25 d used → R = 750 → 250 back.
    // Proration invoice (10.00 for 07-16 12:00 → 08-01, 15.5 d): 7.75 d used → R = 500 → 500 back.
    // Together 7.50 = the last quarter of the month at 30.00.
    const done = await cancelSubscription(t.ctx, r.subscriptionId, { refundUnused: true });
    expect(done.refunds.map((x) => [x.invoiceId, x.amount, x.status])).toEqual([
      [r.invoiceId, 250, 'succeeded'],
      [up.invoiceId, 500, 'succeeded'],
    ]);
    expect(await gatewayRefunds(r.invoiceId!)).toEqual(['2.50 USD']);
    expect(await gatewayRefunds(up.invoiceId!)).toEqual(['5.00 USD']);
  });

  it('in the last second of a period there is nothing to refund; --refund-unused with --at-period-end is refused', async () => {
    await t.advanceTo('2029-08-01T00:00:00Z');
    const r = await subscribe(t.ctx, await makePlan(t.ctx, { amount: '30.00' }), CARDS.success);
    await expect(
      cancelSubscription(t.ctx, r.subscriptionId, { atPeriodEnd: true, refundUnused: true }),
    ).rejects.toThrow(/refund-unused/);
    await t.advanceTo('2029-08-31T23:59:59Z');
    const done = await cancelSubscription(t.ctx, r.subscriptionId, { refundUnused: true });
    expect(done.refunds).toEqual([]);
    expect(await gatewayRefunds(r.invoiceId!)).toEqual([]);
  });

  it('reactivate undoes cancel --at-period-end: the period renews and is charged; a canceled one cannot be reactivated', async () => {
    const r = await subscribe(t.ctx, await makePlan(t.ctx, { amount: '10.00' }), CARDS.success); // 08-31 23:59:59
    await cancelSubscription(t.ctx, r.subscriptionId, { atPeriodEnd: true });
    await reactivateSubscription(t.ctx, r.subscriptionId);
    await expect(reactivateSubscription(t.ctx, r.subscriptionId)).rejects.toThrow(/not set to cancel/);
    const end = (await sub(r.subscriptionId)).currentPeriodEnd;
    await t.advanceTo(new Date(end.getTime() + 1000));
    const s = await sub(r.subscriptionId);
    expect(s).toMatchObject({ status: 'active', currentPeriodIndex: 1, cancelAtPeriodEnd: false });
    const renewal = (await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, r.subscriptionId))).find(
      (i) => i.periodIndex === 1,
    );
    expect((await paidOrdersOf(t.engine.sandbox!.url, renewal!.id)).map((o) => o.amount)).toEqual(['10.00']);
    const types = (
      await t.ctx.db.select({ type: events.type }).from(events).where(eq(events.subjectId, r.subscriptionId))
    ).map((e) => e.type);
    expect(types).toContain('subscription.reactivated');
    await cancelSubscription(t.ctx, r.subscriptionId);
    await expect(reactivateSubscription(t.ctx, r.subscriptionId)).rejects.toThrow(/cannot be reactivated/);
  });

  it('across the fall-back DST change (New York) and in JPY, the refund uses real seconds and whole yen', async () => {
    await t.advanceTo('2029-10-05T04:00:00Z'); // 00:00 EDT
    const usd = await makePlan(t.ctx, { amount: '31.00' });
    const jpy = await makePlan(t.ctx, { amount: '1000', currency: 'JPY' });
    const ny = await subscribe(t.ctx, usd, CARDS.success, { timeZone: 'America/New_York' });
    const yen = await subscribe(t.ctx, jpy, CARDS.success);
    await t.advanceTo('2029-10-20T04:00:00Z');
    // New York: Oct 5 00:00 EDT → Nov 5 00:00 EST = 31 d + 1 h = 2,682,000 s; 15 d used:
    // R = 3100 × 1,296,000 / 2,682,000 = 1497.99 → 1498; refund 3100 − 1498 = 1602.
    const a = await cancelSubscription(t.ctx, ny.subscriptionId, { refundUnused: true });
    expect(a.refunds.map((x) => x.amount)).toEqual([1602]);
    expect(await gatewayRefunds(ny.invoiceId!)).toEqual(['16.02 USD']);
    // JPY, UTC: 31 days, 15 used: R = 1000 × 15/31 = 483.87 → 484; refund 516 yen.
    const b = await cancelSubscription(t.ctx, yen.subscriptionId, { refundUnused: true });
    expect(b.refunds.map((x) => x.amount)).toEqual([516]);
    expect(await gatewayRefunds(yen.invoiceId!)).toEqual(['516 JPY']);
  });
});
