import type pg from 'pg';
import { clientOf, poolOf, type Db, type Tx } from './client.ts';

/**
 * A named prepared statement: parsed and planned once per connection, then only bound and
 * executed. The hot path (a renewal's intent and outcome) sends each of its few statements
 * this way, on the transaction's own connection.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text: text.replace(/\s+/g, ' ').trim() };
}

export async function run<R extends pg.QueryResultRow = Record<string, unknown>>(
  tx: Tx,
  s: Statement,
  values: readonly unknown[],
): Promise<R[]> {
  const res = await clientOf(tx).query<R>({ name: s.name, text: s.text, values: [...values] });
  return res.rows;
}

/** The same, as one autocommit statement on any pooled connection (its own transaction). */
export async function runAlone<R extends pg.QueryResultRow = Record<string, unknown>>(
  db: Db,
  s: Statement,
  values: readonly unknown[],
): Promise<R[]> {
  const res = await poolOf(db).query<R>({ name: s.name, text: s.text, values: [...values] });
  return res.rows;
}
