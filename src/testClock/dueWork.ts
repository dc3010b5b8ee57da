import { and, eq, gt, inArray, min, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { chargeAttempts, invoices, subscriptions } from '../db/schema.ts';
import { BILLABLE, COLLECTABLE_INVOICE, RENEWABLE } from '../billing/subscriptionStatus.ts';
import { actionDeadlineDue, dunningWindowDue } from '../dunning/deadlines.ts';
import { UNRESOLVED_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';
import { sqlList } from '../db/sqlLists.ts';

/**
 * What the engine still owes at a given engine time, read from Postgres alone. Used by the
 * test clock's `--wait` (is everything that became due processed?) and by health output.
 */
export interface DueWork {
  renewals: number;
  charges: number;
  unresolvedAttempts: number;
  expiries: number;
  /** Customer-action deadlines and dunning windows that passed (dunning/deadlines.ts). */
  deadlines: number;
  /** Paused subscriptions whose --until has come. */
  resumes: number;
}

export function isQuiet(d: DueWork): boolean {
  return d.renewals + d.charges + d.unresolvedAttempts + d.expiries + d.deadlines + d.resumes === 0;
}

export async function dueWork(db: DbOrTx, now: Date): Promise<DueWork> {
  // One round trip: this is polled while the test clock waits for the engine.
  const r = await db.execute<{
    renewals: number;
    charges: number;
    unresolved: number;
    expiries: number;
    deadlines: number;
    resumes: number;
  }>(sql`
    select
      (select count(*)::int from ${subscriptions} where next_renewal_at is not null and next_renewal_at <= ${now}
         and status in ${sqlList(RENEWABLE)}) as renewals,
      (select count(*)::int from ${invoices} i join ${subscriptions} s on s.id = i.subscription_id
         where i.status = 'open' and i.next_attempt_at is not null and i.next_attempt_at <= ${now}
           and s.status in ${sqlList(BILLABLE)}) as charges,
      (select count(*)::int from ${chargeAttempts} where status in ${sqlList(UNRESOLVED_ATTEMPT_STATUSES)}) as unresolved,
      (select count(*)::int from ${subscriptions} where status = 'incomplete' and incomplete_expires_at <= ${now}) as expiries,
      (select count(*)::int from ${invoices} i where ${actionDeadlineDue(now)} or ${dunningWindowDue(now)}) as deadlines,
      (select count(*)::int from ${subscriptions} where status = 'paused' and resume_at <= ${now}) as resumes`);
  const row = r.rows[0];
  return {
    renewals: row?.renewals ?? 0,
    charges: row?.charges ?? 0,
    unresolvedAttempts: row?.unresolved ?? 0,
    expiries: row?.expiries ?? 0,
    deadlines: row?.deadlines ?? 0,
    resumes: row?.resumes ?? 0,
  };
}

/** The earliest engine time after `now` at which something becomes due, or null. */
export async function nextDueAfter(db: DbOrTx, now: Date): Promise<Date | null> {
  const [a, b, c, d, e, f] = await Promise.all([
    db
      .select({ t: min(subscriptions.nextRenewalAt) })
      .from(subscriptions)
      .where(and(gt(subscriptions.nextRenewalAt, now), inArray(subscriptions.status, [...RENEWABLE]))),
    db
      .select({ t: min(invoices.nextAttemptAt) })
      .from(invoices)
      .where(and(eq(invoices.status, 'open'), gt(invoices.nextAttemptAt, now))),
    db
      .select({ t: min(subscriptions.incompleteExpiresAt) })
      .from(subscriptions)
      .where(and(eq(subscriptions.status, 'incomplete'), gt(subscriptions.incompleteExpiresAt, now))),
    db
      .select({ t: min(invoices.actionDeadline) })
      .from(invoices)
      .where(and(inArray(invoices.status, [...COLLECTABLE_INVOICE]), gt(invoices.actionDeadline, now))),
    db
      .select({ t: min(invoices.dunningEndsAt) })
      .from(invoices)
      .where(and(inArray(invoices.status, [...COLLECTABLE_INVOICE]), gt(invoices.dunningEndsAt, now))),
    db
      .select({ t: min(subscriptions.resumeAt) })
      .from(subscriptions)
      .where(and(eq(subscriptions.status, 'paused'), gt(subscriptions.resumeAt, now))),
  ]);
  const times = [a[0]?.t, b[0]?.t, c[0]?.t, d[0]?.t, e[0]?.t, f[0]?.t].filter((t): t is Date => t instanceof Date);
  if (times.length === 0) return null;
  return new Date(Math.min(...times.map((t) => t.getTime())));
}
