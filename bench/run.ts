/**
 * The fair bench. Never part of `npm test`; prints tables, asserts nothing.
 *
 *   npm run bench                                   # throughput suite, N=10,000 (~5 min on 2 busy cores)
 *   npm run bench -- --n 100000                     # or BENCH_N=100000; rows with stub latency use BENCH_N_LATENT (N/4)
 *   npm run bench -- --workers 1,2 --latencies 0    # which charge-worker counts and stub latencies (ms)
 *   npm run bench -- --suite month-start            # 1,000,000 subscriptions, 100,000 due: the scheduler alone
 *   npm run bench -- --suite all --profile          # + node --cpu-prof of every engine process ($TMPDIR/asiabill-bench-profiles-*)
 *
 * Every process is separate, so each side's CPU is measured on its own (/proc/<pid>/stat):
 * the AsiaBill stub (bench/stub/server.ts), a private redis-server (falls back to REDIS_URL if
 * there is none), the engine's scheduler and charge-worker processes (workers/*.ts, unchanged,
 * with bench/instrument.ts preloaded to count Postgres statements and Redis commands), the
 * baseline loop (bench/baseline.ts), and the Postgres backends serving the row's database.
 * Each row gets a fresh database copied from one seeded template (plain SQL, generate_series).
 *
 * Throughput rows: N subscriptions made due at once (t0), one scan triggered, done when N
 * period-1 invoices are paid. Steady row: due times spread evenly at half the measured
 * maximum, with a 500 ms scan interval; latency is due → paid per renewal.
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { Redis } from 'ioredis';
import { migrateDatabase, dropDatabase } from '../src/db/migrate.ts';
import { openQueues } from '../src/queue/connection.ts';
import { SANDBOX_GATEWAY_NO, SANDBOX_SIGN_KEY } from '../src/config.ts';
import { seedSubscriptions, makeDue, paidLatencies } from './lib/seed.ts';
import { startRedis, startStub, startInstrumented, statsOf, stop, nextMessage, type Proc } from './lib/procs.ts';
import { CpuMeter, machineCpuMs, loadAverage } from './lib/proc.ts';
import { table, fmt } from './lib/table.ts';
import { runMonthStart } from './monthStart.ts';
import type { BenchStats } from './instrument.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string' },
    concurrency: { type: 'string' },
    suite: { type: 'string' },
    workers: { type: 'string' },
    latencies: { type: 'string' },
    profile: { type: 'boolean' },
    'steady-seconds': { type: 'string' },
    'month-total': { type: 'string' },
    'month-due': { type: 'string' },
  },
});

const N = Number(args.n ?? process.env.BENCH_N ?? 10_000);
const N_LATENT = Number(process.env.BENCH_N_LATENT ?? Math.ceil(N / 4));
const CONCURRENCY = Number(args.concurrency ?? process.env.BENCH_CONCURRENCY ?? 8);
const SUITE = args.suite ?? process.env.BENCH_SUITE ?? 'throughput';
const LATENCIES = (args.latencies ?? process.env.BENCH_LATENCIES ?? '0,50').split(',').map(Number);
const WORKERS = (args.workers ?? process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const STEADY_S = Number(args['steady-seconds'] ?? process.env.BENCH_STEADY_SECONDS ?? 20);
const PROFILE = args.profile === true || process.env.BENCH_PROFILE === '1';
const PROFILE_ROOT = process.env.BENCH_PROFILE_DIR ?? join(tmpdir(), `asiabill-bench-profiles-${process.pid}`);
const PG_BASE = process.env.BENCH_DATABASE_BASE_URL ?? 'postgres://postgres@127.0.0.1:5432/';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';

function dbUrl(name: string): string {
  const u = new URL(PG_BASE);
  u.pathname = `/${name}`;
  return u.toString();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = () => randomBytes(3).toString('hex');

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  // A row that fails drops its database with its connections (FORCE): report the row's own
  // error, not the dropped connection's.
  c.on('error', () => {});
  await c.connect();
  return c;
}

// ---------------------------------------------------------------- shared state of one run

interface Env {
  admin: pg.Client;
  redisUrl: string;
  redis: Redis;
  redisProc: Proc | null;
  template: string;
}

interface RowResult {
  label: string;
  kind: 'baseline' | 'engine';
  latencyMs: number;
  procs: number;
  concurrency: number;
  n: number;
  ms: number;
  rate: number;
  p50: number;
  p99: number;
  engineCpuMs: number;
  pgCpuMs: number;
  redisCpuMs: number;
  stubCpuMs: number;
  machineBusyPct: number;
  pgStatements: number;
  pgTxControl: number;
  pgXacts: number;
  redisClient: number;
  redisServer: number;
  load: string;
  offered?: number;
}

async function pgBackends(admin: pg.Client, db: string): Promise<number[]> {
  const r = await admin.query<{ pid: number }>(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [db],
  );
  return r.rows.map((x) => x.pid);
}

async function xactCount(admin: pg.Client, db: string): Promise<number> {
  await admin.query('select pg_stat_clear_snapshot()');
  const r = await admin.query<{ n: string }>(
    'select (xact_commit + xact_rollback)::text as n from pg_stat_database where datname = $1',
    [db],
  );
  return Number(r.rows[0]?.n ?? 0);
}

async function redisCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let sum = 0;
  for (const m of info.matchAll(/calls=(\d+)/g)) sum += Number(m[1]);
  return sum;
}

function sumStats(list: BenchStats[]): { pg: number; tx: number; redis: number; cpu: number } {
  return list.reduce(
    (a, s) => ({
      pg: a.pg + s.pgStatements,
      tx: a.tx + s.pgTxControl,
      redis: a.redis + s.redisCommands,
      cpu: a.cpu + (s.cpuUserUs + s.cpuSystemUs) / 1000,
    }),
    { pg: 0, tx: 0, redis: 0, cpu: 0 },
  );
}

/** Measures one row between `begin` and the moment N period-1 invoices are paid. */
async function measure(
  env: Env,
  db: string,
  procs: Proc[],
  stub: Proc,
  n: number,
  begin: (client: pg.Client) => Promise<Date>,
  check: () => void = () => {},
): Promise<Omit<RowResult, 'label' | 'kind' | 'latencyMs' | 'procs' | 'concurrency'>> {
  const client = await connect(dbUrl(db));
  const load = loadAverage();
  const before = await Promise.all(procs.map(statsOf));
  const pgMeter = new CpuMeter(await pgBackends(env.admin, db));
  const otherMeter = { stub: new CpuMeter([stub.pid]), redis: new CpuMeter(env.redisProc ? [env.redisProc.pid] : []) };
  const procMeter = new CpuMeter(procs.map((p) => p.pid));
  const m0 = machineCpuMs();
  const x0 = await xactCount(env.admin, db);
  const r0 = await redisCalls(env.redis);
  let polls = 0;
  const t0 = await begin(client);
  const started = performance.now();
  let paid = 0;
  const deadline = started + 15 * 60_000;
  while (paid < n) {
    await sleep(200);
    polls += 1;
    check();
    const r = await client.query<{ n: number }>(
      `select count(*)::int as n from invoices where status = 'paid' and period_index = 1`,
    );
    paid = r.rows[0]?.n ?? 0;
    if (performance.now() > deadline) throw new Error(`only ${paid} of ${n} paid after 15 minutes`);
    for (const p of await pgBackends(env.admin, db)) pgMeter.sample(p, true);
  }
  const ms = performance.now() - started;
  const m1 = machineCpuMs();
  for (const p of await pgBackends(env.admin, db)) pgMeter.sample(p, true);
  for (const p of procs) procMeter.sample(p.pid);
  otherMeter.stub.sample(stub.pid);
  if (env.redisProc) otherMeter.redis.sample(env.redisProc.pid);
  const after = await Promise.all(procs.map(statsOf));
  const r1 = await redisCalls(env.redis);
  const x1 = await xactCount(env.admin, db);
  const lat = await paidLatencies(client, t0);
  await client.end();
  const d0 = sumStats(before);
  const d1 = sumStats(after);
  if (process.env.BENCH_STATEMENT_DETAIL === '1') printStatements(before, after, n);
  return {
    n,
    ms,
    rate: n / (ms / 1000),
    p50: lat.p50,
    p99: lat.p99,
    engineCpuMs: (d1.cpu - d0.cpu) / n,
    pgCpuMs: pgMeter.usedMs() / n,
    redisCpuMs: otherMeter.redis.usedMs() / n,
    stubCpuMs: otherMeter.stub.usedMs() / n,
    machineBusyPct: (100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total),
    pgStatements: (d1.pg - d0.pg) / n,
    pgTxControl: (d1.tx - d0.tx) / n,
    // Our own polling (one query per poll, plus the counters) runs as transactions too.
    pgXacts: (x1 - x0 - polls - 2) / n,
    redisClient: (d1.redis - d0.redis) / n,
    redisServer: (r1 - r0 - 2) / n,
    load,
  };
}

