import { describe, it, expect, afterAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { dropDatabase } from '../../../src/db/migrate.ts';
import { expectBadInput, runCliIn } from './cliRun.ts';

const BASE = process.env.TEST_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/';

describe('billing db migrate', () => {
  const url = new URL(BASE);
  url.pathname = `/billing_cli_migrate_${process.pid}_${randomBytes(4).toString('hex')}`;
  const env = { DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' };
  afterAll(async () => {
    await dropDatabase(url.toString());
  });

  it('creates the database and applies migrations, and is harmless the second time', async () => {
    const first = await runCliIn(env, ['db', 'migrate']);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^database: +billing_cli_migrate_\S+ on 127\.0\.0\.1:5432$/m);
    expect(first.out).toMatch(/^created: +yes/m);
    expect(first.out).toMatch(/^migrations: +applied/m);

    const second = await runCliIn(env, ['db', 'migrate', '--json']);
    expect(second.code, second.err).toBe(0);
    expect(JSON.parse(second.out)).toEqual({
      database: url.pathname.slice(1),
      host: '127.0.0.1:5432',
      created: false,
      migrated: true,
    });
  });

  it('never prints the password from DATABASE_URL', async () => {
    const withPassword = new URL(url.toString());
    withPassword.password = 'hunter2secret';
    const r = await runCliIn({ ...env, DATABASE_URL: withPassword.toString() }, ['db', 'migrate']);
    expect(`${r.out}\n${r.err}`).not.toContain('hunter2secret');
  });

  it('reports bad configuration as exit 2 with one line naming the variable', async () => {
    expectBadInput(await runCliIn({ DATABASE_URL: 'not a url' }, ['db', 'migrate']), 'DATABASE_URL');
    expectBadInput(await runCliIn({ ...env, ASIABILL_GATEWAY_NO: '12345678' }, ['plans', 'list']), 'ASIABILL_SIGN_KEY');
  });

  it('treats usage errors as exit 2 and help as exit 0', async () => {
    expectBadInput(await runCliIn(env, ['nosuch']), 'nosuch');
    expectBadInput(await runCliIn(env, ['db', 'migrate', '--force']), '--force');
    const help = await runCliIn(env, ['plans', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('create');
  });

  it('exits 1 for failures that are not the input: an unreachable database', async () => {
    const r = await runCliIn({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/billing', LOG_LEVEL: 'silent' }, [
      'db',
      'migrate',
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error: /);
  });
});
