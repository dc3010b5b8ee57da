import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createTestDatabase, testQueuePrefix } from '../support/db.ts';
import { wipeRedisPrefix } from '../support/engine.ts';

/**
 * Issue 9 item 14: the documented start commands must deliver SIGTERM to the engine itself.
 * `npx billing run` (README) puts npm and a shell between the caller and the engine; before
 * the fix, `kill -TERM <npx pid>` ended npm and left the engine running under PID 1. The
 * container command (`node bin/billing.mjs run`, exec form) is the engine itself: covered by
 * test/integration/process.test.ts.
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('signals through the documented start command', () => {
  it('kill -TERM on the `npx billing run` process stops the engine (it drains and exits)', {
    timeout: 90_000,
  }, async () => {
    const t = await createTestDatabase();
    const prefix = testQueuePrefix();
    const [httpPort, sandboxPort] = [await freePort(), await freePort()];
    const npx = spawn('npx', ['--no-install', 'billing', 'run'], {
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        BILLING_QUEUE_PREFIX: prefix,
        BILLING_HTTP_PORT: String(httpPort),
        BILLING_SANDBOX_PORT: String(sandboxPort),
        BILLING_SANDBOX_STATE: 'none',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    npx.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    let enginePid = 0;
    try {
      for (let i = 0; i < 600 && enginePid === 0; i++) {
        const ready = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; pid?: number })
          .find((l) => l.msg === 'billing ready');
        if (ready?.pid) enginePid = ready.pid;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(enginePid, stdout).toBeGreaterThan(0);
      // npm exec runs the bin through a shell: the engine is not the process we started.
      expect(enginePid).not.toBe(npx.pid);
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);

      npx.kill('SIGTERM');
      for (let i = 0; i < 300 && alive(enginePid); i++) await new Promise((r) => setTimeout(r, 100));
      expect(alive(enginePid), `engine ${enginePid} still running after SIGTERM to npx ${npx.pid}`).toBe(false);
      // Its last lines may still be in the pipe when the process is gone.
      for (let i = 0; i < 50 && !stdout.includes('"msg":"stopped cleanly"'); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(stdout).toContain('"msg":"stopped cleanly"');
      await expect(fetch(`http://127.0.0.1:${httpPort}/healthz`)).rejects.toThrow();
    } finally {
      if (enginePid > 0 && alive(enginePid)) process.kill(enginePid, 'SIGKILL');
      npx.kill('SIGKILL');
      await wipeRedisPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix);
      await t.drop();
    }
  });
});
