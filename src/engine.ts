import { Worker, type Job } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { createContext, gatewayFromConfig, type AppContext } from './context.ts';
import { openQueues, redisConnection, type Queues } from './queue/connection.ts';
import {
  QUEUES,
  SCAN_SCHEDULER_ID,
  RECONCILE_SCHEDULER_ID,
  type ChargeJob,
  type MaintenanceJob,
} from './queue/names.ts';
import { runChargeJob, runMaintenanceJob, type JobDeps } from './renewals/jobs.ts';
import { buildHttpServer } from './http/server.ts';
import { startSandbox, type Sandbox } from './sandbox/index.ts';
import { errorMessage } from './errors.ts';

/**
 * Starts any combination of the engine's parts in this process. `billing run` starts them
 * all; workers/*.ts each start one, for deployments that scale charge workers separately.
 */
export interface EngineParts {
  http: boolean;
  scheduler: boolean;
  charge: boolean;
  /** Start the built-in AsiaBill sandbox (only when no AsiaBill credentials are configured). */
  sandbox: boolean;
}

export const ALL_PARTS: EngineParts = { http: true, scheduler: true, charge: true, sandbox: true };

export const RECONCILE_INTERVAL_MS = 15_000;

export interface Engine {
  ctx: AppContext;
  queues: Queues;
  sandbox: Sandbox | null;
  httpUrl: string | null;
  /** Graceful stop: no new jobs, in-flight charges finish (or stay reconcilable), then close. */
  close(): Promise<void>;
}

export interface StartEngineOptions {
  config: Config;
  logger: Logger;
  parts: EngineParts;
  overrides?: Partial<AppContext>;
  sandboxOptions?: Parameters<typeof startSandbox>[0];
}

export async function startEngine(opts: StartEngineOptions): Promise<Engine> {
  const { logger, parts } = opts;
  let config = opts.config;
  let sandbox: Sandbox | null = null;
  if (parts.sandbox && config.gateway.kind === 'sandbox' && !opts.overrides?.gateway) {
    sandbox = await startSandbox({
      port: config.gateway.sandboxPort ?? 0,
      host: config.gateway.sandboxHost ?? '127.0.0.1',
      stateFile: config.gateway.sandboxStateFile,
      gatewayNo: config.gateway.gatewayNo,
      signKey: config.gateway.signKey,
      logger: logger.child({ part: 'sandbox' }),
      ...opts.sandboxOptions,
    });
    config = {
      ...config,
      gateway: { ...config.gateway, paymentUrl: sandbox.paymentUrl, openapiUrl: sandbox.openapiUrl },
    };
    logger.info({ url: sandbox.url }, 'AsiaBill sandbox started (no AsiaBill credentials configured)');
  }
  const { ctx, database } = createContext(config, logger, {
    gateway: opts.overrides?.gateway ?? gatewayFromConfig(config, logger),
    ...opts.overrides,
  });
  const queues = openQueues(config.redisUrl, config.queuePrefix);
  const deps: JobDeps = {
    ctx,
    enqueueCharge: (j) => queues.enqueueCharge(j),
    enqueueCharges: (js) => queues.enqueueCharges(js),
    queuedCharges: () => queues.queuedCharges(),
    scheduleScan: (ms) => queues.scheduleScan(ms),
  };
  const workers: Worker[] = [];
  const timers: NodeJS.Timeout[] = [];
  let ready = false;
  let http: FastifyInstance | null = null;
  let httpUrl: string | null = null;

  if (parts.http) {
    http = buildHttpServer({ ctx, isReady: () => ready });
    httpUrl = await http.listen({ port: config.httpPort, host: config.httpHost });
    // With port 0 (tests, the demo) the callback URL is only known now; it must be right
    // before the first charge goes out, so the HTTP server starts before any worker.
    if (!config.publicUrl) ctx.config = { ...ctx.config, publicUrl: httpUrl };
    logger.info({ url: httpUrl }, 'HTTP server listening');
  }
  if (parts.charge) {
    const w = new Worker<ChargeJob>(
      QUEUES.charge,
      async (job: Job<ChargeJob>) => {
        const r = await runChargeJob(deps, job.data);
        return r.kind === 'skipped' ? `skipped:${r.reason}` : `${r.status}`;
      },
      {
        connection: redisConnection(config.redisUrl),
        prefix: config.queuePrefix,
        concurrency: config.chargeConcurrency,
        // A killed worker's job goes back to the queue after this; re-running it is harmless
        // (chargeInvoice finds the open attempt and leaves it to the reconciler).
        lockDuration: config.jobLockMs,
        stalledInterval: config.jobLockMs,
      },
    );
    w.on('failed', (job, err) => logger.error({ jobId: job?.id, err: errorMessage(err) }, 'charge job failed'));
    w.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'charge worker error'));
    workers.push(w);
  }
  if (parts.scheduler) {
    const w = new Worker<MaintenanceJob>(
      QUEUES.maintenance,
      async (job: Job<MaintenanceJob>) => {
        const report = await runMaintenanceJob(deps, job.data);
        logger.debug({ job: job.data.kind, report }, 'maintenance job done');
        return report;
      },
      { connection: redisConnection(config.redisUrl), prefix: config.queuePrefix, concurrency: 1 },
    );
    w.on('failed', (job, err) => logger.error({ jobId: job?.id, err: errorMessage(err) }, 'maintenance job failed'));
    // e.g. a job whose keys vanished with a Redis wipe: logged, and the next scan redoes the work.
    w.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'maintenance worker error'));
    workers.push(w);
    const ensureSchedulers = async () => {
      // Idempotent. Re-run periodically so the schedule comes back by itself after Redis
      // lost its data: Postgres still has all the work; only the heartbeat needs restoring.
      await queues.maintenance.upsertJobScheduler(
        SCAN_SCHEDULER_ID,
        { every: config.scanIntervalMs },
        { name: 'scan', data: { kind: 'scan' } },
      );
      await queues.maintenance.upsertJobScheduler(
        RECONCILE_SCHEDULER_ID,
        { every: RECONCILE_INTERVAL_MS },
        { name: 'reconcile', data: { kind: 'reconcile' } },
      );
    };
    await ensureSchedulers();
    await queues.triggerScan();
    timers.push(
      setInterval(
        () => {
          ensureSchedulers().catch((err) =>
            logger.warn({ err: errorMessage(err) }, 'could not refresh job schedulers'),
          );
        },
        Math.min(config.scanIntervalMs, 10_000),
      ),
    );
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  ready = true;

  let closing: Promise<void> | null = null;
  return {
    ctx,
    queues,
    sandbox,
    httpUrl,
    close() {
      closing ??= (async () => {
        ready = false;
        for (const t of timers) clearInterval(t);
        // Workers first: close() waits for active jobs, so an in-flight charge records its
        // outcome (or, if it cannot, leaves a `started` attempt for the reconciler).
        await Promise.all(workers.map((w) => w.close()));
        if (http) await http.close();
        await queues.close();
        if (sandbox) await sandbox.close();
        await database.close();
      })();
      return closing;
    },
  };
}
