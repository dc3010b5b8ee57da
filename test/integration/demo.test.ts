import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { runDemo } from '../../src/demo/run.ts';
import { DateTime } from 'luxon';
import { DEMO_END, demoCustomers, type DemoCustomer } from '../../src/demo/scenario.ts';
import { testDatabaseUrl } from '../support/db.ts';

/**
 * The README's main job, run as `npm run demo` runs it (same function, its own database),
 * and its printed summary checked: what a person reads must be true.
 */
describe('the demo (main job)', () => {
  it('runs a year against the sandbox and prints a summary that adds up', { timeout: 240_000 }, async () => {
    const lines: string[] = [];
    const report = await runDemo({
      databaseUrl: testDatabaseUrl(`billing_demo_test_${randomBytes(4).toString('hex')}`),
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      out: (l) => lines.push(l),
      dropAfter: true,
    });
    const text = lines.join('\n');

    expect(text).toContain('OK: every successful charge is accounted for, none twice');
    expect(report.invoicesChargedTwice).toBe(0);
    expect(report.successfulCharges).toBe(report.ledgerSuccesses);
    expect(text).toMatch(/successful charges recorded by the engine : (\d+)/);
    expect(Number(/recorded by the engine : (\d+)/.exec(text)?.[1])).toBe(report.successfulCharges);

    // Who ends where follows from the cards they were given.
    // A declined first charge never starts (customer present, no retries) — unless the
    // plan has a trial, where the first charge is at trial end and goes through dunning.
    // A card that declines after its first charge is dunned out — unless the plan is yearly
    // and never renews within the demo's year.
    const cast = demoCustomers();
    const declinesFirst = (c: (typeof cast)[number]) =>
      ['threeds_abandon', 'soft_decline', 'hard_decline', 'generic_decline'].includes(c.card);
    const neverStarts = cast.filter((c) => declinesFirst(c) && c.plan !== 'trial-monthly').length;
    const dunnedOut = cast.filter(
      (c) =>
        (declinesFirst(c) && c.plan === 'trial-monthly') ||
        (c.card === 'approve_then_decline' && c.plan !== 'pro-yearly'),
    ).length;
    expect(report.byStatus).toEqual({
      active: cast.length - neverStarts - dunnedOut,
      incomplete_expired: neverStarts,
      canceled: dunnedOut,
    });
    for (const state of ['active', 'incomplete_expired', 'canceled'])
      expect(text).toMatch(new RegExp(`^${state}\\s+${report.byStatus[state]}$`, 'm'));

    // How many successful charges each customer must have, from the scenario alone: the card's
    // behaviour says whether the first charge and the renewals go through; the plan (prices
    // as written here, in minor units) and the sign-up moment say how many periods start by
    // the end of the run. Period starts use luxon's calendar arithmetic in the customer's
    // zone (a trial moves the anchor 14 days on), none of them near a DST change.
    const PRICE: Record<
      DemoCustomer['plan'],
      { minor: number; currency: string; unit: 'months' | 'weeks' | 'years'; count: number; trialDays: number }
    > = {
      'pro-monthly': { minor: 1999, currency: 'USD', unit: 'months', count: 1, trialDays: 0 },
      'pro-yearly': { minor: 19900, currency: 'USD', unit: 'years', count: 1, trialDays: 0 },
      'news-weekly': { minor: 499, currency: 'EUR', unit: 'weeks', count: 1, trialDays: 0 },
      'jp-monthly': { minor: 1500, currency: 'JPY', unit: 'months', count: 1, trialDays: 0 },
      'team-quarterly': { minor: 9900, currency: 'USD', unit: 'months', count: 3, trialDays: 0 },
      'trial-monthly': { minor: 999, currency: 'USD', unit: 'months', count: 1, trialDays: 14 },
    };
    const periodStarts = (c: DemoCustomer): DateTime[] => {
      const p = PRICE[c.plan];
      const anchor = DateTime.fromISO(c.signUpAt, { zone: c.timeZone }).plus({ days: p.trialDays });
      const out: DateTime[] = [];
      for (let n = 0; anchor.plus({ [p.unit]: n * p.count }).toMillis() <= Date.parse(DEMO_END); n++)
        out.push(anchor.plus({ [p.unit]: n * p.count }));
      return out;
    };
    const paidPeriods = (c: DemoCustomer): DateTime[] => {
      const starts = periodStarts(c);
      if (['success', 'threeds_complete', 'no_response'].includes(c.card)) return starts;
      if (c.card === 'approve_then_decline') return starts.slice(0, 1);
      return [];
    };
    const expectedByMonth = new Map<string, number>();
    const expectedRevenue: Record<string, number> = {};
    let expectedTotal = 0;
    for (const c of cast) {
      for (const start of paidPeriods(c)) {
        const month = start.toUTC().toFormat('yyyy-MM');
        expectedByMonth.set(month, (expectedByMonth.get(month) ?? 0) + 1);
        const p = PRICE[c.plan];
        expectedRevenue[p.currency] = (expectedRevenue[p.currency] ?? 0) + p.minor;
        expectedTotal += 1;
      }
    }
    // The scenario yields far more than one charge per customer (weekly plans alone ~50 each).
    expect(expectedTotal).toBeGreaterThan(cast.length * 5);
    expect(report.successfulCharges).toBe(expectedTotal);
    expect(report.ledgerSuccesses).toBe(expectedTotal);
    expect(report.revenue).toEqual(expectedRevenue);
    const printedByMonth = new Map<string, number>();
    for (const m of text.matchAll(/^(\d{4}-\d\d)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$/gm)) {
      if (Number(m[4]) > 0) printedByMonth.set(m[1]!, Number(m[4]));
    }
    expect(Object.fromEntries(printedByMonth)).toEqual(Object.fromEntries(expectedByMonth));

    // Revenue lines are integers rendered per currency exponent.
    expect(text).toMatch(/^JPY\s+\d+\s+\d+ JPY$/m);
    expect(text).toMatch(/^USD\s+\d+\s+\d+\.\d{2} USD$/m);
    expect(Object.keys(report.revenue).sort()).toEqual(['EUR', 'JPY', 'USD']);
    // Twelve billing months of renewals, each with Recurring charges after the first.
    const months = text.match(/^2028-\d\d\s+\d+\s+\d+/gm) ?? [];
    expect(months.length).toBe(12);
    expect(text).toContain('Where to look next:');
  });
});
