import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startCliHarness, expectBadInput, type CliHarness } from './harness.ts';

interface CustomerJson {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  externalRef: string | null;
  asiabillCustomerId: string;
  createdAt: string;
  paymentMethods?: Array<{ id: string; last4: string }>;
}

describe('billing customers', () => {
  let h: CliHarness;
  beforeAll(async () => {
    h = await startCliHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a customer here and at AsiaBill, printed as key/value lines', async () => {
    const before = await h.counts();
    const r = await h.run(
      'customers',
      'create',
      '--email',
      'ann@example.com',
      '--first-name',
      'Ann',
      '--last-name',
      'Lee',
      '--external-ref',
      'crm-1',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^id: +cust_[0-9a-z]{16}$/m);
    expect(r.out).toMatch(/^email: +ann@example\.com$/m);
    expect(r.out).toMatch(/^external ref: +crm-1$/m);
    expect(r.out).toMatch(/^phone: +-$/m);
    const remoteId = /^asiabill id: +(cus_\w+)$/m.exec(r.out)?.[1];
    expect(remoteId).toBeDefined();
    expect(h.sandbox.dump().customers.map((c) => c.customerId)).toContain(remoteId);
    const after = await h.counts();
    expect(after.customers).toBe((before.customers ?? 0) + 1);
    expect(after.events).toBe((before.events ?? 0) + 1);
  });

  it('creates with --json', async () => {
    const c = await h.json<CustomerJson>(
      'customers',
      'create',
      '--email',
      ' bob@example.com ',
      '--first-name',
      'Bob',
      '--last-name',
      'Smith',
      '--phone',
      '+852 5555 0100',
    );
    expect(c.id).toMatch(/^cust_/);
    expect(c).toMatchObject({
      email: 'bob@example.com',
      firstName: 'Bob',
      lastName: 'Smith',
      phone: '+852 5555 0100',
      externalRef: null,
    });
    expect(c.asiabillCustomerId).toMatch(/^cus_/);
  });

  it('lists customers as an aligned table and as JSON', async () => {
    const r = await h.run('customers', 'list');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^ID +EMAIL +NAME +PHONE +EXTERNAL REF +ASIABILL ID +CREATED$/);
    expect(
      lines.some((l) =>
        /^cust_\w+ +ann@example\.com +Ann Lee +- +crm-1 +cus_\w+ +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(l),
      ),
    ).toBe(true);
    const createdAt = lines.map((l) => l.search(/(CREATED|\d{4}-\d\d-\d\dT\S+)$/));
    expect(new Set(createdAt).size).toBe(1);

    const listed = await h.json<CustomerJson[]>('customers', 'list');
    expect(listed.length).toBeGreaterThanOrEqual(2);
    for (const c of listed) expect(c.id).toMatch(/^cust_/);
  });

  it('shows a customer by id or by external reference, with their payment methods', async () => {
    const byRef = await h.json<CustomerJson>('customers', 'show', 'crm-1');
    const byId = await h.json<CustomerJson>('customers', 'show', byRef.id);
    expect(byId).toEqual(byRef);
    expect(byRef.paymentMethods).toEqual([]);

    await h.json(
      'payment-methods',
      'add',
      '--customer',
      'crm-1',
      '--card-number',
      '4242424242424242',
      '--exp-month',
      '12',
      '--exp-year',
      '2040',
      '--cvc',
      '123',
    );
    const r = await h.run('customers', 'show', 'crm-1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^email: +ann@example\.com$/m);
    expect(r.out).toMatch(
      /^payment methods:\nID +CUSTOMER +BRAND +CARD +EXPIRES +ASIABILL ID +CREATED\ncard_\w+ +cust_\w+ +Visa +\*\*\*\* 4242 +12\/2040 +pm_\w+/m,
    );
    const shown = await h.json<CustomerJson>('customers', 'show', 'crm-1');
    expect(shown.paymentMethods?.map((pm) => pm.last4)).toEqual(['4242']);
  });

  it('reports an unknown customer as bad input', async () => {
    expectBadInput(await h.run('customers', 'show', 'cust_nope'), 'customer cust_nope not found');
  });

  const bad: Array<[string, string[], string]> = [
    ['a malformed email', ['--email', 'ann.example.com', '--first-name', 'A', '--last-name', 'B'], 'email'],
    ['an email with a space', ['--email', 'ann @example.com', '--first-name', 'A', '--last-name', 'B'], 'email'],
    ['a blank first name', ['--email', 'a@example.com', '--first-name', ' ', '--last-name', 'B'], '--first-name'],
    [
      'a 101-character first name',
      ['--email', 'a@example.com', '--first-name', 'f'.repeat(101), '--last-name', 'B'],
      '--first-name',
    ],
    [
      'a last name longer than AsiaBill accepts',
      ['--email', 'a@example.com', '--first-name', 'A', '--last-name', 'l'.repeat(51)],
      '--last-name',
    ],
    [
      'a 51-character phone',
      ['--email', 'a@example.com', '--first-name', 'A', '--last-name', 'B', '--phone', '1'.repeat(51)],
      'phone',
    ],
    [
      'a 201-character external ref',
      ['--email', 'a@example.com', '--first-name', 'A', '--last-name', 'B', '--external-ref', 'r'.repeat(201)],
      '--external-ref',
    ],
    [
      'a duplicate external ref',
      ['--email', 'a@example.com', '--first-name', 'A', '--last-name', 'B', '--external-ref', 'crm-1'],
      'externalRef',
    ],
    ['a missing --email', ['--first-name', 'A', '--last-name', 'B'], '--email'],
  ];

  it.each(bad)('refuses %s with exit 2, writing nothing here or at AsiaBill', async (_label, args, field) => {
    const before = await h.counts();
    const remoteBefore = h.sandbox.dump().customers.length;
    expectBadInput(await h.run('customers', 'create', ...args), field);
    expect(await h.counts()).toEqual(before);
    expect(h.sandbox.dump().customers.length).toBe(remoteBefore);
  });
});
