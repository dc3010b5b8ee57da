import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, testQueuePrefix } from '../support/db.ts';
import { wipeRedisPrefix } from '../support/engine.ts';

/**
 * Issue 9 item 13: `billing run` with Postgres or Redis unreachable. A real process through
 * the real bin, pointed at ports nothing listens on. It must answer /healthz (alive), answer
 * /readyz 503 naming what is down and why, log one JSON line per retry with a growing delay
 * (no raw stack traces, nothing that is not JSON), never log "billing ready" while a
 * dependency is down — and become ready by itself once the dependency comes back.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

interface Running {
  child: ChildProcess;
  httpPort: number;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  logLines: () => Array<Record<string, unknown>>;
}

async function startRun(env: NodeJS.ProcessEnv): Promise<Running> {
  const [httpPort, sandboxPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['bin/billing.mjs', 'run'], {
    env: {
      ...process.env,
      BILLING_HTTP_PORT: String(httpPort),
      BILLING_SANDBOX_PORT: String(sandboxPort),
      BILLING_SANDBOX_STATE: 'none',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  // 'close', not 'exit': fires once stdout is fully read, so the last log lines are there.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    httpPort,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    // Every complete stdout line must be a JSON object: JSON.parse throws on anything else.
    logLines: () =>
      stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function until<T>(what: string, f: () => Promise<T | undefined>, tries = 300): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function get(port: number, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Exit code of the Docker healthcheck script against this engine. */
function healthcheck(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['bin/healthcheck.mjs'], {
      env: { ...process.env, BILLING_HTTP_PORT: String(port) },
      stdio: 'ignore',
    });
    c.on('exit', (code) => resolve(code));
  });
}

/** A private Redis on `port` (no persistence), for tests that stop and start it. */
function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
}

const retryLines = (r: Running) => r.logLines().filter((l) => l.event === 'dependency_unavailable');

