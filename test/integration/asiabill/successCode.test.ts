/**
 * Seed fidelity (issue 9, item 9): the seed's confirmCharge response example carries
 * `"code": "success"` where every other AsiaBill source shows an all-zero code. The client
 * must read both as success on every call; the sandbox's `successCode` knob answers either way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../../src/sandbox/index.ts';
import type { AsiabillClient } from '../../../src/asiabill/client.ts';
import { billingDetail, card, CARDS, chargeRequest, searchWindow, useSandbox } from './support.ts';

let sandbox: Sandbox;
let client: AsiabillClient;
useSandbox((s, c) => {
  sandbox = s;
  client = c;
});

afterEach(() => {
  sandbox.setKnobs({ successCode: '' });
});

// '' = the sandbox's usual per-route codes ("00000", "0000", "0").
describe.each(['', 'success', 'SUCCESS', '00000'])('every call with success code %j', (successCode) => {
  it('creates, reads, charges, searches, refunds', async () => {
    sandbox.setKnobs({ successCode });
    const customer = await client.createCustomer({ email: 'seed@example.com', firstName: 'Seed', lastName: 'Code' });
    expect(customer.customerId).toMatch(/^cus_/);
    expect((await client.getCustomer(customer.customerId)).customerId).toBe(customer.customerId);
    const pm = await client.createPaymentMethod({
      billingDetail: billingDetail(),
      card: card(CARDS.success),
      customerId: customer.customerId,
    });
    expect((await client.getPaymentMethod(pm.customerPaymentMethodId)).customerPaymentMethodId).toBe(
      pm.customerPaymentMethodId,
    );
    expect(await client.listPaymentMethods(customer.customerId)).toHaveLength(1);
    expect(typeof (await client.sessionToken())).toBe('string');

    const req = chargeRequest({
      customerId: customer.customerId,
      customerPaymentMethodId: pm.customerPaymentMethodId,
      tokenType: 'InitRecurring',
    });
    const res = await client.confirmCharge(req);
    expect(res.orderStatus).toBe('success');
    const page = await client.searchTransactions({ ...searchWindow(), orderNo: req.orderNo });
    expect(page.list.map((r) => r.orderNo)).toEqual([req.orderNo]);
    const tradeNo = res.tradeNo ?? '';
    expect((await client.orderInfo(tradeNo)).tradeNo).toBe(tradeNo);
    const refund = await client.refund({
      tradeNo,
      merTrackNo: `r-${req.orderNo}`.slice(0, 50),
      refundAmount: '19.99',
      refundType: '1',
      refundReason: 'test',
    });
    expect((await client.refundStatus(refund.batchNo)).batchNo).toBe(refund.batchNo);
  });
});

it('a refusal code is still a refusal whatever the success knob says', async () => {
  sandbox.setKnobs({ successCode: 'success', failNextRequestsWith: 'L0001' });
  await expect(client.createCustomer({ email: 'x@example.com', firstName: 'X', lastName: 'Y' })).rejects.toMatchObject({
    code: 'L0001',
  });
});
