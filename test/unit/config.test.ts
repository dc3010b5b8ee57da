import { describe, it, expect } from 'vitest';
import { loadConfig, ConfigError, SANDBOX_GATEWAY_NO } from '../../src/config.ts';
import { createContext } from '../../src/context.ts';
import { silentLogger } from '../../src/logger.ts';

describe('configuration from the environment', () => {
  it('has working defaults and uses the built-in sandbox when no AsiaBill variable is set', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('postgres://postgres@127.0.0.1:5432/billing');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.clock).toBe('system');
    expect(c.gateway).toMatchObject({
      kind: 'sandbox',
      gatewayNo: SANDBOX_GATEWAY_NO,
      paymentUrl: 'http://127.0.0.1:8091/V2022-03',
    });
  });

  it('uses AsiaBill when all four variables are set', () => {
    const c = loadConfig({
      ASIABILL_PAYMENT_URL: 'https://testpay.asiabill.com/V2022-03',
      ASIABILL_OPENAPI_URL: 'https://api-uat.asiabill.com/openApi/V2022-03',
      ASIABILL_GATEWAY_NO: '12246002',
      ASIABILL_SIGN_KEY: 'k',
      BILLING_SERVER_IP: '198.51.100.20',
      BILLING_PUBLIC_URL: 'https://billing.merchant.example',
    });
    expect(c.gateway).toMatchObject({
      kind: 'asiabill',
      gatewayNo: '12246002',
      openapiUrl: 'https://api-uat.asiabill.com/openApi/V2022-03',
    });
  });

  it('refuses a partial AsiaBill configuration instead of silently using the sandbox', () => {
    const err = (() => {
      try {
        loadConfig({ ASIABILL_SIGN_KEY: 'k' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.split(':')[0])).toEqual([
      'ASIABILL_PAYMENT_URL',
      'ASIABILL_OPENAPI_URL',
      'ASIABILL_GATEWAY_NO',
    ]);
  });

  it('reports every bad variable by name, at once', () => {
    const err = (() => {
      try {
        loadConfig({
          DATABASE_URL: 'not a url',
          BILLING_CLOCK: 'sundial',
          BILLING_HTTP_PORT: '70000',
          ASIABILL_GATEWAY_NO: '123',
        });
      } catch (e) {
        return e;
      }
      return null;
    })() as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    const names = err.problems.map((p) => p.split(':')[0]);
    for (const n of ['DATABASE_URL', 'BILLING_CLOCK', 'BILLING_HTTP_PORT', 'ASIABILL_GATEWAY_NO'])
      expect(names).toContain(n);
    expect(err.message).toContain('BILLING_CLOCK');
  });

  it('sizes the Postgres pool from BILLING_PG_POOL_MAX (default 10) and refuses nonsense', async () => {
    expect(loadConfig({}).pgPoolMax).toBe(10);
    const c = loadConfig({ BILLING_PG_POOL_MAX: '40' });
    expect(c.pgPoolMax).toBe(40);
    // The process's pool really is that size (pg.Pool opens nothing until a query).
    const { database } = createContext(c, silentLogger);
    expect(database.pool.options.max).toBe(40);
    await database.close();
    for (const bad of ['0', '-1', '2.5', 'many', '5000'])
      expect(() => loadConfig({ BILLING_PG_POOL_MAX: bad }), bad).toThrow(/BILLING_PG_POOL_MAX/);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', BILLING_CLOCK: '' }).clock).toBe('system');
  });
});
