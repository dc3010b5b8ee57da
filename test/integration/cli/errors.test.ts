import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { runCliIn } from './cliRun.ts';
import { createTestDatabase, testDatabaseUrl } from '../../support/db.ts';
import { openDatabase } from '../../../src/db/client.ts';
import { dropDatabase } from '../../../src/db/migrate.ts';

/**
 * Issue 9 item 15: the CLI never crashes and never hides a cause. Database failures say why
 * (not drizzle's `Failed query: … params:`), a closed pipe ends it quietly, `--version`
 * works, `--help` marks required flags, `--json` makes errors JSON, and errors name the flag
 * the user typed.
 */
const run = promisify(execFile);
const BIN = 'bin/billing.mjs';

describe('database errors show their cause', () => {
  it('connection refused names the host and port, not the query or its parameters', async () => {
    const r = await runCliIn({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/billing', LOG_LEVEL: 'silent' }, [
      'customers',
      'show',
      'someone@example.com',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: cannot connect to Postgres at 127.0.0.1:1 (connection refused)');
    expect(r.err).not.toContain('someone@example.com');
  });

  it('a missing database, and a database that was never migrated, say what to run', async () => {
    const missing = testDatabaseUrl(`billing_missing_${process.pid}`);
    const r = await runCliIn({ DATABASE_URL: missing, LOG_LEVEL: 'silent' }, ['plans', 'list']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: Postgres error 3D000: the database does not exist \(run `billing db migrate`/);
    expect(r.err).not.toMatch(/Failed query|params:/);

    // An empty database: created, never migrated.
    const empty = testDatabaseUrl(`billing_empty_${process.pid}`);
    const admin = openDatabase(testDatabaseUrl('postgres'), { max: 1 });
    try {
      await admin.db.execute(sql.raw(`create database "billing_empty_${process.pid}"`));
      const r2 = await runCliIn({ DATABASE_URL: empty, LOG_LEVEL: 'silent' }, ['plans', 'show', 'secret-plan-code']);
      expect(r2.code).toBe(1);
      expect(r2.err).toMatch(/^error: Postgres error 42P01: a table is missing: the database is not migrated/);
      expect(r2.err).not.toContain('secret-plan-code');
    } finally {
      await admin.close();
      await dropDatabase(empty);
    }
  });
});

describe('flags, help, version and JSON errors', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    t = await createTestDatabase();
    env = { DATABASE_URL: t.url, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await t?.drop();
  });

  const planArgs = ['plans', 'create', '--code', 'p', '--name', 'P', '--amount', '1', '--currency', 'USD'];

  it('errors name the flag the user typed, not the field in the code', async () => {
    const cases: Array<[string[], string]> = [
      [[...planArgs, '--interval', 'month', '--interval-count', '99'], '--interval-count'],
      [[...planArgs, '--interval', 'month', '--trial-days', '9999'], '--trial-days'],
      [
        ['plans', 'create', '--code', 'p', '--name', 'P', '--amount', '1', '--currency', 'XXX', '--interval', 'month'],
        '--currency',
      ],
      [['customers', 'create', '--email', 'nope', '--first-name', 'A', '--last-name', 'B'], '--email'],
      [['customers', 'create', '--email', 'a@b.co', '--first-name', ' ', '--last-name', 'B'], '--first-name'],
      [
        [
          'customers',
          'create',
          '--email',
          'a@b.co',
          '--first-name',
          'A',
          '--last-name',
          'B',
          '--external-ref',
          'r'.repeat(201),
        ],
        '--external-ref',
      ],
      [
        [
          'payment-methods',
          'add',
          '--customer',
          'c',
          '--card-number',
          '4242',
          '--exp-month',
          '1',
          '--exp-year',
          '2030',
          '--cvc',
          '1',
        ],
        '--card-number',
      ],
      [
        [
          'payment-methods',
          'add',
          '--customer',
          'c',
          '--card-number',
          '4242424242424242',
          '--exp-month',
          '13',
          '--exp-year',
          '2030',
          '--cvc',
          '123',
        ],
        '--exp-month',
      ],
      [['payment-methods', 'add', '--customer', 'c', '--asiabill-id', 'nope'], '--asiabill-id'],
    ];
    expect(cases).toHaveLength(9);
    for (const [args, flag] of cases) {
      const r = await runCliIn(env, args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err, args.join(' ')).toMatch(new RegExp(`^error: ${flag}: `));
    }
  });

  it('with --json, every error is one JSON object on stderr and stdout stays empty', async () => {
    const bad = await runCliIn(env, [...planArgs, '--interval', 'month', '--interval-count', '0', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(JSON.parse(bad.err)).toEqual({
      error: {
        code: 'VALIDATION',
        exitCode: 2,
        field: '--interval-count',
        rule: '1-60 for interval month',
        message: '--interval-count: 0 is out of range (must be 1 to 60) (rule: 1-60 for interval month)',
      },
    });
    const usage = await runCliIn(env, ['plans', 'create', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.err)).toMatchObject({
      error: { code: 'commander.missingMandatoryOptionValue', exitCode: 2, message: expect.stringContaining('--code') },
    });
    const unknown = await runCliIn(env, ['plans', 'list', '--json', '--colour']);
    expect(JSON.parse(unknown.err)).toMatchObject({ error: { code: 'commander.unknownOption', exitCode: 2 } });
    const down = await runCliIn({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }, ['plans', 'list', '--json']);
    expect(down.code).toBe(1);
    expect(JSON.parse(down.err)).toEqual({
      error: {
        code: 'DATABASE',
        exitCode: 1,
        message: 'cannot connect to Postgres at 127.0.0.1:1 (connection refused)',
      },
    });
    const notFound = await runCliIn(env, ['plans', 'show', 'missing', '--json']);
    expect(JSON.parse(notFound.err)).toMatchObject({ error: { code: 'NOT_FOUND', exitCode: 2 } });
  });

  it('--version prints the package version; --help marks the required flags', async () => {
    const v = await runCliIn(env, ['--version']);
    expect(v).toMatchObject({ code: 0, out: '0.1.0' });
    const help = await runCliIn(env, ['subscriptions', 'create', '--help']);
    expect(help.code).toBe(0);
    // One entry per option, its wrapped description lines joined.
    const lines = help.out.replace(/\n {10,}/g, ' ').split('\n');
    const optionLine = (flag: string): string => lines.find((l) => l.trimStart().startsWith(flag)) ?? '';
    for (const flag of ['--customer', '--plan', '--payment-method']) expect(optionLine(flag)).toContain('(required)');
    for (const flag of ['--start', '--timezone', '--idempotency-key', '--json']) {
      expect(optionLine(flag)).not.toBe('');
      expect(optionLine(flag)).not.toContain('(required)');
    }
  });
});

describe('a closed pipe', () => {
  // `| true` closes the pipe before billing writes (deterministic EPIPE); `| head -1` is the
  // reported case. PIPESTATUS gives billing's own exit code; its stderr is collected.
  for (const reader of ['true', 'head -1']) {
    it(`billing … | ${reader} exits 0 without a stack trace`, async () => {
      const { stdout, stderr } = await run('bash', [
        '-c',
        `node ${BIN} periods --anchor 2025-01-31 --interval day --count 1000 --json | ${reader}; echo "billing exit \${PIPESTATUS[0]}"`,
      ]);
      expect(stderr).toBe('');
      expect(stdout.trim().split('\n').at(-1)).toBe('billing exit 0');
    });
  }
});
