/**
 * The sandbox refuses what AsiaBill refuses. Requests are crafted by hand (fetch +
 * signRequest) so each check can be broken on its own.
 */
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Sandbox } from '../../../src/sandbox/index.ts';
import { signRequest } from '../../../src/asiabill/sign.ts';
import { billingDetail, card, CARDS, chargeRequest, useSandbox } from './support.ts';

let sandbox: Sandbox;

useSandbox((s) => {
  sandbox = s;
});

interface Raw {
  method?: 'GET' | 'POST' | 'DELETE';
  base?: 'payment' | 'openapi';
  path: string;
  pathParams?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  signKey?: string;
  gatewayNo?: string;
  requestId?: string;
  requestTime?: number;
  /** Sign this body but send `body`. */
  signedBody?: string;
}

async function raw(r: Raw): Promise<{ status: number; code: string; message: string; headers: Headers; text: string }> {
  const requestId = r.requestId ?? randomUUID().toUpperCase();
  const requestTime = String(r.requestTime ?? Date.now());
  const gatewayNo = r.gatewayNo ?? sandbox.gatewayNo;
  const rawBody = r.body ?? '';
  const signInfo = signRequest({
    gatewayNo,
    requestId,
    requestTime,
    pathParams: r.pathParams ?? {},
    query: r.query ?? {},
    rawBody: r.signedBody ?? rawBody,
    signKey: r.signKey ?? sandbox.signKey,
  });
  const qs = r.query ? `?${new URLSearchParams(r.query).toString()}` : '';
  const res = await fetch(`${r.base === 'openapi' ? sandbox.openapiUrl : sandbox.paymentUrl}${r.path}${qs}`, {
    method: r.method ?? 'POST',
    headers: {
      'gateway-no': gatewayNo,
      'request-id': requestId,
      'request-time': requestTime,
      'sign-info': signInfo,
      'Content-Type': 'application/json;charset=UTF-8',
    },
    ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { body: rawBody }),
  });
  const text = await res.text();
  const env = JSON.parse(text) as { code: string; message: string };
  return { status: res.status, code: env.code, message: env.message, headers: res.headers, text };
}

const customerBody = JSON.stringify({ email: 'raw@example.com', firstName: 'R', lastName: 'W' });

describe('accepted', () => {
  it('a correctly signed raw request succeeds, with a signed response', async () => {
    const requestId = randomUUID().toUpperCase();
    const res = await raw({ path: '/customers', body: customerBody, requestId });
    expect(res.code).toBe('00000');
    expect(res.headers.get('response-id')).toBe(requestId);
    const expected = signRequest({
      gatewayNo: sandbox.gatewayNo,
      requestId,
      requestTime: res.headers.get('response-time') ?? '',
      rawBody: res.text,
      signKey: sandbox.signKey,
    });
    expect(res.headers.get('sign-info')).toBe(expected);
  });

  it('signs exactly the bytes received (escaped slashes and unicode, like PHP SDK ≤1.4)', async () => {
    const body = '{"email":"caf\\u00e9@example.com","firstName":"Ren\\u00e9","lastName":"O\\/Neil"}';
    const res = await raw({ path: '/customers', body });
    expect(res.code).toBe('00000');
  });

  it('query values are signed raw, ordered by key', async () => {
    const res = await raw({
      method: 'GET',
      base: 'openapi',
      path: '/transactions',
      query: { startTime: '2022-02-21T00:00:00', endTime: '2022-05-21T23:59:59', pageSize: '5' },
    });
    expect(res.code).toBe('00000');
  });
});

describe('request-level refusals', () => {
  it('wrong sign key → L0005', async () => {
    const res = await raw({ path: '/customers', body: customerBody, signKey: 'not-the-key' });
    expect({ code: res.code, message: res.message }).toEqual({ code: 'L0005', message: 'check sign info error' });
  });

  it('a body changed after signing → L0005', async () => {
    const res = await raw({
      path: '/customers',
      body: customerBody,
      signedBody: customerBody.replace('raw@', 'other@'),
    });
    expect(res.code).toBe('L0005');
  });

  it('a re-serialised body (extra whitespace) → L0005', async () => {
    const res = await raw({
      path: '/customers',
      body: JSON.stringify(JSON.parse(customerBody), null, 1),
      signedBody: customerBody,
    });
    expect(res.code).toBe('L0005');
  });

  it('stale request-time (11 minutes old) → L0003', async () => {
    const res = await raw({ path: '/customers', body: customerBody, requestTime: Date.now() - 11 * 60_000 });
    expect({ code: res.code, message: res.message }).toEqual({ code: 'L0003', message: 'requestTime outside range' });
  });

  it('request-time 11 minutes in the future → L0003', async () => {
    expect((await raw({ path: '/customers', body: customerBody, requestTime: Date.now() + 11 * 60_000 })).code).toBe(
      'L0003',
    );
  });

  it('reused request-id → L0004', async () => {
    const requestId = randomUUID().toUpperCase();
    expect((await raw({ path: '/customers', body: customerBody, requestId })).code).toBe('00000');
    const again = await raw({ path: '/customers', body: customerBody, requestId });
    expect({ code: again.code, message: again.message }).toEqual({ code: 'L0004', message: 'duplicate request' });
  });

  it('a badly signed request does not burn its request-id', async () => {
    const requestId = randomUUID().toUpperCase();
    expect((await raw({ path: '/customers', body: customerBody, requestId, signKey: 'bad' })).code).toBe('L0005');
    expect((await raw({ path: '/customers', body: customerBody, requestId })).code).toBe('00000');
  });

  it('wrong gateway-no → L0001', async () => {
    expect((await raw({ path: '/customers', body: customerBody, gatewayNo: '12246001' })).code).toBe('L0001');
  });

  it('unknown route or wrong method → L0002', async () => {
    expect((await raw({ path: '/no_such_thing', body: '{}' })).code).toBe('L0002');
    expect((await raw({ method: 'GET', path: '/confirmCharge' })).code).toBe('L0002');
  });
});

describe('field rules → P0001 naming the field', () => {
  it('a confirmCharge field', async () => {
    const body = JSON.stringify({ ...chargeRequest({ customerPaymentMethodId: 'pm_1' }), orderNo: 'x'.repeat(51) });
    const res = await raw({ path: '/confirmCharge', body });
    expect(res.code).toBe('P0001');
    expect(res.message).toContain('orderNo');
  });

  it('a card field, without echoing card data', async () => {
    const c = { ...card(CARDS.success, '12345') };
    const body = JSON.stringify(chargeRequest({ customerPaymentMethod: { billingDetail: billingDetail(), card: c } }));
    const res = await raw({ path: '/confirmCharge', body });
    expect(res.code).toBe('P0001');
    expect(res.message).toContain('customerPaymentMethod.card.cardSecurityCode');
    expect(res.text).not.toContain(CARDS.success);
    expect(res.text).not.toContain('12345');
  });

  it('a body that is not JSON', async () => {
    const res = await raw({ path: '/customers', body: 'email=a@b.c' });
    expect(res.code).toBe('P0001');
  });

  it('a malformed /transactions window is refused, not widened to everything', async () => {
    const res = await raw({
      method: 'GET',
      base: 'openapi',
      path: '/transactions',
      query: { startTime: 'yesterday', endTime: '2022-05-21T23:59:59' },
    });
    expect(res.code).toBe('P0001');
    expect(res.message).toContain('startTime');
  });

  it('nothing was recorded by refused requests', () => {
    expect(sandbox.ledger()).toEqual([]);
  });
});
