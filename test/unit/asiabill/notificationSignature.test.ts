/**
 * Issue 9, item 12: AsiaBill's PHP SDK verifies a notification over its body re-encoded with
 * `/` escaped as `\/`; we verified the raw bytes only. Which one AsiaBill signs is not
 * documented, so a signature over either form is accepted — both need the key. The escaped
 * bodies below are written out by hand, not produced by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { verifyNotification } from '../../../src/asiabill/notifications.ts';
import { signRequest } from '../../../src/asiabill/sign.ts';
import { NotificationVerificationError } from '../../../src/asiabill/errors.ts';

const KEY = '12H4567r';
const GATEWAY = '12246002';
const NOW = new Date('2026-03-01T12:00:00Z');

const raw =
  '{"type":"transaction.success","data":{"transactionType":"Sale","orderNo":"inv_1-1","tradeNo":"2022041810092544882449","orderAmount":"9.99","orderCurrency":"USD","orderStatus":"success","orderInfo":"3DS/OK","remark":"https://merchant.example/r/1"}}';
// The same body as PHP's json_encode writes it: every '/' escaped.
const phpForm =
  '{"type":"transaction.success","data":{"transactionType":"Sale","orderNo":"inv_1-1","tradeNo":"2022041810092544882449","orderAmount":"9.99","orderCurrency":"USD","orderStatus":"success","orderInfo":"3DS\\/OK","remark":"https:\\/\\/merchant.example\\/r\\/1"}}';

function headersSignedOver(body: string, opts: { key?: string; version?: string; gatewayNo?: string } = {}) {
  const base = {
    'gateway-no': opts.gatewayNo ?? GATEWAY,
    'request-id': 'REQ-9',
    'request-time': String(NOW.getTime()),
    version: opts.version ?? 'V2022-03',
  };
  return {
    ...base,
    'sign-info': signRequest({
      gatewayNo: base['gateway-no'],
      requestId: base['request-id'],
      requestTime: base['request-time'],
      version: base.version,
      rawBody: body,
      signKey: opts.key ?? KEY,
    }),
  };
}

function verify(headers: Record<string, string>, rawBody: string) {
  return verifyNotification({ headers, rawBody, signKey: KEY, now: NOW, gatewayNo: GATEWAY });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NotificationVerificationError);
    return (err as NotificationVerificationError).code;
  }
  return 'accepted';
}

describe('notification signature over either body form', () => {
  it('the hand-written PHP form differs from the raw body only by escaped slashes', () => {
    expect(phpForm).not.toBe(raw);
    expect(phpForm.replaceAll('\\/', '/')).toBe(raw);
  });

  it('accepts a signature over the raw bytes', () => {
    expect(verify(headersSignedOver(raw), raw).data).toMatchObject({ remark: 'https://merchant.example/r/1' });
  });

  it('accepts a signature over the slash-escaped form of the raw bytes', () => {
    expect(verify(headersSignedOver(phpForm), raw).data).toMatchObject({ orderInfo: '3DS/OK' });
  });

  it('a body that arrives escaped, signed over what arrived, still verifies', () => {
    expect(verify(headersSignedOver(phpForm), phpForm).data).toMatchObject({ orderInfo: '3DS/OK' });
  });

  it.each([
    ['raw', raw],
    ['escaped', phpForm],
  ])('refuses a signature over the %s form made with another key', (_form, body) => {
    expect(codeOf(() => verify(headersSignedOver(body, { key: 'not-the-key' }), raw))).toBe('BAD_SIGNATURE');
  });

  it('refuses a tampered body whichever form was signed', () => {
    const tampered = raw.replace('"9.99"', '"0.01"');
    expect(codeOf(() => verify(headersSignedOver(raw), tampered))).toBe('BAD_SIGNATURE');
    expect(codeOf(() => verify(headersSignedOver(phpForm), tampered))).toBe('BAD_SIGNATURE');
  });

  it('an already escaped backslash before a slash is escaped the PHP way', () => {
    // JSON text "a\\/b" is the string a\/b; PHP writes it back as "a\\\/b".
    const body = '{"type":"payout.x","data":{"orderNo":"a\\\\/b"}}';
    const php = '{"type":"payout.x","data":{"orderNo":"a\\\\\\/b"}}';
    expect(verify(headersSignedOver(php), body).type).toBe('unhandled');
  });

  it('the signature is over our gateway number, not the one in the header', () => {
    // Signed with our key but over another gateway number carried in the header.
    expect(codeOf(() => verify(headersSignedOver(raw, { gatewayNo: '99999999' }), raw))).toBe('BAD_SIGNATURE');
  });

  it.each(['V2099-01', 'v2022-03', 'V2020-01'])(
    'refuses a correctly signed notification with version %j',
    (version) => {
      expect(codeOf(() => verify(headersSignedOver(raw, { version }), raw))).toBe('BAD_VERSION');
    },
  );
});
