import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startCliHarness, expectBadInput, type CliHarness } from './harness.ts';

/**
 * The lifecycle commands end to end through the real CLI (in-process) against Postgres and the
 * sandbox: plan change preview = charge, pause/resume, coupons, refunds with --amount, customer
 * update/delete, card detach, and keyset paging. Bad input exits 2 and writes nothing.
 */
interface Sub {
  id: string;
  status: string;
  invoiceId: string | null;
}
interface Quote {
  now: { amountDue: { amount: number; currency: string } };
  invoiceId?: string | null;
}

describe('billing lifecycle commands', () => {
  let h: CliHarness;
  const plan = async (code: string, amount: string) =>
    h.json(
      'plans',
      'create',
      '--code',
      code,
      '--name',
      code,
      '--amount',
      amount,
      '--currency',
      'USD',
      '--interval',
      'month',
    );
  const customer = async (n: number) =>
    (
      await h.json<{ id: string }>(
        'customers',
        'create',
        '--email',
        `p${n}@example.com`,
        '--first-name',
        'Pat',
        '--last-name',
        `Number${n}`,
      )
    ).id;
  const card = async (customerId: string) =>
    (
      await h.json<{ id: string }>(
        'payment-methods',
        'add',
        '--customer',
        customerId,
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
  const ledgerOf = (invoiceId: string) =>
    h.sandbox
      .ledger()
      .filter((e) => e.orderNo.startsWith(`${invoiceId}-`) && e.status === 'success')
      .map((e) => e.amount);

  beforeAll(async () => {
    h = await startCliHarness();
    await plan('basic', '10.00');
    await plan('pro', '30.00');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('preview-change says what change-plan charges; refund --amount; over-refund refused with nothing written', async () => {
    const c = await customer(1);
    const pm = await card(c);
    const sub = await h.json<Sub>(
      'subscriptions',
      'create',
      '--customer',
      c,
      '--plan',
      'basic',
      '--payment-method',
      pm,
    );
    expect(sub.status).toBe('active');
    const preview = await h.json<Quote>('subscriptions', 'preview-change', sub.id, '--plan', 'pro');
    const done = await h.json<Quote>('subscriptions', 'change-plan', sub.id, '--plan', 'pro');
    // System clock: a second may pass between the two; both are checked against the ledger.
    expect(done.now.amountDue.amount).toBeGreaterThan(1990 - 5);
    expect(Math.abs(done.now.amountDue.amount - preview.now.amountDue.amount)).toBeLessThanOrEqual(1);
    const charged = ledgerOf(done.invoiceId ?? '');
    expect(charged).toEqual([(done.now.amountDue.amount / 100).toFixed(2)]);

    const refund = await h.json<{ status: string; amount: { amount: number } }>(
      'invoices',
      'refund',
      sub.invoiceId ?? '',
      '--amount',
      '1.50',
    );
    expect(refund).toMatchObject({ status: 'succeeded', amount: { amount: 150 } });
    expect(h.sandbox.dump().refunds.map((r) => r.refundAmount)).toEqual(['1.50']);
    const before = await h.counts();
    expectBadInput(await h.run('invoices', 'refund', sub.invoiceId ?? '', '--amount', '8.51'), 'amount');
    expectBadInput(await h.run('invoices', 'refund', sub.invoiceId ?? '', '--amount', '1.234'), '--amount');
    expect(await h.counts()).toEqual(before);
    const rest = await h.json<{ amount: { amount: number } }>('invoices', 'refund', sub.invoiceId ?? '');
    expect(rest.amount.amount).toBe(850);
    const shown = await h.json<{ invoices: Array<{ id: string; amountRefunded: { amount: number } }> }>(
      'subscriptions',
      'show',
      sub.id,
    );
    expect(shown.invoices.find((i) => i.id === sub.invoiceId)?.amountRefunded.amount).toBe(1000);
  });

  it('pause, resume, coupons, cancel --refund-unused and reactivate through the CLI', async () => {
    const c = await customer(2);
    const pm = await card(c);
    const sub = await h.json<Sub>(
      'subscriptions',
      'create',
      '--customer',
      c,
      '--plan',
      'basic',
      '--payment-method',
      pm,
    );
    expect((await h.json<{ status: string }>('subscriptions', 'pause', sub.id)).status).toBe('paused');
    expectBadInput(await h.run('subscriptions', 'pause', sub.id, '--until', 'tomorrow'), '--until');
    const resumed = await h.json<{ status: string; invoiceId: string }>('subscriptions', 'resume', sub.id);
    expect(resumed.status).toBe('active');
    // Paused and resumed within seconds: the credit pays (almost) all of the new period.
    expect(ledgerOf(resumed.invoiceId).every((a) => Number(a) <= 0.05)).toBe(true);

    await h.json('coupons', 'create', '--code', 'HALF', '--percent-off', '50', '--duration', 'forever');
    expectBadInput(
      await h.run('coupons', 'create', '--code', 'BAD', '--percent-off', '101', '--duration', 'once'),
      'percent-off',
    );
    await h.json('subscriptions', 'apply-coupon', sub.id, '--coupon', 'HALF');
    const up = await h.json<{ amountDue: { amount: number } }>('subscriptions', 'upcoming', sub.id);
    expect(up.amountDue.amount).toBe(500);

    await h.json('subscriptions', 'cancel', sub.id, '--at-period-end');
    expect(
      (await h.json<{ cancelAtPeriodEnd: boolean }>('subscriptions', 'reactivate', sub.id)).cancelAtPeriodEnd,
    ).toBe(false);
    const canceled = await h.json<{ status: string; refunds: Array<{ amount: number; status: string }> }>(
      'subscriptions',
      'cancel',
      sub.id,
      '--refund-unused',
    );
    expect(canceled.status).toBe('canceled');
    // Only what was charged after the resume (a few cents at most) can come back.
    expect(canceled.refunds.every((r) => r.amount <= 5 && r.status === 'succeeded')).toBe(true);
  });

  it('customers update/delete and payment-methods detach, refused while a live subscription depends on them', async () => {
    const c = await customer(3);
    const used = await card(c);
    const spare = await card(c);
    const sub = await h.json<Sub>(
      'subscriptions',
      'create',
      '--customer',
      c,
      '--plan',
      'basic',
      '--payment-method',
      used,
    );
    const updated = await h.json<{ email: string; asiabillCustomerId: string }>(
      'customers',
      'update',
      c,
      '--email',
      'new@example.com',
    );
    expect(updated.email).toBe('new@example.com');
    expect(h.sandbox.dump().customers.find((x) => x.customerId === updated.asiabillCustomerId)?.email).toBe(
      'new@example.com',
    );
    expectBadInput(await h.run('customers', 'update', c, '--email', 'not-an-email'), 'email');

    expectBadInput(await h.run('payment-methods', 'detach', used), 'live subscriptions');
    await h.json('payment-methods', 'detach', spare);
    expect((await h.json<Array<{ id: string }>>('payment-methods', 'list', '--customer', c)).map((p) => p.id)).toEqual([
      used,
    ]);
    expect(
      (await h.json<Array<{ id: string }>>('payment-methods', 'list', '--customer', c, '--include-detached')).length,
    ).toBe(2);

    expectBadInput(await h.run('customers', 'delete', c), 'live subscriptions');
    await h.json('subscriptions', 'cancel', sub.id);
    await h.json('customers', 'delete', c);
    expect(h.sandbox.dump().customers.some((x) => x.customerId === updated.asiabillCustomerId)).toBe(false);
    expect((await h.json<Array<{ id: string }>>('customers', 'list')).map((x) => x.id)).not.toContain(c);
  });

  it('list commands page with --limit and --starting-after, without skipping or repeating', async () => {
    for (let i = 10; i < 15; i++) await customer(i);
    const all = (await h.json<Array<{ id: string }>>('customers', 'list')).map((x) => x.id);
    expect(all.length).toBeGreaterThanOrEqual(6);
    const paged: string[] = [];
    let after: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const page = (
        await h.json<Array<{ id: string }>>(
          'customers',
          'list',
          '--limit',
          '2',
          ...(after ? ['--starting-after', after] : []),
        )
      ).map((x) => x.id);
      expect(page.length).toBeLessThanOrEqual(2);
      if (page.length === 0) break;
      paged.push(...page);
      after = page.at(-1);
    }
    expect(paged).toEqual(all);
    expectBadInput(await h.run('customers', 'list', '--limit', '0'), '--limit');
    expectBadInput(await h.run('subscriptions', 'list', '--starting-after', 'sub_nope'), 'starting-after');
    const subs = (await h.json<Array<{ id: string }>>('subscriptions', 'list')).map((s) => s.id);
    const firstTwo = (await h.json<Array<{ id: string }>>('subscriptions', 'list', '--limit', '2')).map((s) => s.id);
    expect(firstTwo).toEqual(subs.slice(0, 2));
  });
});
