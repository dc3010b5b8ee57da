import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { testClock } from '../db/schema.ts';
import type { TimeSource } from '../clock.ts';
import { ConflictError } from '../errors.ts';

/**
 * The test clock lives in one Postgres row so that every engine process sees the same time.
 * It starts at real time the first time it is read and only ever moves forward: moving a
 * billing engine's time backwards would re-open periods that were already charged.
 */
export function dbTestClock(db: DbOrTx): TimeSource {
  return { kind: 'test', now: () => readTestClock(db) };
}

export async function readTestClock(db: DbOrTx): Promise<Date> {
  const rows = await db.select().from(testClock).where(eq(testClock.id, 1));
  const row = rows[0];
  if (row) return row.now;
  const now = new Date();
  await db.insert(testClock).values({ id: 1, now }).onConflictDoNothing();
  const again = await db.select().from(testClock).where(eq(testClock.id, 1));
  return again[0]?.now ?? now;
}

export async function setTestClock(db: DbOrTx, to: Date): Promise<Date> {
  const current = await readTestClock(db);
  if (to.getTime() < current.getTime()) {
    throw new ConflictError(
      `the test clock only moves forward: it is ${current.toISOString()}, asked for ${to.toISOString()}`,
    );
  }
  await db.update(testClock).set({ now: to, updatedAt: sql`now()` }).where(eq(testClock.id, 1));
  return to;
}
