import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { signRequest, signReturnParams, stringToSign, type StringToSignInput } from '../../../src/asiabill/sign.ts';
import { signNotification, verifyNotification } from '../../../src/asiabill/notifications.ts';
import { verifyReturnQuery } from '../../../src/asiabill/returnUrl.ts';

/**
 * Signature vectors that do not come from src/asiabill/sign.ts.
 *
 * - The two vectors published in API.md §9 (the first verified against AsiaBill's own example).
 * - Further vectors whose string-to-sign is spelled out by hand from the recipe in API.md §2/§3,
 *   and whose signatures were computed once with the openssl CLI
 *   (`printf '%s' "$STRING" | openssl dgst -sha256 -hmac "$KEY"`, uppercased) and pasted here.
 *   Each row is also re-checked with a plain node:crypto HMAC over the hand-built string, so a
 *   pasting mistake fails loudly instead of silently agreeing with the code.
 */
const hmac = (key: string, message: string): string =>
  createHmac('sha256', key).update(message, 'utf8').digest('hex').toUpperCase();

interface RequestVector {
  name: string;
  input: StringToSignInput & { signKey: string };
  /** The string to sign, written by hand from the recipe. */
  message: string;
  /** HMAC-SHA256 hex, uppercase, from AsiaBill's docs or the openssl CLI. */
  sign: string;
}

const SANDBOX_KEY = '12H4567r';
const VECTORS: RequestVector[] = [
  {
    name: 'API.md §9.2: POST with a JSON body',
    input: {
      gatewayNo: '12345001',
      requestId: '58675',
      requestTime: '1651888520935',
      rawBody: '{"orderNo":"SUB-1","orderAmount":"9.99"}',
      signKey: '12345678',
    },
    message: '12345001586751651888520935.{"orderNo":"SUB-1","orderAmount":"9.99"}',
    sign: 'BC4EF69BEC0FF6BFB3E5DF14FE4D9CBC4D1440BE2460A2CE134420FECE963D83',
  },
  {
    name: 'webhook: the version header joins H, then the raw body',
    input: {
      gatewayNo: '12246002',
      requestId: '7C9E6679-7425-40DE-944B-E07FC1F90AE7',
      requestTime: '1764892800000',
      version: 'V2022-03',
      rawBody:
        '{"type":"transaction.success","data":{"transactionType":"Sale","orderNo":"inv_7f3a-1","tradeNo":"2025120500000000000001","orderAmount":"19.99","orderCurrency":"USD","orderStatus":"success","orderInfo":"Transaction Approved","remark":""}}',
      signKey: SANDBOX_KEY,
    },
    message:
      '122460027C9E6679-7425-40DE-944B-E07FC1F90AE71764892800000V2022-03.{"type":"transaction.success","data":{"transactionType":"Sale","orderNo":"inv_7f3a-1","tradeNo":"2025120500000000000001","orderAmount":"19.99","orderCurrency":"USD","orderStatus":"success","orderInfo":"Transaction Approved","remark":""}}',
    sign: '38DBBE102C6B751DDF87FCAE2EC9AFC28BC2AC2C70B5E44E54D8823C8520DD00',
  },
  {
    name: 'GET with two path params: values sorted (cus_ before pm_), no body',
    input: {
      gatewayNo: '12246002',
      requestId: 'A1B2C3D4',
      requestTime: '1764892800000',
      pathParams: { customerPaymentMethodId: 'pm_20221005', customerId: 'cus_20221005' },
      signKey: SANDBOX_KEY,
    },
    message: '12246002A1B2C3D41764892800000.cus_20221005pm_20221005',
    sign: 'A5C84D8EF338781CA4A378FBAD671081AB91C95AF6F2D53E2A439F550AD2FE24',
  },
  {
    name: 'transaction search: query values by key name (endTime, orderNo, startTime), empty ones dropped',
    input: {
      gatewayNo: '12246002',
      requestId: 'A1B2C3D4',
      requestTime: '1764892800000',
      query: { startTime: '2025-12-04T00:00:00', orderNo: 'inv_7f3a-1', tradeNo: '', endTime: '2025-12-05T00:00:00' },
      signKey: SANDBOX_KEY,
    },
    message: '12246002A1B2C3D41764892800000.2025-12-05T00:00:00inv_7f3a-12025-12-04T00:00:00',
    sign: '02D677441EB6712EDC1F87EDEECEE3A7753A33C3D3C585772783256516F152BD',
  },
  {
    name: 'POST /sessionToken with an empty body: headers only, no trailing dot',
    input: {
      gatewayNo: '12246002',
      requestId: 'A1B2C3D4',
      requestTime: 1764892800000,
      rawBody: '',
      signKey: SANDBOX_KEY,
    },
    message: '12246002A1B2C3D41764892800000',
    sign: 'BCDCD5B6442802805A116696F5D049D95C65F8D502B19A3ED1523DF916E1EC2D',
  },
  {
    name: 'unescaped Unicode in the body is signed as UTF-8 bytes',
    input: {
      gatewayNo: '12246002',
      requestId: 'A1B2C3D4',
      requestTime: '1764892800000',
      rawBody: '{"firstName":"José","lastName":"王"}',
      signKey: SANDBOX_KEY,
    },
    message: '12246002A1B2C3D41764892800000.{"firstName":"José","lastName":"王"}',
    sign: '251C19033F5EC40CA7FE436FBC9E21355D1E5D124E6BBD5A0CF76712882B03D2',
  },
];

