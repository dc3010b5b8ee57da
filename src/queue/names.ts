/** Queue names and job ids. Job ids derive from Postgres ids (BullMQ forbids ':' in them). */
export const QUEUES = {
  charge: 'charge',
  /** Scan for due renewals, retries and expiries. */
  maintenance: 'maintenance',
  webhooks: 'webhooks',
  /**
   * Unknown outcomes (transaction search). Its own queue and worker, so a slow or failing
   * gateway search never holds up the scan behind it.
   */
  reconcile: 'reconcile',
} as const;

export interface ChargeJob {
  invoiceId: string;
  /** The attempt number this job is meant to make; a stale job finds it already made. */
  attemptNo: number;
}

/** `reconcile` on the maintenance queue is only read from jobs an older version left in Redis. */
export type MaintenanceJob = { kind: 'scan' } | { kind: 'reconcile' };

export type ReconcileJob = { kind: 'reconcile' };

export function chargeJobId(invoiceId: string, attemptNo: number): string {
  return `charge-${invoiceId}-${attemptNo}`;
}

export const SCAN_SCHEDULER_ID = 'scan-every';
export const RECONCILE_SCHEDULER_ID = 'reconcile-every';

/** Merchant webhooks: a periodic scan of Postgres, and one job per delivery attempt. */
export type WebhookJob = { kind: 'scan' } | { kind: 'deliver'; deliveryId: string; attemptNo: number };

export function webhookJobId(deliveryId: string, attemptNo: number): string {
  return `webhook-${deliveryId}-${attemptNo}`;
}

export const WEBHOOK_SCAN_SCHEDULER_ID = 'webhook-scan-every';
