/**
 * Starting and stopping the bench's processes: a private redis-server, the AsiaBill stub,
 * engine workers (workers/*.ts) and the baseline loop — each instrumented by bench/instrument.ts.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import type { BenchStats } from '../instrument.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTRUMENT = join(ROOT, 'bench', 'instrument.ts');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with the first stdout line matching `re` (then keeps draining stdout). */
function waitForLine(child: ChildProcess, re: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error(`${what}: no stdout`));
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${what} not ready after ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready`));
    child.once('exit', onExit);
    rl.on('line', (line) => {
      if (!re.test(line)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      rl.removeAllListeners('line');
      rl.on('line', () => {});
      resolve(line);
    });
  });
}

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
}

/** Every process the bench started, so that an interrupted bench leaves none behind. */
const started = new Set<ChildProcess>();
function track(child: ChildProcess): ChildProcess {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}
process.once('exit', () => {
  for (const c of started) c.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => process.exit(130));
}

export async function stop(p: Proc, timeoutMs = 20_000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export async function startRedis(): Promise<{ proc: Proc; url: string } | null> {
  const port = await freePort();
  const child = track(
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  const failed = new Promise<null>((resolve) => child.once('error', () => resolve(null)));
  const ready = waitForLine(child, /Ready to accept connections/, 'redis-server', 15_000).then(() => true);
  const ok = await Promise.race([ready, failed]);
  if (!ok || child.pid === undefined) return null;
  return { proc: { name: 'redis', child, pid: child.pid }, url: `redis://127.0.0.1:${port}` };
}

export async function startStub(latencyMs: number, notify = false): Promise<{ proc: Proc; url: string }> {
  const child = track(
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'bench', 'stub', 'server.ts'),
        '--latency-ms',
        String(latencyMs),
        ...(notify ? ['--notify'] : []),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  const line = await waitForLine(child, /^STUB_LISTENING /, 'stub');
  return { proc: { name: 'stub', child, pid: child.pid ?? 0 }, url: line.split(' ')[1] ?? '' };
}

/** An instrumented node process with an IPC channel; resolves once `readyRe` shows on stdout. */
export async function startInstrumented(
  name: string,
  script: string,
  env: NodeJS.ProcessEnv,
  opts: { readyRe?: RegExp; cpuProfDir?: string } = {},
): Promise<Proc> {
  const execArgv = ['--import', 'tsx', '--import', INSTRUMENT];
  if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  const child = track(
    fork(join(ROOT, script), [], {
      cwd: ROOT,
      env,
      execArgv,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    }),
  );
  if (opts.readyRe) await waitForLine(child, opts.readyRe, name);
  else {
    child.stdout?.resume();
    await nextMessage(child, 'ready', 60_000);
  }
  return { name, child, pid: child.pid ?? 0 };
}

export function nextMessage<T = Record<string, unknown>>(
  child: ChildProcess,
  type: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      reject(new Error(`no '${type}' message after ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: unknown) => {
      if ((m as { type?: string } | null)?.type !== type) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

export async function statsOf(p: Proc): Promise<BenchStats> {
  const reply = nextMessage<BenchStats>(p.child, 'bench-stats', 10_000);
  p.child.send({ type: 'bench-stats?' });
  return reply;
}
