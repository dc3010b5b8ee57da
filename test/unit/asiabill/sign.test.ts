import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { safeEqualHex, signRequest, signReturnParams, stringToSign } from '../../../src/asiabill/sign.ts';

describe('signRequest — API.md §9 vector 2 (SDK recipe)', () => {
  const input = {
    gatewayNo: '12345001',
    requestId: '58675',
    requestTime: '1651888520935',
    rawBody: '{"orderNo":"SUB-1","orderAmount":"9.99"}',
    signKey: '12345678',
  };

  it('builds the exact string to sign', () => {
    expect(stringToSign(input)).toBe('12345001586751651888520935.{"orderNo":"SUB-1","orderAmount":"9.99"}');
  });

  it('produces the exact uppercase signature', () => {
    expect(signRequest(input)).toBe('BC4EF69BEC0FF6BFB3E5DF14FE4D9CBC4D1440BE2460A2CE134420FECE963D83');
  });

  it('accepts request-time as a number', () => {
    expect(signRequest({ ...input, requestTime: 1651888520935 })).toBe(
      'BC4EF69BEC0FF6BFB3E5DF14FE4D9CBC4D1440BE2460A2CE134420FECE963D83',
    );
  });
});

describe('signReturnParams — API.md §9 vector 1 (verified against AsiaBill)', () => {
  const params = {
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
  };

  it('matches the published signature', () => {
    expect(signReturnParams(params, '12345678')).toBe(
      'B6F455BBFEB9338D8E2E75E08E0545F3C9AA1A009AACBA0585FEF3827FE34D22',
    );
  });

  it('ignores signInfo and the order the params come in', () => {
    const shuffled = Object.fromEntries(Object.entries(params).reverse());
    expect(signReturnParams({ ...shuffled, signInfo: 'anything' }, '12345678')).toBe(
      'B6F455BBFEB9338D8E2E75E08E0545F3C9AA1A009AACBA0585FEF3827FE34D22',
    );
  });
});

describe('stringToSign parts', () => {
  const h = { gatewayNo: 'G', requestId: 'R', requestTime: '1' };

  it('headers only when there is no path, query or body (GET, empty POST)', () => {
    expect(stringToSign(h)).toBe('GR1');
    expect(stringToSign({ ...h, rawBody: '' })).toBe('GR1');
  });

  it('appends version for webhooks', () => {
    expect(stringToSign({ ...h, version: 'V2022-03', rawBody: '{}' })).toBe('GR1V2022-03.{}');
  });

  it('sorts path values and joins parts with dots', () => {
    const s = stringToSign({ ...h, pathParams: { customerPaymentMethodId: 'pm_2', customerId: 'cus_1' } });
    expect(s).toBe('GR1.cus_1pm_2');
  });

  it('orders query values by key, values only, empty values add nothing', () => {
    const s = stringToSign({
      ...h,
      query: { tradeNo: '', startTime: '2022-02-21T00:00:00', orderNo: 'A', endTime: 'E', pageSize: undefined },
    });
    expect(s).toBe('GR1.EA2022-02-21T00:00:00'); // endTime, orderNo, startTime
  });

  it('skips an empty path part but keeps query and body', () => {
    expect(stringToSign({ ...h, pathParams: {}, query: { a: 'x' }, rawBody: 'B' })).toBe('GR1.x.B');
  });

  it('is the HMAC-SHA256 of that string, hex uppercase', () => {
    const input = { ...h, query: { b: '2', a: '1' }, rawBody: '{"x":1}', signKey: 'k' };
    const expected = createHmac('sha256', 'k').update('GR1.12.{"x":1}').digest('hex').toUpperCase();
    expect(signRequest(input)).toBe(expected);
  });

  it('does not depend on query key insertion order (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 8 })), (query) => {
        const reversed = Object.fromEntries(Object.entries(query).reverse());
        return signRequest({ ...h, query, signKey: 'k' }) === signRequest({ ...h, query: reversed, signKey: 'k' });
      }),
    );
  });
});

describe('safeEqualHex', () => {
  it('is case-insensitive', () => {
    expect(safeEqualHex('BC4EF69B', 'bc4ef69b')).toBe(true);
  });
  it('rejects different values and lengths, and empty strings', () => {
    expect(safeEqualHex('AB', 'AC')).toBe(false);
    expect(safeEqualHex('AB', 'ABC')).toBe(false);
    expect(safeEqualHex('', '')).toBe(false);
  });
});
