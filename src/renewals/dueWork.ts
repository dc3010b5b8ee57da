import { and, eq, gt, inArray, isNotNull, lte, min, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { chargeAttempts, invoices, subscriptions } from '../db/schema.ts';

/**
 * What the engine still owes at a given engine time, read from Postgres alone. Used by the
 * test clock's `--wait` (is everything that became due processed?) and by health output.
 */
export interface DueWork {
  renewals: number;
  charges: number;
  unresolvedAttempts: number;
  expiries: number;
}

export function isQuiet(d: DueWork): boolean {
  return d.renewals + d.charges + d.unresolvedAttempts + d.expiries === 0;
}

const count = sql<number>`count(*)::int`;

export async function dueWork(db: DbOrTx, now: Date): Promise<DueWork> {
  const [renewals, charges, unresolved, expiries] = await Promise.all([
    db.select({ n: count }).from(subscriptions).where(and(
      isNotNull(subscriptions.nextRenewalAt), lte(subscriptions.nextRenewalAt, now), inArray(subscriptions.status, ['trialing', 'active']),
    )),
    db.select({ n: count }).from(invoices).innerJoin(subscriptions, eq(subscriptions.id, invoices.subscriptionId)).where(and(
      eq(invoices.status, 'open'), isNotNull(invoices.nextAttemptAt), lte(invoices.nextAttemptAt, now),
      inArray(subscriptions.status, ['incomplete', 'trialing', 'active', 'past_due']),
    )),
    db.select({ n: count }).from(chargeAttempts).where(inArray(chargeAttempts.status, ['started', 'unknown'])),
    db.select({ n: count }).from(subscriptions).where(and(eq(subscriptions.status, 'incomplete'), lte(subscriptions.incompleteExpiresAt, now))),
  ]);
  return {
    renewals: renewals[0]?.n ?? 0,
    charges: charges[0]?.n ?? 0,
    unresolvedAttempts: unresolved[0]?.n ?? 0,
    expiries: expiries[0]?.n ?? 0,
  };
}

/** The earliest engine time after `now` at which something becomes due, or null. */
export async function nextDueAfter(db: DbOrTx, now: Date): Promise<Date | null> {
  const [a, b, c] = await Promise.all([
    db.select({ t: min(subscriptions.nextRenewalAt) }).from(subscriptions).where(and(
      gt(subscriptions.nextRenewalAt, now), inArray(subscriptions.status, ['trialing', 'active']),
    )),
    db.select({ t: min(invoices.nextAttemptAt) }).from(invoices).where(and(eq(invoices.status, 'open'), gt(invoices.nextAttemptAt, now))),
    db.select({ t: min(subscriptions.incompleteExpiresAt) }).from(subscriptions).where(and(eq(subscriptions.status, 'incomplete'), gt(subscriptions.incompleteExpiresAt, now))),
  ]);
  const times = [a[0]?.t, b[0]?.t, c[0]?.t].filter((t): t is Date => t instanceof Date);
  if (times.length === 0) return null;
  return new Date(Math.min(...times.map((t) => t.getTime())));
}