/** With BENCH_STATEMENT_DETAIL=1: every distinct statement the processes sent during the row, per renewal. */
function printStatements(before: BenchStats[], after: BenchStats[], n: number): void {
  const count = new Map<string, number>();
  for (const s of after) for (const [k, v] of s.byStatement ?? []) count.set(k, (count.get(k) ?? 0) + v);
  for (const s of before) for (const [k, v] of s.byStatement ?? []) count.set(k, (count.get(k) ?? 0) - v);
  const rows = [...count.entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
  console.log(
    table(
      ['statement (first 160 chars)', 'per renewal'],
      rows.map(([k, v]) => [k.replace(/\|/g, '/'), fmt(v / n, 2)]),
    ),
  );
}

async function freshDb(env: Env): Promise<string> {
  const name = `billing_bench_${rand()}`;
  await env.admin.query(`create database "${name}" template "${env.template}"`);
  return name;
}

async function resetRedis(env: Env): Promise<void> {
  if (env.redisProc) await env.redis.flushall();
  await env.redis.config('RESETSTAT');
}

// ---------------------------------------------------------------- rows

async function baselineRow(
  env: Env,
  stub: { proc: Proc; url: string },
  latencyMs: number,
  n: number,
): Promise<RowResult> {
  console.log(`- baseline, stub ${latencyMs} ms`);
  const db = await freshDb(env);
  await resetRedis(env);
  const proc = await startInstrumented('baseline', 'bench/baseline.ts', { ...process.env });
  let failure: string | undefined;
  try {
    const m = await measure(
      env,
      db,
      [proc],
      stub.proc,
      n,
      async (client) => {
        const t0 = new Date();
        await makeDue(client, t0, 0, n, n);
        const done = nextMessage<{ renewed: number; failed: number; error?: string }>(proc.child, 'done', 15 * 60_000);
        proc.child.send({ type: 'go', databaseUrl: dbUrl(db), stubUrl: stub.url, concurrency: CONCURRENCY });
        done.then((d) => {
          if (d.renewed !== n) failure = `baseline: renewed ${d.renewed}, failed ${d.failed} ${d.error ?? ''}`;
        });
        return t0;
      },
      () => {
        if (failure) throw new Error(failure);
      },
    );
    return {
      label: `baseline loop, stub ${latencyMs} ms`,
      kind: 'baseline',
      latencyMs,
      procs: 1,
      concurrency: CONCURRENCY,
      ...m,
    };
  } finally {
    await stop(proc);
    await dropDatabase(dbUrl(db));
  }
}

function engineEnv(db: string, redisUrl: string, prefix: string, stubUrl: string, extra: NodeJS.ProcessEnv) {
  return {
    ...process.env,
    DATABASE_URL: dbUrl(db),
    REDIS_URL: redisUrl,
    BILLING_QUEUE_PREFIX: prefix,
    ASIABILL_PAYMENT_URL: stubUrl,
    ASIABILL_OPENAPI_URL: stubUrl,
    ASIABILL_GATEWAY_NO: SANDBOX_GATEWAY_NO,
    ASIABILL_SIGN_KEY: SANDBOX_SIGN_KEY,
    BILLING_CLOCK: 'system',
    BILLING_PUBLIC_URL: 'http://127.0.0.1:9',
    BILLING_CHARGE_CONCURRENCY: String(CONCURRENCY),
    LOG_LEVEL,
    ...extra,
  };
}

async function engineRow(
  env: Env,
  stub: { proc: Proc; url: string },
  latencyMs: number,
  workers: number,
  rowN: number,
  steadyRate?: number,
): Promise<RowResult> {
  console.log(
    `- engine ${workers} worker(s), stub ${latencyMs} ms${steadyRate ? `, steady ${fmt(steadyRate, 0)}/s` : ''}`,
  );
  const db = await freshDb(env);
  await resetRedis(env);
  const prefix = `bench${rand()}`;
  const label = steadyRate
    ? `engine, steady ${fmt(steadyRate, 0)}/s, stub ${latencyMs} ms`
    : `engine ${workers}×${CONCURRENCY}, stub ${latencyMs} ms`;
  const profDir = PROFILE ? join(PROFILE_ROOT, label.replace(/[^A-Za-z0-9]+/g, '-')) : undefined;
  if (profDir) {
    mkdirSync(profDir, { recursive: true });
    console.log(`  cpu profiles → ${profDir} (summarise: node --import tsx bench/profileSummary.ts ${profDir})`);
  }
  const e = engineEnv(db, env.redisUrl, prefix, stub.url, {
    BILLING_SCAN_INTERVAL_MS: steadyRate ? '500' : '3600000',
  });
  const procs: Proc[] = [];
  try {
    procs.push(
      await startInstrumented('scheduler', 'workers/scheduler.ts', e, {
        readyRe: /scheduler ready/,
        cpuProfDir: profDir,
      }),
    );
    const charge = await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        startInstrumented(`charge-${i + 1}`, 'workers/charge.ts', e, {
          readyRe: /charge-worker ready/,
          cpuProfDir: profDir,
        }),
      ),
    );
    procs.push(...charge);
    await sleep(300);
    const n = steadyRate ? Math.min(rowN, Math.round(steadyRate * STEADY_S)) : rowN;
    const m = await measure(env, db, procs, stub.proc, n, async (client) => {
      if (steadyRate) {
        const t0 = new Date();
        await makeDue(client, new Date(t0.getTime() + 1000), (n / steadyRate) * 1000, n, n);
        return t0;
      }
      await makeDue(client, new Date(), 0, n, n);
      const q = openQueues(env.redisUrl, prefix);
      const t0 = new Date();
      await q.triggerScan();
      await q.close();
      return t0;
    });
    return {
      label,
      kind: 'engine',
      latencyMs,
      procs: workers,
      concurrency: CONCURRENCY,
      ...m,
      ...(steadyRate ? { offered: steadyRate } : {}),
    };
  } finally {
    await Promise.all(procs.map((p) => stop(p)));
    await dropDatabase(dbUrl(db));
  }
}

