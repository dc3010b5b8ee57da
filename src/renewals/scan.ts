import { and, asc, eq, gt, inArray, isNotNull, lte, not, notExists, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { chargeAttempts, invoices, subscriptions } from '../db/schema.ts';
import { OPEN_ATTEMPT_STATUSES, UNRESOLVED_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';
import { sqlList } from '../db/sqlLists.ts';
import { COLLECTABLE_INVOICE } from '../billing/subscriptionStatus.ts';
import { recordEvent } from '../events/outbox.ts';
import { subscriptionTransition } from '../events/builders.ts';
import type { ChargeJob } from '../queue/names.ts';
import { renewDuePage } from './renewPage.ts';
import { lockSubscription } from '../db/locks.ts';
import { announceTrialsEnding, resumeDuePaused } from '../subscriptions/scheduled.ts';
import type { StuckDueTracker } from './stuckDue.ts';

/**
 * The scheduler's scan: re-derives every piece of due work from Postgres. It is the reason a
 * Redis wipe, a crashed worker or a scheduler that was down for a day lose nothing — whatever
 * is due is found again here and (re-)enqueued under a job id derived from Postgres ids.
 *
 * Paging is keyset-based ((due_at, id) > cursor) so a scan over millions of rows never uses
 * OFFSET; due subscriptions are renewed a page per transaction (renewPage.ts), up to
 * SCAN_PARALLEL_PAGES pages at a time, and a page's charges are enqueued in one round trip (addBulk).
 *
 * Back-pressure: Redis holds only a bounded look-ahead of charge jobs. With `maxQueued` set,
 * the scan enqueues only while the charge queue holds fewer jobs than that; the rest of the
 * due work stays in Postgres (open invoices, due, no attempt) and the scan reports `more`, so
 * a follow-up scan tops the queue up as the workers drain it. Redis memory then depends on
 * maxQueued, not on how many renewals fall due at once.
 */

/** How soon a scan that left due work behind (queue full) runs again: well under the time the workers need to drain half the look-ahead. */
export const SCAN_FOLLOW_UP_MS = 1_000;

/** Pages of due subscriptions renewed at once: overlaps Postgres round trips with the scheduler's CPU; each holds one pooled connection (of 10). */
export const SCAN_PARALLEL_PAGES = 4;

export interface ScanDeps {
  db: Db;
  enqueueCharge(job: ChargeJob): Promise<void>;
  /** Many jobs in one round trip (BullMQ addBulk); without it, enqueueCharge one by one. */
  enqueueCharges?(jobs: ChargeJob[]): Promise<void>;
  batchSize: number;
  /** Charge jobs waiting in the queue now (for back-pressure). Without it, nothing is held back. */
  queuedCharges?(): Promise<number>;
  /** The look-ahead: most charge jobs the scan lets wait in Redis. */
  maxQueued?: number;
  /** How long before a trial ends `subscription.trial_will_end` is recorded (0 = not announced). */
  trialWillEndMs?: number;
  /** Due invoices seen again and again without an attempt: their jobs are checked (stuckDue.ts). */
  stuck?: StuckDueTracker;
  repairCharge?(job: ChargeJob): Promise<boolean>;
  /** Real wall time in ms (the tracker's clock); Date.now unless a test passes its own. */
  wallNow?: () => number;
}

export interface ScanReport {
  renewed: number;
  ended: number;
  enqueued: number;
  expired: number;
  resumed: number;
  trialsEnding: number;
  /** Due invoices left in Postgres because the charge queue was full. */
  deferred: number;
  /** The queue was full: due work may remain, scan again soon. */
  more: boolean;
  /** Stray charge jobs removed and enqueued again (renewals/stuckDue.ts). */
  repaired: number;
}

export async function scanDueWork(deps: ScanDeps, now: Date): Promise<ScanReport> {
  const report: ScanReport = {
    renewed: 0,
    ended: 0,
    enqueued: 0,
    expired: 0,
    resumed: 0,
    trialsEnding: 0,
    deferred: 0,
    more: false,
    repaired: 0,
  };
  // Lifecycle first: a resumed subscription's invoice is then enqueued by the pass below.
  report.resumed = await resumeDuePaused(deps.db, now, deps.batchSize);
  report.trialsEnding = await announceTrialsEnding(deps.db, now, deps.trialWillEndMs ?? 0, deps.batchSize);
  const gate = new QueueGate(deps);
  await renewDueSubscriptions(deps, gate, now, report);
  await enqueueDueInvoices(deps, gate, now, report);
  deps.stuck?.endScan();
  report.expired = await expireIncomplete(deps.db, now, deps.batchSize);
  return report;
}

/** Decides how many of a page of charge jobs go to Redis now, from the queue's current size. */
class QueueGate {
  constructor(private readonly deps: ScanDeps) {}

  get bounded(): boolean {
    return this.deps.queuedCharges !== undefined && this.deps.maxQueued !== undefined;
  }

  async room(): Promise<number> {
    if (!this.deps.queuedCharges || this.deps.maxQueued === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.deps.maxQueued - (await this.deps.queuedCharges()));
  }

  async push(jobs: ChargeJob[]): Promise<void> {
    if (jobs.length === 0) return;
    if (this.deps.enqueueCharges) await this.deps.enqueueCharges(jobs);
    else for (const j of jobs) await this.deps.enqueueCharge(j);
  }
}

async function renewDueSubscriptions(deps: ScanDeps, gate: QueueGate, now: Date, report: ScanReport): Promise<void> {
  // Pages are selected one after another (the keyset cursor) but renewed concurrently; the
  // enqueue step is serialised so that the look-ahead check and the push stay one step.
  const inFlight = new Set<Promise<void>>();
  let enqueueChain: Promise<void> = Promise.resolve();
  let failure: unknown;
  const handle = async (ids: string[]): Promise<void> => {
    // A page at a time (renewPage.ts), priced by the same next-cycle function as every renewal.
    const page = await renewDuePage(deps.db, ids, now);
    report.renewed += page.invoiced.length;
    report.ended += page.ended;
    const jobs: ChargeJob[] = page.invoiced;
    if (jobs.length === 0) return;
    const step = enqueueChain.then(async () => {
      // Invoices that do not fit stay due in Postgres; enqueueDueInvoices (now or in a later scan) sends them.
      const sendNow = jobs.slice(0, await gate.room());
      await gate.push(sendNow);
      report.enqueued += sendNow.length;
      if (sendNow.length < jobs.length) {
        report.deferred += jobs.length - sendNow.length;
        report.more = true;
      }
    });
    enqueueChain = step.catch(() => {});
    await step;
  };
  let cursor: { at: Date; id: string } | null = null;
  while (failure === undefined) {
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
    if (due.length > 0) {
      const task: Promise<void> = handle(due.map((d) => d.id))
        .catch((err: unknown) => {
          failure ??= err;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= SCAN_PARALLEL_PAGES) await Promise.race(inFlight);
    }
    const last = due[due.length - 1];
    if (due.length < deps.batchSize || !last || !last.at) break;
    cursor = { at: last.at, id: last.id };
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
}

/**
 * Open invoices whose next attempt is due and that have no attempt in flight, in due order.
 * Jobs already queued (the same job id) are no-ops in BullMQ. Under back-pressure the walk
 * only starts when the queue is at most half full, and stops after maxQueued invoices: the
 * first ones walked are mostly those already queued, so Redis holds at most about maxQueued
 * jobs and each round adds at least half of that.
 */
async function enqueueDueInvoices(deps: ScanDeps, gate: QueueGate, now: Date, report: ScanReport): Promise<void> {
  let budget = Number.POSITIVE_INFINITY;
  if (gate.bounded && deps.maxQueued !== undefined) {
    const room = await gate.room();
    if (room < deps.maxQueued / 2) {
      report.more = true;
      return;
    }
    budget = deps.maxQueued;
  }
  let cursor: { at: Date; id: string } | null = null;
  for (;;) {
    const limit = Math.min(deps.batchSize, budget);
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
      .limit(limit);
    const jobs = due.map((row) => ({ invoiceId: row.id, attemptNo: row.attemptCount + 1 }));
    await gate.push(jobs);
    report.enqueued += due.length;
    if (deps.stuck && deps.repairCharge) {
      const wallNow = (deps.wallNow ?? Date.now)();
      for (const job of jobs) {
        if (!deps.stuck.observe(job.invoiceId, wallNow)) continue;
        deps.stuck.restart(job.invoiceId, wallNow);
        if (await deps.repairCharge(job)) report.repaired += 1;
      }
    }
    budget -= due.length;
    const last = due[due.length - 1];
    if (due.length < limit || !last || !last.at) return;
    if (budget <= 0) {
      // The look-ahead is full and there may be more due: a follow-up scan continues.
      report.more = true;
      return;
    }
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
