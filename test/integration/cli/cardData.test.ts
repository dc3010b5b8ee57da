import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { startCliHarness, type CliHarness } from './harness.ts';
import { passesLuhn } from '../../../src/asiabill/luhn.ts';

/**
 * DESIGN invariant 6: no card number or security code at rest, in logs or in messages.
 * Cards go in through the CLI with logging at its most verbose (logs go to stderr, which is
 * captured), then every text column of every table and every byte the CLI printed is
 * searched — for the exact values we typed, and for anything shaped like a card number.
 */
const CARDS = [
  { number: '4242424242424242', cvc: '9731', month: '4' },
  { number: '5555555555554444', cvc: '8642', month: '12' },
  { number: '378282246310005', cvc: '7519', month: '7' }, // 15-digit Amex, 4-digit code
  { number: '6011111111111117', cvc: '6420', month: '9' },
] as const;

/** Typed with separators once, as people paste them; must not survive anywhere either. */
const GROUPED = '4000 0566 5566 5556';
const GROUPED_CVC = '5193';

/**
 * Log lines carry numbers of their own: pino's epoch-millisecond `time` (13 digits, and
 * Luhn-valid one time in ten), the pid, durations. They are blanked first so the checks
 * below cannot fail at random.
 */
function withoutLogNumbers(text: string): string {
  return text.replace(/"(time|pid|durationMs)":\d+/g, '"$1":0');
}

/** Digit runs that could be a card number: 13–19 digits, Luhn-valid, not part of an id. */
function cardLikeNumbers(text: string): string[] {
  const withoutLogTimes = withoutLogNumbers(text);
  const joined = withoutLogTimes.replace(/(?<=\d)[ -](?=\d)/g, '');
  const found = new Set<string>();
  for (const t of [withoutLogTimes, joined]) {
    for (const m of t.matchAll(/(?<![\w])\d{13,19}(?![\w])/g)) if (passesLuhn(m[0])) found.add(m[0]);
  }
  return [...found];
}

/** A code as a token of its own (not inside a timestamp, an id or a UUID's hex groups). */
function containsToken(text: string, token: string): boolean {
  return new RegExp(`(?<![0-9A-Za-z-])${token}(?![0-9A-Za-z-])`).test(withoutLogNumbers(text));
}

