/**
 * CPU accounting from /proc (Linux): utime+stime of a process in ms, and the machine's busy
 * time. Works for any process we can see — engine workers, the stub, redis-server and the
 * Postgres backends serving the bench database — so every side is measured the same way.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

const TICK_MS = 10; // CLK_TCK is 100 on Linux x86_64

/** CPU ms (user + system) a process has used so far, or null once it is gone. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; fields after ')' are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return (utime + stime) * TICK_MS;
  } catch {
    return null;
  }
}

/** Busy and total CPU ms of the whole machine (all cores) since boot. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

export function loadAverage(): string {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
}

/** Sums CPU ms of a set of pids, remembering each pid's first sample so late joiners count from their start. */
export class CpuMeter {
  private readonly start = new Map<number, number>();
  private readonly last = new Map<number, number>();

  constructor(pids: Iterable<number> = []) {
    for (const pid of pids) this.sample(pid);
  }

  /** Records a pid; a pid first seen now counts its whole life (it started after the meter). */
  sample(pid: number, countFromZero = false): void {
    const ms = processCpuMs(pid);
    if (ms === null) return;
    if (!this.start.has(pid)) this.start.set(pid, countFromZero ? 0 : ms);
    this.last.set(pid, ms);
  }

  usedMs(): number {
    let sum = 0;
    for (const [pid, s] of this.start) sum += (this.last.get(pid) ?? s) - s;
    return sum;
  }
}
