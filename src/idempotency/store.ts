import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { idempotencyKeys } from '../db/schema.ts';
import { BillingError, ConflictError, ValidationError } from '../errors.ts';

/**
 * Idempotency keys, for any operation that creates one object: the CLI's `--idempotency-key`,
 * the TypeScript functions' `idempotencyKey`, and (the same store, another scope) an HTTP
 * API's `Idempotency-Key` header.
 *
 *  - The same key with the same request returns the first request's result and does nothing
 *    else (no second gateway call, no second object).
 *  - The same key with a different request is refused (IdempotencyKeyReusedError, a conflict:
 *    CLI exit 2, HTTP 409/422): silently returning the first result would hide a bug.
 *  - Two concurrent calls with one key are serialised by a Postgres advisory lock on the key,
 *    held by a transaction that lives as long as the work: the second waits, then replays.
 *    If the process dies, its connection closes and the lock goes with it. Waiters poll with
 *    `pg_try_advisory_xact_lock` and hold no connection between tries, so many concurrent
 *    retries of one request cannot take the whole pool from the call doing the work.
 *  - The key row is committed *before* the work starts, holding the id the work will create
 *    (`resultRef`). A retry after a crash mid-work therefore either finds that object (and
 *    returns it: the work got as far as creating it) or re-runs the work with the same id.
 *  - Work that fails without creating its object (bad input, unknown customer) leaves no
 *    key behind, so the caller can fix the request and use the key again (as Stripe does).
 *
 * Keys are kept indefinitely (one short row each); pruning old keys is an operator task.
 */
export interface IdempotentOperation<T> {
  /** What kind of operation: keys are unique per scope (`subscriptions.create`, `POST /v1/customers`). */
  scope: string;
  key: string;
  /** The request as the operation understood it (validated, normalised). Only its hash is stored. */
  request: unknown;
  /** A fresh id for the object the work will create. */
  newRef(): string;
  /** Does the work, creating the object with exactly this id. */
  execute(ref: string): Promise<T>;
  /** The result for an object created earlier, or undefined when no such object exists. */
  find(ref: string): Promise<T | undefined>;
  /** Engine time for the row's timestamps. */
  now: Date;
}

export interface IdempotentResult<T> {
  result: T;
  /** True when this call returned an earlier call's result without doing anything. */
  replayed: boolean;
}

/** Printable ASCII without spaces: keys go into shell scripts, headers and log lines. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function validateIdempotencyKey(key: string, field = 'idempotencyKey'): string {
  if (!KEY_PATTERN.test(key)) {
    throw new ValidationError(
      field,
      '1-255 printable ASCII characters, no spaces',
      key === '' ? 'must not be empty' : 'must be 1-255 printable ASCII characters without spaces (a UUID works well)',
    );
  }
  return key;
}

/**
 * How long a call waits for another call holding the same key: longer than one gateway call
 * with its timeout (30 s by default), so a retry normally gets the first call's result.
 */
export const IDEMPOTENCY_WAIT_MS = 90_000;
/** Between two tries for the key's lock: short at first, then at most this. */
const LOCK_POLL_MAX_MS = 500;

/** Another call with this key is still running after IDEMPOTENCY_WAIT_MS: retry later. */
export class IdempotencyKeyInUseError extends BillingError {
  readonly scope: string;
  readonly key: string;
  constructor(scope: string, key: string) {
    super(
      'IDEMPOTENCY_KEY_IN_USE',
      `idempotency key "${key}" is in use by a ${scope} request that is still running; retry later with the same key`,
    );
    this.scope = scope;
    this.key = key;
  }
}

export class IdempotencyKeyReusedError extends ConflictError {
  readonly scope: string;
  readonly key: string;
  constructor(scope: string, key: string, firstUsedAt: Date) {
    super(
      `idempotency key "${key}" was already used for a different ${scope} request (at ${firstUsedAt.toISOString()}); use a new key for a new request`,
    );
    this.scope = scope;
    this.key = key;
  }
}

/** sha256 over JSON with sorted keys, so the order properties were written in does not matter. */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const NOT_LOCKED = Symbol('not locked');

export async function runIdempotent<T>(
  db: Db,
  op: IdempotentOperation<T>,
  opts: { maxWaitMs?: number } = {},
): Promise<IdempotentResult<T>> {
  const key = validateIdempotencyKey(op.key);
  const fingerprint = requestFingerprint(op.request);
  const lockName = `${op.scope}\n${key}`;
  const maxWaitMs = opts.maxWaitMs ?? IDEMPOTENCY_WAIT_MS;
  const startedAt = Date.now();
  for (let attempt = 0; ; attempt += 1) {
    const outcome = await db.transaction(async (lockTx) => {
      // Held until this callback returns; the work itself runs on other connections, so what
      // it commits is committed whatever happens to this transaction.
      const got = await lockTx.execute<{ locked: boolean }>(
        sql`select pg_try_advisory_xact_lock(hashtextextended(${lockName}, 0)) as locked`,
      );
      if (got.rows[0]?.locked !== true) return NOT_LOCKED;
      return underLock(db, op, key, fingerprint);
    });
    if (outcome !== NOT_LOCKED) return outcome;
    if (Date.now() - startedAt >= maxWaitMs) throw new IdempotencyKeyInUseError(op.scope, key);
    await new Promise((r) => setTimeout(r, Math.min(LOCK_POLL_MAX_MS, 20 * 2 ** attempt)));
  }
}

async function underLock<T>(
  db: Db,
  op: IdempotentOperation<T>,
  key: string,
  fingerprint: string,
): Promise<IdempotentResult<T>> {
  const where = and(eq(idempotencyKeys.scope, op.scope), eq(idempotencyKeys.key, key));
  const [row] = await db.select().from(idempotencyKeys).where(where);
  let ref: string;
  if (row !== undefined) {
    if (row.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError(op.scope, key, row.createdAt);
    const earlier = await op.find(row.resultRef);
    if (earlier !== undefined) {
      if (row.completedAt === null) await db.update(idempotencyKeys).set({ completedAt: op.now }).where(where);
      return { result: earlier, replayed: true };
    }
    // The key was taken by a call that died before creating anything: do the work now.
    ref = row.resultRef;
  } else {
    ref = op.newRef();
    await db.insert(idempotencyKeys).values({ scope: op.scope, key, fingerprint, resultRef: ref, createdAt: op.now });
  }
  try {
    const result = await op.execute(ref);
    await db.update(idempotencyKeys).set({ completedAt: op.now }).where(where);
    return { result, replayed: false };
  } catch (err) {
    const created = await op.find(ref).catch(() => 'unknown' as const);
    if (created === undefined) await db.delete(idempotencyKeys).where(where);
    throw err;
  }
}
