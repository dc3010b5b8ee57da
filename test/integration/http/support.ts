import { sql } from 'drizzle-orm';
import type { Db } from '../../../src/db/client.ts';

/** A long random-looking token, as an operator would set it. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  text: string;
  json: T;
  headers: Headers;
}

export interface ApiClient {
  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>): Promise<ApiAnswer<T>>;
  post<T = Record<string, unknown>>(
    path: string,
    body: unknown,
    opts?: { key?: string | null; headers?: Record<string, string>; raw?: string },
  ): Promise<ApiAnswer<T>>;
}

let keySeq = 0;
/** A fresh idempotency key per call unless one is given (null = no header at all). */
export function apiClient(baseUrl: string, token: string | null = ADMIN_TOKEN): ApiClient {
  const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const answer = async <T>(r: Response): Promise<ApiAnswer<T>> => {
    const text = await r.text();
    return { status: r.status, text, json: (text === '' ? {} : JSON.parse(text)) as T, headers: r.headers };
  };
  return {
    async get(path, headers = {}) {
      return answer(await fetch(baseUrl + path, { headers: { ...auth, ...headers } }));
    },
    async post(path, body, opts = {}) {
      keySeq += 1;
      const key = opts.key === undefined ? `test-key-${process.pid}-${Date.now()}-${keySeq}` : opts.key;
      return answer(
        await fetch(baseUrl + path, {
          method: 'POST',
          headers: {
            ...auth,
            'content-type': 'application/json',
            ...(key === null ? {} : { 'idempotency-key': key }),
            ...opts.headers,
          },
          body: opts.raw ?? JSON.stringify(body),
        }),
      );
    },
  };
}

/** Row count of every table: "nothing written" means this is unchanged. */
export async function tableCounts(db: Db): Promise<Record<string, number>> {
  const tables = await db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const result: Record<string, number> = {};
  for (const { table_name: name } of tables.rows) {
    const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(name)}`);
    result[name] = rows.rows[0]?.n ?? -1;
  }
  return result;
}
