import { describe, expect, it } from 'vitest';
import { ADMIN_TOKEN_MIN_LENGTH, ConfigError, loadConfig } from '../../../src/config.ts';
import { presentedToken, tokenMatches } from '../../../src/http/api/auth.ts';

const GOOD = 'a'.repeat(ADMIN_TOKEN_MIN_LENGTH);

describe('BILLING_ADMIN_TOKEN', () => {
  it('is optional: without it the admin API is off', () => {
    expect(loadConfig({}).adminToken).toBeUndefined();
    expect(loadConfig({ BILLING_ADMIN_TOKEN: '' }).adminToken).toBeUndefined();
    expect(loadConfig({ BILLING_ADMIN_TOKEN: GOOD }).adminToken).toBe(GOOD);
  });

  it('refuses a short or spaced token by name, with its rule', () => {
    expect(ADMIN_TOKEN_MIN_LENGTH).toBe(32);
    for (const bad of ['a'.repeat(31), 'secret', `${'a'.repeat(20)} ${'b'.repeat(20)}`]) {
      let err: unknown;
      try {
        loadConfig({ BILLING_ADMIN_TOKEN: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems;
      expect(problems.length).toBe(1);
      expect(problems[0]).toMatch(/^BILLING_ADMIN_TOKEN: /);
      expect(problems[0]).not.toContain(bad);
    }
  });
});

describe('admin token check', () => {
  it('reads Bearer and the password of Basic, and nothing else', () => {
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    const table: Array<[string | undefined, string | undefined]> = [
      [undefined, undefined],
      ['', undefined],
      [`Bearer ${GOOD}`, GOOD],
      [`bearer ${GOOD}`, GOOD],
      [GOOD, undefined],
      [`Token ${GOOD}`, undefined],
      [basic(`ops:${GOOD}`), GOOD],
      [basic(`:${GOOD}`), GOOD],
      [basic(GOOD), undefined],
    ];
    expect(table.length).toBe(9);
    for (const [header, expected] of table) expect(presentedToken(header), String(header)).toBe(expected);
  });

  it('matches only the exact token', () => {
    expect(tokenMatches(GOOD, GOOD)).toBe(true);
    for (const wrong of [undefined, '', GOOD.slice(1), `${GOOD}a`, GOOD.toUpperCase(), `${GOOD.slice(0, -1)}b`])
      expect(tokenMatches(wrong, GOOD), String(wrong)).toBe(false);
  });
});
