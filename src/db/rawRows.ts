import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * Whole rows of a table from a hand-written statement (the hot path's prepared statements,
 * db/prepared.ts), mapped exactly as drizzle maps them, from the schema itself: the select
 * list and the mapping are derived from the table's columns, so a new column is picked up
 * without touching the statements that read it.
 */
export interface RawShape<T extends Table> {
  /** `alias."col" as "alias.col", …` for a select list. */
  readonly select: string;
  map(row: Readonly<Record<string, unknown>>): InferSelectModel<T>;
}

export function rawShape<T extends Table>(table: T, alias: string): RawShape<T> {
  const cols = Object.entries(getTableColumns(table)).map(([key, col]) => ({ key, col, out: `${alias}.${col.name}` }));
  return {
    select: cols.map((c) => `${alias}."${c.col.name}" as "${c.out}"`).join(', '),
    map(row) {
      const out: Record<string, unknown> = {};
      for (const { key, col, out: name } of cols) {
        const v = row[name];
        out[key] = v === null || v === undefined ? null : col.mapFromDriverValue(v);
      }
      return out as InferSelectModel<T>;
    },
  };
}
