import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { invoices, subscriptions } from '../../../src/db/schema.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { paidOrdersOf } from '../../support/ledger.ts';

/** A five-year contract anchored on a leap day, renewed once on the test clock. */
describe('multi-year terms', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: '2028-02-29T09:00:00Z' });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('renews a 5-year plan on 2033-02-28 (common year), charged once, and the next term ends on 2038-02-28', async () => {
    const plan = await makePlan(t.ctx, { amount: '4999.00', interval: 'year', intervalCount: 5 });
    const r = await subscribe(t.ctx, plan, CARDS.success);
    expect(r.status).toBe('active');
    const s0 = (await t.ctx.db.select().from(subscriptions).where(eq(subscriptions.id, r.subscriptionId)))[0]!;
    expect(s0.currentPeriodEnd.toISOString()).toBe('2033-02-28T09:00:00.000Z');
    await t.advanceTo('2033-03-01T00:00:00Z', { stepMs: 30 * 24 * 3600 * 1000 });
    const invs = await t.ctx.db.select().from(invoices).where(eq(invoices.subscriptionId, r.subscriptionId));
    expect(invs.map((i) => [i.periodIndex, i.periodStart.toISOString(), i.status]).sort()).toEqual([
      [0, '2028-02-29T09:00:00.000Z', 'paid'],
      [1, '2033-02-28T09:00:00.000Z', 'paid'],
    ]);
    const renewal = invs.find((i) => i.periodIndex === 1)!;
    expect((await paidOrdersOf(t.engine.sandbox!.url, renewal.id)).map((o) => o.amount)).toEqual(['4999.00']);
    expect(renewal.periodEnd.toISOString()).toBe('2038-02-28T09:00:00.000Z');
  });
});
