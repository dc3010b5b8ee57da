import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { migrateDatabase, dropDatabase } from '../../src/db/migrate.ts';
import { openDatabase, type Database } from '../../src/db/client.ts';

// The local Unix socket when there is one: the suite makes tens of thousands of small
// queries, and on this kind of machine a loopback TCP round trip costs twice a socket's.
const SOCKET_DIR = '/var/run/postgresql';
const BASE =
  process.env.TEST_DATABASE_BASE_URL ??
  (existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`)
    ? `postgres://postgres@localhost/?host=${encodeURIComponent(SOCKET_DIR)}`
    : 'postgres://postgres@127.0.0.1:5432/');

/** A URL for a database of this name on the test server (not created). */
export function testDatabaseUrl(name: string): string {
  const url = new URL(BASE);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, migrated database per test file, dropped afterwards: runs never see each other. */
export async function createTestDatabase(
  base: string = BASE,
): Promise<{ url: string; database: Database; drop(): Promise<void> }> {
  const name = `billing_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  const dbUrl = url.toString();
  await migrateDatabase(dbUrl);
  const database = openDatabase(dbUrl, { max: 10 });
  return {
    url: dbUrl,
    database,
    async drop() {
      await database.close();
      await dropDatabase(dbUrl);
    },
  };
}

/** A unique BullMQ prefix per test file. */
export function testQueuePrefix(): string {
  return `billing-test-${process.pid}-${randomBytes(4).toString('hex')}`;
}