// ---------------------------------------------------------------- output

function printThroughput(rows: RowResult[]): void {
  const base = new Map(rows.filter((r) => r.kind === 'baseline').map((r) => [r.latencyMs, r.rate]));
  console.log(
    `\nRenewal throughput — N=${N} (${N_LATENT} with stub latency), concurrency ${CONCURRENCY} per process, ${new Date().toISOString()}, load ${loadAverage()}\n`,
  );
  console.log(
    table(
      [
        'row',
        'N',
        'renewals/s',
        '× baseline',
        'p50 due→paid ms',
        'p99 due→paid ms',
        'engine CPU ms/renewal',
        'PG statements/renewal (+BEGIN/COMMIT)',
        'PG xacts/renewal',
        'Redis cmds/renewal sent (executed)',
        'load avg at start',
      ],
      rows.map((r) => [
        r.label,
        r.n,
        r.offered ? `${fmt(r.rate, 0)} (offered ${fmt(r.offered, 0)})` : fmt(r.rate, 0),
        r.kind === 'baseline' ? '1.00' : r.offered ? '–' : fmt(r.rate / (base.get(r.latencyMs) ?? Number.NaN), 2),
        fmt(r.p50, 0),
        fmt(r.p99, 0),
        fmt(r.engineCpuMs, 2),
        `${fmt(r.pgStatements, 1)} (+${fmt(r.pgTxControl, 1)})`,
        fmt(r.pgXacts, 1),
        `${fmt(r.redisClient, 1)} (${fmt(r.redisServer, 1)})`,
        r.load,
      ]),
    ),
  );
  console.log("\nWhere the CPU went (ms per renewal; machine = both cores, everyone's load included)\n");
  console.log(
    table(
      ['row', 'engine/loop processes', 'Postgres backends', 'redis-server', 'stub', 'machine busy %'],
      rows.map((r) => [
        r.label,
        fmt(r.engineCpuMs, 2),
        fmt(r.pgCpuMs, 2),
        fmt(r.redisCpuMs, 2),
        fmt(r.stubCpuMs, 2),
        fmt(r.machineBusyPct, 0),
      ]),
    ),
  );
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const admin = await connect(dbUrl('postgres'));
  const priv = await startRedis();
  const redisUrl = priv?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!priv) console.log(`(no redis-server on PATH: using the shared ${redisUrl}; Redis counts include other clients)`);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const env: Env = { admin, redisUrl, redis, redisProc: priv?.proc ?? null, template: '' };
  const cleanup: Array<() => Promise<void>> = [];
  try {
    if (SUITE === 'throughput' || SUITE === 'all') {
      env.template = `billing_bench_tpl_${rand()}`;
      const tplUrl = dbUrl(env.template);
      await migrateDatabase(tplUrl);
      cleanup.push(() => dropDatabase(tplUrl));
      console.log(`load ${loadAverage()}; seeding ${N} subscriptions…`);
      const s0 = performance.now();
      const seedClient = await connect(tplUrl);
      await seedSubscriptions(seedClient, N);
      await seedClient.end();
      console.log(`seeded ${N} subscriptions in ${fmt((performance.now() - s0) / 1000, 1)} s (plain SQL)`);
      const rows: RowResult[] = [];
      const log = (r: RowResult) => {
        rows.push(r);
        console.log(
          `  ${r.label}: ${fmt(r.rate, 0)}/s, p99 ${fmt(r.p99, 0)} ms, engine CPU ${fmt(r.engineCpuMs, 2)} ms/renewal, ${fmt(r.pgStatements, 1)} statements/renewal`,
        );
      };
      for (const latency of LATENCIES) {
        const stub = await startStub(latency);
        try {
          // With latency the rate is bounded by concurrency / latency: a quarter of N measures it as well, in a quarter of the time.
          const rowN = latency === 0 ? N : N_LATENT;
          log(await baselineRow(env, stub, latency, rowN));
          const ws = latency === 0 ? WORKERS : [WORKERS[0] ?? 1];
          for (const w of ws) log(await engineRow(env, stub, latency, w, rowN));
          if (latency === 0) {
            const max = Math.max(...rows.filter((r) => r.kind === 'engine' && r.latencyMs === 0).map((r) => r.rate));
            log(await engineRow(env, stub, 0, WORKERS[0] ?? 1, N, max / 2));
          }
        } finally {
          await stop(stub.proc);
        }
      }
      printThroughput(rows);
    }
    if (SUITE === 'month-start' || SUITE === 'all') {
      await runMonthStart({
        admin,
        redis,
        redisUrl,
        privateRedis: priv !== null,
        total: Number(args['month-total'] ?? process.env.BENCH_MONTH_TOTAL ?? 1_000_000),
        due: Number(args['month-due'] ?? process.env.BENCH_MONTH_DUE ?? 100_000),
        dbUrl,
      });
    }
  } finally {
    for (const c of cleanup) await c().catch(() => {});
    redis.disconnect();
    if (priv) await stop(priv.proc);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
