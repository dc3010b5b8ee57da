import { describe, expect, it } from 'vitest';
import { signNotification, verifyNotification } from '../../../src/asiabill/notifications.ts';
import { NotificationVerificationError } from '../../../src/asiabill/errors.ts';

const KEY = '12H4567r';
const GATEWAY = '12246002';
const NOW = new Date('2026-03-01T12:00:00Z');

const txBody = JSON.stringify({
  type: 'transaction.success',
  data: {
    transactionType: 'Sale',
    orderNo: 'INV-1-1',
    tradeNo: '2022041810092544882449',
    orderAmount: '9.99',
    orderCurrency: 'USD',
    orderStatus: 'success',
    orderInfo: 'Transaction Approved',
    remark: '',
  },
});

function signed(rawBody: string, opts: { requestTime?: number; key?: string } = {}): Record<string, string> {
  return signNotification({
    gatewayNo: GATEWAY,
    signKey: opts.key ?? KEY,
    rawBody,
    requestId: 'REQ-1',
    requestTime: opts.requestTime ?? NOW.getTime(),
  });
}

function rejection(fn: () => unknown): NotificationVerificationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NotificationVerificationError);
    return err as NotificationVerificationError;
  }
  throw new Error('expected a NotificationVerificationError');
}

describe('verifyNotification', () => {
  it('accepts a correctly signed notification and returns typed data', () => {
    const n = verifyNotification({ headers: signed(txBody), rawBody: txBody, signKey: KEY, now: NOW });
    expect(n).toEqual({
      type: 'transaction.success',
      requestId: 'REQ-1',
      requestTime: NOW.getTime(),
      data: {
        transactionType: 'Sale',
        orderNo: 'INV-1-1',
        tradeNo: '2022041810092544882449',
        orderAmount: '9.99',
        orderCurrency: 'USD',
        orderStatus: 'success',
        orderInfo: 'Transaction Approved',
        remark: '',
      },
    });
  });

  it('treats header names case-insensitively and the signature case-insensitively', () => {
    const h = signed(txBody);
    const headers = Object.fromEntries(
      Object.entries(h).map(([k, v]) => [k.toUpperCase(), k === 'sign-info' ? v.toLowerCase() : v]),
    );
    expect(verifyNotification({ headers, rawBody: txBody, signKey: KEY, now: NOW }).type).toBe('transaction.success');
  });

  it('rejects a tampered body (signature over the raw text)', () => {
    const tampered = txBody.replace('9.99', '0.01');
    expect(
      rejection(() => verifyNotification({ headers: signed(txBody), rawBody: tampered, signKey: KEY, now: NOW })).code,
    ).toBe('BAD_SIGNATURE');
  });

  it('rejects a re-serialised body that differs from the raw text', () => {
    const pretty = JSON.stringify(JSON.parse(txBody), null, 2);
    expect(
      rejection(() => verifyNotification({ headers: signed(txBody), rawBody: pretty, signKey: KEY, now: NOW })).code,
    ).toBe('BAD_SIGNATURE');
  });

  it('rejects the wrong key', () => {
    expect(
      rejection(() =>
        verifyNotification({ headers: signed(txBody, { key: 'other-key' }), rawBody: txBody, signKey: KEY, now: NOW }),
      ).code,
    ).toBe('BAD_SIGNATURE');
  });

  it('rejects a stale request-time (> maxAgeMs old)', () => {
    const headers = signed(txBody, { requestTime: NOW.getTime() - 600_001 });
    expect(rejection(() => verifyNotification({ headers, rawBody: txBody, signKey: KEY, now: NOW })).code).toBe(
      'STALE',
    );
  });

  it('accepts a request-time just inside the window', () => {
    const headers = signed(txBody, { requestTime: NOW.getTime() - 599_000 });
    expect(verifyNotification({ headers, rawBody: txBody, signKey: KEY, now: NOW }).type).toBe('transaction.success');
  });

  it('rejects a request-time too far in the future', () => {
    const headers = signed(txBody, { requestTime: NOW.getTime() + 600_001 });
    expect(rejection(() => verifyNotification({ headers, rawBody: txBody, signKey: KEY, now: NOW })).code).toBe(
      'STALE',
    );
  });

  it('honours a custom maxAgeMs', () => {
    const headers = signed(txBody, { requestTime: NOW.getTime() - 5_000 });
    expect(
      rejection(() => verifyNotification({ headers, rawBody: txBody, signKey: KEY, now: NOW, maxAgeMs: 1_000 })).code,
    ).toBe('STALE');
  });

  it.each(['gateway-no', 'request-id', 'request-time', 'version', 'sign-info'])(
    'rejects a missing %s header',
    (name) => {
      const headers: Record<string, string | undefined> = { ...signed(txBody) };
      headers[name] = undefined;
      expect(rejection(() => verifyNotification({ headers, rawBody: txBody, signKey: KEY, now: NOW })).code).toBe(
        'MISSING_HEADER',
      );
    },
  );

  it('rejects a repeated sign-info header as missing', () => {
    const h = signed(txBody);
    const headers = { ...h, 'sign-info': [h['sign-info'] ?? '', 'X'] };
    expect(rejection(() => verifyNotification({ headers, rawBody: txBody, signKey: KEY, now: NOW })).code).toBe(
      'MISSING_HEADER',
    );
  });

  it('checks against our own gateway number when given', () => {
    expect(
      rejection(() =>
        verifyNotification({ headers: signed(txBody), rawBody: txBody, signKey: KEY, now: NOW, gatewayNo: '99999999' }),
      ).code,
    ).toBe('BAD_SIGNATURE');
  });

  it('accepts numbers where strings are expected, keeping a 22-digit tradeNo exact', () => {
    const raw =
      '{"type":"transaction.fail","data":{"transactionType":"Sale","orderNo":12345,"tradeNo":2022041810092544882449,"orderAmount":9.9,"orderCurrency":"USD","orderStatus":"fail","orderInfo":"D0051 Insufficient funds","remark":null}}';
    const n = verifyNotification({ headers: signed(raw), rawBody: raw, signKey: KEY, now: NOW });
    expect(n.data).toMatchObject({
      orderNo: '12345',
      tradeNo: '2022041810092544882449',
      orderAmount: '9.9',
      remark: '',
    });
  });

  const tx = {
    transactionType: 'Sale',
    orderNo: 'O',
    tradeNo: 'T',
    orderAmount: '1',
    orderCurrency: 'USD',
    orderInfo: 'i',
    remark: '',
  };
  it.each([
    ['transaction.success', { ...tx, orderStatus: 'success' }],
    ['transaction.fail', { ...tx, orderStatus: 'fail' }],
    ['transaction.pending', { ...tx, orderStatus: 'pending' }],
    ['transaction.clear', { ...tx, orderStatus: 'success' }],
    ['pre-authorized.captured', { ...tx, orderStatus: 'success' }],
    ['pre-authorized.void', { ...tx, orderStatus: 'fail' }],
  ])('parses %s', (type, data) => {
    const raw = JSON.stringify({ type, data });
    const n = verifyNotification({ headers: signed(raw), rawBody: raw, signKey: KEY, now: NOW });
    expect(n.type).toBe(type);
    expect(n.data).toEqual(data);
  });

  it.each(['refund.success', 'refund.fail'])('parses %s', (type) => {
    const data = {
      reason: 'customer asked',
      amount: '5.00',
      currency: 'USD',
      batchNo: 'B1',
      orderNo: 'O',
      tradeNo: 'T',
      orderAmount: '9.99',
      orderCurrency: 'USD',
      noticeDate: '2022-04-26 17:47:18',
      merTrackNo: 'RF-1',
    };
    const raw = JSON.stringify({ type, data });
    const n = verifyNotification({ headers: signed(raw), rawBody: raw, signKey: KEY, now: NOW });
    expect(n).toMatchObject({ type, data });
  });

  it('parses chargeback.success', () => {
    const data = {
      chargebackInfo: { replyDeadline: '2022-05-10', cpdDate: '2022-04-26' },
      reason: 'D4755-Non-Receipt of Goods or Services',
      amount: '9.99',
      currency: 'USD',
      batchNo: 'CB1',
      orderNo: 'O',
      tradeNo: 'T',
      orderAmount: '9.99',
      orderCurrency: 'USD',
      noticeDate: '2022-04-26 17:47:18',
    };
    const raw = JSON.stringify({ type: 'chargeback.success', data });
    expect(verifyNotification({ headers: signed(raw), rawBody: raw, signKey: KEY, now: NOW })).toMatchObject({
      type: 'chargeback.success',
      data,
    });
  });

  // Issue 9, item 7: a correctly signed notification of a type we do not handle is no longer
  // BAD_BODY (AsiaBill would retry it for 17 hours): it is read as `unhandled` and kept.
  it('reads a correctly signed unknown type as unhandled, keeping its references', () => {
    const raw = JSON.stringify({ type: 'payout.success', data: { orderNo: 'O', tradeNo: 'T' } });
    expect(verifyNotification({ headers: signed(raw), rawBody: raw, signKey: KEY, now: NOW })).toEqual({
      type: 'unhandled',
      eventType: 'payout.success',
      requestId: 'REQ-1',
      requestTime: NOW.getTime(),
      data: { orderNo: 'O', tradeNo: 'T' },
    });
  });

  it.each([
    ['a bad orderStatus', { type: 'transaction.success', data: { ...tx, orderStatus: 'approved' } }],
    ['a missing tradeNo', { type: 'transaction.success', data: { ...tx, tradeNo: undefined, orderStatus: 'success' } }],
    ['no data', { type: 'transaction.success' }],
  ])('rejects %s as BAD_BODY', (_what, body) => {
    const raw = JSON.stringify(body);
    expect(
      rejection(() => verifyNotification({ headers: signed(raw), rawBody: raw, signKey: KEY, now: NOW })).code,
    ).toBe('BAD_BODY');
  });

  it('rejects a signed body that is not JSON as BAD_BODY', () => {
    const raw = 'success=1';
    expect(
      rejection(() => verifyNotification({ headers: signed(raw), rawBody: raw, signKey: KEY, now: NOW })).code,
    ).toBe('BAD_BODY');
  });
});
