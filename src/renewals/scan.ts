import { and, asc, eq, gt, inArray, isNotNull, lte, not, notExists, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chargeAttempts, invoices, subscriptions } from '../db/schema.ts';
import { OPEN_ATTEMPT_STATUSES, UNRESOLVED_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';
import { sqlList } from '../db/sqlLists.ts';
import { COLLECTABLE_INVOICE } from '../billing/subscriptionStatus.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionTransition } from '../events/builders.ts';
import type { ChargeJob } from '../queue/names.ts';
import { renewSubscription } from './renew.ts';
import { lockSubscription } from '../db/locks.ts';
import { announceTrialsEnding, resumeDuePaused } from '../subscriptions/scheduled.ts';

/**
 * The scheduler's scan: re-derives every piece of due work from Postgres. It is the reason a
 * Redis wipe, a crashed worker or a scheduler that was down for a day lose nothing — whatever
 * is due is found again here and (re-)enqueued under a job id derived from Postgres ids.
 *
 * Paging is keyset-based ((due_at, id) > cursor) so a scan over millions of rows never uses
 * OFFSET, and each batch is bounded so Redis only ever holds work that is due now.
 */
export interface ScanDeps {
  db: Db;
  enqueueCharge(job: ChargeJob): Promise<void>;
  batchSize: number;
  /** How long before a trial ends `subscription.trial_will_end` is recorded (0 = not announced). */
  trialWillEndMs?: number;
}

export interface ScanReport {
  renewed: number;
  ended: number;
  enqueued: number;
  expired: number;
  resumed: number;
  trialsEnding: number;
}

export async function scanDueWork(deps: ScanDeps, now: Date): Promise<ScanReport> {
  const report: ScanReport = { renewed: 0, ended: 0, enqueued: 0, expired: 0, resumed: 0, trialsEnding: 0 };
  // Lifecycle first: a resumed subscription's invoice is then enqueued by the pass below.
  report.resumed = await resumeDuePaused(deps.db, now, deps.batchSize);
  report.trialsEnding = await announceTrialsEnding(deps.db, now, deps.trialWillEndMs ?? 0, deps.batchSize);
  await renewDueSubscriptions(deps, now, report);
  await enqueueDueInvoices(deps, now, report);
  report.expired = await expireIncomplete(deps.db, now, deps.batchSize);
  return report;
}

async function renewDueSubscriptions(deps: ScanDeps, now: Date, report: ScanReport): Promise<void> {
  let cursor: { at: Date; id: string } | null = null;
  for (;;) {
    const due: Array<{ id: string; at: Date | null }> = await deps.db
      .select({ id: subscriptions.id, at: subscriptions.nextRenewalAt })
      .from(subscriptions)
      .where(
        and(
          isNotNull(subscriptions.nextRenewalAt),
          lte(subscriptions.nextRenewalAt, now),
          cursor
            ? or(
                gt(subscriptions.nextRenewalAt, cursor.at),
                and(eq(subscriptions.nextRenewalAt, cursor.at), gt(subscriptions.id, cursor.id)),
              )
            : undefined,
        ),
      )
      .orderBy(asc(subscriptions.nextRenewalAt), asc(subscriptions.id))
      .limit(deps.batchSize);
    for (const row of due) {
      const r = await renewSubscription(deps.db, row.id, now);
      if (r.kind === 'invoiced') {
        report.renewed += 1;
        await deps.enqueueCharge({ invoiceId: r.invoiceId, attemptNo: r.attemptNo });
        report.enqueued += 1;
      } else if (r.kind === 'ended') {
        report.ended += 1;
      }
    }
    const last = due[due.length - 1];
    if (due.length < deps.batchSize || !last || !last.at) return;
    cursor = { at: last.at, id: last.id };
  }
}

/** Open invoices whose next attempt is due and that have no attempt in flight. */
async function enqueueDueInvoices(deps: ScanDeps, now: Date, report: ScanReport): Promise<void> {
  let cursor: { at: Date; id: string } | null = null;
  for (;;) {
    const due: Array<{ id: string; at: Date | null; attemptCount: number }> = await deps.db
      .select({ id: invoices.id, at: invoices.nextAttemptAt, attemptCount: invoices.attemptCount })
      .from(invoices)
      .where(
        and(
          eq(invoices.status, 'open'),
          isNotNull(invoices.nextAttemptAt),
          lte(invoices.nextAttemptAt, now),
          notExists(
            deps.db
              .select({ one: sql`1` })
              .from(chargeAttempts)
              .where(
                and(
                  eq(chargeAttempts.invoiceId, invoices.id),
                  inArray(chargeAttempts.status, [...OPEN_ATTEMPT_STATUSES]),
                ),
              ),
          ),
          cursor
            ? or(
                gt(invoices.nextAttemptAt, cursor.at),
                and(eq(invoices.nextAttemptAt, cursor.at), gt(invoices.id, cursor.id)),
              )
            : undefined,
        ),
      )
      .orderBy(asc(invoices.nextAttemptAt), asc(invoices.id))
      .limit(deps.batchSize);
    for (const row of due) {
      await deps.enqueueCharge({ invoiceId: row.id, attemptNo: row.attemptCount + 1 });
      report.enqueued += 1;
    }
    const last = due[due.length - 1];
    if (due.length < deps.batchSize || !last || !last.at) return;
    cursor = { at: last.at, id: last.id };
  }
}

/**
 * An `incomplete` subscription whose first charge never succeeded expires. Its open invoice is
 * voided; if a 3-D Secure success still arrives later, applyOutcome records the payment and
 * flags it for refund rather than reviving the subscription.
 *
 * Not while its first charge's outcome is unresolved (`started`/`unknown`): that charge may
 * well have gone through (found by the fault suite: a lost answer, then engine time jumping
 * past the expiry before the reconciler ran, expired a subscription the customer had paid).
 * The reconciler settles it within minutes; the expiry is judged after that.
 */
function hasUnresolvedAttempt(subscriptionId: SQL | string): SQL {
  return sql`exists (select 1 from ${chargeAttempts} a join ${invoices} i on i.id = a.invoice_id
    where i.subscription_id = ${subscriptionId} and i.status = 'open'
      and a.status in ${sqlList(UNRESOLVED_ATTEMPT_STATUSES)})`;
}

async function expireIncomplete(db: Db, now: Date, batch: number): Promise<number> {
  const rows = await db
    .select({ id: subscriptions.id })
    .from(subscriptions)
    .where(
      and(
        eq(subscriptions.status, 'incomplete'),
        lte(subscriptions.incompleteExpiresAt, now),
        not(hasUnresolvedAttempt(sql`${subscriptions.id}`)),
      ),
    )
    .limit(batch);
  let n = 0;
  for (const { id } of rows) {
    const done = await db.transaction(async (tx) => {
      const sub = await lockSubscription(tx, id, { skipLocked: true });
      if (sub?.status !== 'incomplete' || !sub.incompleteExpiresAt || sub.incompleteExpiresAt > now) return false;
      // Re-checked under the subscription lock, which every charge attempt also takes.
      const unresolved = await tx.execute<{ u: boolean }>(sql`select ${hasUnresolvedAttempt(id)} as u`);
      if (unresolved.rows[0]?.u) return false;
      await tx
        .update(subscriptions)
        .set({ status: 'incomplete_expired', nextRenewalAt: null, updatedAt: now })
        .where(eq(subscriptions.id, id));
      await tx
        .update(invoices)
        .set({ status: 'void', nextAttemptAt: null, actionDeadline: null })
        .where(and(eq(invoices.subscriptionId, id), inArray(invoices.status, [...COLLECTABLE_INVOICE])));
      await recordEvent(
        tx,
        subscriptionTransition(sub, 'incomplete', 'incomplete_expired', now, { reason: sub.statusReason }),
      );
      return true;
    });
    if (done) n += 1;
  }
  return n;
}
