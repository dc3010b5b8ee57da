/**
 * customerIp (issue 9, item 11): the customer-present first charge (InitRecurring) carries the
 * subscribing customer's IP when the caller gives it; renewals (Recurring, merchant-initiated)
 * carry the merchant server's configured address (BILLING_SERVER_IP). Checked on what the
 * sandbox gateway actually received, charge by charge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubscription } from '../../../src/subscriptions/create.ts';
import { ValidationError } from '../../../src/errors.ts';
import { asc, eq } from 'drizzle-orm';
import { invoices, subscriptions } from '../../../src/db/schema.ts';
import { makeCustomerWithCard, makePlan, startTestEngine, type TestEngine } from '../../support/engine.ts';

const SERVER_IP = '198.51.100.20';
let t: TestEngine;

beforeAll(async () => {
  t = await startTestEngine({ start: '2031-01-10T12:00:00Z', env: { BILLING_SERVER_IP: SERVER_IP } });
});
afterAll(async () => {
  await t.stop();
});

async function subscriptionCount(): Promise<number> {
  return (await t.ctx.db.select({ id: subscriptions.id }).from(subscriptions)).length;
}

function ledgerFor(orderNoPrefix: string) {
  return (t.engine.sandbox?.ledger() ?? []).filter((e) => e.orderNo.startsWith(orderNoPrefix));
}

describe('customerIp on the wire', () => {
  it.each([
    ['IPv4', '203.0.113.5'],
    ['IPv6', '2001:db8::7'],
  ])('first charge carries the customer %s; the renewal the server address', async (_kind, ip) => {
    const plan = await makePlan(t.ctx, { interval: 'day' });
    const { customerId, paymentMethodId } = await makeCustomerWithCard(t.ctx);
    const r = await createSubscription(t.ctx, { customerId, planCode: plan, paymentMethodId, customerIp: ip });
    expect(r.status).toBe('active');
    const subId = r.subscriptionId;
    const now = await t.ctx.time.now();
    await t.advanceTo(new Date(now.getTime() + 26 * 3600 * 1000));
    const invoiceIds = (
      await t.ctx.db
        .select({ id: invoices.id })
        .from(invoices)
        .where(eq(invoices.subscriptionId, subId))
        .orderBy(asc(invoices.periodIndex))
    ).map((i) => i.id);
    expect(invoiceIds.length).toBe(2);
    const entries = invoiceIds.flatMap((id) => ledgerFor(id));
    expect(entries.map((e) => [e.tokenType, e.status, e.customerIp])).toEqual([
      ['InitRecurring', 'success', ip],
      ['Recurring', 'success', SERVER_IP],
    ]);
  });

  it('without a customer IP the first charge carries the server address', async () => {
    const plan = await makePlan(t.ctx);
    const { customerId, paymentMethodId } = await makeCustomerWithCard(t.ctx);
    const r = await createSubscription(t.ctx, { customerId, planCode: plan, paymentMethodId });
    expect(r.invoiceId).not.toBeNull();
    expect(ledgerFor(r.invoiceId ?? '-').map((e) => e.customerIp)).toEqual([SERVER_IP]);
  });

  it.each(['', 'localhost', '999.1.1.1', '203.0.113.5; drop table', '1.2.3'])(
    'a customer IP %j is refused before anything is written or sent',
    async (bad) => {
      const plan = await makePlan(t.ctx);
      const { customerId, paymentMethodId } = await makeCustomerWithCard(t.ctx);
      const before = (t.engine.sandbox?.ledger() ?? []).length;
      const subsBefore = await subscriptionCount();
      await expect(
        createSubscription(t.ctx, { customerId, planCode: plan, paymentMethodId, customerIp: bad }),
      ).rejects.toMatchObject({ constructor: ValidationError, field: 'customer-ip' });
      expect((t.engine.sandbox?.ledger() ?? []).length).toBe(before);
      expect(await subscriptionCount()).toBe(subsBefore);
    },
  );
});
