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
  type ReconcileJob,
} from './queue/names.ts';
import { runChargeJob, runMaintenanceJob, runReconcileJob, type JobDeps } from './renewals/jobs.ts';
import { RECONCILE_INTERVAL_MS } from './billing/reconcileSchedule.ts';
import { buildHttpServer } from './http/server.ts';
import { startSandbox, type Sandbox } from './sandbox/index.ts';
import { EngineMetrics, instrumentGateway } from './metrics.ts';
import { startWebhookWorker, type WebhookWorker } from './events/worker.ts';
import { closeWorker, InFlight } from './queue/drain.ts';
import { checkStoredDunningPolicies } from './dunning/planPolicy.ts';
// Log lines say why in one line (a database error by its cause, not drizzle's query dump).
import { errorSummary as errorMessage } from './health/errorSummary.ts';
import { createDependencyProbe } from './health/dependencies.ts';
import { waitForDependencies } from './health/waitForDependencies.ts';
import { StuckDueTracker } from './renewals/stuckDue.ts';

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
  /** Deliver merchant webhooks from the outbox (src/events/worker.ts). */
  events?: boolean;

  /**
   * The reconciler: its own queue and worker (unknown outcomes), so it never delays the scan.
   * Default: wherever the scheduler runs (workers/reconciler.ts runs it alone).
   */
  reconcile?: boolean;
}

export const ALL_PARTS: EngineParts = {
  http: true,
  scheduler: true,
  charge: true,
  sandbox: true,
  events: true,
  reconcile: true,
};

export { RECONCILE_INTERVAL_MS };

export interface Engine {
  ctx: AppContext;
  queues: Queues;
  sandbox: Sandbox | null;
  httpUrl: string | null;
  /** The merchant webhook worker, when the `events` part runs. */
  webhooks: WebhookWorker | null;
  /** Graceful stop: no new jobs, in-flight charges finish (or stay reconcilable), then close. */
  close(): Promise<void>;
}

export interface StartEngineOptions {
  config: Config;
  logger: Logger;
  parts: EngineParts;
  overrides?: Partial<AppContext>;
  sandboxOptions?: Parameters<typeof startSandbox>[0];
  /** Aborting it while Postgres/Redis are awaited closes what was started and rejects. */
  signal?: AbortSignal;
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
  const metrics = opts.overrides?.metrics ?? new EngineMetrics();
  const { ctx, database } = createContext(config, logger, {
    ...opts.overrides,
    gateway: instrumentGateway(opts.overrides?.gateway ?? gatewayFromConfig(config, logger), metrics),
    metrics,
  });
  const probe = createDependencyProbe(ctx.db, config.redisUrl);
  // Each worker with a count of its processor calls in flight (the drain waits for those).
  const workers: Array<{ worker: Worker; inFlight: InFlight }> = [];
  let webhooks: WebhookWorker | null = null;
  const timers: NodeJS.Timeout[] = [];
  let ready = false;
  let http: FastifyInstance | null = null;
  let adminQueues: Queues | null = null;
  let httpUrl: string | null = null;

