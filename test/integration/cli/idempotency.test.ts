import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliHarness, expectBadInput, type CliHarness, type CliRun } from './harness.ts';

/**
 * Issue 9 item 1: a retried `billing … create` (a re-run script, a timed-out request) must
 * not make a second customer, card, subscription or charge. Counted at the sandbox gateway
 * (what AsiaBill actually received) and in Postgres.
 */
interface SubJson {
  id: string;
  status: string;
  invoiceId: string | null;
  replayed: boolean;
  charge: { orderNo: string; tokenType: string; status: string } | null;
}

describe('idempotency keys and duplicate subscriptions', () => {
  let h: CliHarness;
  beforeAll(async () => {
    h = await startCliHarness();
    await h.json(
      'plans',
      'create',
      '--code',
      'pro',
      '--name',
      'Pro',
      '--amount',
      '9.99',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
    await h.json(
      'plans',
      'create',
      '--code',
      'max',
      '--name',
      'Max',
      '--amount',
      '29.99',
      '--currency',
      'USD',
      '--interval',
      'month',
    );
  });
  afterAll(async () => {
    await h?.close();
  });

  const customerArgs = (email: string): string[] => [
    'customers',
    'create',
    '--email',
    email,
    '--first-name',
    'Ada',
    '--last-name',
    'Lovelace',
  ];
  const cardArgs = (customer: string, number = '4242424242424242'): string[] => [
    'payment-methods',
    'add',
    '--customer',
    customer,
    '--card-number',
    number,
    '--exp-month',
    '12',
    '--exp-year',
    '2035',
    '--cvc',
    '123',
  ];
  const subArgs = (customer: string, card: string, plan = 'pro'): string[] => [
    'subscriptions',
    'create',
    '--customer',
    customer,
    '--plan',
    plan,
    '--payment-method',
    card,
  ];
  async function customerWithCard(email: string): Promise<{ customer: string; card: string }> {
    const customer = (await h.json<{ id: string }>(...customerArgs(email))).id;
    const card = (await h.json<{ id: string }>(...cardArgs(customer))).id;
    return { customer, card };
  }
  const expectKeyReused = (r: CliRun, key: string): void => {
    expect(r.code, r.err).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(new RegExp(`^error: idempotency key "${key}" was already used for a different`));
  };

  it('customers create: the same key returns the first customer; AsiaBill sees one customer', async () => {
    const before = h.sandbox.dump().customers.length;
    const first = await h.json<{ id: string }>(...customerArgs('idem@example.com'), '--idempotency-key', 'cust-key-1');
    const again = await h.json<{ id: string }>(...customerArgs('idem@example.com'), '--idempotency-key', 'cust-key-1');
    expect(again.id).toBe(first.id);
    expect(h.sandbox.dump().customers.length - before).toBe(1);
    expectKeyReused(await h.run(...customerArgs('other@example.com'), '--idempotency-key', 'cust-key-1'), 'cust-key-1');
    expect(h.sandbox.dump().customers.length - before).toBe(1);
  });

  it('payment-methods add: the same key returns the first card; a different card with it is refused', async () => {
    const customer = (await h.json<{ id: string }>(...customerArgs('pm@example.com'))).id;
    const before = h.sandbox.dump().paymentMethods.length;
    const first = await h.json<{ id: string }>(...cardArgs(customer), '--idempotency-key', 'pm-key-1');
    const again = await h.json<{ id: string }>(...cardArgs(customer), '--idempotency-key', 'pm-key-1');
    expect(again.id).toBe(first.id);
    expect(h.sandbox.dump().paymentMethods.length - before).toBe(1);
    expectKeyReused(
      await h.run(...cardArgs(customer, '4000000000009995'), '--idempotency-key', 'pm-key-1'),
      'pm-key-1',
    );
    // The browser-SDK form shares the scope: the key names one "add a payment method" request.
    expectKeyReused(
      await h.run(
        'payment-methods',
        'add',
        '--customer',
        customer,
        '--asiabill-id',
        'pm_whatever',
        '--idempotency-key',
        'pm-key-1',
      ),
      'pm-key-1',
    );
    expect(h.sandbox.dump().paymentMethods.length - before).toBe(1);
  });

  it('subscriptions create: the same key returns the first result and makes no second charge', async () => {
    const { customer, card } = await customerWithCard('sub@example.com');
    const charges = h.sandbox.ledger().length;
    const first = await h.json<SubJson>(...subArgs(customer, card), '--idempotency-key', 'sub-key-1');
    expect(first).toMatchObject({
      status: 'active',
      replayed: false,
      charge: { tokenType: 'InitRecurring', status: 'succeeded' },
    });
    const again = await h.json<SubJson>(...subArgs(customer, card), '--idempotency-key', 'sub-key-1');
    expect(again).toMatchObject({ id: first.id, invoiceId: first.invoiceId, status: 'active', replayed: true });
    expect(again.charge?.orderNo).toBe(first.charge?.orderNo);
    expect(h.sandbox.ledger().length - charges).toBe(1);
    // The same key with other arguments: refused, nothing charged.
    expectKeyReused(await h.run(...subArgs(customer, card, 'max'), '--idempotency-key', 'sub-key-1'), 'sub-key-1');
    expect(h.sandbox.ledger().length - charges).toBe(1);
    // Keys are per operation: the same text as a customer key is a different key.
    const human = await h.run(...subArgs(customer, card), '--idempotency-key', 'sub-key-1');
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/replayed:\s+yes/);
  });

  it('two concurrent calls with one key make one subscription and one charge', async () => {
    const { customer, card } = await customerWithCard('race@example.com');
    const charges = h.sandbox.ledger().length;
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => h.run(...subArgs(customer, card), '--idempotency-key', 'race-key', '--json')),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const results = runs.map((r) => JSON.parse(r.out) as SubJson);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(h.sandbox.ledger().length - charges).toBe(1);

    const customersBefore = h.sandbox.dump().customers.length;
    const made = await Promise.all(
      Array.from({ length: 3 }, () =>
        h.json<{ id: string }>(...customerArgs('race2@example.com'), '--idempotency-key', 'race-cust'),
      ),
    );
    expect(new Set(made.map((c) => c.id)).size).toBe(1);
    expect(h.sandbox.dump().customers.length - customersBefore).toBe(1);
  });

  it('a request refused for bad input leaves the key free for the corrected request', async () => {
    const { customer, card } = await customerWithCard('fix@example.com');
    expectBadInput(await h.run(...subArgs(customer, card, 'nope'), '--idempotency-key', 'fix-key'), 'nope');
    const ok = await h.json<SubJson>(...subArgs(customer, card), '--idempotency-key', 'fix-key');
    expect(ok.replayed).toBe(false);
    expectBadInput(await h.run(...subArgs(customer, card), '--idempotency-key', 'has space'), '--idempotency-key');
  });

  it('without a key, a second live subscription to the same plan is refused unless --allow-duplicate', async () => {
    const { customer, card } = await customerWithCard('dup@example.com');
    const charges = h.sandbox.ledger().length;
    await h.json<SubJson>(...subArgs(customer, card));
    const before = await h.counts();
    const refused = await h.run(...subArgs(customer, card));
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /^error: customer cust_\w+ already has a live subscription sub_\w+ \(active\) to plan pro; pass .*--allow-duplicate/,
    );
    expect(await h.counts()).toEqual(before);
    expect(h.sandbox.ledger().length - charges).toBe(1);
    // Another plan is fine; so is the same plan when asked for explicitly.
    expect((await h.json<SubJson>(...subArgs(customer, card, 'max'))).status).toBe('active');
    expect((await h.json<SubJson>(...subArgs(customer, card), '--allow-duplicate')).status).toBe('active');
    expect(h.sandbox.ledger().length - charges).toBe(3);
    // Once canceled, subscribing again is a new subscription, not a duplicate.
    const { customer: c2, card: k2 } = await customerWithCard('dup2@example.com');
    const first = await h.json<SubJson>(...subArgs(c2, k2));
    await h.json('subscriptions', 'cancel', first.id);
    expect((await h.json<SubJson>(...subArgs(c2, k2))).status).toBe('active');
  });

  it('two concurrent creates without a key: one subscription, the other refused', async () => {
    const { customer, card } = await customerWithCard('dup-race@example.com');
    const charges = h.sandbox.ledger().length;
    const runs = await Promise.all([h.run(...subArgs(customer, card)), h.run(...subArgs(customer, card))]);
    expect(runs.map((r) => r.code).sort()).toEqual([0, 2]);
    expect(h.sandbox.ledger().length - charges).toBe(1);
  });
});