describe('card data never reaches Postgres, logs or output', () => {
  let h: CliHarness;
  const printed: string[] = [];

  beforeAll(async () => {
    h = await startCliHarness({ LOG_LEVEL: 'trace' });
    await h.run(
      'customers',
      'create',
      '--email',
      'card@example.com',
      '--first-name',
      'Card',
      '--last-name',
      'Holder',
      '--external-ref',
      'holder',
    );
    for (const [i, c] of CARDS.entries()) {
      const json = i % 2 === 0 ? ['--json'] : [];
      const r = await h.run(
        'payment-methods',
        'add',
        '--customer',
        'holder',
        '--card-number',
        c.number,
        '--exp-month',
        c.month,
        '--exp-year',
        '2037',
        '--cvc',
        c.cvc,
        ...json,
      );
      expect(r.code, r.err).toBe(0);
      printed.push(r.out, r.err);
    }
    const grouped = await h.run(
      'payment-methods',
      'add',
      '--customer',
      'holder',
      '--card-number',
      GROUPED,
      '--exp-month',
      '1',
      '--exp-year',
      '2038',
      '--cvc',
      GROUPED_CVC,
      '--line1',
      '9 Nathan Rd',
      '--city',
      'Kowloon',
      '--country',
      'HK',
    );
    expect(grouped.code, grouped.err).toBe(0);
    printed.push(grouped.out, grouped.err);
    // Refusals after the card number passed validation, and one at the gateway's doorstep.
    for (const args of [
      ['--card-number', CARDS[0].number, '--exp-month', '1', '--exp-year', '2020', '--cvc', CARDS[0].cvc],
      ['--card-number', CARDS[1].number, '--exp-month', '1', '--exp-year', '2037', '--cvc', '86420'],
      [
        '--card-number',
        CARDS[2].number,
        '--exp-month',
        '1',
        '--exp-year',
        '2037',
        '--cvc',
        CARDS[2].cvc,
        '--asiabill-id',
        'pm_1',
      ],
    ]) {
      const r = await h.run('payment-methods', 'add', '--customer', 'holder', ...args);
      expect(r.code).toBe(2);
      printed.push(r.out, r.err);
    }
    // Typos: commander quotes unknown options, values included, unless the CLI hides them.
    for (const args of [
      [`--card-numbr=${CARDS[0].number}`, '--exp-month', '1', '--exp-year', '2037', '--cvc', CARDS[0].cvc],
      ['--card-number', CARDS[1].number, '--exp-month', '1', '--exp-year', '2037', `--cvv=${CARDS[1].cvc}`],
      [
        '--card-number',
        CARDS[2].number,
        '--exp-month',
        '1',
        '--exp-year',
        '2037',
        '--cvc',
        CARDS[2].cvc,
        CARDS[3].number,
      ],
    ]) {
      const r = await h.run('payment-methods', 'add', '--customer', 'holder', ...args);
      expect(r.code).toBe(2);
      printed.push(r.out, r.err);
    }
    const unknown = await h.run(
      'payment-methods',
      'add',
      '--customer',
      'nobody',
      '--card-number',
      CARDS[3].number,
      '--exp-month',
      '1',
      '--exp-year',
      '2037',
      '--cvc',
      CARDS[3].cvc,
    );
    expect(unknown.code).toBe(2);
    printed.push(unknown.out, unknown.err);
    for (const args of [
      ['payment-methods', 'list', '--customer', 'holder'],
      ['payment-methods', 'list', '--customer', 'holder', '--json'],
      ['customers', 'show', 'holder', '--json'],
    ]) {
      const r = await h.run(...args);
      printed.push(r.out, r.err);
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('stored the cards as references with masked details', async () => {
    const rows = await h.db.execute<{ last4: string }>(sql`select last4 from payment_methods order by created_at`);
    expect(rows.rows.map((r) => r.last4)).toEqual(['4242', '4444', '0005', '1117', '5556']);
  });

  it('leaves no card number or CVC in any text column of any table', async () => {
    const tables = await h.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
    );
    expect(tables.rows.length).toBeGreaterThanOrEqual(9);
    let dump = '';
    for (const { table_name: name } of tables.rows) {
      const rows = await h.db.execute<{ j: string }>(
        sql`select row_to_json(t)::text as j from ${sql.identifier(name)} t`,
      );
      dump += rows.rows.map((r) => r.j).join('\n');
    }
    expect(dump).toContain('"last4":"4242"'); // the dump really covers the rows
    for (const c of [...CARDS, { number: GROUPED.replace(/ /g, ''), cvc: GROUPED_CVC }]) {
      expect(dump).not.toContain(c.number);
      expect(containsToken(dump, c.cvc), `CVC ${c.cvc} in the database`).toBe(false);
    }
    expect(dump).not.toContain(GROUPED);
    expect(cardLikeNumbers(dump)).toEqual([]);
  });

  it('printed no card number or CVC on stdout or stderr, logs included', () => {
    const output = printed.join('\n');
    expect(output).toContain('asiabill call'); // the debug logs really were captured
    expect(output).toContain('**** 4242');
    for (const c of [...CARDS, { number: GROUPED.replace(/ /g, ''), cvc: GROUPED_CVC }]) {
      expect(output).not.toContain(c.number);
      expect(containsToken(output, c.cvc), `CVC ${c.cvc} in CLI output`).toBe(false);
    }
    expect(output).not.toContain(GROUPED);
    expect(output).not.toContain('86420');
    expect(cardLikeNumbers(output)).toEqual([]);
  });
});