  if (parts.http) {
    // The admin surface (API, console, queue dashboard) registers its routes before listen(),
    // so it gets queue handles of its own, opened now — only when the admin API is on, so an
    // engine waiting for Redis without it logs nothing but its one readiness line per retry.
    const adminToken = config.adminToken;
    if (adminToken !== undefined) {
      adminQueues = openQueues(config.redisUrl, config.queuePrefix);
      for (const q of [adminQueues.charge, adminQueues.maintenance, adminQueues.reconcile]) {
        q.on('error', (err) => logger.debug({ queue: q.name, err: errorMessage(err) }, 'admin queue connection error'));
      }
    }
    http = buildHttpServer({
      ctx,
      isReady: () => ready,
      probe,
      ...(adminToken !== undefined && adminQueues !== null
        ? { admin: { token: adminToken, queues: adminQueues } }
        : {}),
    });
    httpUrl = await http.listen({ port: config.httpPort, host: config.httpHost });
    if (adminToken === undefined)
      logger.info('admin API, console and queue dashboard off: BILLING_ADMIN_TOKEN is not set');
    else logger.info({ api: `${httpUrl}/v1`, console: `${httpUrl}/console` }, 'admin API on');
    // With port 0 (tests, the demo) the callback URL is only known now; it must be right
    // before the first charge goes out, so the HTTP server starts before any worker.
    if (!config.publicUrl) ctx.config = { ...ctx.config, publicUrl: httpUrl };
    logger.info({ url: httpUrl }, 'HTTP server listening');
  }
  // Nothing below works without Postgres and Redis: wait for both (HTTP answers /healthz and
  // an honest 503 /readyz meanwhile), then open the queues.
  try {
    await waitForDependencies(probe, logger, { signal: opts.signal });
  } catch (err) {
    if (http) await http.close();
    if (adminQueues) await adminQueues.close();
    if (sandbox) await sandbox.close();
    await probe.close();
    await database.close();
    throw err;
  }
  if (parts.charge || parts.scheduler) {
    // A bad dunning policy is refused at start, not discovered at the first failed renewal.
    try {
      await checkStoredDunningPolicies(ctx);
    } catch (err) {
      if (http) await http.close();
      if (sandbox) await sandbox.close();
      await probe.close();
      await database.close();
      throw err;
    }
  }
  const queues = openQueues(config.redisUrl, config.queuePrefix);
  for (const q of [queues.charge, queues.maintenance, queues.reconcile]) {
    q.on('error', (err) => logger.warn({ queue: q.name, err: errorMessage(err) }, 'queue connection error'));
  }
  const deps: JobDeps = {
    ctx,
    enqueueCharge: (j) => queues.enqueueCharge(j),
    enqueueCharges: (js) => queues.enqueueCharges(js),
    queuedCharges: () => queues.queuedCharges(),
    scheduleScan: (ms) => queues.scheduleScan(ms),
    repairCharge: (j) => queues.repairCharge(j),
    // One per scheduler process: it remembers which due invoices it keeps finding unattempted.
    stuck: new StuckDueTracker(),
  };
  // Every log line a job writes carries its job id (pino child logger on the job's context).
  const jobDeps = (job: Job, queue: string): JobDeps => ({
    ...deps,
    ctx: { ...ctx, logger: logger.child({ jobId: job.id, queue }) },
  });
  if (parts.charge) {
    const inFlight = new InFlight();
    const w = new Worker<ChargeJob>(
      QUEUES.charge,
      inFlight.wrap(async (job: Job<ChargeJob>) => {
        const r = await runChargeJob(jobDeps(job, QUEUES.charge), job.data);
        return r.kind === 'skipped' ? `skipped:${r.reason}` : `${r.status}`;
      }),
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
    workers.push({ worker: w, inFlight });
  }
  if (parts.scheduler) {
    const inFlight = new InFlight();
    const w = new Worker<MaintenanceJob>(
      QUEUES.maintenance,
      inFlight.wrap(async (job: Job<MaintenanceJob>) => {
        const d = jobDeps(job, QUEUES.maintenance);
        const report = await runMaintenanceJob(d, job.data);
        d.ctx.logger.debug({ job: job.data.kind, report }, 'maintenance job done');
        return report;
      }),
      { connection: redisConnection(config.redisUrl), prefix: config.queuePrefix, concurrency: 1 },
    );
    w.on('failed', (job, err) => logger.error({ jobId: job?.id, err: errorMessage(err) }, 'maintenance job failed'));
    // e.g. a job whose keys vanished with a Redis wipe: logged, and the next scan redoes the work.
    w.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'maintenance worker error'));
    workers.push({ worker: w, inFlight });
    const ensureSchedulers = async () => {
      // Idempotent. Re-run periodically so the schedule comes back by itself after Redis
      // lost its data: Postgres still has all the work; only the heartbeat needs restoring.
      await queues.maintenance.upsertJobScheduler(
        SCAN_SCHEDULER_ID,
        { every: config.scanIntervalMs },
        { name: 'scan', data: { kind: 'scan' } },
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
  if (parts.events) webhooks = await startWebhookWorker(ctx);
  if (parts.reconcile ?? parts.scheduler) {
    const inFlight = new InFlight();
    const w = new Worker<ReconcileJob>(
      QUEUES.reconcile,
      inFlight.wrap(async () => {
        const report = await runReconcileJob(deps);
        logger.debug({ report }, 'reconcile pass done');
        return report;
      }),
      { connection: redisConnection(config.redisUrl), prefix: config.queuePrefix, concurrency: 1 },
    );
    w.on('failed', (job, err) => logger.error({ jobId: job?.id, err: errorMessage(err) }, 'reconcile pass failed'));
    w.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'reconcile worker error'));
    workers.push({ worker: w, inFlight });
    // Versions before the reconcile queue scheduled passes on the maintenance queue.
    await queues.maintenance.removeJobScheduler(RECONCILE_SCHEDULER_ID);
    const ensureReconcileScheduler = async () => {
      // Idempotent; re-run so the heartbeat comes back by itself after Redis lost its data.
      await queues.reconcile.upsertJobScheduler(
        RECONCILE_SCHEDULER_ID,
        { every: RECONCILE_INTERVAL_MS },
        { name: 'reconcile', data: { kind: 'reconcile' } },
      );
    };
    await ensureReconcileScheduler();
    timers.push(
      setInterval(
        () => {
          ensureReconcileScheduler().catch((err) =>
            logger.warn({ err: errorMessage(err) }, 'could not refresh the reconcile scheduler'),
          );
        },
        Math.min(config.scanIntervalMs, 10_000),
      ),
    );
  }
  await Promise.all(workers.map(({ worker }) => worker.waitUntilReady()));
  ready = true;

