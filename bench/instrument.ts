/**
 * Preloaded (`node --import tsx --import ./bench/instrument.ts …`) into every process the bench
 * starts — engine workers and the baseline loop — to count what the process asks of Postgres
 * and Redis, from the client side:
 *  - every `pg.Client.prototype.query` call is one statement sent (drizzle, pg-pool and raw
 *    queries all end there; BEGIN/COMMIT/ROLLBACK are counted apart);
 *  - every ioredis `sendCommand` is one command sent (pipelined commands one each; a Lua
 *    script is one EVALSHA here, however many commands it runs inside Redis).
 * The counts and `process.cpuUsage()` are answered over the IPC channel (`{type:'bench-stats'}`).
 * Nothing here changes behaviour.
 */
import pg from 'pg';
import { Redis } from 'ioredis';

const counts = {
  pgStatements: 0,
  pgTxControl: 0,
  redisCommands: 0,
  byStatement: new Map<string, number>(),
};
const detail = process.env.BENCH_STATEMENT_DETAIL === '1';

type QueryFn = (this: pg.Client, ...args: unknown[]) => unknown;
const clientProto = pg.Client.prototype as unknown as { query: QueryFn };
const originalQuery = clientProto.query;
clientProto.query = function patchedQuery(this: pg.Client, ...args: unknown[]) {
  const first = args[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '');
  const head = text.trimStart().slice(0, 8).toLowerCase();
  if (head.startsWith('begin') || head.startsWith('commit') || head.startsWith('rollback')) counts.pgTxControl += 1;
  else counts.pgStatements += 1;
  if (detail) {
    const key = text.replace(/\s+/g, ' ').slice(0, 160);
    counts.byStatement.set(key, (counts.byStatement.get(key) ?? 0) + 1);
  }
  return originalQuery.apply(this, args);
};

type SendFn = (this: Redis, ...args: unknown[]) => unknown;
const redisProto = Redis.prototype as unknown as { sendCommand: SendFn };
const originalSend = redisProto.sendCommand;
redisProto.sendCommand = function patchedSend(this: Redis, ...args: unknown[]) {
  counts.redisCommands += 1;
  return originalSend.apply(this, args);
};

export interface BenchStats {
  type: 'bench-stats';
  pid: number;
  pgStatements: number;
  pgTxControl: number;
  redisCommands: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  byStatement?: Array<[string, number]>;
}

if (process.send) {
  process.on('message', (m: unknown) => {
    if ((m as { type?: string } | null)?.type !== 'bench-stats?') return;
    const cpu = process.cpuUsage();
    const reply: BenchStats = {
      type: 'bench-stats',
      pid: process.pid,
      pgStatements: counts.pgStatements,
      pgTxControl: counts.pgTxControl,
      redisCommands: counts.redisCommands,
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      ...(detail ? { byStatement: [...counts.byStatement.entries()].sort((a, b) => b[1] - a[1]) } : {}),
    };
    process.send?.(reply);
  });
  // The IPC channel must not keep a worker alive after it drained on SIGTERM.
  process.channel?.unref();
}
