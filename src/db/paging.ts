import { and, eq, gt, or, type SQL } from 'drizzle-orm';
import type { DbOrTx } from './client.ts';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { ValidationError } from '../errors.ts';

/**
 * Keyset paging for list commands: `--limit N --starting-after ID` returns the N rows after
 * that id in (created_at, id) order, so paging through a growing table never skips or repeats
 * a row (OFFSET would).
 */

/** Largest page a list returns; a bigger export is a job for SQL, not the CLI. */
export const MAX_PAGE_SIZE = 1000;

export interface PageQuery {
  limit?: number;
  startingAfter?: string;
}

export function checkLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError('limit', `integer 1-${MAX_PAGE_SIZE}`, `${limit} is out of range`);
  }
  return limit;
}

/** The "after this row" condition, or undefined on the first page. */
export async function afterRow(
  db: DbOrTx,
  table: PgTable,
  cols: { createdAt: PgColumn; id: PgColumn },
  startingAfter: string | undefined,
): Promise<SQL | undefined> {
  if (startingAfter === undefined) return undefined;
  const row = (await db.select({ createdAt: cols.createdAt }).from(table).where(eq(cols.id, startingAfter)))[0];
  if (!row) {
    throw new ValidationError('starting-after', 'an id from a previous page', `${startingAfter} does not exist`);
  }
  return or(gt(cols.createdAt, row.createdAt), and(eq(cols.createdAt, row.createdAt), gt(cols.id, startingAfter)));
}
