/**
 * Async notifications from the sandbox to a real local receiver: 3-D Secure flows,
 * signatures verified with the engine's verifier, retries, duplicates and reordering.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import type { AsiabillClient } from '../../../src/asiabill/client.ts';
import { verifyNotification } from '../../../src/asiabill/notifications.ts';
import { verifyReturnQuery } from '../../../src/asiabill/returnUrl.ts';
import type { GatewayNotification } from '../../../src/asiabill/types.ts';
import {
  billingDetail,
  bodyOf,
  card,
  CARDS,
  chargeRequest,
  clientFor,
  startReceiver,
  type Received,
  type Receiver,
} from './support.ts';

let sandbox: Sandbox;
let client: AsiabillClient;
let receiver: Receiver;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, notify: { delayMs: 10, retryScheduleMs: [40, 40] } });
  client = clientFor(sandbox);
  receiver = await startReceiver();
});
afterEach(async () => {
  // Every test starts from a quiet sandbox and a receiver that says "success".
  await vi.waitFor(() => expect(sandbox.pendingNotifications()).toBe(0), { timeout: 3_000 });
  sandbox.setKnobs({ duplicate: false, reorder: false, delayMs: 10, retryScheduleMs: [40, 40] });
  receiver.answer = () => 'success';
  receiver.received.length = 0;
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

function verify(r: Received): GatewayNotification {
  return verifyNotification({
    headers: r.headers,
    rawBody: r.rawBody,
    signKey: sandbox.signKey,
    gatewayNo: sandbox.gatewayNo,
  });
}

async function threeDsInit(): Promise<{
  customerId: string;
  pmId: string;
  orderNo: string;
  tradeNo: string;
  redirectUrl: string;
}> {
  const customer = await client.createCustomer({ email: '3ds@example.com', firstName: 'T', lastName: 'D' });
  const pm = await client.createPaymentMethod({
    billingDetail: billingDetail(),
    card: card(CARDS.threeDs),
    customerId: customer.customerId,
  });
  const req = chargeRequest({
    customerId: customer.customerId,
    customerPaymentMethodId: pm.customerPaymentMethodId,
    tokenType: 'InitRecurring',
    callbackUrl: receiver.url,
  });
  const res = await client.confirmCharge(req);
  expect(res.orderStatus).toBe('pending');
  return {
    customerId: customer.customerId,
    pmId: pm.customerPaymentMethodId,
    orderNo: req.orderNo,
    tradeNo: res.tradeNo ?? '',
    redirectUrl: res.redirectUrl ?? '',
  };
}

describe('3-D Secure', () => {
  it('pending → completeThreeDS → signed transaction.success; Recurring then needs no challenge', async () => {
    const init = await threeDsInit();
    expect(init.redirectUrl).toBe(`${sandbox.url}/__sandbox/3ds/${init.tradeNo}`);
    await sandbox.flushNotifications();
    expect(receiver.received.map((r) => verify(r).type)).toEqual(['transaction.pending']);

    await sandbox.completeThreeDS(init.tradeNo, 'success');
    await sandbox.flushNotifications();
    const [pending, success] = receiver.received.map(verify);
    expect(pending?.data).toMatchObject({ orderNo: init.orderNo, tradeNo: init.tradeNo, orderStatus: 'pending' });
    expect(success).toMatchObject({
      type: 'transaction.success',
      data: {
        transactionType: 'Sale',
        orderNo: init.orderNo,
        tradeNo: init.tradeNo,
        orderAmount: '19.99',
        orderCurrency: 'USD',
        orderStatus: 'success',
        orderInfo: 'Transaction Approved',
        remark: '',
      },
    });
    // AsiaBill's wire format: compact JSON and the documented headers.
    const raw = receiver.received[1]!;
    expect(raw.rawBody).toBe(JSON.stringify(JSON.parse(raw.rawBody)));
    expect(raw.headers.version).toBe('V2022-03');
    expect(raw.headers['gateway-no']).toBe(sandbox.gatewayNo);
    expect(raw.headers['sign-info']).toMatch(/^[0-9A-F]{64}$/);

    const renewal = await client.confirmCharge(
      chargeRequest({ customerId: init.customerId, customerPaymentMethodId: init.pmId, tokenType: 'Recurring' }),
    );
    expect(renewal.orderStatus).toBe('success');
    expect(renewal.redirectUrl).toBeUndefined();
  });

  it('completing by visiting the redirectUrl (fail) notifies transaction.fail and returns a signed returnUrl', async () => {
    const init = await threeDsInit();
    const page = await fetch(init.redirectUrl);
    expect(await page.text()).toContain('3-D Secure challenge');
    const done = (await (await fetch(`${init.redirectUrl}?result=fail`)).json()) as {
      orderStatus: string;
      returnUrl: string;
    };
    expect(done.orderStatus).toBe('fail');
    const back = verifyReturnQuery(new URL(done.returnUrl).searchParams, sandbox.signKey);
    expect(back).toMatchObject({ orderNo: init.orderNo, tradeNo: init.tradeNo, orderStatus: 'fail' });

    await sandbox.flushNotifications();
    expect(receiver.received.map((r) => verify(r).type)).toEqual(['transaction.pending', 'transaction.fail']);
    // A failed challenge leaves no mandate.
    const renewal = await client.confirmCharge(
      chargeRequest({ customerId: init.customerId, customerPaymentMethodId: init.pmId, tokenType: 'Recurring' }),
    );
    expect(renewal.orderInfo).toContain('no successful InitRecurring');
    // And the order cannot be completed twice.
    await expect(sandbox.completeThreeDS(init.orderNo, 'success')).rejects.toThrow(/already fail/);
  });

  it('with reorder, the pending notification arrives after the success', async () => {
    sandbox.setKnobs({ reorder: true });
    const init = await threeDsInit();
    await sandbox.completeThreeDS(init.orderNo, 'success');
    await sandbox.flushNotifications();
    expect(receiver.received.map((r) => verify(r).type)).toEqual(['transaction.success', 'transaction.pending']);
  });
});

describe('delivery', () => {
  it('retries until the receiver answers success (with a fresh, verifiable signature each time)', async () => {
    receiver.answer = (n) => (n === 0 ? 'error: database down' : '  SUCCESS \n');
    const res = await client.confirmCharge(
      chargeRequest({
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) },
        callbackUrl: receiver.url,
      }),
    );
    await vi.waitFor(() => expect(receiver.received).toHaveLength(2), { timeout: 2_000 });
    const [first, second] = receiver.received;
    expect(first?.rawBody).toBe(second?.rawBody);
    expect(first?.headers['request-id']).not.toBe(second?.headers['request-id']);
    expect(verify(second!).data).toMatchObject({ tradeNo: res.tradeNo, orderStatus: 'success' });
    await vi.waitFor(() => expect(sandbox.pendingNotifications()).toBe(0));
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received).toHaveLength(2);
  });

  it('gives up after the retry schedule is exhausted', async () => {
    receiver.answer = () => 'nope';
    await client.confirmCharge(
      chargeRequest({
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.generic) },
        callbackUrl: receiver.url,
      }),
    );
    await vi.waitFor(() => expect(sandbox.pendingNotifications()).toBe(0), { timeout: 2_000 });
    // 1 attempt + one per retryScheduleMs entry.
    expect(receiver.received).toHaveLength(3);
    expect(bodyOf(receiver.received[0]!).type).toBe('transaction.fail');
  });

  it('the duplicate knob delivers every notification twice', async () => {
    sandbox.setKnobs({ duplicate: true });
    const res = await client.confirmCharge(
      chargeRequest({
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) },
        callbackUrl: receiver.url,
      }),
    );
    await sandbox.flushNotifications();
    expect(receiver.received).toHaveLength(2);
    const [a, b] = receiver.received.map(verify);
    expect(a).toMatchObject({ type: 'transaction.success', data: { tradeNo: res.tradeNo } });
    expect(b?.data).toEqual(a?.data);
  });

  it('the no-response card is still notified', async () => {
    const req = chargeRequest({
      customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.noResponse) },
      callbackUrl: receiver.url,
    });
    await expect(client.confirmCharge(req)).rejects.toMatchObject({ code: 'UNKNOWN_OUTCOME' });
    await sandbox.flushNotifications();
    expect(verify(receiver.received[0]!)).toMatchObject({
      type: 'transaction.success',
      data: { orderNo: req.orderNo },
    });
  });

  it('a refund sends refund.success to the charge callbackUrl', async () => {
    const res = await client.confirmCharge(
      chargeRequest({
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) },
        callbackUrl: receiver.url,
        orderAmount: '12.00',
      }),
    );
    await sandbox.flushNotifications();
    const refund = await client.refund({
      tradeNo: res.tradeNo ?? '',
      merTrackNo: 'RF-N-1',
      refundAmount: '12.00',
      refundType: '1',
      refundReason: 'customer asked',
    });
    await sandbox.flushNotifications();
    const n = verify(receiver.received[1]!);
    expect(n).toMatchObject({
      type: 'refund.success',
      data: {
        batchNo: refund.batchNo,
        tradeNo: res.tradeNo,
        amount: '12.00',
        currency: 'USD',
        merTrackNo: 'RF-N-1',
        reason: 'customer asked',
      },
    });
    expect(n.type === 'refund.success' && n.data.noticeDate).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('knobs can be set over HTTP', async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/knobs`, {
      method: 'POST',
      body: JSON.stringify({ duplicate: true, delayMs: 5 }),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    await client.confirmCharge(
      chargeRequest({
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) },
        callbackUrl: receiver.url,
      }),
    );
    await sandbox.flushNotifications();
    expect(receiver.received).toHaveLength(2);
    const bad = await fetch(`${sandbox.url}/__sandbox/knobs`, {
      method: 'POST',
      body: JSON.stringify({ delayMs: 'soon' }),
    });
    expect(bad.status).toBe(400);
  });
});
