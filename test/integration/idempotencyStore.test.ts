import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.ts';
import { idempotencyKeys } from '../../src/db/schema.ts';
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  requestFingerprint,
  runIdempotent,
  type IdempotentOperation,
} from '../../src/idempotency/store.ts';
import type { Db } from '../../src/db/client.ts';

/**
 * The generic store under the CLI's --idempotency-key (and, later, the HTTP API's
 * Idempotency-Key header): crash recovery, concurrency, failures that leave the key free.
 * The "objects" are a Map standing in for the table an operation writes to.
 */
describe('idempotency store', () => {
  let t: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  beforeAll(async () => {
    t = await createTestDatabase();
    db = t.database.db;
  });
  afterAll(async () => {
    await t?.drop();
  });

  const NOW = new Date('2030-01-01T00:00:00Z');
  let seq = 0;
  function operation(
    objects: Map<string, string>,
    key: string,
    request: unknown,
    executed: string[],
  ): IdempotentOperation<string> {
    return {
      scope: 'test.create',
      key,
      request,
      now: NOW,
      newRef: () => `obj_${++seq}`,
      async execute(ref) {
        executed.push(ref);
        objects.set(ref, `made ${ref}`);
        return `made ${ref}`;
      },
      find: async (ref) => objects.get(ref),
    };
  }

  it('same key and request: the first result, the work done once; another request: refused', async () => {
    const objects = new Map<string, string>();
    const executed: string[] = [];
    const first = await runIdempotent(db, operation(objects, 'k1', { a: 1, b: 'x' }, executed));
    // Property order does not matter; the fingerprint is over canonical JSON.
    const again = await runIdempotent(db, operation(objects, 'k1', { b: 'x', a: 1 }, executed));
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ result: first.result, replayed: true });
    expect(executed).toHaveLength(1);
    await expect(runIdempotent(db, operation(objects, 'k1', { a: 2, b: 'x' }, executed))).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
    // Another scope with the same key text is another key.
    const other = await runIdempotent(db, { ...operation(objects, 'k1', { a: 2 }, executed), scope: 'other.create' });
    expect(other.replayed).toBe(false);
    expect(executed).toHaveLength(2);
    // Only a hash of the request is stored.
    const rows = await db.select().from(idempotencyKeys);
    expect(rows.map((r) => r.fingerprint)).toContain(requestFingerprint({ a: 1, b: 'x' }));
    expect(JSON.stringify(rows)).not.toContain('"a"');
  });

  it('concurrent calls with one key: one does the work, the others wait and replay it', async () => {
    const objects = new Map<string, string>();
    const executed: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started: () => void = () => {};
    const firstStarted = new Promise<void>((r) => {
      started = r;
    });
    const slow = operation(objects, 'race', { n: 1 }, executed);
    const slowExecute = slow.execute;
    slow.execute = async (ref) => {
      started();
      await gate;
      return slowExecute(ref);
    };
    const a = runIdempotent(db, slow);
    await firstStarted;
    const others = [1, 2, 3].map(() => runIdempotent(db, operation(objects, 'race', { n: 1 }, executed)));
    release();
    const results = await Promise.all([a, ...others]);
    expect(executed).toHaveLength(1);
    expect(new Set(results.map((r) => r.result)).size).toBe(1);
    expect(results.map((r) => r.replayed)).toEqual([false, true, true, true]);
  });

  it('many waiters on one key do not take the pool from the call doing the work', { timeout: 60_000 }, async () => {
    const objects = new Map<string, string>();
    const executed: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started: () => void = () => {};
    const firstStarted = new Promise<void>((r) => {
      started = r;
    });
    const slow = operation(objects, 'crowd', { n: 1 }, executed);
    const slowExecute = slow.execute;
    slow.execute = async (ref) => {
      started();
      await gate;
      // The work needs connections of its own while 15 callers wait (the pool holds 10).
      await db.select().from(idempotencyKeys).limit(1);
      return slowExecute(ref);
    };
    const first = runIdempotent(db, slow);
    await firstStarted;
    const waiters = Array.from({ length: 15 }, () =>
      runIdempotent(db, operation(objects, 'crowd', { n: 1 }, executed)),
    );
    await new Promise((r) => setTimeout(r, 300));
    release();
    const results = await Promise.all([first, ...waiters]);
    expect(results).toHaveLength(16);
    expect(executed).toHaveLength(1);
    expect(results.filter((r) => r.replayed)).toHaveLength(15);
  });

  it('a caller that waits too long for a running call is told to retry (not refused, not run twice)', async () => {
    const objects = new Map<string, string>();
    const executed: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started: () => void = () => {};
    const firstStarted = new Promise<void>((r) => {
      started = r;
    });
    const slow = operation(objects, 'busy', { n: 1 }, executed);
    const slowExecute = slow.execute;
    slow.execute = async (ref) => {
      started();
      await gate;
      return slowExecute(ref);
    };
    const first = runIdempotent(db, slow);
    await firstStarted;
    const impatient = await runIdempotent(db, operation(objects, 'busy', { n: 1 }, executed), { maxWaitMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect(impatient).toBeInstanceOf(IdempotencyKeyInUseError);
    expect((impatient as Error).message).toBe(
      'idempotency key "busy" is in use by a test.create request that is still running; retry later with the same key',
    );
    release();
    await first;
    expect((await runIdempotent(db, operation(objects, 'busy', { n: 1 }, executed))).replayed).toBe(true);
    expect(executed).toHaveLength(1);
  });

  it('a key left by a call that died before creating anything: the retry does the work with the same id', async () => {
    const objects = new Map<string, string>();
    const executed: string[] = [];
    await db.insert(idempotencyKeys).values({
      scope: 'test.create',
      key: 'crashed-early',
      fingerprint: requestFingerprint({ n: 7 }),
      resultRef: 'obj_reserved',
      createdAt: NOW,
    });
    const r = await runIdempotent(db, operation(objects, 'crashed-early', { n: 7 }, executed));
    expect(r).toEqual({ result: 'made obj_reserved', replayed: false });
    expect(executed).toEqual(['obj_reserved']);
  });

  it('a key left by a call that died after creating its object: the retry returns that object', async () => {
    const objects = new Map<string, string>([['obj_done', 'made obj_done']]);
    const executed: string[] = [];
    await db.insert(idempotencyKeys).values({
      scope: 'test.create',
      key: 'crashed-late',
      fingerprint: requestFingerprint({ n: 8 }),
      resultRef: 'obj_done',
      createdAt: NOW,
    });
    const r = await runIdempotent(db, operation(objects, 'crashed-late', { n: 8 }, executed));
    expect(r).toEqual({ result: 'made obj_done', replayed: true });
    expect(executed).toEqual([]);
  });

  it('work that fails before creating its object frees the key; after creating it, keeps it', async () => {
    const objects = new Map<string, string>();
    const executed: string[] = [];
    const failing = {
      ...operation(objects, 'fails', { n: 1 }, executed),
      execute: async () => Promise.reject(new Error('bad input')),
    };
    await expect(runIdempotent(db, failing)).rejects.toThrow('bad input');
    // Free: a corrected (different) request may use the key.
    expect((await runIdempotent(db, operation(objects, 'fails', { n: 2 }, executed))).replayed).toBe(false);

    const halfway = operation(objects, 'fails-late', { n: 1 }, executed);
    halfway.execute = async (ref) => {
      objects.set(ref, `made ${ref}`);
      throw new Error('lost the answer');
    };
    await expect(runIdempotent(db, halfway)).rejects.toThrow('lost the answer');
    const retry = await runIdempotent(db, operation(objects, 'fails-late', { n: 1 }, executed));
    expect(retry.replayed).toBe(true);
    await expect(runIdempotent(db, operation(objects, 'fails-late', { n: 2 }, executed))).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });
});