  let closing: Promise<void> | null = null;
  return {
    ctx,
    queues,
    sandbox,
    httpUrl,
    webhooks,
    close() {
      closing ??= (async () => {
        ready = false;
        for (const t of timers) clearInterval(t);
        // Each step runs even if an earlier one failed: a Redis connection that broke during
        // the drain (Redis restarting) must not leave Postgres connections or the HTTP server
        // open. Failures are logged; the drain's outcome is in Postgres either way.
        const step = async (what: string, fn: () => Promise<unknown> | undefined): Promise<void> => {
          try {
            logger.debug({ step: what }, 'closing');
            await fn();
            logger.debug({ step: what }, 'closed');
          } catch (err) {
            logger.warn({ step: what, err: errorMessage(err) }, 'error while closing; carrying on');
          }
        };
        // Workers first: close() waits for active jobs, so an in-flight charge records its
        // outcome (or, if it cannot, leaves a `started` attempt for the reconciler).
        await Promise.all([
          ...workers.map(({ worker, inFlight }) =>
            step(`worker ${worker.name}`, () => closeWorker(worker, inFlight, { name: worker.name, logger })),
          ),
          step('webhook worker', () => webhooks?.close()),
        ]);
        const [h, aq, sb] = [http, adminQueues, sandbox];
        if (h) await step('http', () => closeHttp(h, logger));
        await step('queues', () => queues.close());
        if (aq) await step('admin queues', () => aq.close());
        if (sb) await step('sandbox', () => sb.close());
        await step('dependency probe', () => probe.close());
        await step('database', () => database.close());
      })();
      return closing;
    },
  };
}

/** How long a closing engine lets HTTP requests in flight finish before cutting their connections. */
export const HTTP_CLOSE_GRACE_MS = 5_000;

/**
 * fastify's close() waits for every open connection; one client that never reads its answer
 * (or a keep-alive peer that stays) would hold the engine's shutdown forever. After the grace
 * period the remaining connections are cut: a notification cut before its `success` is simply
 * delivered again by AsiaBill, an admin API client gets a connection error and retries.
 */
async function closeHttp(http: FastifyInstance, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), HTTP_CLOSE_GRACE_MS);
  });
  const closing = http.close();
  const first = await Promise.race([closing.then(() => 'closed' as const), graceOver]);
  clearTimeout(timer);
  if (first === 'timeout') {
    logger.warn({ graceMs: HTTP_CLOSE_GRACE_MS }, 'HTTP connections still open at shutdown: closing them');
    http.server.closeAllConnections();
    await closing;
  }
}
