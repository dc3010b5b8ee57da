import { Redis } from 'ioredis';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { describeDatabaseError } from '../db/describeError.ts';
import { errorMessage } from '../errors.ts';

/**
 * Are Postgres and Redis reachable right now? Used twice: `/readyz` asks on every request,
 * and start-up waits until both answer (src/health/waitForDependencies.ts). Each check has
 * its own deadline, so a dependency that hangs (a dropped packet, a paused Redis) reads as
 * down instead of hanging the probe.
 */
export type DependencyName = 'postgres' | 'redis';

export interface DependencyStatus {
  name: DependencyName;
  ok: boolean;
  /** One line, for people: "cannot connect to Postgres at 127.0.0.1:5432 (connection refused)". */
  error?: string;
}

export interface DependencyProbe {
  check(): Promise<DependencyStatus[]>;
  close(): Promise<void>;
}

/** Longer than a healthy round trip by far, short enough for a load balancer's probe. */
export const DEPENDENCY_CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function createDependencyProbe(db: Db, redisUrl: string): DependencyProbe {
  // A client of its own, never queuing commands while disconnected: a PING either gets an
  // answer now or fails now. It reconnects in the background, quietly (errors are kept, not
  // printed: the last one is the reason given when Redis is reported down).
  let lastRedisError: string | undefined;
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: DEPENDENCY_CHECK_TIMEOUT_MS,
    retryStrategy: () => 1_000,
  });
  redis.on('error', (err: Error) => {
    lastRedisError = errorMessage(err);
  });
  redis.on('ready', () => {
    lastRedisError = undefined;
  });
  redis.connect().catch(() => {});

  async function postgres(): Promise<DependencyStatus> {
    try {
      await withTimeout(db.execute(sql`select 1`), DEPENDENCY_CHECK_TIMEOUT_MS, 'Postgres');
      return { name: 'postgres', ok: true };
    } catch (err) {
      return { name: 'postgres', ok: false, error: describeDatabaseError(err) ?? errorMessage(err) };
    }
  }
  // While a connection attempt is under way, wait for its result rather than report the
  // client's "not writeable" state as the reason.
  function settled(): Promise<void> {
    if (redis.status === 'ready') return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        redis.off('ready', done);
        redis.off('error', done);
        resolve();
      };
      redis.once('ready', done);
      redis.once('error', done);
    });
  }
  async function redisStatus(): Promise<DependencyStatus> {
    try {
      await withTimeout(
        settled().then(() => redis.ping()),
        DEPENDENCY_CHECK_TIMEOUT_MS,
        'Redis',
      );
      return { name: 'redis', ok: true };
    } catch (err) {
      const where = (() => {
        const u = new URL(redisUrl);
        return `${u.hostname}:${u.port || '6379'}`;
      })();
      return {
        name: 'redis',
        ok: false,
        error: `cannot reach Redis at ${where} (${lastRedisError ?? errorMessage(err)})`,
      };
    }
  }
  return {
    check: () => Promise.all([postgres(), redisStatus()]),
    async close() {
      redis.disconnect();
    },
  };
}
