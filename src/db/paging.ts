import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './client.ts';
import { ValidationError } from '../errors.ts';

/**
 * Keyset paging for lists: `limit` rows after the row whose id is `startingAfter` (the last id
 * of the previous page). Keyset rather than offset, so a page never repeats or skips a row
 * when rows are added while someone pages through.
 */
export interface PageRequest {
  limit: number;
  startingAfter?: string | undefined;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/** Default and largest page: a page is one screen of the console, and one bounded query. */
export const PAGE_LIMIT = { default: 20, max: 100 } as const;

/** Rows were fetched with `limit + 1`: the extra one only says that there is more. */
export function toPage<T>(rows: T[], limit: number): Page<T> {
  return { data: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** For lists that are small by nature (a customer's cards, the plan catalogue). */
export function pageInMemory<T extends { id: string }>(items: readonly T[], page: PageRequest): Page<T> {
  let from = 0;
  if (page.startingAfter !== undefined) {
    const i = items.findIndex((x) => x.id === page.startingAfter);
    if (i < 0) throw unknownCursor(page.startingAfter);
    from = i + 1;
  }
  return toPage(items.slice(from, from + page.limit + 1), page.limit);
}

/**
 * `(created_at, id) > (the cursor row's)` — or `<` for newest-first lists. The cursor row is
 * looked up first so an id that does not exist is an error, not an empty page.
 */
export async function afterCursor(
  db: DbOrTx,
  table: PgTable,
  cols: { createdAt: PgColumn; id: PgColumn },
  startingAfter: string | undefined,
  direction: 'asc' | 'desc' = 'asc',
): Promise<SQL | undefined> {
  if (startingAfter === undefined) return undefined;
  const rows = await db.select({ createdAt: cols.createdAt }).from(table).where(sql`${cols.id} = ${startingAfter}`);
  const cursor = rows[0];
  if (cursor === undefined) throw unknownCursor(startingAfter);
  const at = cursor.createdAt as Date;
  return direction === 'asc'
    ? sql`(${cols.createdAt}, ${cols.id}) > (${at.toISOString()}::timestamptz, ${startingAfter})`
    : sql`(${cols.createdAt}, ${cols.id}) < (${at.toISOString()}::timestamptz, ${startingAfter})`;
}

function unknownCursor(id: string): ValidationError {
  return new ValidationError('starting_after', 'an id from this list', `"${id}" is not an id in this list`);
}
