/** confirmCharge, checkout, refunds and transaction lookups against the sandbox's test cards. */
import { describe, expect, it, vi } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import type { AsiabillClient } from '../../../src/asiabill/client.ts';
import { AsiabillApiError, UnknownOutcomeError } from '../../../src/asiabill/errors.ts';
import type { ConfirmChargeRequest, Customer, PaymentMethod } from '../../../src/asiabill/types.ts';
import { formatGatewayTime } from '../../../src/asiabill/gatewayTime.ts';
import { billingDetail, card, CARDS, chargeRequest, clientFor, searchWindow, useSandbox } from './support.ts';

let sandbox: Sandbox;
let client: AsiabillClient;

useSandbox((s, c) => {
  sandbox = s;
  client = c;
});

async function customerWithCard(cardNo: string): Promise<{ customer: Customer; pm: PaymentMethod }> {
  const customer = await client.createCustomer({ email: 'buyer@example.com', firstName: 'Buyer', lastName: 'One' });
  const pm = await client.createPaymentMethod({
    billingDetail: billingDetail(),
    card: card(cardNo),
    customerId: customer.customerId,
  });
  return { customer, pm };
}

function withPm(
  x: { customer: Customer; pm: PaymentMethod },
  f: Partial<ConfirmChargeRequest> = {},
): ConfirmChargeRequest {
  return chargeRequest({
    customerId: x.customer.customerId,
    customerPaymentMethodId: x.pm.customerPaymentMethodId,
    ...f,
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('card outcomes', () => {
  it('approves the success card and records it in the ledger', async () => {
    const x = await customerWithCard(CARDS.success);
    const req = withPm(x, { remark: 'plan pro', orderAmount: '49.00' });
    const res = await client.confirmCharge(req);
    expect(res).toMatchObject({
      orderNo: req.orderNo,
      orderStatus: 'success',
      orderInfo: 'Transaction Approved',
      orderAmount: '49.00',
      orderCurrency: 'USD',
      remark: 'plan pro',
      maskCardNo: '******4242',
    });
    expect(res.tradeNo).toMatch(/^\d{22}$/);
    expect(res.redirectUrl).toBeUndefined();
    const entry = sandbox.ledger().find((e) => e.orderNo === req.orderNo);
    expect(entry).toMatchObject({
      kind: 'charge',
      tradeNo: res.tradeNo,
      amount: '49.00',
      currency: 'USD',
      status: 'success',
      customerId: x.customer.customerId,
      pmId: x.pm.customerPaymentMethodId,
      remark: 'plan pro',
    });
    expect(Date.parse(entry?.createdAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it.each([
    ['soft decline', CARDS.softDecline, 'D0051 Insufficient funds'],
    ['hard decline (stolen)', CARDS.stolen, 'D0043 Stolen card, pick up'],
    ['generic decline', CARDS.generic, 'D0005 Do not honor'],
  ])('%s is a normal fail result', async (_name, cardNo, orderInfo) => {
    const res = await client.confirmCharge(withPm(await customerWithCard(cardNo)));
    expect(res).toMatchObject({ orderStatus: 'fail', orderInfo });
    expect(res.tradeNo).toMatch(/^\d{22}$/);
  });

  it('charges a raw card too, and declines an expired one', async () => {
    const ok = await client.confirmCharge(
      chargeRequest({ customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) } }),
    );
    expect(ok).toMatchObject({ orderStatus: 'success', maskCardNo: '424242***4242' });
    const expired = { ...card(CARDS.success), cardExpireYear: String(new Date().getUTCFullYear() - 1) };
    const res = await client.confirmCharge(
      chargeRequest({ customerPaymentMethod: { billingDetail: billingDetail(), card: expired } }),
    );
    expect(res).toMatchObject({ orderStatus: 'fail', orderInfo: 'D0054 Expired card' });
  });
});

describe('recurring', () => {
  it('InitRecurring then Recurring on the same customer + method', async () => {
    const x = await customerWithCard(CARDS.success);
    const init = await client.confirmCharge(withPm(x, { tokenType: 'InitRecurring' }));
    expect(init.orderStatus).toBe('success');
    const renewal = withPm(x, { tokenType: 'Recurring' });
    expect((await client.confirmCharge(renewal)).orderStatus).toBe('success');
    expect(sandbox.ledger().find((e) => e.orderNo === renewal.orderNo)?.tokenType).toBe('Recurring');
  });

  it('Recurring without a successful InitRecurring fails', async () => {
    const x = await customerWithCard(CARDS.success);
    const res = await client.confirmCharge(withPm(x, { tokenType: 'Recurring' }));
    expect(res.orderStatus).toBe('fail');
    expect(res.orderInfo).toContain('no successful InitRecurring for this payment method');
  });

  it('a failed InitRecurring does not set up the mandate', async () => {
    const x = await customerWithCard(CARDS.softDecline);
    expect((await client.confirmCharge(withPm(x, { tokenType: 'InitRecurring' }))).orderStatus).toBe('fail');
    expect((await client.confirmCharge(withPm(x, { tokenType: 'Recurring' }))).orderInfo).toContain(
      'no successful InitRecurring',
    );
  });

  it('the works-once card approves InitRecurring and declines every later charge', async () => {
    const x = await customerWithCard(CARDS.initThenDecline);
    expect((await client.confirmCharge(withPm(x, { tokenType: 'InitRecurring' }))).orderStatus).toBe('success');
    expect(await client.confirmCharge(withPm(x, { tokenType: 'Recurring' }))).toMatchObject({
      orderStatus: 'fail',
      orderInfo: 'D0005 Do not honor',
    });
    expect((await client.confirmCharge(withPm(x, { tokenType: 'Recurring' }))).orderStatus).toBe('fail');
  });

  it('a method bound to another customer fails', async () => {
    const x = await customerWithCard(CARDS.success);
    const other = await client.createCustomer({ email: 'other@example.com', firstName: 'O', lastName: 'T' });
    const res = await client.confirmCharge(withPm(x, { customerId: other.customerId, tokenType: 'InitRecurring' }));
    expect(res.orderStatus).toBe('fail');
    expect(res.orderInfo).toMatch(/not bound/);
  });

  it('a raw card with customerId is bound to the customer on success and can then recur', async () => {
    const customer = await client.createCustomer({ email: 'raw@example.com', firstName: 'R', lastName: 'C' });
    const init = await client.confirmCharge(
      chargeRequest({
        customerId: customer.customerId,
        tokenType: 'InitRecurring',
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) },
      }),
    );
    expect(init.orderStatus).toBe('success');
    const [pm] = await client.listPaymentMethods(customer.customerId);
    expect(pm?.card.last4).toBe('4242');
    const renewal = await client.confirmCharge(
      chargeRequest({
        customerId: customer.customerId,
        customerPaymentMethodId: pm?.customerPaymentMethodId ?? '',
        tokenType: 'Recurring',
      }),
    );
    expect(renewal.orderStatus).toBe('success');
  });
});

describe('idempotency and lost answers', () => {
  it('a reused orderNo answers I0061 Duplicate Order and creates no new charge', async () => {
    const x = await customerWithCard(CARDS.success);
    const req = withPm(x);
    await client.confirmCharge(req);
    const before = sandbox.ledger().length;
    const again = await client.confirmCharge(req);
    expect(again.orderStatus).toBe('fail');
    expect(again.orderInfo.startsWith('I0061 Duplicate Order')).toBe(true);
    expect(sandbox.ledger()).toHaveLength(before);
  });

  it('the no-response card surfaces as UnknownOutcomeError, then searchTransactions finds it as success', async () => {
    const x = await customerWithCard(CARDS.noResponse);
    const req = withPm(x, { tokenType: 'InitRecurring' });
    const requestTime = Date.now();
    const err = await rejection(client.confirmCharge(req, { requestTime }));
    expect(err).toBeInstanceOf(UnknownOutcomeError);
    expect(err).toMatchObject({ code: 'UNKNOWN_OUTCOME', orderNo: req.orderNo, requestTime });

    const page = await client.searchTransactions({ ...searchWindow(), orderNo: req.orderNo });
    expect(page.page.total).toBe(1);
    expect(page.list[0]).toMatchObject({
      orderNo: req.orderNo,
      tradeStatus: 'success',
      tradeAmount: '19.99',
      tradeCurrency: 'USD',
    });
    const detail = await client.orderInfo(page.list[0]?.tradeNo ?? '');
    expect(detail).toEqual(page.list[0]);
  });

  it('dropNextResponses drops any card’s answer after recording the charge', async () => {
    const x = await customerWithCard(CARDS.success);
    sandbox.setKnobs({ dropNextResponses: 1 });
    const req = withPm(x);
    expect(await rejection(client.confirmCharge(req))).toBeInstanceOf(UnknownOutcomeError);
    expect(sandbox.ledger().find((e) => e.orderNo === req.orderNo)?.status).toBe('success');
    // Only one dropped: the next call answers normally.
    expect((await client.confirmCharge(withPm(x))).orderStatus).toBe('success');
  });

  it('holdNextResponses records the charge, then sits on the answer', async () => {
    const x = await customerWithCard(CARDS.success);
    sandbox.setKnobs({ holdNextResponses: 1, holdResponseMs: 300 });
    const req = withPm(x);
    let settled = false;
    const call = client.confirmCharge(req).finally(() => {
      settled = true;
    });
    await vi.waitFor(() => expect(sandbox.ledger().some((e) => e.orderNo === req.orderNo)).toBe(true));
    expect(settled).toBe(false);
    expect((await call).orderStatus).toBe('success');
  });

  it('heldResponses counts the answers being held; releaseHeldResponses sends them at once', async () => {
    const x = await customerWithCard(CARDS.success);
    sandbox.setKnobs({ holdNextResponses: 3, holdResponseMs: 60_000 });
    const started = Date.now();
    const calls = [withPm(x), withPm(x), withPm(x)].map((req) => client.confirmCharge(req));
    await vi.waitFor(() => expect(sandbox.heldResponses()).toBe(3));
    expect(sandbox.releaseHeldResponses()).toBe(3);
    expect((await Promise.all(calls)).map((r) => r.orderStatus)).toEqual(['success', 'success', 'success']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sandbox.heldResponses()).toBe(0);
  });

  it('a held answer past the client timeout is an unknown outcome for a recorded charge', async () => {
    const x = await customerWithCard(CARDS.success);
    sandbox.setKnobs({ holdNextResponses: 1, holdResponseMs: 1_000 });
    const req = withPm(x);
    const err = await rejection(clientFor(sandbox, { timeoutMs: 150 }).confirmCharge(req));
    expect(err).toMatchObject({ code: 'UNKNOWN_OUTCOME', reason: 'timeout' });
    expect(sandbox.ledger().find((e) => e.orderNo === req.orderNo)?.status).toBe('success');
  });

  it('close() does not wait for a held answer', async () => {
    const own = await startSandbox({ port: 0 });
    const c = clientFor(own);
    const customer = await c.createCustomer({ email: 'h@example.com', firstName: 'H', lastName: 'D' });
    own.setKnobs({ holdNextResponses: 1, holdResponseMs: 60_000 });
    const call = c.confirmCharge(
      chargeRequest({
        customerId: customer.customerId,
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) },
      }),
    );
    await vi.waitFor(() => expect(own.ledger()).toHaveLength(1));
    const started = Date.now();
    await own.close();
    await call.catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('an upstream 503 is an unknown outcome too — and then the order is genuinely absent', async () => {
    const x = await customerWithCard(CARDS.success);
    sandbox.setKnobs({ failNextRequestsWith: '503' });
    const req = withPm(x);
    expect(await rejection(client.confirmCharge(req))).toBeInstanceOf(UnknownOutcomeError);
    expect((await client.searchTransactions({ ...searchWindow(), orderNo: req.orderNo })).list).toEqual([]);
  });

  it('an injected S0001 envelope is a definite refusal', async () => {
    const x = await customerWithCard(CARDS.success);
    sandbox.setKnobs({ failNextRequestsWith: 'S0001' });
    const err = await rejection(client.confirmCharge(withPm(x)));
    expect(err).toBeInstanceOf(AsiabillApiError);
    expect((err as AsiabillApiError).code).toBe('S0001');
  });

  it('safe reads ride out transient upstream failures', async () => {
    const customer = await client.createCustomer({ email: 'retry@example.com', firstName: 'R', lastName: 'T' });
    sandbox.setKnobs({ failNextRequestsWith: '502', failNextRequests: 2 });
    expect((await client.getCustomer(customer.customerId)).customerId).toBe(customer.customerId);
  });
});

describe('transaction search', () => {
  it('filters by the UTC+8 window and pages', async () => {
    const x = await customerWithCard(CARDS.success);
    const orders: string[] = [];
    for (let i = 0; i < 3; i++) {
      const req = withPm(x);
      orders.push(req.orderNo);
      await client.confirmCharge(req);
    }
    const all = await client.searchTransactions({ ...searchWindow(), pageSize: 1000 });
    const ours = all.list.filter((r) => orders.includes(r.orderNo));
    expect(ours).toHaveLength(3);
    const page2 = await client.searchTransactions({ ...searchWindow(), pageIndex: 2, pageSize: 1 });
    expect(page2.list[0]).toEqual(all.list[1]);

    // A window that ended an hour ago (gateway time) contains none of them.
    const past = Date.now() - 3_600_000;
    const old = await client.searchTransactions({
      startTime: formatGatewayTime(new Date(past - 3_600_000)),
      endTime: formatGatewayTime(new Date(past)),
    });
    expect(old.list.filter((r) => orders.includes(r.orderNo))).toEqual([]);
    // The same instant read as UTC instead of UTC+8 would miss it: the zone matters.
    const utcText = new Date().toISOString().slice(0, 19);
    const wrongZone = await client.searchTransactions({
      startTime: utcText,
      endTime: utcText,
      orderNo: orders[0] ?? '',
    });
    expect(wrongZone.list).toEqual([]);
  });
});

describe('checkout and local payment', () => {
  const checkout = (paymentMethod: string) => ({
    orderNo: `CO-${Date.now()}-${paymentMethod.replace(/\W/g, '')}`,
    orderAmount: '25.00',
    orderCurrency: 'EUR',
    paymentMethod,
    billingAddress: {
      address: '1 Rue de Rivoli',
      city: 'Paris',
      country: 'FR',
      email: 'c@example.fr',
      firstName: 'C',
      lastName: 'D',
      phone: '0102030405',
    },
    returnUrl: 'https://merchant.example/return/asiabill',
    customerIp: '198.51.100.1',
    webSite: 'merchant.example',
  });

  it('hosted checkout returns a redirectUrl whose page finalises the order', async () => {
    const req = checkout('Credit Card');
    const res = await client.checkoutPayment(req);
    expect(res.orderNo).toBe(req.orderNo);
    expect(res.redirectUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/__sandbox\/pay\/\d{22}$/);
    expect(sandbox.ledger().find((e) => e.orderNo === req.orderNo)).toMatchObject({
      kind: 'checkout',
      status: 'pending',
      paymentMethod: 'Credit Card',
    });
    const page = await fetch(`${res.redirectUrl}?result=success`);
    expect(((await page.json()) as { orderStatus: string }).orderStatus).toBe('success');
    expect(sandbox.ledger().find((e) => e.orderNo === req.orderNo)?.status).toBe('success');
  });

  it('local payment (Alipay) returns a redirectUrl', async () => {
    const res = await client.localPayment(checkout('Alipay'));
    expect(res.redirectUrl).toContain('/__sandbox/pay/');
    expect(res.tradeNo).toMatch(/^\d{22}$/);
  });

  it('a reused checkout orderNo is refused with I0061', async () => {
    const req = checkout('ideal');
    await client.localPayment(req);
    expect(((await rejection(client.localPayment(req))) as AsiabillApiError).code).toBe('I0061');
  });
});

describe('refunds', () => {
  it('refund → refundStatus, and the refundable amount is enforced', async () => {
    const res = await client.confirmCharge(withPm(await customerWithCard(CARDS.success), { orderAmount: '30.00' }));
    const tradeNo = res.tradeNo ?? '';
    const partial = await client.refund({
      tradeNo,
      merTrackNo: `RF-${tradeNo}-1`,
      refundAmount: '10.00',
      refundType: '2',
      refundReason: 'partial',
    });
    expect(partial).toMatchObject({ tradeNo, refundAmount: '10.00', refundStatus: 'success' });
    expect(partial.batchNo).toMatch(/^\d{22}$/);
    expect(await client.refundStatus(partial.batchNo)).toEqual(partial);

    const tooMuch = await rejection(
      client.refund({
        tradeNo,
        merTrackNo: `RF-${tradeNo}-2`,
        refundAmount: '25.00',
        refundType: '2',
        refundReason: 'x',
      }),
    );
    expect((tooMuch as AsiabillApiError).code).toBe('P0002');
    const reusedTrack = await rejection(
      client.refund({
        tradeNo,
        merTrackNo: `RF-${tradeNo}-1`,
        refundAmount: '1.00',
        refundType: '2',
        refundReason: 'x',
      }),
    );
    expect((reusedTrack as AsiabillApiError).code).toBe('P0002');
    const rest = await client.refund({
      tradeNo,
      merTrackNo: `RF-${tradeNo}-3`,
      refundAmount: '20.00',
      refundType: '1',
      refundReason: 'rest',
    });
    expect(rest.refundStatus).toBe('success');
  });

  it('a declined charge cannot be refunded; an unknown batch is P0002', async () => {
    const res = await client.confirmCharge(withPm(await customerWithCard(CARDS.generic)));
    const err = await rejection(
      client.refund({
        tradeNo: res.tradeNo ?? '',
        merTrackNo: 'RF-decl',
        refundAmount: '1.00',
        refundType: '2',
        refundReason: 'x',
      }),
    );
    expect((err as AsiabillApiError).code).toBe('P0002');
    expect(((await rejection(client.refundStatus('2000000000000000000000'))) as AsiabillApiError).code).toBe('P0002');
  });
});
