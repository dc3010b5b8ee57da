/** Queue names and job ids. Job ids derive from Postgres ids (BullMQ forbids ':' in them). */
export const QUEUES = {
  charge: 'charge',
  maintenance: 'maintenance',
} as const;

export interface ChargeJob {
  invoiceId: string;
  /** The attempt number this job is meant to make; a stale job finds it already made. */
  attemptNo: number;
}

export type MaintenanceJob = { kind: 'scan' } | { kind: 'reconcile' };

export function chargeJobId(invoiceId: string, attemptNo: number): string {
  return `charge-${invoiceId}-${attemptNo}`;
}

export const SCAN_SCHEDULER_ID = 'scan-every';
export const RECONCILE_SCHEDULER_ID = 'reconcile-every';
