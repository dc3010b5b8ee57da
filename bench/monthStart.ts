/**
 * Month start at scale: `total` subscriptions in Postgres, `due` of them due now; the
 * scheduler's scan (src/renewals/scan.ts, the same function the maintenance job runs) finds,
 * invoices and enqueues them, with no charge worker running, so the scan is measured alone.
 * Two variants on identical copies of the database: the look-ahead off (every due charge
 * goes to Redis at once) and the default look-ahead (BILLING_SCAN_MAX_QUEUED). Redis memory is
 * sampled every 100 ms (INFO memory used_memory) and read as used_memory_peak after the run.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { Redis } from 'ioredis';
import { startRedis, stop } from './lib/procs.ts';
import { migrateDatabase, dropDatabase } from '../src/db/migrate.ts';
import { openDatabase } from '../src/db/client.ts';
import { openQueues } from '../src/queue/connection.ts';
import { scanDueWork, type ScanReport } from '../src/renewals/scan.ts';
import { loadConfig } from '../src/config.ts';
import { seedSubscriptions } from './lib/seed.ts';
import { CpuMeter, loadAverage } from './lib/proc.ts';
import { table, fmt } from './lib/table.ts';

export interface MonthStartOptions {
  admin: pg.Client;
  redis: Redis;
  redisUrl: string;
  privateRedis: boolean;
  total: number;
  due: number;
  dbUrl(name: string): string;
}

function memField(info: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(info);
  return Number(m?.[1] ?? 0);
}

export async function runMonthStart(o: MonthStartOptions): Promise<void> {
  const rand = () => randomBytes(3).toString('hex');
  const template = `billing_bench_month_${rand()}`;
  const tplUrl = o.dbUrl(template);
  await migrateDatabase(tplUrl);
  const { default: pgMod } = await import('pg');
  try {
    const s0 = performance.now();
    const c = new pgMod.Client({ connectionString: tplUrl });
    await c.connect();
    await seedSubscriptions(c, o.total, { dueAt: new Date(Date.now() - 60_000), dueCount: o.due });
    await c.query('analyze');
    await c.end();
    console.log(
      `\nseeded ${o.total} subscriptions (${o.due} due) in ${fmt((performance.now() - s0) / 1000, 1)} s (plain SQL)`,
    );
    const defaultMax = loadConfig({}).scanMaxQueued;
    const rows: Array<Array<string | number>> = [];
    for (const variant of [
      { label: 'look-ahead off (all due enqueued at once)', maxQueued: undefined as number | undefined },
      { label: `look-ahead ${defaultMax} (default)`, maxQueued: defaultMax },
    ]) {
      const name = `billing_bench_${rand()}`;
      const c0 = performance.now();
      await o.admin.query(`create database "${name}" template "${template}"`);
      const copyS = (performance.now() - c0) / 1000;
      const url = o.dbUrl(name);
      // A fresh redis-server per variant: Redis 7.0 cannot reset used_memory_peak.
      const own = o.privateRedis ? await startRedis() : null;
      const redis = own ? new Redis(own.url, { maxRetriesPerRequest: 3 }) : o.redis;
      const redisUrl = own?.url ?? o.redisUrl;
      const mem0 = memField(await redis.info('memory'), 'used_memory');
      let memMax = mem0;
      const sampler = setInterval(() => {
        redis.info('memory').then(
          (i) => {
            memMax = Math.max(memMax, memField(i, 'used_memory'));
          },
          () => {},
        );
      }, 100);
      const database = openDatabase(url);
      const prefix = `benchms${rand()}`;
      const queues = openQueues(redisUrl, prefix);
      const pgMeter = new CpuMeter();
      const load = loadAverage();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let report: ScanReport;
      try {
        report = await scanDueWork(
          {
            db: database.db,
            enqueueCharge: (j) => queues.enqueueCharge(j),
            enqueueCharges: (js) => queues.enqueueCharges(js),
            batchSize: loadConfig({}).scanBatch,
            ...(variant.maxQueued !== undefined
              ? { queuedCharges: () => queues.queuedCharges(), maxQueued: variant.maxQueued }
              : {}),
          },
          new Date(),
        );
        const r = await o.admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [name]);
        for (const { pid } of r.rows) pgMeter.sample(pid, true);
      } finally {
        clearInterval(sampler);
      }
      const secs = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const queued = await queues.queuedCharges();
      const info = await redis.info('memory');
      const peak = Math.max(memMax, memField(info, 'used_memory_peak'));
      await queues.close();
      if (own) {
        redis.disconnect();
        await stop(own.proc);
      }
      await database.close();
      await dropDatabase(url);
      const mb = (b: number) => fmt(b / 1024 / 1024, 1);
      rows.push([
        variant.label,
        o.total,
        o.due,
        fmt(secs, 1),
        report.renewed,
        queued,
        report.deferred,
        mb(peak),
        mb(peak - mem0),
        queued > 0 ? fmt((peak - mem0) / queued, 0) : '–',
        fmt((cpu.user + cpu.system) / 1e6, 1),
        fmt(pgMeter.usedMs() / 1000, 1),
        load,
      ]);
      console.log(
        `  ${variant.label}: ${fmt(secs, 1)} s, ${report.renewed} invoiced, ${queued} in Redis, peak ${mb(peak)} MB (db copy ${fmt(copyS, 1)} s)`,
      );
    }
    console.log(
      `\nMonth start — ${o.total} subscriptions, ${o.due} due, scan alone (no charge worker), ${new Date().toISOString()}${o.privateRedis ? ', private redis-server' : ', SHARED Redis (memory includes other users)'}\n`,
    );
    console.log(
      table(
        [
          'variant',
          'subscriptions',
          'due',
          'scan s',
          'invoiced',
          'jobs in Redis',
          'left due in Postgres',
          'Redis peak MB',
          'Δ MB',
          'bytes/job',
          'scheduler CPU s',
          'PG backend CPU s',
          'load avg',
        ],
        rows,
      ),
    );
  } finally {
    await dropDatabase(tplUrl);
  }
}
