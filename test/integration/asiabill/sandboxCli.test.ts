/** The `billing sandbox` entry point and the sandbox's unsigned HTTP helpers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSandboxCli } from '../../../src/sandbox/main.ts';
import type { Sandbox } from '../../../src/sandbox/index.ts';
import { verifyReturnQuery } from '../../../src/asiabill/returnUrl.ts';
import { billingDetail, card, CARDS, chargeRequest, clientFor } from './support.ts';

const lines: string[] = [];
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await runSandboxCli({ port: 0, gatewayNo: '12246003', signKey: 'cli-key', print: (l) => lines.push(l) });
});
afterAll(async () => {
  await sandbox.close();
});

describe('runSandboxCli', () => {
  it('prints the url, gateway number and sign key', () => {
    const text = lines.join('\n');
    expect(text).toContain(sandbox.url);
    expect(text).toContain(sandbox.paymentUrl);
    expect(text).toContain(sandbox.openapiUrl);
    expect(text).toContain('12246003');
    expect(text).toContain('cli-key');
    expect(text).toContain(CARDS.threeDs);
  });

  it('serves the configured credentials', async () => {
    expect(
      (await clientFor(sandbox).createCustomer({ email: 'cli@example.com', firstName: 'C', lastName: 'L' })).customerId,
    ).toMatch(/^cus_/);
  });
});

describe('/__sandbox helpers', () => {
  it('GET /__sandbox/ledger matches ledger()', async () => {
    await clientFor(sandbox).confirmCharge(
      chargeRequest({ customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.success) } }),
    );
    const overHttp = (await (await fetch(`${sandbox.url}/__sandbox/ledger`)).json()) as unknown;
    expect(overHttp).toEqual(sandbox.ledger());
  });

  it('the 3-D Secure page redirects the browser to a signed returnUrl', async () => {
    const res = await clientFor(sandbox).confirmCharge(
      chargeRequest({
        returnUrl: 'https://merchant.example/return?bankCode=B1',
        customerPaymentMethod: { billingDetail: billingDetail(), card: card(CARDS.threeDs) },
      }),
    );
    const page = await fetch(`${res.redirectUrl}?result=success&redirect=1`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    const location = new URL(page.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe('https://merchant.example/return');
    const verified = verifyReturnQuery(location.searchParams, 'cli-key', ['bankCode']);
    expect(verified).toMatchObject({
      orderNo: res.orderNo,
      tradeNo: res.tradeNo,
      orderStatus: 'success',
      code: '0000',
      gatewayNo: '12246003',
      merNo: '12246',
    });
  });

  it('an unknown order page is a 404', async () => {
    expect((await fetch(`${sandbox.url}/__sandbox/3ds/0000000000000000000000`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/__sandbox/3ds/0000000000000000000000?result=success`)).status).toBe(404);
  });
});
