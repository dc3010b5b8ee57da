import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL server of its own (initdb in a temp directory, its own port), so a
 * test can really stop and restart Postgres — every connection dropped, the port refusing
 * connections for a moment, the server coming back — without touching the shared server
 * that every other test file (and everyone else on the machine) is using at the same time.
 * Uses the binaries of the installed server (`pg_config --bindir`); as root the server runs
 * as the `postgres` user, because initdb refuses to run as root.
 */
export interface PrivatePostgres {
  /** Base URL (no database) for createTestDatabase. */
  baseUrl: string;
  /** Stops the server (fast shutdown: sessions are terminated), waits `downMs`, starts it again. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** pg_config's answer, or else the newest Debian-style /usr/lib/postgresql/<version>/bin. */
async function serverBindir(): Promise<string> {
  try {
    const dir = (await run('pg_config', ['--bindir'])).stdout.trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    /* no pg_config on PATH */
  }
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const found = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, 'initdb')));
  if (!found) throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) found: install the postgresql package');
  return found;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bindir = await serverBindir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'billing-pg-'));
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bindir, tool), ...args]) : run(join(bindir, tool), args);
  const data = join(dir, 'data');
  const port = await freePort();
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  const stopServer = (mode: string) => pg('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  await start();
  return {
    baseUrl: `postgres://postgres@127.0.0.1:${port}/`,
    async restart(downMs = 1_000) {
      await stopServer('fast');
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    async stop() {
      await stopServer('immediate').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
