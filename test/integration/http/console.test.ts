import { mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, makePlan, subscribe, CARDS, type TestEngine } from '../../support/engine.ts';
import { launchChromium, type Browser } from '../../support/browser.ts';
import { parseAmount } from '../../../src/money.ts';
import { ADMIN_TOKEN } from './support.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addEndpoint } from '../../../src/events/endpoints.ts';

/**
 * The billing console in a real headless Chromium, over an engine that ran three months of
 * renewals with approvals, declines (dunning) and a gateway refusal. Every number checked on
 * the page comes from an independent source: a direct SQL count or the sandbox's ledger.
 * The screenshot is kept in test-artifacts/console.png.
 */
const ARTIFACTS = resolve('test-artifacts');

describe('billing console in Chromium', () => {
  let te: TestEngine;
  let browser: Browser;
  // A merchant's webhook receiver for `invoice.paid`: the console shows each event's delivery state.
  const received: string[] = [];
  const receiver: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push((JSON.parse(body) as { id: string }).id);
      res.writeHead(200).end('ok');
    });
  });
  beforeAll(async () => {
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    te = await startTestEngine({
      start: '2027-01-05T09:00:00Z',
      parts: { events: true },
      env: { BILLING_ADMIN_TOKEN: ADMIN_TOKEN, BILLING_WEBHOOK_SCAN_INTERVAL_MS: '200' },
    });
    const port = (receiver.address() as AddressInfo).port;
    await addEndpoint(te.ctx, { url: `http://127.0.0.1:${port}/hooks`, eventTypes: ['invoice.paid'] });
    const usd = await makePlan(te.ctx, { amount: '19.99', currency: 'USD' });
    const eur = await makePlan(te.ctx, { amount: '7.50', currency: 'EUR' });
    for (const card of [CARDS.success, CARDS.success, CARDS.approveThenDecline]) await subscribe(te.ctx, usd, card);
    for (const card of [CARDS.success, CARDS.softDecline]) await subscribe(te.ctx, eur, card);
    await te.advanceTo('2027-02-06T00:00:00Z');
    // One renewal refused by AsiaBill before processing (a merchant-side fault, not a decline).
    // Renews on March 6 and is declined then: still in dunning when the page is looked at.
    const late = await subscribe(te.ctx, usd, CARDS.approveThenDecline);
    expect(late.status).toBe('active');
    te.engine.sandbox?.setKnobs({ failNextRequestsWith: 'L0001', failNextRequests: 1 });
    await te.advanceTo('2027-03-06T12:00:00Z');
    // Every event published and every delivery to the receiver settled before the page is read.
    for (let i = 0; i < 200; i++) {
      const open = await te.ctx.db.execute<{ n: number }>(
        "select (select count(*) from events where published_at is null) + (select count(*) from webhook_deliveries where status = 'pending') as n",
      );
      if (Number(open.rows[0]?.n) === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The token in a header on every request, as a reverse proxy in front of the engine would add it.
    browser = await launchChromium({ extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await te?.stop();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('without the token: 401 and a page that holds no data, only a token field', async () => {
    const r = await fetch(`${te.engine.httpUrl}/console`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const html = await r.text();
    expect(html).toContain('id="token"');
    expect(html).not.toMatch(/(inv|sub|cust|evt)_[0-9a-z]{16}/);
  });

  it('takes the token typed into the page when the browser has no login', async () => {
    const bare = await launchChromium();
    try {
      const page = await bare.context.newPage();
      await page.goto(`${te.engine.httpUrl}/console`);
      await page.waitForSelector('body[data-state="needs-token"]', { timeout: 20_000 });
      expect(await page.textContent('#error')).toContain('Enter the admin token');
      await page.fill('#token', ADMIN_TOKEN);
      await page.click('#tokenForm button');
      await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
      expect(await page.$$eval('#events tr', (trs) => trs.length)).toBeGreaterThan(5);
      await page.close();
    } finally {
      await bare.close();
    }
  });

  it('renders real data: states, charges, revenue chart, dunning, refusals and events', async () => {
    const page = await browser.context.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(te.engine.httpUrl ?? '')) external.push(r.url());
    });
    await page.goto(`${te.engine.httpUrl}/console`);
    await page.waitForSelector('body[data-state="ready"]', { timeout: 20_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(external).toEqual([]);

    // Subscriptions by status: as Postgres counts them.
    const counted = await te.ctx.db.execute<{ status: string; n: number }>(
      'select status, count(*)::int as n from subscriptions group by status order by status',
    );
    expect(counted.rows.length).toBeGreaterThanOrEqual(2);
    const shown = await page.$$eval('#subs tr', (trs) =>
      trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent ?? '')),
    );
    expect(shown).toEqual(counted.rows.map((r) => [r.status, String(r.n)]));
    expect(shown.map((r) => r[0])).toContain('past_due');

    // Charges per day: bars drawn, and the legend totals match the attempts table.
    const attempts = await te.ctx.db.execute<{ ok: number; failed: number }>(
      "select (count(*) filter (where status = 'succeeded'))::int as ok, (count(*) filter (where status = 'failed'))::int as failed from charge_attempts",
    );
    const legend = (await page.textContent('#charges .legend')) ?? '';
    expect(legend).toContain(`succeeded ${attempts.rows[0]?.ok}`);
    expect(legend).toContain(`failed ${attempts.rows[0]?.failed}`);
    expect(await page.$$eval('#chargesChart rect', (r) => r.length)).toBeGreaterThan(2);

    // Revenue per month per currency: the chart has bars, and per-currency totals equal the
    // sandbox ledger's successful charges.
    expect(await page.$$eval('#revenueChart rect', (r) => r.length)).toBeGreaterThanOrEqual(4);
    const revenueRows = await page.$$eval('#revenue table tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('th,td')].map((c) => c.textContent ?? '')),
    );
    const header = revenueRows[0] ?? [];
    expect(header).toEqual(['month', 'EUR', 'USD']);
    const ledger = te.engine.sandbox?.ledger() ?? [];
    for (const [col, currency] of [
      [1, 'EUR'],
      [2, 'USD'],
    ] as const) {
      const pageTotal = revenueRows
        .slice(1)
        .map((r) => r[col] ?? '–')
        .filter((c) => c !== '–')
        .reduce((a, c) => a + parseAmount(c.split(' ')[0] ?? '', currency).amount, 0);
      const ledgerTotal = ledger
        .filter((c) => c.currency === currency && c.status === 'success')
        .reduce((a, c) => a + parseAmount(c.amount, currency).amount, 0);
      expect(ledgerTotal, currency).toBeGreaterThan(0);
      expect(pageTotal, currency).toBe(ledgerTotal);
    }

    // Invoices in dunning, with their next step.
    const dunning = await te.ctx.db.execute<{ id: string; next_step_reason: string | null }>(
      "select id, next_step_reason from invoices where status in ('open', 'requires_action') and attempt_count > 0 order by id",
    );
    expect(dunning.rows.length).toBeGreaterThanOrEqual(1);
    const dunningShown = await page.$$eval('#dunning tr', (trs) =>
      trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(dunningShown.map((r) => r[0]).sort()).toEqual(dunning.rows.map((r) => r.id));
    // The next step is the one the dunning policy recorded on the invoice (docs/dunning.md),
    // or, for an invoice with none recorded, what its attempts imply.
    const reasons = new Map(dunning.rows.map((r) => [r.id, r.next_step_reason]));
    for (const row of dunningShown) {
      const recorded = reasons.get(row[0] ?? '');
      if (recorded) expect(row[5]).toBe(recorded);
      else
        expect(row[5]).toMatch(
          /^(retry after \d+ failed attempts? at |attempt 1 at |no automatic retry|waiting|reconciling)/,
        );
    }

    // Gateway refusals: the one L0001.
    expect(await page.textContent('#refusals p')).toMatch(/^1 refused before processing/);
    expect(await page.textContent('#refusals table')).toContain('L0001');

    // Latest events, newest first, as the outbox has them.
    const latest = await te.ctx.db.execute<{ type: string }>('select type from events order by seq desc limit 15');
    const eventTypes = await page.$$eval('#events tr', (trs) =>
      trs.slice(1).map((tr) => tr.querySelectorAll('td')[1]?.textContent ?? ''),
    );
    expect(eventTypes).toEqual(latest.rows.map((r) => r.type));

    // Their delivery state, as the delivery tables say: delivered to the receiver, or published
    // with no endpoint that wants the type.
    const states = await te.ctx.db.execute<{ id: string; type: string; published: boolean; delivered: number }>(
      `select e.id, e.type, e.published_at is not null as published,
              (select count(*)::int from webhook_deliveries d where d.event_id = e.id and d.status = 'delivered') as delivered
         from events e order by e.seq desc limit 15`,
    );
    const deliveryShown = await page.$$eval('#events tr', (trs) =>
      trs.slice(1).map((tr) => tr.querySelectorAll('td')[3]?.textContent ?? ''),
    );
    expect(deliveryShown).toHaveLength(states.rows.length);
    const expected = states.rows.map((r) =>
      !r.published ? 'not published' : r.delivered > 0 ? `${r.delivered} delivered` : 'published (no endpoint)',
    );
    expect(deliveryShown).toEqual(expected);
    expect(expected.some((e) => e.endsWith('delivered'))).toBe(true);
    // The receiver really got the delivered ones.
    for (const r of states.rows.filter((x) => x.delivered > 0)) expect(received).toContain(r.id);
    await page.close();
  });
});
