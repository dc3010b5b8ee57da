import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { events, invoices, subscriptions } from '../../../src/db/schema.ts';
import { applyCoupon, createCoupon } from '../../../src/coupons/coupons.ts';
import { upcomingInvoice } from '../../../src/subscriptions/upcoming.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { fetchLedger } from '../../support/ledger.ts';

/** Coupons on renewals: the ledger shows what `upcoming` said; a 100 % coupon is paid without a charge. */
describe('coupons', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2030-01-01T00:00:00Z' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const cycle = async (subId: string, index: number) =>
    (
      await t.ctx.db
        .select()
        .from(invoices)
        .where(and(eq(invoices.subscriptionId, subId), eq(invoices.periodIndex, index)))
    )[0]!;
  const charged = async (invoiceId: string) =>
    (await fetchLedger(t.engine.sandbox!.url))
      .filter((e) => e.orderNo.startsWith(`${invoiceId}-`))
      .map((e) => `${e.amount} ${e.status}`);

  it('a 100 % coupon once: the renewal is a zero invoice marked paid without any charge; the next one is charged in full', async () => {
    const plan = await makePlan(t.ctx, { amount: '10.00' });
    const r = await subscribe(t.ctx, plan, CARDS.success);
    await createCoupon(t.ctx, { code: 'FREE1', percentOff: '100', duration: 'once' });
    await applyCoupon(t.ctx, r.subscriptionId, 'FREE1');
    const up = await upcomingInvoice(t.ctx, r.subscriptionId);
    expect(up.amountDue).toEqual({ amount: 0, currency: 'USD' });
    await t.advanceTo('2030-02-01T00:00:00Z');
    const free = await cycle(r.subscriptionId, 1);
    expect(free).toMatchObject({ amount: 0, status: 'paid', attemptCount: 0 });
    expect(free.lines.map((l) => [l.kind, l.amount])).toEqual([
      ['plan', 1000],
      ['discount', -1000],
    ]);
    expect(await charged(free.id)).toEqual([]);
    const paidEvents = await t.ctx.db
      .select()
      .from(events)
      .where(and(eq(events.subjectId, free.id), eq(events.type, 'invoice.paid')));
    expect(paidEvents).toHaveLength(1);
    const s = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;
    expect(s).toMatchObject({ status: 'active', couponId: null });
    expect(s.nextRenewalAt?.toISOString()).toBe('2030-03-01T00:00:00.000Z');
    await t.advanceTo('2030-03-01T00:00:00Z');
    expect(await charged((await cycle(r.subscriptionId, 2)).id)).toEqual(['10.00 success']);
  });

  it('12.5 % for 2 invoices on 9.99: 8.74 twice (discount 1.24875 rounds half up to 1.25), then 9.99; as upcoming said', async () => {
    const plan = await makePlan(t.ctx, { amount: '9.99' });
    const r = await subscribe(t.ctx, plan, CARDS.success); // 2030-03-01
    await createCoupon(t.ctx, { code: 'EIGHTH', percentOff: '12.5', duration: 'repeating', periods: 2 });
    await applyCoupon(t.ctx, r.subscriptionId, 'EIGHTH');
    const seen: string[] = [];
    const previewed: number[] = [];
    for (const [i, to] of [
      [1, '2030-04-01T00:00:00Z'],
      [2, '2030-05-01T00:00:00Z'],
      [3, '2030-06-01T00:00:00Z'],
    ] as const) {
      previewed.push((await upcomingInvoice(t.ctx, r.subscriptionId)).amountDue.amount);
      await t.advanceTo(to);
      seen.push(...(await charged((await cycle(r.subscriptionId, i)).id)));
    }
    expect(previewed).toEqual([874, 874, 999]);
    expect(seen).toEqual(['8.74 success', '8.74 success', '9.99 success']);
  });

  it('bad coupons are refused by field, and a coupon in another currency cannot be applied', async () => {
    await expect(createCoupon(t.ctx, { code: 'X', duration: 'once' })).rejects.toThrow(/percent-off/);
    await expect(createCoupon(t.ctx, { code: 'X', percentOff: '150', duration: 'once' })).rejects.toThrow(
      /out of range/,
    );
    await expect(createCoupon(t.ctx, { code: 'X', amountOff: '5.00', duration: 'once' })).rejects.toThrow(/currency/);
    await expect(createCoupon(t.ctx, { code: 'X', percentOff: '5', duration: 'repeating' })).rejects.toThrow(/periods/);
    await expect(createCoupon(t.ctx, { code: 'X', percentOff: '5', duration: 'sometimes' })).rejects.toThrow(
      /duration/,
    );
    await createCoupon(t.ctx, { code: 'EUR5', amountOff: '5.00', currency: 'EUR', duration: 'forever' });
    const r = await subscribe(t.ctx, await makePlan(t.ctx, { amount: '10.00' }), CARDS.success);
    await expect(applyCoupon(t.ctx, r.subscriptionId, 'EUR5')).rejects.toThrow(/same currency/);
    await expect(createCoupon(t.ctx, { code: 'EUR5', percentOff: '5', duration: 'once' })).rejects.toThrow(
      /already exists/,
    );
  });
});