describe('billing run while a dependency is down', () => {
  it('Postgres and Redis both unreachable: alive, not ready, one JSON line per retry with back-off, stops on SIGTERM', {
    timeout: 60_000,
  }, async () => {
    const [pgPort, redisPort] = [await freePort(), await freePort()];
    const r = await startRun({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/billing`,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    });
    try {
      expect(await until('/healthz', async () => (await get(r.httpPort, '/healthz')).status === 200 || undefined)).toBe(
        true,
      );
      const ready = await get(r.httpPort, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toEqual({
        status: 'not ready',
        started: false,
        dependencies: {
          postgres: `cannot connect to Postgres at 127.0.0.1:${pgPort} (connection refused)`,
          redis: `cannot reach Redis at 127.0.0.1:${redisPort} (connect ECONNREFUSED 127.0.0.1:${redisPort})`,
        },
      });
      await until('three retry lines', async () => (retryLines(r).length >= 3 ? true : undefined));
      const lines = retryLines(r);
      expect(lines.slice(0, 3).map((l) => [l.attempt, l.retryInMs, l.unavailable])).toEqual([
        [1, 500, ['postgres', 'redis']],
        [2, 1000, ['postgres', 'redis']],
        [3, 2000, ['postgres', 'redis']],
      ]);
      expect(lines[0]?.errors).toEqual({
        postgres: `cannot connect to Postgres at 127.0.0.1:${pgPort} (connection refused)`,
        redis: `cannot reach Redis at 127.0.0.1:${redisPort} (connect ECONNREFUSED 127.0.0.1:${redisPort})`,
      });
      expect(r.stdout()).not.toContain('billing ready');
      expect(r.stdout()).not.toMatch(/Failed query|\n\s+at /);
      expect(r.stderr()).toBe('');
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
      const msgs = r.logLines().map((l) => l.msg);
      expect(msgs).toContain('stopped before becoming ready');
      // Logged, with exit code 0 above. Not asserted to be the very last line: once in six
      // full-suite runs the lines reached the pipe in another order (see the session note).
      expect(msgs).toContain('stopped cleanly');
    } finally {
      r.child.kill('SIGKILL');
    }
  });

  it('Redis unreachable, then started: not ready until it answers, then "billing ready" by itself', {
    timeout: 90_000,
  }, async () => {
    const t = await createTestDatabase();
    const prefix = testQueuePrefix();
    const redisPort = await freePort();
    let redis: ChildProcess | undefined;
    const r = await startRun({
      DATABASE_URL: t.url,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      BILLING_QUEUE_PREFIX: prefix,
    });
    try {
      await until('two retry lines', async () => (retryLines(r).length >= 2 ? true : undefined));
      const ready = await get(r.httpPort, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.dependencies).toEqual({
        postgres: 'ok',
        redis: `cannot reach Redis at 127.0.0.1:${redisPort} (connect ECONNREFUSED 127.0.0.1:${redisPort})`,
      });
      expect(retryLines(r).every((l) => JSON.stringify(l.unavailable) === '["redis"]')).toBe(true);
      expect(await healthcheck(r.httpPort)).toBe(1);
      expect(r.stdout()).not.toContain('billing ready');

      redis = startRedis(redisPort);
      const nowReady = await until('/readyz 200', async () => {
        const res = await get(r.httpPort, '/readyz');
        return res.status === 200 ? res : undefined;
      });
      expect(nowReady.body).toEqual({ status: 'ready', started: true, dependencies: { postgres: 'ok', redis: 'ok' } });
      // The container healthcheck reads the same answer.
      expect(await healthcheck(r.httpPort)).toBe(0);
      const lines = r.logLines();
      const readyAt = lines.findIndex((l) => l.msg === 'billing ready');
      const lastWait = lines.map((l) => l.event).lastIndexOf('dependency_unavailable');
      expect(lastWait).toBeGreaterThanOrEqual(1);
      expect(readyAt).toBeGreaterThan(lastWait);

      // Redis dies under the running engine: readiness says so at once, and what the workers
      // log meanwhile is JSON lines, not stack traces.
      redis.kill('SIGKILL');
      const down = await until('/readyz 503 again', async () => {
        const res = await get(r.httpPort, '/readyz');
        return res.status === 503 ? res : undefined;
      });
      expect(down.body).toMatchObject({ status: 'not ready', started: true, dependencies: { postgres: 'ok' } });
      await until('a worker error line', async () =>
        r.logLines().some((l) => String(l.msg).includes('error') && l.level === 40) ? true : undefined,
      );
      expect(r.logLines().length).toBeGreaterThan(lines.length);
      // …and back: ready again without a restart.
      redis = startRedis(redisPort);
      await until('/readyz 200 again', async () =>
        (await get(r.httpPort, '/readyz')).status === 200 ? true : undefined,
      );
      expect(r.stderr()).not.toMatch(/\n\s+at /);
      r.child.kill('SIGTERM');
      // On failure, the engine's own last lines say why the drain did not end cleanly.
      expect(await r.exited, `${r.stdout().slice(-3000)}\n${r.stderr().slice(-3000)}`).toBe(0);
    } finally {
      r.child.kill('SIGKILL');
      if (redis) {
        await wipeRedisPrefix(`redis://127.0.0.1:${redisPort}`, prefix).catch(() => {});
        redis.kill('SIGTERM');
      }
      await t.drop();
    }
  });

  it('SIGTERM the moment Redis is back: the drain still ends (exit 0), not after the 45 s deadline', {
    timeout: 90_000,
  }, async () => {
    // BullMQ's Worker.close() waits forever for a blocking client that sits between two
    // reconnect attempts (taskforcesh/bullmq#4656). Redis restarted and SIGTERM sent at once
    // hit exactly that window; before the engine's own drain bound, all four workers hung
    // until the drain deadline and the engine exited 1. That happened in CI.
    const t = await createTestDatabase();
    const prefix = testQueuePrefix();
    const redisPort = await freePort();
    let redis = startRedis(redisPort);
    const r = await startRun({
      DATABASE_URL: t.url,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      BILLING_QUEUE_PREFIX: prefix,
    });
    try {
      await until('/readyz 200', async () => ((await get(r.httpPort, '/readyz')).status === 200 ? true : undefined));
      redis.kill('SIGKILL');
      const before = r.logLines().length;
      await until('the workers notice', async () =>
        r
          .logLines()
          .slice(before)
          .filter((l) => String(l.msg).endsWith('worker error')).length >= 4
          ? true
          : undefined,
      );
      redis = startRedis(redisPort);
      r.child.kill('SIGTERM');
      expect(await r.exited, `${r.stdout().slice(-3000)}\n${r.stderr().slice(-3000)}`).toBe(0);
      const msgs = r.logLines().map((l) => l.msg);
      expect(msgs).toContain('stopped cleanly');
      expect(msgs).not.toContain('drain did not finish in time: exiting (open attempts are reconciled)');
    } finally {
      r.child.kill('SIGKILL');
      await wipeRedisPrefix(`redis://127.0.0.1:${redisPort}`, prefix).catch(() => {});
      redis.kill('SIGTERM');
      await t.drop();
    }
  });

  it('Postgres unreachable with Redis up: not ready, the cause in every retry line', { timeout: 60_000 }, async () => {
    const pgPort = await freePort();
    const prefix = testQueuePrefix();
    const r = await startRun({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/billing`,
      BILLING_QUEUE_PREFIX: prefix,
    });
    try {
      await until('two retry lines', async () => (retryLines(r).length >= 2 ? true : undefined));
      const ready = await get(r.httpPort, '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.dependencies).toEqual({
        postgres: `cannot connect to Postgres at 127.0.0.1:${pgPort} (connection refused)`,
        redis: 'ok',
      });
      expect(r.stdout()).not.toContain('billing ready');
      expect(r.stdout()).not.toContain('Failed query');
      r.child.kill('SIGTERM');
      expect(await r.exited).toBe(0);
    } finally {
      r.child.kill('SIGKILL');
      await wipeRedisPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix);
    }
  });
});
