/**
 * The fault suite's world: real engine processes (HTTP, schedulers, charge workers) started
 * from `workers/*.ts` exactly as an operator would, sharing one test database, one queue
 * prefix and one in-process AsiaBill sandbox that records what it actually did. The test
 * process is the operator: it creates subscriptions, moves the test clock and injects faults.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../src/config.ts';
import { createContext, type AppContext } from '../../../src/context.ts';
import type { Database } from '../../../src/db/client.ts';
import { silentLogger } from '../../../src/logger.ts';
import { openQueues, type Queues } from '../../../src/queue/connection.ts';
import { deleteQueueKeys } from '../../../src/queue/cleanup.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.ts';
import type { NotifyKnobs } from '../../../src/sandbox/types.ts';
import { setTestClock } from '../../../src/testClock/store.ts';
import { createTestDatabase, testQueuePrefix } from '../../support/db.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export type PartKind = 'http' | 'scheduler' | 'charge';

export interface World {
  ctx: AppContext;
  config: Config;
  queues: Queues;
  sandbox: Sandbox;
  dbUrl: string;
  prefix: string;
  httpUrl: string;
  /** Every engine process's stdout+stderr, for the card-data scan and post-mortems. */
  logFile: string;
  processes: Map<ChildProcess, PartKind>;
  spawn(kind: PartKind, env?: Record<string, string>): ChildProcess;
  /** Live processes of a kind. */
  live(kind: PartKind): ChildProcess[];
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startWorld(opts: {
  name: string;
  start: string;
  notify?: Partial<NotifyKnobs>;
  env?: Record<string, string>;
}): Promise<World> {
  const db = await createTestDatabase();
  const prefix = testQueuePrefix();
  const sandbox = await startSandbox({
    port: 0,
    stateFile: undefined,
    logger: silentLogger,
    notify: { delayMs: 20, retryScheduleMs: [200, 400, 800, 1600, 3200], ...opts.notify },
  });
  const httpPort = await freePort();
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL,
    BILLING_QUEUE_PREFIX: prefix,
    BILLING_CLOCK: 'test',
    ASIABILL_PAYMENT_URL: sandbox.paymentUrl,
    ASIABILL_OPENAPI_URL: sandbox.openapiUrl,
    ASIABILL_GATEWAY_NO: sandbox.gatewayNo,
    ASIABILL_SIGN_KEY: sandbox.signKey,
    ASIABILL_TIMEOUT_MS: '2000',
    BILLING_PUBLIC_URL: httpUrl,
    BILLING_HTTP_HOST: '127.0.0.1',
    BILLING_HTTP_PORT: String(httpPort),
    BILLING_JOB_LOCK_MS: '2000',
    BILLING_SCAN_INTERVAL_MS: '1000',
    BILLING_CHARGE_CONCURRENCY: '8',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  // The operator (this process: populating, reconciling in the settle step) waits up to 30 s
  // for the sandbox; the 2 s above is the engine's, whose stalls are injected faults. With a
  // 2 s operator timeout a loaded machine failed a run while *creating customers*.
  const config = loadConfig({ ...env, ASIABILL_TIMEOUT_MS: '30000' });
  const { ctx, database } = createContext(config, silentLogger);
  await setTestClock(ctx.db, new Date(opts.start));
  const queues = openQueues(REDIS_URL, prefix);

  const dir = join(process.cwd(), 'test-artifacts', 'chaos');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${opts.name}-${process.pid}.log`);
  const log: WriteStream = createWriteStream(logFile);
  // Every engine process (and every respawn) pipes into this one stream.
  log.setMaxListeners(0);
  const processes = new Map<ChildProcess, PartKind>();

  const world: World = {
    ctx,
    config,
    queues,
    sandbox,
    dbUrl: db.url,
    prefix,
    httpUrl,
    logFile,
    processes,
    spawn(kind, extra = {}) {
      // `node --import tsx` keeps the worker in this one process: a signal hits the worker itself.
      const child = spawn(process.execPath, ['--import', 'tsx', `workers/${kind}.ts`], {
        cwd: process.cwd(),
        env: { ...process.env, ...env, ...extra },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      processes.set(child, kind);
      child.once('exit', () => processes.delete(child));
      return child;
    },
    live(kind) {
      return [...processes]
        .filter(([c, k]) => k === kind && c.exitCode === null && c.signalCode === null)
        .map(([c]) => c);
    },
    async stop() {
      const exits = [...processes.keys()].map(
        (c) =>
          new Promise<void>((r) => {
            if (c.exitCode !== null || c.signalCode !== null) return r();
            c.once('exit', () => r());
            c.kill('SIGKILL');
          }),
      );
      await Promise.all(exits);
      await queues.close();
      await sandbox.close();
      await database.close();
      await new Promise<void>((r) => log.end(r));
      await deleteQueueKeys(REDIS_URL, prefix);
      await db.drop();
    },
  };
  return world;
}

/** Waits until a spawned engine process is serving (HTTP) or has connected its workers. */
export async function waitHttpReady(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`engine HTTP at ${url} not ready in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function readLog(world: World): string {
  return readFileSync(world.logFile, 'utf8');
}

/** A small seeded PRNG (mulberry32): a failing run can be replayed with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type { Database };
