/**
 * Configuration rules of issue 9 (items 3 and 11): the gateway timeout is capped well below
 * AsiaBill's 10-minute request window, and renewals need the merchant server's IP address.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { MAX_GATEWAY_TIMEOUT_MS } from '../../src/billing/attemptDeadline.ts';

const REAL = {
  ASIABILL_PAYMENT_URL: 'https://testpay.asiabill.com/V2022-03',
  ASIABILL_OPENAPI_URL: 'https://api-uat.asiabill.com/openApi/V2022-03',
  ASIABILL_GATEWAY_NO: '12246002',
  ASIABILL_SIGN_KEY: 'k',
  BILLING_SERVER_IP: '198.51.100.20',
  BILLING_PUBLIC_URL: 'https://billing.merchant.example',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('ASIABILL_TIMEOUT_MS', () => {
  it('the cap is at most a fifth of the 10-minute request window', () => {
    expect(MAX_GATEWAY_TIMEOUT_MS).toBeLessThanOrEqual(2 * 60 * 1000);
  });

  it.each(['900000', '600000', '121000'])('%s ms (at or beyond the window) is refused, naming the variable', (ms) => {
    const problems = problemsOf({ ASIABILL_TIMEOUT_MS: ms });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ASIABILL_TIMEOUT_MS: must be at most 120000 ms/);
  });

  it.each(['1', '30000', '120000'])('%s ms is accepted', (ms) => {
    expect(loadConfig({ ASIABILL_TIMEOUT_MS: ms }).gateway.timeoutMs).toBe(Number(ms));
  });
});

describe('BILLING_SERVER_IP', () => {
  it('is what renewals send as customerIp', () => {
    expect(loadConfig(REAL).serverIp).toBe('198.51.100.20');
    expect(loadConfig({ ...REAL, BILLING_SERVER_IP: '2001:db8::1' }).serverIp).toBe('2001:db8::1');
  });

  it('is required with a real AsiaBill gateway', () => {
    const { BILLING_SERVER_IP: _, ...withoutIp } = REAL;
    expect(problemsOf(withoutIp).map((p) => p.split(':')[0])).toEqual(['BILLING_SERVER_IP']);
  });

  it('defaults to loopback only for a gateway on this machine (the sandbox)', () => {
    expect(loadConfig({}).serverIp).toBe('127.0.0.1');
  });

  it.each(['example.com', '300.1.1.1', '1.2.3', '10.0.0.1/24'])('%j is refused', (ip) => {
    expect(problemsOf({ BILLING_SERVER_IP: ip }).map((p) => p.split(':')[0])).toEqual(['BILLING_SERVER_IP']);
  });
});
