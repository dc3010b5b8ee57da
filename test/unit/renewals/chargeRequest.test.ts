/**
 * goodsPrice and orderAmount agree, per currency exponent (issue 9, item 8). AsiaBill's
 * orderAmount takes at most two decimals and whole units for zero-decimal currencies
 * (confirmCharge.openapi.json: "最多两位小数，注：如果币种最小单位为元，则只能为整数").
 * Expected strings are written by hand from that rule, not computed.
 */
import { describe, expect, it } from 'vitest';
import { buildChargeRequest } from '../../../src/renewals/chargeRequest.ts';
import { validateConfirmCharge } from '../../../src/asiabill/validate.ts';
import { ValidationError } from '../../../src/errors.ts';

function request(amount: number, currency: string) {
  return buildChargeRequest({
    orderNo: 'inv_1-1',
    amount,
    currency,
    tokenType: 'Recurring',
    asiabillCustomerId: 'cus_1',
    asiabillPaymentMethodId: 'pm_1',
    planName: 'Pro',
    subscriptionId: 'sub_1',
    periodStart: new Date('2026-01-01T00:00:00Z'),
    publicUrl: 'https://merchant.example',
    webSite: 'https://merchant.example',
    customerIp: '203.0.113.9',
  });
}

describe.each([
  // exponent, currency, minor units, the amount text AsiaBill must receive
  [0, 'JPY', 1500, '1500'],
  [0, 'KRW', 9900, '9900'],
  [2, 'USD', 1999, '19.99'],
  [2, 'EUR', 5, '0.05'],
  [3, 'KWD', 12_500, '12.50'],
  [3, 'BHD', 7_000, '7.00'],
  [3, 'JOD', 10, '0.01'],
])('exponent %i: %s %i minor units', (_exponent, currency, minor, text) => {
  it(`sends orderAmount and goodsPrice both as ${text}`, () => {
    const r = request(minor, currency);
    expect(r.orderAmount).toBe(text);
    expect(r.goodsDetails).toHaveLength(1);
    expect(r.goodsDetails?.[0]?.goodsPrice).toBe(text);
    expect(r.goodsDetails?.[0]?.goodsCount).toBe('1');
  });

  it('passes the gateway-side validation', () => {
    expect(() => validateConfirmCharge(request(minor, currency))).not.toThrow();
  });
});

it('a 3-decimal amount with a non-zero third decimal is refused, not rounded', () => {
  expect(() => request(12_345, 'KWD')).toThrow(ValidationError);
});
