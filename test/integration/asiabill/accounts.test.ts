/** Customers, payment methods and the session token, over real HTTP against the sandbox. */
import { describe, expect, it } from 'vitest';
import type { Sandbox } from '../../../src/sandbox/index.ts';
import type { AsiabillClient } from '../../../src/asiabill/client.ts';
import { AsiabillApiError } from '../../../src/asiabill/errors.ts';
import { billingDetail, card, CARDS, useSandbox } from './support.ts';

let sandbox: Sandbox;
let client: AsiabillClient;

useSandbox((s, c) => {
  sandbox = s;
  client = c;
});

async function apiError(p: Promise<unknown>): Promise<AsiabillApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AsiabillApiError);
  return err as AsiabillApiError;
}

describe('session token', () => {
  it('returns a token', async () => {
    expect(await client.sessionToken()).toMatch(/^\S{10,}$/);
  });
});

describe('customers', () => {
  it('create → get → update → list → delete', async () => {
    const created = await client.createCustomer({
      email: 'grace@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
      phone: '555-0101',
      description: 'VIP',
    });
    expect(created.customerId).toMatch(/^cus_\d{19}$/);
    expect(created).toMatchObject({
      email: 'grace@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
      phone: '555-0101',
      description: 'VIP',
    });

    expect(await client.getCustomer(created.customerId)).toEqual(created);

    const updated = await client.updateCustomer(created.customerId, {
      email: 'grace@navy.example',
      description: 'Admiral',
    });
    expect(updated).toMatchObject({
      customerId: created.customerId,
      email: 'grace@navy.example',
      description: 'Admiral',
      firstName: 'Grace',
    });
    expect((await client.getCustomer(created.customerId)).email).toBe('grace@navy.example');

    const page = await client.listCustomers({ pageIndex: 1, pageSize: 1000 });
    expect(page.list.map((c) => c.customerId)).toContain(created.customerId);
    expect(page.page.total).toBe(page.list.length);

    await client.deleteCustomer(created.customerId);
    const gone = await apiError(client.getCustomer(created.customerId));
    expect(gone.code).toBe('P0002');
  });

  it('pages the customer list', async () => {
    for (let i = 0; i < 3; i++)
      await client.createCustomer({ email: `p${i}@example.com`, firstName: 'P', lastName: String(i) });
    const all = await client.listCustomers({ pageSize: 1000 });
    const second = await client.listCustomers({ pageIndex: 2, pageSize: 2 });
    expect(second.page).toEqual({ total: all.page.total, pageSize: 2, pageIndex: 2 });
    expect(second.list).toEqual(all.list.slice(2, 4));
  });

  it('refuses an unknown customer with P0002', async () => {
    expect((await apiError(client.getCustomer('cus_1999999999999999999'))).code).toBe('P0002');
  });
});

describe('payment methods', () => {
  it('create (bound) → get → list → update → detach → attach', async () => {
    const customer = await client.createCustomer({ email: 'pm@example.com', firstName: 'P', lastName: 'M' });
    const pm = await client.createPaymentMethod({
      billingDetail: billingDetail(),
      card: card(CARDS.success),
      customerId: customer.customerId,
    });
    expect(pm.customerPaymentMethodId).toMatch(/^pm_\d{19}$/);
    expect(pm).toMatchObject({
      customerId: customer.customerId,
      card: { brand: 'Visa', last4: '4242' },
      billingDetail: billingDetail(),
    });

    // The sandbox answers GET /payment_methods/{id} with code "0", like AsiaBill's plugin expects.
    expect(await client.getPaymentMethod(pm.customerPaymentMethodId)).toEqual(pm);
    expect((await client.listPaymentMethods(customer.customerId)).map((p) => p.customerPaymentMethodId)).toEqual([
      pm.customerPaymentMethodId,
    ]);

    const newBilling = {
      ...billingDetail(),
      phone: '+44 20 7946 0000',
      address: { line1: '1 Baker Street', city: 'London', country: 'GB', postalCode: 'NW1' },
    };
    const updated = await client.updatePaymentMethod({
      customerPaymentMethodId: pm.customerPaymentMethodId,
      billingDetail: newBilling,
    });
    expect(updated.billingDetail).toEqual(newBilling);
    expect((await client.getPaymentMethod(pm.customerPaymentMethodId)).billingDetail).toEqual(newBilling);

    await client.detachPaymentMethod(pm.customerPaymentMethodId);
    expect(await client.listPaymentMethods(customer.customerId)).toEqual([]);
    expect((await client.getPaymentMethod(pm.customerPaymentMethodId)).customerId).toBeUndefined();

    await client.attachPaymentMethod(pm.customerPaymentMethodId, customer.customerId);
    expect((await client.listPaymentMethods(customer.customerId)).map((p) => p.customerPaymentMethodId)).toEqual([
      pm.customerPaymentMethodId,
    ]);
  });

  it('refuses to attach a method that belongs to another customer', async () => {
    const a = await client.createCustomer({ email: 'a@example.com', firstName: 'A', lastName: 'A' });
    const b = await client.createCustomer({ email: 'b@example.com', firstName: 'B', lastName: 'B' });
    const pm = await client.createPaymentMethod({
      billingDetail: billingDetail(),
      card: card(CARDS.success),
      customerId: a.customerId,
    });
    expect((await apiError(client.attachPaymentMethod(pm.customerPaymentMethodId, b.customerId))).code).toBe('P0002');
  });

  it('refuses a card number that fails Luhn (P0001) without echoing it', async () => {
    const err = await apiError(
      client.createPaymentMethod({ billingDetail: billingDetail(), card: card('4242424242424241') }),
    );
    expect(err.code).toBe('P0001');
    expect(err.message).toContain('card.cardNo');
    expect(err.message).not.toContain('4242424242424241');
  });

  it('refuses an unknown payment method and an unknown customer', async () => {
    expect((await apiError(client.getPaymentMethod('pm_1999999999999999999'))).code).toBe('P0002');
    expect((await apiError(client.listPaymentMethods('cus_1999999999999999999'))).code).toBe('P0002');
    expect(
      (
        await apiError(
          client.createPaymentMethod({
            billingDetail: billingDetail(),
            card: card(CARDS.success),
            customerId: 'cus_1999999999999999999',
          }),
        )
      ).code,
    ).toBe('P0002');
  });

  it('stores only brand, last four and expiry', async () => {
    const pm = await client.createPaymentMethod({
      billingDetail: billingDetail(),
      card: card('5555555555554444', '9281'),
    });
    const stored = sandbox.dump().paymentMethods.find((p) => p.customerPaymentMethodId === pm.customerPaymentMethodId);
    expect(stored).toMatchObject({
      card: { brand: 'MasterCard', last4: '4444' },
      expMonth: '12',
      behaviour: 'approve',
    });
    expect(JSON.stringify(sandbox.dump())).not.toContain('5555555555554444');
    expect(JSON.stringify(stored)).not.toContain('9281');
  });
});
