import { describe, it, expect, afterAll } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase } from '../../support/db.ts';
import { migrateDatabase } from '../../../src/db/migrate.ts';

describe('db migrate', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanup) await c();
  });

  it('creates the database, applies every table, and is harmless when run twice', async () => {
    const t = await createTestDatabase();
    cleanup.push(t.drop);
    const again = await migrateDatabase(t.url);
    expect(again.created).toBe(false);
    const rows = await t.database.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(rows.rows.map((r) => r.table_name)).toEqual([
      'api_idempotency_keys',
      'charge_attempts',
      'coupons',
      'customers',
      'events',
      'gateway_notifications',
      'idempotency_keys',
      'invoices',
      'payment_methods',
      'plans',
      'refunds',
      'subscriptions',
      'test_clock',
      'webhook_attempts',
      'webhook_deliveries',
      'webhook_endpoints',
    ]);
  });
});
