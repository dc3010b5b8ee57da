import { describe, it, expect } from 'vitest';
import { randomBytes } from 'node:crypto';
import { runDemo } from '../../src/demo/run.ts';
import { demoCustomers } from '../../src/demo/scenario.ts';
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
