import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, testQueuePrefix } from '../support/db.ts';
import { wipeRedisPrefix } from '../support/engine.ts';

/**
 * `billing run` as an operator starts it: a real process through the real bin. It answers
 * /healthz once ready and drains cleanly on SIGTERM (exit 0).
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

describe('billing run', () => {
  it('starts the whole engine (with the sandbox), reports healthy, and stops cleanly on SIGTERM', {
    timeout: 60_000,
  }, async () => {
    const t = await createTestDatabase();
    const prefix = testQueuePrefix();
    const stateDir = mkdtempSync(join(tmpdir(), 'billing-run-'));
    const stateFile = join(stateDir, 'sandbox.json');
    try {
      const [httpPort, sandboxPort] = [await freePort(), await freePort()];
      const child = spawn(process.execPath, ['bin/billing.mjs', 'run'], {
        env: {
          ...process.env,
          DATABASE_URL: t.url,
          BILLING_QUEUE_PREFIX: prefix,
          BILLING_HTTP_PORT: String(httpPort),
          BILLING_SANDBOX_PORT: String(sandboxPort),
          BILLING_SANDBOX_STATE: stateFile,
          LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      let health: { status: string } | null = null;
      for (let i = 0; i < 200 && !health; i++) {
        try {
          const res = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
          if (res.status === 200) health = (await res.json()) as { status: string };
        } catch {
          /* not listening yet */
        }
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health, `stdout: ${stdout}\nstderr: ${stderr}`).toEqual({ status: 'ok' });
      // The built-in sandbox answers on its port and verifies signatures: an unsigned call is
      // refused with AsiaBill's L0001 envelope (HTTP 200, as AsiaBill answers refusals), a call
      // signed with the wrong key with L0005, and one signed with the default sandbox key
      // (README: gateway 12246002, key 12H4567r; a plain HMAC here) gets a session token.
      const sessionToken = `http://127.0.0.1:${sandboxPort}/V2022-03/sessionToken`;
      const unsigned = await fetch(sessionToken, { method: 'POST' });
      expect(unsigned.status).toBe(200);
      expect(await unsigned.json()).toMatchObject({ code: 'L0001', data: null });
      const signed = async (
        key: string,
        requestId: string,
      ): Promise<{ status: number; body: { code: string; data: unknown } }> => {
        const requestTime = String(Date.now());
        const signInfo = createHmac('sha256', key)
          .update(`12246002${requestId}${requestTime}`, 'utf8')
          .digest('hex')
          .toUpperCase();
        const res = await fetch(sessionToken, {
          method: 'POST',
          headers: {
            'gateway-no': '12246002',
            'request-id': requestId,
            'request-time': requestTime,
            'sign-info': signInfo,
          },
        });
        return { status: res.status, body: (await res.json()) as { code: string; data: unknown } };
      };
      expect(await signed('wrong-key', 'PROCESS-TEST-1')).toMatchObject({
        status: 200,
        body: { code: 'L0005', data: null },
      });
      const good = await signed('12H4567r', 'PROCESS-TEST-2');
      expect(good).toMatchObject({ status: 200, body: { code: '00000' } });
      expect(good.body.data).toMatchObject({ sessionToken: expect.any(String) });
      // Prometheus metrics, with the process metrics a real process adds.
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(metrics).toContain('billing_renewals_attempted_total 0');
      expect(metrics).toContain('billing_process_cpu_user_seconds_total');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopped cleanly');
      // The sandbox kept its state for the next start.
      expect(JSON.parse(readFileSync(stateFile, 'utf8'))).toMatchObject({ version: 1, customers: [] });
    } finally {
      await wipeRedisPrefix(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix);
      await t.drop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
