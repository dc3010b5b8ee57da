/** `billing subscriptions create --customer-ip` (issue 9, item 11), checked on what the sandbox received. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startCliHarness, expectBadInput, type CliHarness } from './harness.ts';

let h: CliHarness;
let customerId = '';
let cardId = '';

beforeAll(async () => {
  h = await startCliHarness({ BILLING_SERVER_IP: '198.51.100.20' });
  await h.json(
    'plans',
    'create',
    '--code',
    'ip',
    '--name',
    'IP',
    '--amount',
    '5.00',
    '--currency',
    'USD',
    '--interval',
    'month',
  );
  customerId = (
    await h.json<{ id: string }>(
      'customers',
      'create',
      '--email',
      'ip@example.com',
      '--first-name',
      'I',
      '--last-name',
      'P',
    )
  ).id;
  cardId = (
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
});
afterAll(async () => {
  await h.close();
});

const create = (...extra: string[]) =>
  ['subscriptions', 'create', '--customer', customerId, '--plan', 'ip', '--payment-method', cardId, ...extra] as const;

it('sends the given address on the first charge', async () => {
  const r = await h.json<{ invoiceId: string; charge: { status: string } }>(...create('--customer-ip', '203.0.113.77'));
  expect(r.charge.status).toBe('succeeded');
  const sent = h.sandbox.ledger().filter((e) => e.orderNo.startsWith(r.invoiceId));
  expect(sent.map((e) => [e.tokenType, e.customerIp])).toEqual([['InitRecurring', '203.0.113.77']]);
});

it('refuses a malformed address with exit 2, naming the flag, and writes nothing', async () => {
  const before = await h.counts();
  const charges = h.sandbox.ledger().length;
  expectBadInput(await h.run(...create('--customer-ip', 'not-an-ip')), 'customer-ip');
  expect(await h.counts()).toEqual(before);
  expect(h.sandbox.ledger().length).toBe(charges);
});
