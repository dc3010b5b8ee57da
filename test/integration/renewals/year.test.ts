import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { subscriptions } from '../../../src/db/schema.ts';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';

/**
 * The acceptance run: 100+ subscriptions over several plans, month-end anchors and time
 * zones, advanced 12 months on the test clock against the sandbox over real HTTP. The
 * sandbox's own ledger must hold exactly the expected successful charges per subscription:
 * the first InitRecurring, the rest Recurring, with the right amounts and period dates.
 *
 * Nothing expected is read back from the engine: amounts are the plan prices as written
 * below, and period starts come from hand-written tables (four schedules) and, for every
 * subscription, from an independent calendar computation with luxon's own month/week/year
 * arithmetic from the sign-up instant (no src/billing/periods.ts).
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

  /**
   * Independent calendar computation: boundary n is the anchor's local date and time in the
   * zone plus n × count units (luxon clamps Jan 31 + 1 month to Feb 28, keeps the wall time
   * across DST), all boundaries up to and including END. None of these schedules has a wall
   * time in a DST gap or overlap, where luxon's and the engine's resolutions could differ.
   */
  function calendarStarts(anchor: string, zone: string, unit: 'months' | 'weeks' | 'years', count: number): string[] {
    const a = DateTime.fromISO(anchor, { zone });
    const out: string[] = [];
    for (let n = 0; ; n++) {
      const b = a.plus({ [unit]: n * count });
      if (b.toMillis() > Date.parse(END)) return out;
      out.push(b.toUTC().toISO()!);
    }
  }

  // Hand-written period starts (UTC) for four of the fifteen schedules, worked out on paper.
  const HAND: Record<string, string[]> = {
    // Monthly from Jan 31 10:00 UTC: clamped to month ends, back to the 31st when there is one.
    [`${START} UTC monthly-usd`]: [
      '2027-01-31T10:00:00.000Z',
      '2027-02-28T10:00:00.000Z',
      '2027-03-31T10:00:00.000Z',
      '2027-04-30T10:00:00.000Z',
      '2027-05-31T10:00:00.000Z',
      '2027-06-30T10:00:00.000Z',
      '2027-07-31T10:00:00.000Z',
      '2027-08-31T10:00:00.000Z',
      '2027-09-30T10:00:00.000Z',
      '2027-10-31T10:00:00.000Z',
      '2027-11-30T10:00:00.000Z',
      '2027-12-31T10:00:00.000Z',
      '2028-01-31T10:00:00.000Z',
    ],
    // Yearly from 05:00 EST on Jan 31: the second boundary is END itself, charged.
    [`${START} America/New_York yearly-usd`]: ['2027-01-31T10:00:00.000Z', '2028-01-31T10:00:00.000Z'],
    // Quarterly at 10:00 London: BST in April and July (09:00Z), GMT again on Oct 31 (BST ends 01:00Z that day).
    [`${START} Europe/London quarterly-usd`]: [
      '2027-01-31T10:00:00.000Z',
      '2027-04-30T09:00:00.000Z',
      '2027-07-31T09:00:00.000Z',
      '2027-10-31T10:00:00.000Z',
      '2028-01-31T10:00:00.000Z',
    ],
    // Monthly JPY at 10:30 Sydney on the 1st (the sign-up 2027-02-28T23:30Z): AEDT +11 until
    // Apr 4, AEST +10 until Oct 3, then +11.
    ['2027-02-28T23:30:00Z Australia/Sydney monthly-jpy']: [
      '2027-02-28T23:30:00.000Z',
      '2027-03-31T23:30:00.000Z',
      '2027-05-01T00:30:00.000Z',
      '2027-06-01T00:30:00.000Z',
      '2027-07-01T00:30:00.000Z',
      '2027-08-01T00:30:00.000Z',
      '2027-09-01T00:30:00.000Z',
      '2027-10-01T00:30:00.000Z',
      '2027-10-31T23:30:00.000Z',
      '2027-11-30T23:30:00.000Z',
      '2027-12-31T23:30:00.000Z',
    ],
  };

  it('charges every period exactly once, in order, with the right token type, amount and dates', {
    timeout: 300_000,
  }, async () => {
    const ctx = t.ctx;
    // Prices as the merchant types them; the gateway must be asked for exactly these strings.
    const plans = [
      { name: 'monthly-usd', amount: '19.99', currency: 'USD', interval: 'month', unit: 'months', count: 1 },
      { name: 'yearly-usd', amount: '199.00', currency: 'USD', interval: 'year', unit: 'years', count: 1 },
      { name: 'weekly-eur', amount: '4.99', currency: 'EUR', interval: 'week', unit: 'weeks', count: 1 },
      { name: 'monthly-jpy', amount: '1500', currency: 'JPY', interval: 'month', unit: 'months', count: 1 },
      { name: 'quarterly-usd', amount: '99.00', currency: 'USD', interval: 'month', unit: 'months', count: 3 },
    ] as const;
    const codes: string[] = [];
    for (const p of plans)
      codes.push(
        await makePlan(ctx, { amount: p.amount, currency: p.currency, interval: p.interval, intervalCount: p.count }),
      );
    const signUps = [START, '2027-02-28T23:30:00Z', '2027-03-15T04:00:00Z'];
    const made: Array<{ id: string; signUp: string; zone: string; plan: (typeof plans)[number] }> = [];
    let i = 0;
    for (const at of signUps) {
      if (at !== START) await t.advanceTo(at);
      for (let k = 0; k < 36; k++, i++) {
        const plan = plans[i % plans.length]!;
        const zone = ZONES[i % ZONES.length]!;
        const r = await subscribe(ctx, codes[i % plans.length]!, CARDS.success, { timeZone: zone });
        expect(r.status).toBe('active');
        made.push({ id: r.subscriptionId, signUp: at, zone, plan });
      }
    }
    await t.advanceTo(END);

    expect(made.length).toBe(108);
    const ledger = t.engine.sandbox!.ledger();
    let expectedTotal = 0;
    const handChecked = new Set<string>();
    for (const m of made) {
      // The sign-up instant is the anchor (the clock stood exactly there).
      const row = (await ctx.db.select().from(subscriptions).where(eq(subscriptions.id, m.id)))[0]!;
      expect(row.anchor.toISOString()).toBe(new Date(m.signUp).toISOString());
      const expectedStarts = calendarStarts(m.signUp, m.zone, m.plan.unit, m.plan.count);
      const hand = HAND[`${m.signUp} ${m.zone} ${m.plan.name}`];
      if (hand) {
        expect(expectedStarts).toEqual(hand);
        handChecked.add(`${m.signUp} ${m.zone} ${m.plan.name}`);
      }
      expectedTotal += expectedStarts.length;
      const charges = ledger.filter(
        (l) => (l.remark ?? '').startsWith(`subscription ${m.id} `) && l.status === 'success',
      );
      expect(charges.map((c) => c.tokenType)).toEqual([
        'InitRecurring',
        ...Array<string>(expectedStarts.length - 1).fill('Recurring'),
      ]);
      for (const c of charges) expect(`${c.amount} ${c.currency}`).toBe(`${m.plan.amount} ${m.plan.currency}`);
      // The remark carries the period start the engine charged for: in order, no gap, no repeat.
      expect(charges.map((c) => /period (\S+)/.exec(c.remark ?? '')?.[1])).toEqual(expectedStarts);
    }
    expect(handChecked.size).toBe(Object.keys(HAND).length);
    // 3 sign-ups × (13 + 2 + 53 + 13 + 5 …) — far more than one charge per subscription.
    expect(expectedTotal).toBeGreaterThan(108 * 5);
    expect(ledger.filter((l) => l.status === 'success').length).toBe(expectedTotal);
    expect(ledger.filter((l) => l.status !== 'success').length).toBe(0);
  });
});
