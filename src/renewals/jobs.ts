import type { AppContext } from '../context.ts';
import type { ChargeJob, MaintenanceJob } from '../queue/names.ts';
import { chargeInvoice, type ChargeResult } from './charge.ts';
import { renewSubscription } from './renew.ts';
import { scanDueWork, SCAN_FOLLOW_UP_MS, type ScanReport } from './scan.ts';
import { reconcileOpenAttempts, type ReconcileReport } from './reconcile.ts';
import { runDunningDeadlines } from '../dunning/deadlines.ts';
import { followOpenRefunds } from '../refunds/refunds.ts';
import type { StuckDueTracker } from './stuckDue.ts';

/**
 * The bodies of the BullMQ jobs, free of BullMQ itself: workers/ and the in-process engine
 * both call these, and tests can call them directly.
 */
export interface JobDeps {
  ctx: AppContext;
  enqueueCharge(job: ChargeJob): Promise<void>;
  /** Bulk enqueue, the charge queue's size and a delayed scan: the scan's back-pressure (queue/connection.ts). */
  enqueueCharges?(jobs: ChargeJob[]): Promise<void>;
  queuedCharges?(): Promise<number>;
  scheduleScan?(delayMs: number): Promise<void>;
  /** Repairs a stray charge job (queue/connection.ts) for invoices the tracker saw stuck. */
  repairCharge?(job: ChargeJob): Promise<boolean>;
  stuck?: StuckDueTracker;
}

export async function runChargeJob(deps: JobDeps, job: ChargeJob): Promise<ChargeResult> {
  const result = await chargeInvoice(deps.ctx, job.invoiceId, { expectAttemptNo: job.attemptNo });
  if (result.kind === 'attempted') deps.ctx.metrics?.renewalAttempted(result.status);
  // Catching up: a subscription that was behind is due again the moment it is paid. Renew it
  // right here instead of waiting for the next scan, so a backlog drains at charge speed.
  if (result.kind === 'attempted' && result.renewalDue) {
    const now = await deps.ctx.time.now();
    const r = await renewSubscription(deps.ctx.db, result.subscriptionId, now);
    if (r.kind === 'invoiced') await deps.enqueueCharge({ invoiceId: r.invoiceId, attemptNo: r.attemptNo });
  }
  return result;
}

/** One reconcile pass (time-budgeted; see reconcile.ts). */
export async function runReconcileJob(deps: JobDeps): Promise<ReconcileReport> {
  const report = await reconcileOpenAttempts(deps.ctx);
  // Refunds are followed to a final state on the same heartbeat (resend / status call).
  await followOpenRefunds(deps.ctx);
  return report;
}

export async function runMaintenanceJob(deps: JobDeps, job: MaintenanceJob): Promise<ScanReport | ReconcileReport> {
  // A reconcile job an older version queued here: still one budgeted pass.
  if (job.kind === 'reconcile') return runReconcileJob(deps);
  const now = await deps.ctx.time.now();
  // Deadlines first, so a retry they schedule for now is enqueued by this same scan.
  await runDunningDeadlines(deps.ctx, now);
  const report = await scanDueWork(
    {
      db: deps.ctx.db,
      enqueueCharge: deps.enqueueCharge,
      enqueueCharges: deps.enqueueCharges,
      batchSize: deps.ctx.config.scanBatch,
      queuedCharges: deps.queuedCharges,
      maxQueued: deps.queuedCharges ? deps.ctx.config.scanMaxQueued : undefined,
      stuck: deps.stuck,
      repairCharge: deps.repairCharge,
      trialWillEndMs: deps.ctx.config.trialWillEndHours * 3600 * 1000,
    },
    now,
  );
  // The queue was full: the rest of the due work waits in Postgres; look again soon rather
  // than at the next regular scan, so the workers never run dry during a month start.
  if (report.more && deps.scheduleScan) await deps.scheduleScan(SCAN_FOLLOW_UP_MS);
  return report;
}
