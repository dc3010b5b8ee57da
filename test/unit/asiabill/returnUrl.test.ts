import { describe, expect, it } from 'vitest';
import { buildSignedReturnUrl, verifyReturnQuery } from '../../../src/asiabill/returnUrl.ts';
import { NotificationVerificationError } from '../../../src/asiabill/errors.ts';

// API.md §9.1, verified against AsiaBill's published returnUrl example (key 12345678).
const VECTOR = {
  code: '0000',
  gatewayNo: '12261003',
  maskCardNo: '400000***3155',
  merNo: '12261',
  message: 'Success',
  orderAmount: '358.70',
  orderCurrency: 'EUR',
  orderInfo: 'Transaction Approved',
  orderNo: 'NEW_API1474187659537',
  orderStatus: 'success',
  tradeNo: '2022041810092544882449',
  signInfo: 'B6F455BBFEB9338D8E2E75E08E0545F3C9AA1A009AACBA0585FEF3827FE34D22',
};

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NotificationVerificationError);
    return (err as NotificationVerificationError).code;
  }
  return 'no error';
}

describe('verifyReturnQuery', () => {
  it('verifies the published vector from a URL-encoded query string', () => {
    const query = new URLSearchParams(new URLSearchParams(VECTOR).toString());
    const r = verifyReturnQuery(query, '12345678');
    expect(r).toMatchObject({
      orderNo: 'NEW_API1474187659537',
      orderStatus: 'success',
      tradeNo: '2022041810092544882449',
      orderAmount: '358.70',
      maskCardNo: '400000***3155',
    });
  });

  it('verifies the vector given as a record, with a lowercase signature', () => {
    expect(verifyReturnQuery({ ...VECTOR, signInfo: VECTOR.signInfo.toLowerCase() }, '12345678').orderStatus).toBe(
      'success',
    );
  });

  it("leaves the merchant's own params out of the signature", () => {
    const query = new URLSearchParams({ ...VECTOR, bankCode: 'TestBankCode' });
    expect(code(() => verifyReturnQuery(query, '12345678'))).toBe('BAD_SIGNATURE');
    expect(verifyReturnQuery(query, '12345678', ['bankCode']).orderNo).toBe('NEW_API1474187659537');
  });

  it('rejects a tampered value, a wrong key and a missing signInfo', () => {
    expect(code(() => verifyReturnQuery({ ...VECTOR, orderStatus: 'fail' }, '12345678'))).toBe('BAD_SIGNATURE');
    expect(code(() => verifyReturnQuery(VECTOR, 'wrong'))).toBe('BAD_SIGNATURE');
    const { signInfo: _drop, ...unsigned } = VECTOR;
    expect(code(() => verifyReturnQuery(unsigned, '12345678'))).toBe('MISSING_HEADER');
  });

  it('round-trips buildSignedReturnUrl, keeping existing returnUrl params unsigned', () => {
    const { signInfo: _s, ...result } = VECTOR;
    const url = new URL(buildSignedReturnUrl('https://shop.example/return?bankCode=X', result, 'k3y'));
    expect(url.searchParams.get('bankCode')).toBe('X');
    expect(verifyReturnQuery(url.searchParams, 'k3y', ['bankCode']).tradeNo).toBe('2022041810092544882449');
  });
});
