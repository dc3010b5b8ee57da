import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliHarness, type CliHarness } from './harness.ts';

/**
 * Issue 9 item 2: `--start 1990-01-01` used to be accepted, and the engine then charged 447
 * back periods. A start more than one billing period in the past is refused unless
 * `--bill-past-periods` asks for exactly that. Checked against the sandbox's ledger.
 */
const DAY = 86_400_000;
const isoDaysAgo = (days: number): string => new Date(Date.now() - days * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('subscriptions create --start in the past', () => {
  let h: CliHarness;
  beforeAll(async () => {
    h = await startCliHarness();
    await h.json(
      'plans',
      'create',
      '--code',
      'monthly',
      '--name',
      'M',
      '--amount',
      '5',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
    await h.json(
      'plans',
      'create',
      '--code',
      'weekly',
      '--name',
      'W',
      '--amount',
      '1',
      '--currency',
      'USD',
      '--interval',
      'week',
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  let n = 0;
  async function subscribe(plan: string, ...extra: string[]) {
    n += 1;
    const customer = (
      await h.json<{ id: string }>(
        'customers',
        'create',
        '--email',
        `p${n}@example.com`,
        '--first-name',
        'P',
        '--last-name',
        'S',
      )
    ).id;
    const card = (
      await h.json<{ id: string }>(
        'payment-methods',
        'add',
        '--customer',
        customer,
        '--card-number',
        '4242424242424242',
        '--exp-month',
        '12',
        '--exp-year',
        '2035',
        '--cvc',
        '123',
      )
    ).id;
    return h.run('subscriptions', 'create', '--customer', customer, '--plan', plan, '--payment-method', card, ...extra);
  }

  it('refuses a start more than one period ago (exit 2, naming --start and the flag that allows it); nothing written or charged', async () => {
    // Hand-made table: [plan, days ago, refused?]. A month is 28-31 days, a week 7.
    const table: Array<[string, number, boolean]> = [
      ['monthly', 12_000, true], // 1990-ish
      ['monthly', 70, true],
      ['monthly', 35, true],
      ['weekly', 8, true],
      ['weekly', 15, true],
    ];
    expect(table).toHaveLength(5);
    for (const [plan, days] of table) {
      const ledger = h.sandbox.ledger().length;
      const before = await h.counts();
      const r = await subscribe(plan, '--start', isoDaysAgo(days));
      expect(r.code, r.err).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(
        /^error: --start: .* is more than one billing period \(1 (month|week)\) before the engine's current time/,
      );
      expect(r.err).toContain('--bill-past-periods');
      expect(h.sandbox.ledger().length).toBe(ledger);
      // Only the customer and card made for this row are new.
      const after = await h.counts();
      expect([after.subscriptions, after.invoices, after.charge_attempts]).toEqual([
        before.subscriptions,
        before.invoices,
        before.charge_attempts,
      ]);
    }
    const r = await subscribe('monthly', '--start', '1990-01-01');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\d+ periods would be charged at once/);
  });

  it('accepts a start less than one period ago', async () => {
    for (const [plan, days] of [
      ['monthly', 20],
      ['weekly', 5],
    ] as const) {
      const r = await subscribe(plan, '--start', isoDaysAgo(days), '--json');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'active', charge: { status: 'succeeded' } });
    }
  });

  it('with --bill-past-periods, an old start is accepted (its first period is charged now, the rest by the scheduler)', async () => {
    const ledger = h.sandbox.ledger().length;
    const r = await subscribe('weekly', '--start', isoDaysAgo(30), '--bill-past-periods', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      status: 'active',
      charge: { tokenType: 'InitRecurring', status: 'succeeded' },
    });
    expect(h.sandbox.ledger().length - ledger).toBe(1);
  });
});
