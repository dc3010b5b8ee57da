import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { subscriptions, paymentMethods } from '../../../src/db/schema.ts';
import { boundary, type Interval } from '../../../src/billing/periods.ts';
import { parseAmount, toAsiabillOrderAmount } from '../../../src/money.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';

/**
 * The acceptance run: 100+ subscriptions over several plans, month-end anchors and time
 * zones, advanced 12 months on the test clock against the sandbox over real HTTP. The
 * sandbox's own ledger must hold exactly the expected successful charges per subscription:
 * the first InitRecurring, the rest Recurring, with the right amounts and period dates.
 */
const START = '2027-01-31T10:00:00Z';
const END = '2028-01-31T10:00:00Z';
const ZONES = ['UTC', 'America/New_York', 'Asia/Shanghai', 'Australia/Sydney', 'Europe/London'];

describe('a year of renewals, end to end', () => {
  let t: TestEngine;
  beforeAll(async () => {
    t = await startTestEngine({ start: START });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('charges every period exactly once, in order, with the right token type, amount and dates', {
    timeout: 300_000,
  }, async () => {
    const ctx = t.ctx;
    const plans = [
      {
        code: await makePlan(ctx, { amount: '19.99', currency: 'USD', interval: 'month' }),
        amount: '19.99',
        currency: 'USD',
      },
      {
        code: await makePlan(ctx, { amount: '199.00', currency: 'USD', interval: 'year' }),
        amount: '199.00',
        currency: 'USD',
      },
      {
        code: await makePlan(ctx, { amount: '4.99', currency: 'EUR', interval: 'week' }),
        amount: '4.99',
        currency: 'EUR',
      },
      {
        code: await makePlan(ctx, { amount: '1500', currency: 'JPY', interval: 'month' }),
        amount: '1500',
        currency: 'JPY',
      },
      {
        code: await makePlan(ctx, { amount: '99.00', currency: 'USD', interval: 'month', intervalCount: 3 }),
        amount: '99.00',
        currency: 'USD',
      },
    ];
    const signUps = [START, '2027-02-28T23:30:00Z', '2027-03-15T04:00:00Z'];
    let i = 0;
    for (const at of signUps) {
      if (at !== START) await t.advanceTo(at);
      for (let k = 0; k < 36; k++, i++) {
        const plan = plans[i % plans.length]!;
        const r = await subscribe(ctx, plan.code, CARDS.success, { timeZone: ZONES[i % ZONES.length] });
        expect(r.status).toBe('active');
      }
    }
    await t.advanceTo(END);

    const subs = await ctx.db
      .select({ s: subscriptions, pm: paymentMethods })
      .from(subscriptions)
      .innerJoin(paymentMethods, eq(paymentMethods.id, subscriptions.paymentMethodId));
    expect(subs.length).toBe(108);
    const ledger = t.engine.sandbox!.ledger();
    let expectedTotal = 0;
    for (const { s, pm } of subs) {
      const schedule = {
        anchor: s.anchor,
        interval: s.interval as Interval,
        intervalCount: s.intervalCount,
        timeZone: s.timeZone,
      };
      const expectedStarts: string[] = [];
      for (let n = 0; boundary(schedule, n).getTime() <= new Date(END).getTime(); n++)
        expectedStarts.push(boundary(schedule, n).toISOString());
      expectedTotal += expectedStarts.length;
      const charges = ledger.filter((l) => l.pmId === pm.asiabillPaymentMethodId && l.status === 'success');
      expect(charges.map((c) => c.tokenType)).toEqual([
        'InitRecurring',
        ...Array(expectedStarts.length - 1).fill('Recurring'),
      ]);
      const amount = toAsiabillOrderAmount({ amount: s.amount, currency: s.currency });
      expect(new Set(charges.map((c) => `${c.amount} ${c.currency}`))).toEqual(new Set([`${amount} ${s.currency}`]));
      // The remark carries the period start the engine charged for: in order, no gap, no repeat.
      expect(charges.map((c) => /period (\S+)/.exec(c.remark ?? '')?.[1])).toEqual(expectedStarts);
    }
    expect(ledger.filter((l) => l.status === 'success').length).toBe(expectedTotal);
    expect(ledger.filter((l) => l.status !== 'success').length).toBe(0);
    // Sanity on the money round trip used above.
    expect(toAsiabillOrderAmount(parseAmount('1500', 'JPY'))).toBe('1500');
  });
});
