import { createHash } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { apiIdempotencyKeys } from '../../db/schema.ts';

/**
 * Idempotency keys for the admin API's POSTs, behind a small interface so the store can be
 * swapped (e.g. for a generic one shared with the CLI) without touching the routes.
 *
 * Protocol: `begin` claims the key *before* the work runs, by inserting a row; a second
 * request with the same key finds the row and is either answered with the stored response
 * (replay), refused because its body differs (mismatch), or refused because the first one is
 * still running (in progress) — so two concurrent requests can never both execute.
 * Every answer, errors included, is stored (as Stripe does): a retry gets what the first
 * request got. A process that dies mid-request leaves the key "in progress"; the client
 * checks what happened and retries with a new key (docs/api.md). Finished keys expire after
 * IDEMPOTENCY_KEY_TTL_MS (real time, not the test clock: it is about client retries).
 */
export interface StoredResponse {
  status: number;
  body: string;
}

export type BeginResult =
  | { kind: 'started' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export interface IdempotencyRequest {
  key: string;
  method: string;
  path: string;
  fingerprint: string;
}

export interface IdempotencyStore {
  begin(req: IdempotencyRequest): Promise<BeginResult>;
  complete(key: string, response: StoredResponse): Promise<void>;
}

/**
 * How long a finished key replays its answer (Stripe's figure): long enough for any client's
 * retry loop, short enough that the table stays small. Older keys are purged and may be reused.
 */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600 * 1000;
/** Expired keys deleted per POST: bounded work on the request path, still faster than keys arrive. */
const PURGE_BATCH = 100;

/** Keys are the client's: printable ASCII, 1-255 characters (a UUID is the usual choice). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** sha256 of method, path and the body as canonical JSON (key order and spacing do not matter). */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function pgIdempotencyStore(db: DbOrTx): IdempotencyStore {
  return {
    async begin(req) {
      // Expired keys first (this one included), so a key reused after its TTL starts afresh.
      const expiredBefore = new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS);
      await db.execute(
        sql`delete from ${apiIdempotencyKeys} where ${apiIdempotencyKeys.key} in (select ${apiIdempotencyKeys.key} from ${apiIdempotencyKeys} where ${apiIdempotencyKeys.completedAt} < ${expiredBefore.toISOString()}::timestamptz limit ${PURGE_BATCH})`,
      );
      const inserted = await db
        .insert(apiIdempotencyKeys)
        .values({ key: req.key, method: req.method, path: req.path, requestHash: req.fingerprint })
        .onConflictDoNothing({ target: apiIdempotencyKeys.key })
        .returning({ key: apiIdempotencyKeys.key });
      if (inserted.length > 0) return { kind: 'started' };
      const row = (await db.select().from(apiIdempotencyKeys).where(eq(apiIdempotencyKeys.key, req.key)))[0];
      // Deleted between the two statements (no purge exists today): treat as in progress, the client retries.
      if (row === undefined) return { kind: 'in_progress' };
      if (row.requestHash !== req.fingerprint) return { kind: 'mismatch' };
      if (row.responseStatus === null || row.responseBody === null) return { kind: 'in_progress' };
      return { kind: 'replay', response: { status: row.responseStatus, body: row.responseBody } };
    },
    async complete(key, response) {
      await db
        .update(apiIdempotencyKeys)
        .set({ responseStatus: response.status, responseBody: response.body, completedAt: new Date() })
        .where(and(eq(apiIdempotencyKeys.key, key), isNull(apiIdempotencyKeys.responseStatus)));
    },
  };
}
