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
  field = 'starting_after',
): Promise<SQL | undefined> {
  if (startingAfter === undefined) return undefined;
  const rows = await db.select({ createdAt: cols.createdAt }).from(table).where(sql`${cols.id} = ${startingAfter}`);
  const cursor = rows[0];
  if (cursor === undefined) throw unknownCursor(startingAfter, field);
  const at = cursor.createdAt as Date;
  return direction === 'asc'
    ? sql`(${cols.createdAt}, ${cols.id}) > (${at.toISOString()}::timestamptz, ${startingAfter})`
    : sql`(${cols.createdAt}, ${cols.id}) < (${at.toISOString()}::timestamptz, ${startingAfter})`;
}

function unknownCursor(id: string, field = 'starting_after'): ValidationError {
  return new ValidationError(field, 'an id from this list', `"${id}" is not an id in this list`);
}

// ── the CLI's list options (`--limit N --starting-after ID`) ─────────────────────────────

/** Largest page a CLI list returns; a bigger export is a job for SQL, not the CLI. */
export const MAX_PAGE_SIZE = 1000;

export interface PageQuery {
  limit?: number;
  startingAfter?: string;
  /** How the caller's user spells the cursor, for the error (`starting-after`; the API: `starting_after`). */
  cursorField?: string;
}

export function checkLimit(limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new ValidationError('limit', `integer 1-${MAX_PAGE_SIZE}`, `${limit} is out of range`);
  }
  return limit;
}

/** Oldest-first keyset condition for the lists; an unknown id names `starting-after` unless told otherwise. */
export function afterRow(
  db: DbOrTx,
  table: PgTable,
  cols: { createdAt: PgColumn; id: PgColumn },
  startingAfter: string | undefined,
  field = 'starting-after',
): Promise<SQL | undefined> {
  return afterCursor(db, table, cols, startingAfter, 'asc', field);
}
