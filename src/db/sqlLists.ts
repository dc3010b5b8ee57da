import { sql, type SQL } from 'drizzle-orm';

/**
 * A named status set as an SQL literal list, `('a','b')`, for raw SQL and for the schema's
 * CHECK constraints and partial indexes, so the sets defined in `src/billing/` are the only
 * place a status is spelled. Values are fixed identifiers from our own code, never input.
 */
export function sqlList(values: readonly string[]): SQL {
  return sql.raw(sqlListText(values));
}

/** The same list as text, for the hot path's hand-written prepared statements. */
export function sqlListText(values: readonly string[]): string {
  for (const v of values) {
    if (!/^[A-Za-z_]+$/.test(v)) throw new Error(`not a plain identifier: ${v}`);
  }
  return `(${values.map((v) => `'${v}'`).join(',')})`;
}
