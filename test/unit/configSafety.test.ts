import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { runCliIn } from '../integration/cli/cliRun.ts';

/**
 * Configuration that would break the safety argument is refused at start-up (issue 9, items
 * 4 and 5). The hosts are AsiaBill's, from API.md §1, written out here by hand.
 */
const LIVE = {
  ASIABILL_PAYMENT_URL: 'https://safepay.asiabill.com/V2022-03',
  ASIABILL_OPENAPI_URL: 'https://openapi.asiabill.com/openApi/V2022-03',
  ASIABILL_GATEWAY_NO: '12345678',
  ASIABILL_SIGN_KEY: 'live-key',
};
const UAT = {
  ASIABILL_PAYMENT_URL: 'https://testpay.asiabill.com/V2022-03',
  ASIABILL_OPENAPI_URL: 'https://api-uat.asiabill.com/openApi/V2022-03',
  ASIABILL_GATEWAY_NO: '12246002',
  ASIABILL_SIGN_KEY: '12H4567r',
};
const LOCAL = {
  ASIABILL_PAYMENT_URL: 'http://127.0.0.1:8091/V2022-03',
  ASIABILL_OPENAPI_URL: 'http://localhost:8091/openApi/V2022-03',
  ASIABILL_GATEWAY_NO: '12246002',
  ASIABILL_SIGN_KEY: '12H4567r',
};
// A real gateway also needs the server's public IP (customerIp on renewals, docs/gateway.md).
const PUBLIC = { BILLING_PUBLIC_URL: 'https://billing.merchant.example', BILLING_SERVER_IP: '198.51.100.20' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('BILLING_CLOCK=test with AsiaBill production hosts (item 4)', () => {
  it('is refused for the live payment host, the live OpenAPI host, and either alone', () => {
    expect(problemsOf({ ...LIVE, ...PUBLIC, BILLING_CLOCK: 'test' })).toEqual([
      expect.stringMatching(/^BILLING_CLOCK: .*safepay\.asiabill\.com/),
    ]);
    expect(
      problemsOf({
        ...UAT,
        ASIABILL_OPENAPI_URL: 'https://OPENAPI.asiabill.com/openApi/V2022-03',
        ...PUBLIC,
        BILLING_CLOCK: 'test',
      }),
    ).toEqual([expect.stringMatching(/^BILLING_CLOCK: .*openapi\.asiabill\.com/)]);
    expect(
      problemsOf({
        ...UAT,
        ASIABILL_PAYMENT_URL: 'https://safepay.asiabill.com:443/V2022-03',
        ...PUBLIC,
        BILLING_CLOCK: 'test',
      }),
    ).toHaveLength(1);
  });

  it('is accepted with the system clock on the live hosts, and with the test clock on the test hosts', () => {
    expect(loadConfig({ ...LIVE, ...PUBLIC }).gateway.kind).toBe('asiabill');
    expect(loadConfig({ ...UAT, ...PUBLIC, BILLING_CLOCK: 'test' }).clock).toBe('test');
    expect(loadConfig({ BILLING_CLOCK: 'test' }).gateway.kind).toBe('sandbox');
  });

  it('exits 2 from the CLI, naming the variable, before any connection', async () => {
    const r = await runCliIn(
      { ...LIVE, ...PUBLIC, BILLING_CLOCK: 'test', DATABASE_URL: 'postgres://x@127.0.0.1:1/x' },
      ['customers', 'list'],
    );
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^error: .*BILLING_CLOCK: "test" is refused with AsiaBill's production host/);
  });
});

describe('BILLING_PUBLIC_URL with a real gateway (item 5)', () => {
  it('is required for AsiaBill (live or test hosts) and any non-local gateway', () => {
    for (const env of [LIVE, UAT, { ...LOCAL, ASIABILL_PAYMENT_URL: 'http://app:8091/V2022-03' }]) {
      expect(problemsOf(env)).toEqual([expect.stringMatching(/^BILLING_PUBLIC_URL: required when a real AsiaBill/)]);
    }
  });

  it('must not be a loopback address AsiaBill cannot reach', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080']) {
      expect(problemsOf({ ...UAT, BILLING_PUBLIC_URL: url })).toEqual([
        expect.stringMatching(/^BILLING_PUBLIC_URL: .* loopback address/),
      ]);
    }
  });

  it('is optional with the built-in sandbox or a gateway on this machine', () => {
    expect(loadConfig({}).publicUrl).toBeUndefined();
    expect(loadConfig(LOCAL).gateway.kind).toBe('asiabill');
  });

  it('exits 2 from the CLI, naming the variable', async () => {
    const r = await runCliIn({ ...UAT, DATABASE_URL: 'postgres://x@127.0.0.1:1/x' }, ['plans', 'list']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .*BILLING_PUBLIC_URL: required/);
  });
});
