import { sql } from 'drizzle-orm';
import { createTestDatabase } from '../../support/db.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import { runCliIn, type CliRun } from './cliRun.ts';
import type { Db } from '../../../src/db/client.ts';

export { expectBadInput, type CliRun } from './cliRun.ts';

/**
 * Drives the real CLI in-process against a fresh Postgres database and a local AsiaBill
 * sandbox on a random port — the same wiring as production, minus the process boundary.
 */
export interface CliHarness {
  db: Db;
  databaseUrl: string;
  sandbox: Sandbox;
  env: NodeJS.ProcessEnv;
  run(...args: string[]): Promise<CliRun>;
  /** Runs with --json, expects exit 0, and parses stdout. */
  json<T>(...args: string[]): Promise<T>;
  /** Row count of every table in the schema: "nothing written" means this is unchanged. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startCliHarness(extraEnv: NodeJS.ProcessEnv = {}): Promise<CliHarness> {
  const [database, sandbox] = await Promise.all([createTestDatabase(), startSandbox({ port: 0 })]);
  const env: NodeJS.ProcessEnv = {
    DATABASE_URL: database.url,
    ASIABILL_PAYMENT_URL: sandbox.paymentUrl,
    ASIABILL_OPENAPI_URL: sandbox.openapiUrl,
    ASIABILL_GATEWAY_NO: sandbox.gatewayNo,
    ASIABILL_SIGN_KEY: sandbox.signKey,
    LOG_LEVEL: 'silent',
    ...extraEnv,
  };
  const run = (...args: string[]): Promise<CliRun> => runCliIn(env, args);
  return {
    db: database.database.db,
    databaseUrl: database.url,
    sandbox,
    env,
    run,
    async json<T>(...args: string[]): Promise<T> {
      const r = await run(...args, '--json');
      if (r.code !== 0) throw new Error(`billing ${args.join(' ')} exited ${r.code}: ${r.err}`);
      return JSON.parse(r.out) as T;
    },
    async counts() {
      const tables = await database.database.db.execute<{ table_name: string }>(
        sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
      );
      const result: Record<string, number> = {};
      for (const { table_name: name } of tables.rows) {
        const rows = await database.database.db.execute<{ n: number }>(
          sql`select count(*)::int as n from ${sql.identifier(name)}`,
        );
        result[name] = rows.rows[0]?.n ?? -1;
      }
      return result;
    },
    async close() {
      await Promise.all([database.drop(), sandbox.close()]);
    },
  };
}
