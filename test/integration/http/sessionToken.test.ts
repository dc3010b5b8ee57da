import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestEngine, makePlan, CARDS, type TestEngine } from '../../support/engine.ts';
import { createLogger } from '../../../src/logger.ts';
import { launchChromium, type Browser } from '../../support/browser.ts';
import { ADMIN_TOKEN, apiClient, type ApiClient } from './support.ts';

/**
 * AsiaBill's web-SDK flow, end to end in a real browser: the merchant's backend gets a session
 * token from the engine, the customer's browser types the card into AsiaBill's form (the
 * sandbox's stand-in), the form answers with a pm_…, and the backend registers that id. The
 * card number must never reach the engine: not its logs, not Postgres.
 */
const CARD = CARDS.success;

describe('cards without card data: session token + browser card form', () => {
  let te: TestEngine;
  let api: ApiClient;
  let browser: Browser;
  const logLines: string[] = [];
  beforeAll(async () => {
    const logger = createLogger({ level: 'debug', destination: { write: (l: string) => logLines.push(l) } });
    te = await startTestEngine({ start: '2027-02-01T00:00:00Z', env: { BILLING_ADMIN_TOKEN: ADMIN_TOKEN }, logger });
    api = apiClient(te.engine.httpUrl ?? '');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await te?.stop();
  });

  it('adds a card whose number never reached the engine, and it can be charged', async () => {
    const customer = await api.post<{ id: string; asiabillCustomerId: string }>('/v1/customers', {
      email: 'sdk@example.com',
      firstName: 'Sam',
      lastName: 'Browser',
    });
    expect(customer.status).toBe(201);
    const token = await api.post<{
      sessionToken: string;
      expiresAt: string;
      sdkScriptUrl: string;
      customer: { id: string; asiabillCustomerId: string };
    }>('/v1/session-token', { customerId: customer.json.id });
    expect(token.status).toBe(201);
    expect(token.json.sessionToken).toMatch(/^[0-9A-Z]{20,}$/);
    expect(token.json.customer).toEqual({ id: customer.json.id, asiabillCustomerId: customer.json.asiabillCustomerId });
    expect(Date.parse(token.json.expiresAt) - Date.now()).toBeGreaterThan(29 * 60 * 1000);
    expect(token.json.sdkScriptUrl).toMatch(/\/static\/v3\/js\/AsiabillPayment\.min\.js$/);

    // The customer's browser, on AsiaBill's card form.
    const sandboxUrl = te.engine.sandbox?.url ?? '';
    const page = await browser.context.newPage();
    const seenByBrowser: string[] = [];
    page.on('request', (r) => seenByBrowser.push(r.url()));
    const q = new URLSearchParams({
      sessionToken: token.json.sessionToken,
      customerId: token.json.customer.asiabillCustomerId,
      email: 'sdk@example.com',
      firstName: 'Sam',
      lastName: 'Browser',
    });
    await page.goto(`${sandboxUrl}/__sandbox/card-form?${q}`);
    await page.fill('#cardNumber', '4242 4242 4242 4242');
    await page.fill('#expMonth', '12');
    await page.fill('#expYear', '2034');
    await page.fill('#cvc', '123');
    await page.click('#pay');
    await page.waitForSelector('#result[data-pm]');
    const pm = (await page.getAttribute('#result', 'data-pm')) ?? '';
    expect(pm).toMatch(/^pm_\d+$/);
    await page.close();
    // The browser talked to AsiaBill's side only.
    expect(seenByBrowser.length).toBeGreaterThan(1);
    expect(seenByBrowser.every((u) => u.startsWith(sandboxUrl))).toBe(true);

    // The merchant's backend registers the pm_… it was handed.
    const added = await api.post<{ id: string; last4: string; brand: string; asiabillPaymentMethodId: string }>(
      `/v1/customers/${customer.json.id}/payment-methods`,
      { asiabillPaymentMethodId: pm },
    );
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ last4: '4242', asiabillPaymentMethodId: pm });

    // And it is a real, chargeable card: the first (InitRecurring) charge goes through.
    const plan = await makePlan(te.ctx, { amount: '12.00', currency: 'USD' });
    const sub = await api.post<{ id: string; status: string }>('/v1/subscriptions', {
      customerId: customer.json.id,
      planCode: plan,
      paymentMethodId: added.json.id,
    });
    expect(sub.status).toBe(201);
    expect(sub.json.status).toBe('active');
    const ledger = te.engine.sandbox?.ledger() ?? [];
    expect(ledger.filter((c) => c.pmId === pm && c.status === 'success').length).toBe(1);

    // The number never reached the engine: not in any log line, not in any Postgres row.
    expect(logLines.length).toBeGreaterThan(5);
    expect(logLines.filter((l) => l.includes(CARD))).toEqual([]);
    const tables = await te.ctx.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    expect(tables.rows.length).toBeGreaterThan(8);
    let rowsSearched = 0;
    for (const { table_name: name } of tables.rows) {
      const rows = await te.ctx.db.execute<{ j: string }>(
        sql`select row_to_json(x)::text as j from ${sql.identifier(name)} x`,
      );
      rowsSearched += rows.rows.length;
      expect(
        rows.rows.filter((r) => r.j.includes(CARD) || r.j.includes('4242 4242')),
        name,
      ).toEqual([]);
    }
    expect(rowsSearched).toBeGreaterThan(5);
  });

  it("a merchant's own checkout page loads the SDK from the payment host; the merchant's server never sees the card", async () => {
    const customer = await api.post<{ id: string }>('/v1/customers', {
      email: 'shop@example.com',
      firstName: 'Shop',
      lastName: 'Page',
    });
    const token = await api.post<{
      sessionToken: string;
      sdkScriptUrl: string;
      customer: { asiabillCustomerId: string };
    }>('/v1/session-token', { customerId: customer.json.id });
    expect(token.json.sdkScriptUrl.startsWith(te.engine.sandbox?.url ?? '-')).toBe(true);
    // The merchant's web server: one checkout page; it records everything it is sent.
    const received: string[] = [];
    const page = `<!doctype html><div id="card"></div><button id="pay">Pay</button><pre id="out"></pre>
<script src="${token.json.sdkScriptUrl}"></script>
<script>
const pay = AsiabillPay(${JSON.stringify(token.json.sessionToken)});
pay.elementInit('card');
document.getElementById('pay').onclick = async () => {
  const r = await pay.confirmPaymentMethod({ apikey: ${JSON.stringify(token.json.sessionToken)}, trnxDetail: {
    customerId: ${JSON.stringify(token.json.customer.asiabillCustomerId)},
    billingDetail: { address: { line1: 'Not provided', city: 'Not provided', country: 'HK' }, email: 'shop@example.com', firstName: 'Shop', lastName: 'Page', phone: '0000000000' } } });
  const out = document.getElementById('out');
  if (r.data.code === '0') out.textContent = out.dataset.pm = r.data.data.customerPaymentMethodId; else out.textContent = r.data.code + ' ' + r.data.message;
};
</script>`;
    const merchant = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)} ${body}`);
        res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      });
    });
    await new Promise<void>((ok) => merchant.listen(0, '127.0.0.1', ok));
    const { port } = merchant.address() as AddressInfo;
    try {
      const tab = await browser.context.newPage();
      const problems: string[] = [];
      tab.on('pageerror', (e) => problems.push(e.message));
      tab.on('console', (m) => problems.push(m.text()));
      await tab.goto(`http://127.0.0.1:${port}/checkout`);
      await tab.waitForSelector('[data-asiabill="cardNo"]', { timeout: 5000 }).catch(() => {
        throw new Error(`SDK did not draw the card fields: ${problems.join('; ')}`);
      });
      await tab.fill('[data-asiabill="cardNo"]', CARD);
      await tab.fill('[data-asiabill="cardExpireMonth"]', '7');
      await tab.fill('[data-asiabill="cardExpireYear"]', '2033');
      await tab.fill('[data-asiabill="cardSecurityCode"]', '123');
      await tab.click('#pay');
      await tab.waitForSelector('#out[data-pm]', { timeout: 10_000 }).catch(async () => {
        throw new Error(`no pm_: ${problems.join('; ')} ${await tab.innerHTML('#out')}`);
      });
      const pm = (await tab.getAttribute('#out', 'data-pm')) ?? '';
      await tab.close();
      expect(pm).toMatch(/^pm_\d+$/);
      const added = await api.post<{ last4: string }>(`/v1/customers/${customer.json.id}/payment-methods`, {
        asiabillPaymentMethodId: pm,
      });
      expect(added.status).toBe(201);
      expect(added.json.last4).toBe('4242');
    } finally {
      merchant.closeAllConnections();
      await new Promise<void>((ok) => merchant.close(() => ok()));
    }
    expect(received.length).toBeGreaterThanOrEqual(1);
    expect(received.filter((r) => r.includes(CARD))).toEqual([]);
    expect(logLines.filter((l) => l.includes(CARD))).toEqual([]);
  });

  it('the card form refuses an unknown session token and creates nothing', async () => {
    const sandbox = te.engine.sandbox;
    const before = sandbox?.dump().paymentMethods.length;
    const r = await fetch(`${sandbox?.url}/__sandbox/sdk/confirmPaymentMethod`, {
      method: 'POST',
      body: JSON.stringify({
        apikey: 'NOT-A-TOKEN',
        trnxDetail: {
          card: { cardNo: CARD, cardExpireMonth: '12', cardExpireYear: '2034', cardSecurityCode: '123' },
          billingDetail: {},
        },
      }),
    });
    expect(r.status).toBe(401);
    expect(await r.text()).not.toContain(CARD);
    expect(sandbox?.dump().paymentMethods.length).toBe(before);
  });
});
