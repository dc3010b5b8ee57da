import { Queue, type JobsOptions, type ConnectionOptions } from 'bullmq';
import { QUEUES, chargeJobId, type ChargeJob, type MaintenanceJob, type ReconcileJob } from './names.ts';

/**
 * Connection *options*, not a shared client: BullMQ then creates (and on close() releases)
 * its own connections — workers need a dedicated one for their blocking reads anyway.
 * `maxRetriesPerRequest: null` keeps blocking commands from being cut off.
 */
export function redisConnection(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/**
 * Finished jobs are removed, failed ones too: a job id (derived from Postgres ids) must be
 * free again for the next scan to re-enqueue the same work. A failed job kept in Redis would
 * make that re-enqueue a silent no-op — after a long database outage, a due charge would
 * never run. Failures are logged by the worker instead.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
};

export interface Queues {
  charge: Queue<ChargeJob>;
  maintenance: Queue<MaintenanceJob>;
  reconcile: Queue<ReconcileJob>;
  enqueueCharge(job: ChargeJob): Promise<void>;
  /** Removes a stray job hash that blocks this job id (see renewals/stuckDue.ts) and enqueues again; true if it did. */
  repairCharge(job: ChargeJob): Promise<boolean>;
  /** Many charge jobs in one round trip (addBulk); existing job ids stay as they are. */
  enqueueCharges(jobs: ChargeJob[]): Promise<void>;
  /** Charge jobs held in Redis and not yet taken by a worker (waiting, delayed, prioritized). */
  queuedCharges(): Promise<number>;
  triggerScan(): Promise<void>;
  /** A scan `delayMs` from now; calls within the same second share one job. */
  scheduleScan(delayMs: number): Promise<void>;
  triggerReconcile(): Promise<void>;
  close(): Promise<void>;
}

export function openQueues(redisUrl: string, prefix: string): Queues {
  const connection = redisConnection(redisUrl);
  const charge = new Queue<ChargeJob>(QUEUES.charge, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const maintenance = new Queue<MaintenanceJob>(QUEUES.maintenance, {
    connection,
    prefix,
    defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, attempts: 1 },
  });
  const reconcile = new Queue<ReconcileJob>(QUEUES.reconcile, {
    connection,
    prefix,
    defaultJobOptions: { ...DEFAULT_JOB_OPTIONS, attempts: 1 },
  });
  let seq = 0;
  return {
    charge,
    maintenance,
    reconcile,
    async enqueueCharge(job) {
      await charge.add('charge', job, { jobId: chargeJobId(job.invoiceId, job.attemptNo) });
    },
    async enqueueCharges(jobs) {
      if (jobs.length === 0) return;
      await charge.addBulk(
        jobs.map((job) => ({ name: 'charge', data: job, opts: { jobId: chargeJobId(job.invoiceId, job.attemptNo) } })),
      );
    },
    async repairCharge(job) {
      const id = chargeJobId(job.invoiceId, job.attemptNo);
      const state = await charge.getJobState(id);
      // Waiting, active, delayed…: the job is where it should be. 'unknown' with a job hash
      // present (or a kept 'failed'/'completed') is a stray that would swallow every re-enqueue.
      if (state !== 'unknown' && state !== 'failed' && state !== 'completed') return false;
      if ((await charge.getJob(id)) === undefined) return false;
      await charge.remove(id);
      await charge.add('charge', job, { jobId: id });
      return true;
    },
    async queuedCharges() {
      return charge.count();
    },
    async scheduleScan(delayMs) {
      const at = Math.ceil((Date.now() + delayMs) / 1000);
      await maintenance.add('scan', { kind: 'scan' }, { jobId: `scan-at-${at}`, delay: delayMs });
    },
    async triggerScan() {
      seq += 1;
      await maintenance.add('scan', { kind: 'scan' }, { jobId: `scan-now-${process.pid}-${Date.now()}-${seq}` });
    },
    async triggerReconcile() {
      seq += 1;
      await reconcile.add(
        'reconcile',
        { kind: 'reconcile' },
        { jobId: `reconcile-now-${process.pid}-${Date.now()}-${seq}` },
      );
    },
    async close() {
      await charge.close();
      await maintenance.close();
      await reconcile.close();
    },
  };
}
