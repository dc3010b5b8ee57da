import { Queue, Worker, type Job } from 'bullmq';
import type { AppContext } from '../context.ts';
import { errorMessage } from '../errors.ts';
import { redisConnection } from '../queue/connection.ts';
import { QUEUES, WEBHOOK_SCAN_SCHEDULER_ID, webhookJobId, type WebhookJob } from '../queue/names.ts';
import { deliverOne, dueDeliveries, publishEvents, type DeliverResult } from './delivery.ts';
import { DELIVERY_LEASE_MARGIN_MS, PUBLISH_BATCH } from './deliveryPolicy.ts';
import { closeWorker, InFlight } from '../queue/drain.ts';

/**
 * The merchant webhook worker: its own BullMQ queue, so a slow or dead merchant endpoint never
 * holds up charges. BullMQ only carries work that is due now; Postgres decides what is due
 * (the scan), so a Redis wipe or a killed worker loses nothing: the next scan re-enqueues.
 */
export interface WebhookWorker {
  queue: Queue<WebhookJob>;
  /** Publish and enqueue now instead of at the next scheduled scan. */
  triggerScan(): Promise<void>;
  close(): Promise<void>;
}

export interface WebhookScanReport {
  published: number;
  deliveriesCreated: number;
  enqueued: number;
}

/** The scan job's body: drain the outbox into deliveries, then enqueue every due delivery. */
export async function runWebhookScan(
  ctx: Pick<AppContext, 'db' | 'wall'>,
  enqueue: (deliveryId: string, attemptNo: number) => Promise<void>,
): Promise<WebhookScanReport> {
  let published = 0;
  let deliveriesCreated = 0;
  for (;;) {
    const r = await publishEvents(ctx, PUBLISH_BATCH);
    published += r.events;
    deliveriesCreated += r.deliveries;
    if (r.events < PUBLISH_BATCH) break;
  }
  const due = await dueDeliveries(ctx);
  for (const d of due) await enqueue(d.deliveryId, d.attemptNo);
  return { published, deliveriesCreated, enqueued: due.length };
}

export async function startWebhookWorker(ctx: AppContext): Promise<WebhookWorker> {
  const { config } = ctx;
  const leaseMs = config.webhooks.timeoutMs + DELIVERY_LEASE_MARGIN_MS;
  const logger = ctx.logger.child({ part: 'webhooks' });
  const connection = redisConnection(config.redisUrl);
  const queue = new Queue<WebhookJob>(QUEUES.webhooks, {
    connection,
    prefix: config.queuePrefix,
    // Retries are Postgres's business (next_attempt_at); a failed job just frees its id.
    defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
  });
  // One log line per connection error (Redis restarting), never an unhandled 'error' event.
  queue.on('error', (err) =>
    logger.warn({ queue: queue.name, err: errorMessage(err) }, 'webhook queue connection error'),
  );
  const enqueue = async (deliveryId: string, attemptNo: number) => {
    await queue.add(
      'deliver',
      { kind: 'deliver', deliveryId, attemptNo },
      { jobId: webhookJobId(deliveryId, attemptNo) },
    );
  };
  let seq = 0;
  const triggerScan = async () => {
    seq += 1;
    await queue.add('scan', { kind: 'scan' }, { jobId: `webhook-scan-now-${process.pid}-${Date.now()}-${seq}` });
  };
  const inFlight = new InFlight();
  const worker = new Worker<WebhookJob>(
    QUEUES.webhooks,
    inFlight.wrap(async (job: Job<WebhookJob>) => {
      const jobCtx = { ...ctx, logger: logger.child({ jobId: job.id, queue: QUEUES.webhooks }) };
      if (job.data.kind === 'scan') {
        const report = await runWebhookScan(jobCtx, enqueue);
        if (report.published + report.enqueued > 0) jobCtx.logger.debug({ report }, 'webhook scan');
        return report;
      }
      const r = await deliverOne(jobCtx, job.data.deliveryId);
      ctx.metrics?.webhookAttempts.inc({ result: resultLabel(r) });
      return r.kind;
    }),
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: config.webhooks.concurrency,
      // A dead worker's active jobs keep their ids in Redis until BullMQ's stall check frees
      // them, and until then the scan's re-enqueue of the same attempt is a no-op. So the
      // lock is as short as a delivery can take (the lease), not the charge queue's 30 s.
      lockDuration: leaseMs,
      stalledInterval: leaseMs,
    },
  );
  worker.on('failed', (job, err) => logger.error({ jobId: job?.id, err: errorMessage(err) }, 'webhook job failed'));
  worker.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'webhook worker error'));
  const ensureScheduler = () =>
    queue.upsertJobScheduler(
      WEBHOOK_SCAN_SCHEDULER_ID,
      { every: config.webhooks.scanIntervalMs },
      { name: 'scan', data: { kind: 'scan' } },
    );
  await ensureScheduler();
  // Re-registered periodically: after a Redis wipe the heartbeat comes back by itself.
  const timer = setInterval(
    () => {
      ensureScheduler().catch((err: unknown) =>
        logger.warn({ err: errorMessage(err) }, 'could not refresh the webhook scheduler'),
      );
    },
    Math.max(1_000, Math.min(config.webhooks.scanIntervalMs * 2, 10_000)),
  );
  await worker.waitUntilReady();
  await triggerScan();
  let closing: Promise<void> | null = null;
  return {
    queue,
    triggerScan,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await closeWorker(worker, inFlight, { name: worker.name, logger });
        await queue.close();
      })();
      return closing;
    },
  };
}

function resultLabel(r: DeliverResult): string {
  if (r.kind !== 'failed') return r.kind;
  return r.retryAt ? 'failed_will_retry' : 'failed_final';
}
