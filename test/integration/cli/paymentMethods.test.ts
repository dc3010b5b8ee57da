import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startCliHarness, expectBadInput, type CliHarness } from './harness.ts';
import { AsiabillClient } from '../../../src/asiabill/client.ts';

interface CustomerJson {
  id: string;
  asiabillCustomerId: string;
}

interface PaymentMethodJson {
  id: string;
  customerId: string;
  asiabillPaymentMethodId: string;
  brand: string | null;
  last4: string | null;
  expMonth: string | null;
  expYear: string | null;
}

const VISA = '4242424242424242';

describe('billing payment-methods', () => {
  let h: CliHarness;
  let ann: CustomerJson;
  let bob: CustomerJson;
  /** Plays the AsiaBill browser SDK: tokenises a card straight at the gateway. */
  let browserSdk: AsiabillClient;

  const tokenise = async (customer: CustomerJson | null, cardNo = VISA): Promise<string> => {
    const pm = await browserSdk.createPaymentMethod({
      billingDetail: {
        address: { line1: '1 Queen Rd', city: 'Hong Kong', country: 'HK' },
        email: 'sdk@example.com',
        firstName: 'Sdk',
        lastName: 'User',
        phone: '85255550100',
      },
      card: { cardNo, cardExpireMonth: '12', cardExpireYear: '2039', cardSecurityCode: '321' },
      ...(customer !== null ? { customerId: customer.asiabillCustomerId } : {}),
    });
    return pm.customerPaymentMethodId;
  };

  beforeAll(async () => {
    h = await startCliHarness();
    ann = await h.json<CustomerJson>(
      'customers',
      'create',
      '--email',
      'ann@example.com',
      '--first-name',
      'Ann',
      '--last-name',
      'Lee',
      '--external-ref',
      'ann',
    );
    bob = await h.json<CustomerJson>(
      'customers',
      'create',
      '--email',
      'bob@example.com',
      '--first-name',
      'Bob',
      '--last-name',
      'Ng',
    );
    browserSdk = new AsiabillClient({
      paymentUrl: h.sandbox.paymentUrl,
      openapiUrl: h.sandbox.openapiUrl,
      gatewayNo: h.sandbox.gatewayNo,
      signKey: h.sandbox.signKey,
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('adds a card (PCI path), storing only the pm_ reference and masked details', async () => {
    const before = await h.counts();
    const r = await h.run(
      'payment-methods',
      'add',
      '--customer',
      ann.id,
      '--card-number',
      '4242 4242 4242 4242',
      '--exp-month',
      '3',
      '--exp-year',
      '2035',
      '--cvc',
      '123',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^id: +card_[0-9a-z]{16}$/m);
    expect(r.out).toMatch(/^brand: +Visa$/m);
    expect(r.out).toMatch(/^card: +\*\*\*\* 4242$/m);
    expect(r.out).toMatch(/^expires: +03\/2035$/m);
    const pmId = /^asiabill id: +(pm_\w+)$/m.exec(r.out)?.[1];
    // Bound to the customer's AsiaBill id, with the placeholder address (none was given).
    const remote = h.sandbox.dump().paymentMethods.find((pm) => pm.customerPaymentMethodId === pmId);
    expect(remote?.customerId).toBe(ann.asiabillCustomerId);
    expect(remote?.billingDetail).toMatchObject({
      email: 'ann@example.com',
      firstName: 'Ann',
      lastName: 'Lee',
      address: { country: 'HK' },
    });
    const after = await h.counts();
    expect(after.payment_methods).toBe((before.payment_methods ?? 0) + 1);
    expect(after.events).toBe((before.events ?? 0) + 1);
  });

  it('adds a card with --json and a billing address', async () => {
    const pm = await h.json<PaymentMethodJson>(
      'payment-methods',
      'add',
      '--customer',
      'ann',
      '--card-number',
      '5555555555554444',
      '--exp-month',
      '11',
      '--exp-year',
      '2036',
      '--cvc',
      '4321',
      '--line1',
      '1 Main St',
      '--city',
      'Springfield',
      '--country',
      'us',
      '--state',
      'il',
      '--postal-code',
      '62701',
    );
    expect(pm).toMatchObject({
      customerId: ann.id,
      brand: 'MasterCard',
      last4: '4444',
      expMonth: '11',
      expYear: '2036',
    });
    expect(pm.id).toMatch(/^card_/);
    const remote = h.sandbox
      .dump()
      .paymentMethods.find((p) => p.customerPaymentMethodId === pm.asiabillPaymentMethodId);
    expect(remote?.billingDetail.address).toMatchObject({
      line1: '1 Main St',
      city: 'Springfield',
      country: 'US',
      state: 'IL',
      postalCode: '62701',
    });
  });

  it('registers a pm_ id from the browser SDK (table and --json)', async () => {
    const first = await tokenise(bob);
    const r = await h.run('payment-methods', 'add', '--customer', bob.id, '--asiabill-id', first);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^asiabill id: +${first}$`, 'm'));
    expect(r.out).toMatch(/^card: +\*\*\*\* 4242$/m);
    expect(r.out).toMatch(/^expires: +-$/m);

    const second = await tokenise(bob, '4000056655665556');
    const pm = await h.json<PaymentMethodJson>('payment-methods', 'add', '--customer', bob.id, '--asiabill-id', second);
    expect(pm).toMatchObject({
      customerId: bob.id,
      asiabillPaymentMethodId: second,
      last4: '5556',
      expMonth: null,
      expYear: null,
    });

    // Twice is a conflict, not a second row.
    const before = await h.counts();
    expectBadInput(
      await h.run('payment-methods', 'add', '--customer', bob.id, '--asiabill-id', second),
      'already registered',
    );
    expect(await h.counts()).toEqual(before);
  });

  it("refuses another AsiaBill customer's card and ids AsiaBill does not know", async () => {
    const annsCard = await tokenise(ann);
    const before = await h.counts();
    expectBadInput(
      await h.run('payment-methods', 'add', '--customer', bob.id, '--asiabill-id', annsCard),
      '--asiabill-id',
    );
    expectBadInput(
      await h.run('payment-methods', 'add', '--customer', bob.id, '--asiabill-id', 'pm_1999999999999999999'),
      '--asiabill-id',
    );
    expect(await h.counts()).toEqual(before);
  });

  it("lists a customer's payment methods as a table and as JSON", async () => {
    const r = await h.run('payment-methods', 'list', '--customer', ann.id);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^ID +CUSTOMER +BRAND +CARD +EXPIRES +ASIABILL ID +CREATED$/);
    expect(lines.slice(1).map((l) => /\*\*\*\* (\d{4})/.exec(l)?.[1])).toEqual(['4242', '4444']);
    const pmAt = lines.map((l) => l.search(/ (ASIABILL ID|pm_\w+) /) + 1);
    expect(new Set(pmAt).size).toBe(1);

    const listed = await h.json<PaymentMethodJson[]>('payment-methods', 'list', '--customer', 'ann');
    expect(listed.map((p) => p.last4)).toEqual(['4242', '4444']);
    for (const p of listed) expect(p.id).toMatch(/^card_/);
    expectBadInput(await h.run('payment-methods', 'list', '--customer', 'nobody'), 'customer nobody not found');
  });

  const card = (overrides: Record<string, string | null> = {}): string[] => {
    const opts: Record<string, string | null> = {
      '--card-number': VISA,
      '--exp-month': '12',
      '--exp-year': '2035',
      '--cvc': '123',
      ...overrides,
    };
    return Object.entries(opts).flatMap(([k, v]) => (v === null ? [] : [k, v]));
  };

  const bad: Array<[string, string[], string, string[]]> = [
    ['a number failing Luhn', card({ '--card-number': '4242424242424241' }), '--card-number', ['4242424242424241']],
    ['a 12-digit number', card({ '--card-number': '424242424242' }), '--card-number', ['424242424242']],
    ['letters in the number', card({ '--card-number': '4242abcd42424242' }), '--card-number', ['4242abcd42424242']],
    ['an expired card', card({ '--exp-month': '1', '--exp-year': '2020' }), '--exp-year', [VISA]],
    ['month 13', card({ '--exp-month': '13' }), '--exp-month', [VISA]],
    ['a 2-digit year', card({ '--exp-year': '35' }), '--exp-year', [VISA]],
    ['a 2-digit CVC', card({ '--cvc': '98' }), '--cvc', [VISA, '98']],
    ['a 5-digit CVC', card({ '--cvc': '98765' }), '--cvc', [VISA, '98765']],
    ['a non-numeric CVC', card({ '--cvc': '9x7' }), '--cvc', [VISA, '9x7']],
    ['both forms', [...card(), '--asiabill-id', 'pm_123'], '--asiabill-id', [VISA]],
    ['neither form', [], '--card-number', []],
    ['a partial card (no --cvc)', card({ '--cvc': null }), '--cvc', [VISA]],
    ['a partial address', [...card(), '--line1', '1 Main St'], '--city', [VISA]],
    [
      'a US address without a state',
      [...card(), '--line1', '1 Main St', '--city', 'Austin', '--country', 'US'],
      'state',
      [VISA],
    ],
    ['a malformed pm id', ['--asiabill-id', 'pm_12-34'], '--asiabill-id', []],
  ];

  it.each(bad)(
    'refuses %s with exit 2 naming the field, writing nothing and echoing no card data',
    async (_label, args, field, secrets) => {
      const before = await h.counts();
      const remoteBefore = h.sandbox.dump().paymentMethods.length;
      const r = await h.run('payment-methods', 'add', '--customer', ann.id, ...args);
      expectBadInput(r, field);
      for (const secret of secrets) expect(r.err).not.toContain(secret);
      expect(await h.counts()).toEqual(before);
      expect(h.sandbox.dump().paymentMethods.length).toBe(remoteBefore);
    },
  );

  it('refuses an unknown customer before anything reaches AsiaBill', async () => {
    const before = await h.counts();
    const requests = h.sandbox.requestCount();
    const r = await h.run('payment-methods', 'add', '--customer', 'cust_unknown', ...card());
    expectBadInput(r, 'customer cust_unknown not found');
    expect(r.err).not.toContain(VISA);
    expect(await h.counts()).toEqual(before);
    expect(h.sandbox.requestCount()).toBe(requests);
  });
});