describe('request signatures against independent vectors', () => {
  it.each(VECTORS)('$name', ({ input, message, sign }) => {
    // The pasted signature is what a plain HMAC of the hand-built string gives.
    expect(hmac(input.signKey, message)).toBe(sign);
    expect(stringToSign(input)).toBe(message);
    expect(signRequest(input)).toBe(sign);
  });
});

describe('API.md §9.1: the returnUrl example verified against AsiaBill', () => {
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
  const PUBLISHED = 'B6F455BBFEB9338D8E2E75E08E0545F3C9AA1A009AACBA0585FEF3827FE34D22';

  it('signs to the published value, which is the HMAC of the name-sorted values', () => {
    expect(
      hmac(
        '12345678',
        '000012261003400000***315512261Success358.70EURTransaction ApprovedNEW_API1474187659537success2022041810092544882449',
      ),
    ).toBe(PUBLISHED);
    expect(signReturnParams(params, '12345678')).toBe(PUBLISHED);
  });

  it('is accepted by the returnUrl verifier, in lowercase too, and a changed value is not', () => {
    expect(() => verifyReturnQuery({ ...params, signInfo: PUBLISHED }, '12345678')).not.toThrow();
    expect(() => verifyReturnQuery({ ...params, signInfo: PUBLISHED.toLowerCase() }, '12345678')).not.toThrow();
    expect(() => verifyReturnQuery({ ...params, orderAmount: '358.71', signInfo: PUBLISHED }, '12345678')).toThrow();
  });
});

describe('notifications against an independent vector', () => {
  const webhook = VECTORS[1]!;
  const body = webhook.input.rawBody ?? '';
  const now = new Date(1764892800000 + 1_000);

  it('signNotification produces the hand-computed signature', () => {
    const headers = signNotification({
      gatewayNo: '12246002',
      signKey: SANDBOX_KEY,
      rawBody: body,
      requestId: '7C9E6679-7425-40DE-944B-E07FC1F90AE7',
      requestTime: 1764892800000,
    });
    expect(headers).toEqual({
      'gateway-no': '12246002',
      'request-id': '7C9E6679-7425-40DE-944B-E07FC1F90AE7',
      'request-time': '1764892800000',
      version: 'V2022-03',
      'sign-info': webhook.sign,
    });
  });

  it('verifyNotification accepts headers built by hand with that signature, and rejects one bit off', () => {
    const headers = {
      'gateway-no': '12246002',
      'request-id': '7C9E6679-7425-40DE-944B-E07FC1F90AE7',
      'request-time': '1764892800000',
      version: 'V2022-03',
      'sign-info': webhook.sign,
    };
    expect(verifyNotification({ headers, rawBody: body, signKey: SANDBOX_KEY, now }).data.orderNo).toBe('inv_7f3a-1');
    expect(() =>
      verifyNotification({
        headers: { ...headers, 'sign-info': hmac(SANDBOX_KEY, webhook.message.replace('V2022-03.', '.')) },
        rawBody: body,
        signKey: SANDBOX_KEY,
        now,
      }),
    ).toThrow();
    expect(() =>
      verifyNotification({ headers, rawBody: body.replace('"19.99"', '"0.01"'), signKey: SANDBOX_KEY, now }),
    ).toThrow();
  });
});
