import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../../support/engine.ts';
import { buildHttpServer } from '../../../src/http/server.ts';
import { createLogger } from '../../../src/logger.ts';
import { runCliIn } from '../cli/cliRun.ts';
import { API_RESOURCES } from '../../../src/http/api/registry.ts';
import { ADMIN_TOKEN, apiClient, tableCounts, type ApiClient } from './support.ts';

interface ErrorJson {
  error: { code: string; message: string; field: string | null };
}

describe('admin HTTP API', () => {
  let te: TestEngine;
  let api: ApiClient;
  let base: string;
  beforeAll(async () => {
    te = await startTestEngine({ start: '2027-01-10T00:00:00Z', env: { BILLING_ADMIN_TOKEN: ADMIN_TOKEN } });
    base = te.engine.httpUrl ?? '';
    api = apiClient(base);
  });
  afterAll(async () => {
    await te.stop();
  });

  describe('auth', () => {
    it('refuses a missing, wrong or malformed token with 401 and writes nothing', async () => {
      const before = await tableCounts(te.ctx.db);
      const cases: Array<[string, Record<string, string>]> = [
        ['none', {}],
        ['wrong', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
        ['prefix of the real one', { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
        ['empty bearer', { authorization: 'Bearer ' }],
        ['token without scheme', { authorization: ADMIN_TOKEN }],
        ['wrong basic password', { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` }],
      ];
      expect(cases.length).toBe(6);
      for (const [name, headers] of cases) {
        for (const method of ['GET', 'POST'] as const) {
          const r = await fetch(`${base}/v1/customers`, {
            method,
            headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': `auth-${name}` },
            ...(method === 'POST'
              ? { body: JSON.stringify({ email: 'a@example.com', firstName: 'A', lastName: 'B' }) }
              : {}),
          });
          expect(r.status, `${method} with ${name}`).toBe(401);
          expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
          const body = (await r.json()) as ErrorJson;
          expect(body.error.code).toBe('unauthorized');
        }
      }
      expect(await tableCounts(te.ctx.db)).toEqual(before);
    });

    it('accepts the token as Bearer and as the Basic password a browser sends', async () => {
      expect((await api.get('/v1/customers')).status).toBe(200);
      const basic = Buffer.from(`anyone:${ADMIN_TOKEN}`).toString('base64');
      const r = await fetch(`${base}/v1/customers`, { headers: { authorization: `Basic ${basic}` } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    });

    it('says at start that it is off when BILLING_ADMIN_TOKEN is not set', async () => {
      const lines: string[] = [];
      const logger = createLogger({ level: 'info', destination: { write: (l: string) => lines.push(l) } });
      const off = await startTestEngine({
        start: '2027-01-10T00:00:00Z',
        parts: { scheduler: false, charge: false, sandbox: false },
        logger,
        overrides: { gateway: te.ctx.gateway },
      });
      try {
        expect(lines.filter((l) => l.includes('admin API, console and queue dashboard off')).length).toBe(1);
        const r = await fetch(`${off.engine.httpUrl}/v1/customers`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(r.status).toBe(404);
        await r.arrayBuffer();
      } finally {
        await off.stop();
      }
      expect(lines.filter((l) => l.includes('admin API on')).length).toBe(0);
    });

    it('is off without BILLING_ADMIN_TOKEN: no /v1, console, dashboard or spec', async () => {
      const app = buildHttpServer({ ctx: te.ctx, isReady: () => true });
      for (const url of ['/v1/customers', '/console', '/admin/queues', '/openapi.json']) {
        const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(r.statusCode, url).toBe(404);
      }
      await app.close();
    });
  });

  describe('idempotency keys', () => {
    it('replays the first response for the same key and body, without doing the work again', async () => {
      const body = { email: 'idem@example.com', firstName: 'Ida', lastName: 'Empotent' };
      const first = await api.post('/v1/customers', body, { key: 'create-ida-1' });
      expect(first.status).toBe(201);
      const sandboxCustomers = te.engine.sandbox?.dump().customers.length;
      // Same body with other key order and spacing: the same request.
      const again = await api.post('/v1/customers', null, {
        key: 'create-ida-1',
        raw: `{ "lastName": "Empotent", "firstName": "Ida",   "email": "idem@example.com" }`,
      });
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const rows = await te.ctx.db.execute(`select id from customers where email = 'idem@example.com'`);
      expect(rows.rows.length).toBe(1);
      expect(te.engine.sandbox?.dump().customers.length).toBe(sandboxCustomers);
    });

    it('refuses the same key with a different body (409) and runs nothing', async () => {
      const first = await api.post(
        '/v1/customers',
        { email: 'k2@example.com', firstName: 'K', lastName: 'Two' },
        { key: 'k2' },
      );
      expect(first.status).toBe(201);
      const before = await tableCounts(te.ctx.db);
      const other = await api.post<ErrorJson>(
        '/v1/customers',
        { email: 'k2-other@example.com', firstName: 'K', lastName: 'Two' },
        { key: 'k2' },
      );
      expect(other.status).toBe(409);
      expect(other.json.error).toMatchObject({ code: 'idempotency_key_reused', field: 'Idempotency-Key' });
      // Same body on another path is another request too.
      const otherPath = await api.post<ErrorJson>(
        '/v1/plans',
        { email: 'k2@example.com', firstName: 'K', lastName: 'Two' },
        { key: 'k2' },
      );
      expect(otherPath.status).toBe(409);
      expect(otherPath.json.error.code).toBe('idempotency_key_reused');
      expect(await tableCounts(te.ctx.db)).toEqual(before);
    });

    it('requires a key on every POST', async () => {
      const before = await tableCounts(te.ctx.db);
      const posts = API_RESOURCES.flatMap((r) => r.routes).filter((r) => r.method === 'POST');
      expect(posts.length).toBeGreaterThan(6);
      for (const route of posts) {
        const path = `/v1${route.path.replace(/\{\w+\}/g, 'x')}`;
        const r = await api.post<ErrorJson>(path, {}, { key: null });
        expect(r.status, path).toBe(400);
        expect(r.json.error).toMatchObject({ code: 'idempotency_key_required', field: 'Idempotency-Key' });
      }
      expect(await tableCounts(te.ctx.db)).toEqual(before);
    });

    it('lets only one of many concurrent requests with one key execute', async () => {
      const body = { code: 'race', name: 'Race', amount: '5.00', currency: 'USD', interval: 'month' };
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => api.post('/v1/plans', body, { key: 'race-key' })),
      );
      expect(answers.length).toBe(8);
      const created = answers.filter((a) => a.status === 201);
      const busy = answers.filter((a) => a.status === 409);
      expect(created.length + busy.length).toBe(8);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((a) => a.text)).size).toBe(1);
      for (const b of busy) expect((b.json as unknown as ErrorJson).error.code).toBe('idempotency_key_in_use');
      const rows = await te.ctx.db.execute(`select id from plans where code = 'race'`);
      expect(rows.rows.length).toBe(1);
      // Once finished, the key replays the one answer.
      const later = await api.post('/v1/plans', body, { key: 'race-key' });
      expect(later.text).toBe(created[0]?.text);
    });

    it('forgets a finished key after 24 hours: the same key then runs as a new request', async () => {
      const body = { email: 'ttl@example.com', firstName: 'T', lastName: 'Tl' };
      const first = await api.post<{ id: string }>('/v1/customers', body, { key: 'ttl-key' });
      expect(first.status).toBe(201);
      expect((await api.post('/v1/customers', body, { key: 'ttl-key' })).text).toBe(first.text);
      // 23 hours on: still replayed.
      await te.ctx.db.execute(
        `update api_idempotency_keys set completed_at = now() - interval '23 hours' where key = 'ttl-key'`,
      );
      expect((await api.post('/v1/customers', body, { key: 'ttl-key' })).text).toBe(first.text);
      // 25 hours on: purged, and the request runs again (a second customer).
      await te.ctx.db.execute(
        `update api_idempotency_keys set completed_at = now() - interval '25 hours' where key = 'ttl-key'`,
      );
      const later = await api.post<{ id: string }>('/v1/customers', body, { key: 'ttl-key' });
      expect(later.status).toBe(201);
      expect(later.json.id).not.toBe(first.json.id);
      const rows = await te.ctx.db.execute(`select id from customers where email = 'ttl@example.com'`);
      expect(rows.rows.length).toBe(2);
    });

    it('stores an error answer too: a retry gets the same 400', async () => {
      const bad = { code: 'ok-code', name: 'X', amount: '1.234', currency: 'USD', interval: 'month' };
      const a = await api.post<ErrorJson>('/v1/plans', bad, { key: 'bad-amount' });
      const b = await api.post<ErrorJson>('/v1/plans', bad, { key: 'bad-amount' });
      expect(a.status).toBe(400);
      expect(b.text).toBe(a.text);
      expect(b.headers.get('idempotent-replayed')).toBe('true');
    });
  });

  describe('errors', () => {
    it('answers the same validation error as the CLI for the same bad input, and writes nothing', async () => {
      const env = {
        DATABASE_URL: te.dbUrl,
        ASIABILL_PAYMENT_URL: te.ctx.config.gateway.paymentUrl,
        ASIABILL_OPENAPI_URL: te.ctx.config.gateway.openapiUrl,
        ASIABILL_GATEWAY_NO: te.ctx.config.gateway.gatewayNo,
        ASIABILL_SIGN_KEY: te.ctx.config.gateway.signKey,
        BILLING_CLOCK: 'test',
        LOG_LEVEL: 'silent',
      };
      const plan = { code: 'p1', name: 'P', amount: '10.00', currency: 'USD', interval: 'month' };
      const planArgs = (p: typeof plan) => [
        'plans',
        'create',
        '--code',
        p.code,
        '--name',
        p.name,
        '--amount',
        p.amount,
        '--currency',
        p.currency,
        '--interval',
        p.interval,
      ];
      const cust = { email: 'ok@example.com', firstName: 'Ok', lastName: 'Person' };
      const custArgs = (c: typeof cust) => [
        'customers',
        'create',
        '--email',
        c.email,
        '--first-name',
        c.firstName,
        '--last-name',
        c.lastName,
      ];
      // [name, CLI args, API method+path+body, the field as each surface names it]
      const cases: Array<{
        name: string;
        cli: string[];
        path: string;
        body?: unknown;
        get?: boolean;
        field: [string, string];
      }> = [
        {
          name: 'amount with 3 decimals',
          cli: planArgs({ ...plan, amount: '1.234' }),
          path: '/v1/plans',
          body: { ...plan, amount: '1.234' },
          field: ['--amount', 'amount'],
        },
        {
          name: 'unknown currency',
          cli: planArgs({ ...plan, currency: 'XYZ' }),
          path: '/v1/plans',
          body: { ...plan, currency: 'XYZ' },
          field: ['--currency', 'currency'],
        },
        {
          name: 'bad interval',
          cli: planArgs({ ...plan, interval: 'fortnight' }),
          path: '/v1/plans',
          body: { ...plan, interval: 'fortnight' },
          field: ['--interval', 'interval'],
        },
        {
          name: 'bad plan code',
          cli: planArgs({ ...plan, code: 'bad code!' }),
          path: '/v1/plans',
          body: { ...plan, code: 'bad code!' },
          field: ['--code', 'code'],
        },
        {
          name: 'bad email',
          cli: custArgs({ ...cust, email: 'not-an-email' }),
          path: '/v1/customers',
          body: { ...cust, email: 'not-an-email' },
          field: ['--email', 'email'],
        },
        {
          name: 'last name too long',
          cli: custArgs({ ...cust, lastName: 'L'.repeat(51) }),
          path: '/v1/customers',
          body: { ...cust, lastName: 'L'.repeat(51) },
          field: ['--last-name', 'lastName'],
        },
        {
          name: 'not a pm_ id',
          cli: ['payment-methods', 'add', '--customer', 'cust_x', '--asiabill-id', 'card_123'],
          path: '/v1/customers/cust_x/payment-methods',
          body: { asiabillPaymentMethodId: 'card_123' },
          field: ['--asiabill-id', 'asiabillPaymentMethodId'],
        },
        {
          name: 'unknown status filter',
          cli: ['subscriptions', 'list', '--status', 'sleeping'],
          path: '/v1/subscriptions?status=sleeping',
          get: true,
          field: ['--status', 'status'],
        },
        {
          name: 'unknown time zone',
          cli: [
            'subscriptions',
            'create',
            '--customer',
            'c',
            '--plan',
            'p',
            '--payment-method',
            'm',
            '--timezone',
            'Mars/Base',
          ],
          path: '/v1/subscriptions',
          body: { customerId: 'c', planCode: 'p', paymentMethodId: 'm', timezone: 'Mars/Base' },
          field: ['--timezone', 'timezone'],
        },
        {
          name: 'clock moved by nothing',
          cli: ['clock', 'advance', '--by', 'P0D'],
          path: '/v1/test-clock/advance',
          body: { by: 'P0D' },
          field: ['--by', 'by'],
        },
      ];
      expect(cases.length).toBe(10);
      const before = await tableCounts(te.ctx.db);
      for (const c of cases) {
        const cli = await runCliIn(env, c.cli);
        expect(cli.code, `${c.name}: ${cli.err}`).toBe(2);
        const http = c.get ? await api.get<ErrorJson>(c.path) : await api.post<ErrorJson>(c.path, c.body);
        expect(http.status, c.name).toBe(400);
        expect(http.json.error.code, c.name).toBe('validation_error');
        const [cliField, apiField] = c.field;
        expect(http.json.error.field, c.name).toBe(apiField);
        // Same rule and problem; only the field's spelling is the surface's own.
        expect(cli.err.replace(`error: ${cliField}: `, ''), c.name).toBe(
          http.json.error.message.replace(`${apiField}: `, ''),
        );
      }
      const after = await tableCounts(te.ctx.db);
      // Only the idempotency records of the refused POSTs were written.
      expect({ ...after, api_idempotency_keys: 0 }).toEqual({ ...before, api_idempotency_keys: 0 });
    });

    it('maps not found, conflicts, unknown routes, bad JSON, type errors and card data to stable codes', async () => {
      const nf = await api.get<ErrorJson>('/v1/customers/cust_doesnotexist');
      expect(nf.status).toBe(404);
      expect(nf.json.error).toEqual({
        code: 'not_found',
        message: 'customer cust_doesnotexist not found',
        field: null,
      });

      const plan = { code: 'dup', name: 'Dup', amount: '3.00', currency: 'EUR', interval: 'week' };
      expect((await api.post('/v1/plans', plan)).status).toBe(201);
      const dup = await api.post<ErrorJson>('/v1/plans', plan);
      expect(dup.status).toBe(409);
      expect(dup.json.error.code).toBe('conflict');

      const route = await api.get<ErrorJson>('/v1/nothing-here');
      expect(route.status).toBe(404);
      expect(route.json.error.code).toBe('route_not_found');

      const badJson = await api.post<ErrorJson>('/v1/plans', null, { raw: '{"code":' });
      expect(badJson.status).toBe(400);
      expect(badJson.json.error).toMatchObject({ code: 'validation_error', field: 'body' });

      const float = await api.post<ErrorJson>('/v1/plans', { ...plan, code: 'float', amount: 19.99 });
      expect(float.status).toBe(400);
      expect(float.json.error).toMatchObject({ code: 'validation_error', field: 'amount' });

      const typo = await api.post<ErrorJson>('/v1/plans', { ...plan, code: 'typo', intervalcount: 2 });
      expect(typo.json.error).toMatchObject({ code: 'validation_error', field: 'intervalcount' });

      const before = await tableCounts(te.ctx.db);
      const card = await api.post<ErrorJson>('/v1/customers/cust_x/payment-methods', {
        cardNumber: '4242424242424242',
        cvc: '123',
      });
      expect(card.status).toBe(400);
      expect(card.json.error).toMatchObject({ code: 'validation_error', field: 'cardNumber' });
      expect(card.text).not.toContain('4242424242424242');
      const nested = await api.post<ErrorJson>('/v1/customers', {
        email: 'n@example.com',
        firstName: 'N',
        lastName: 'N',
        card: { cardNo: '4242424242424242' },
      });
      expect(nested.json.error).toMatchObject({ code: 'validation_error', field: 'cardNo' });
      // Refused before the idempotency record: not even a hash of the card is stored.
      expect(await tableCounts(te.ctx.db)).toEqual(before);
    });
  });

  describe('lists page with limit and starting_after', () => {
    it('walks every customer once, in order, and refuses a bad cursor or limit', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await api.post('/v1/customers', {
          email: `page${i}@example.com`,
          firstName: 'Page',
          lastName: `N${i}`,
        });
        expect(r.status).toBe(201);
      }
      const all = await api.get<{ data: Array<{ id: string }>; hasMore: boolean }>('/v1/customers?limit=100');
      expect(all.json.hasMore).toBe(false);
      const expected = all.json.data.map((c) => c.id);
      expect(expected.length).toBeGreaterThanOrEqual(5);
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 50; pages++) {
        const q = `/v1/customers?limit=2${after ? `&starting_after=${after}` : ''}`;
        const page = await api.get<{ data: Array<{ id: string }>; hasMore: boolean }>(q);
        expect(page.status).toBe(200);
        expect(page.json.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.json.data.map((c) => c.id));
        if (!page.json.hasMore) break;
        after = page.json.data.at(-1)?.id;
      }
      expect(seen).toEqual(expected);
      const bad = await api.get<ErrorJson>('/v1/customers?starting_after=cust_nope');
      expect(bad.json.error).toMatchObject({ code: 'validation_error', field: 'starting_after' });
      for (const limit of ['0', '101', 'ten']) {
        const r = await api.get<ErrorJson>(`/v1/customers?limit=${limit}`);
        expect(r.status, limit).toBe(400);
        expect(r.json.error.field).toBe('limit');
      }
    });
  });

  describe('OpenAPI', () => {
    it('documents every registered route from the schemas the routes validate with', async () => {
      const r = await fetch(`${base}/openapi.json`);
      expect(r.status).toBe(200);
      const doc = (await r.json()) as {
        openapi: string;
        paths: Record<
          string,
          Record<
            string,
            {
              operationId: string;
              requestBody?: {
                content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }>;
              };
            }
          >
        >;
      };
      expect(doc.openapi).toBe('3.1.0');
      const routes = API_RESOURCES.flatMap((res) => res.routes);
      expect(routes.length).toBeGreaterThan(15);
      for (const route of routes) {
        const op = doc.paths[`/v1${route.path}`]?.[route.method.toLowerCase()];
        expect(op?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
      }
      const createPlan = doc.paths['/v1/plans']?.post?.requestBody?.content['application/json']?.schema;
      expect(Object.keys(createPlan?.properties ?? {}).sort()).toEqual(
        ['amount', 'code', 'currency', 'interval', 'intervalCount', 'name', 'trialDays'].sort(),
      );
      expect((createPlan?.required ?? []).sort()).toEqual(['amount', 'code', 'currency', 'interval', 'name']);
      // What the document calls required, the server requires.
      const missing = await api.post<ErrorJson>('/v1/plans', {
        name: 'N',
        amount: '1.00',
        currency: 'USD',
        interval: 'month',
      });
      expect(missing.json.error).toMatchObject({ code: 'validation_error', field: 'code' });
    });

    it('serves a self-contained reference page (nothing loaded from elsewhere)', async () => {
      const r = await fetch(`${base}/docs`);
      expect(r.status).toBe(200);
      const html = await r.text();
      expect(html).toContain('/openapi.json');
      expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    });
  });

  describe('queue dashboard', () => {
    it('is behind the admin token and shows the engine queues', async () => {
      const none = await fetch(`${base}/admin/queues`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
      await none.arrayBuffer();
      const auth = { authorization: `Basic ${Buffer.from(`ops:${ADMIN_TOKEN}`).toString('base64')}` };
      const page = await fetch(`${base}/admin/queues`, { headers: auth });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/<html/i);
      // Its own scripts and styles are served from here too (no CDN), behind the same token.
      const assets = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1] ?? '');
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        expect(asset, asset).not.toMatch(/^(https?:)?\/\//);
        const url = new URL(asset, `${base}/admin/queues/`).toString();
        // Bodies are read to the end: an unread response keeps its connection busy, and the
        // engine's graceful close would wait for it.
        const ok = await fetch(url, { headers: auth });
        expect(ok.status, asset).toBe(200);
        expect((await ok.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
        const refused = await fetch(url);
        expect(refused.status, asset).toBe(401);
        await refused.arrayBuffer();
      }
      const queues = await fetch(`${base}/admin/queues/api/queues`, { headers: auth });
      expect(queues.status).toBe(200);
      const names = ((await queues.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort();
      expect(names).toEqual(['charge', 'maintenance']);
    });
  });
});
