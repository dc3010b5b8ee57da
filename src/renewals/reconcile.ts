import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { chargeAttempts, gatewayNotifications } from '../db/schema.ts';
import type { TransactionRecord } from '../asiabill/types.ts';
import { formatGatewayTime } from '../asiabill/gatewayTime.ts';
import { errorMessage } from '../errors.ts';
import { applyOutcome, type Outcome } from './outcome.ts';
import { PENDING_POLL_GIVE_UP_MS, pendingCheckOffsetMs } from '../billing/reconcilePolicy.ts';
import {
  isOpen,
  OPEN_ATTEMPT_STATUSES,
  UNRESOLVED_ATTEMPT_STATUSES,
  type AttemptStatus,
} from '../billing/attemptStatus.ts';
import { MAX_GATEWAY_TIMEOUT_MS } from '../billing/attemptDeadline.ts';
import {
  nextLookupAt,
  RECONCILE_PASS_BATCH,
  RECONCILE_PASS_BUDGET_MS,
  UNRESOLVED_ALERT_AFTER_MS,
} from '../billing/reconcileSchedule.ts';
import { recordEvents } from '../events/outbox.ts';
import { chargeUnresolved } from '../events/builders.ts';
import { AMOUNT_MISMATCH, notificationMatchesAttempt } from './notificationAmount.ts';

/**
 * Resolves attempts whose outcome is open, without ever charging blindly:
 *  - `started` (worker died around the call) and `unknown` (no response) attempts are looked
 *    up in AsiaBill's transaction search by orderNo, and in notifications we already stored;
 *  - if the gateway has the order, its status is applied;
 *  - if it does not, and the signed request-time is more than REQUEST_WINDOW + margin in the
 *    past (real wall time), the request can no longer be accepted by AsiaBill (it rejects a
 *    request-time more than 10 minutes off), so the attempt is `not_charged` and a new
 *    attempt — with a new orderNo — becomes safe.
 *  - `pending` attempts (3-D Secure) are looked up too, in case a notification was lost.
 */
export const REQUEST_WINDOW_MS = 10 * 60 * 1000;
/**
 * Covers clock skew between us and AsiaBill (the window is judged on *their* clock) plus
 * search-index lag. It must stay larger than the worst skew NTP allows on the engine hosts.
 */
export const RECONCILE_MARGIN_MS = 2 * 60 * 1000;
/** A `started` attempt is left alone this long past its worker's own deadline (`respond_by`). */
export const STARTED_GRACE_MS = 5 * 1000;

/** The search window's zone is a guess (asiabill/gatewayTime.ts), so query generously. */
const SEARCH_WINDOW_PAD_MS = 24 * 3600 * 1000;

export interface ReconcileReport {
  checked: number;
  resolved: number;
  notCharged: number;
  stillOpen: number;
  /** Lookups that threw (gateway search error…): backed off like any other lookup. */
  failed: number;
  /** Due attempts left for the next pass because this one ran out of its time budget. */
  deferred: number;
  /** Attempts newly reported as `charge.unresolved` by this pass. */
  alerted: number;
}

/**
 * One reconcile pass (its own queue and worker: a slow or failing transaction search never
 * delays renewals). Selection and scheduling only — what a lookup decides is reconcileAttempt:
 *  - alerts first (one query, whatever the budget): every attempt still unresolved an hour
 *    after its request raises `charge.unresolved` and an error log, once;
 *  - due attempts are those whose next check time has come; a `started` attempt only once the
 *    worker that made it has given up (its own `respond_by`, never this process's timeout);
 *  - unresolved (`started`/`unknown`) before `pending`, then least recently checked first, so
 *    attempts whose lookup keeps failing rotate to the back instead of blocking newer ones;
 *  - each lookup is claimed by pushing the attempt's next check back *before* the gateway is
 *    asked (billing/reconcileSchedule.ts): a failure, a crash or a concurrent pass all leave it
 *    backed off;
 *  - the pass stops starting lookups when its time budget is spent (after at least one).
 */
export async function reconcileOpenAttempts(
  ctx: AppContext,
  opts: { batch?: number; budgetMs?: number } = {},
): Promise<ReconcileReport> {
  const passStart = performance.now();
  const budgetMs = opts.budgetMs ?? RECONCILE_PASS_BUDGET_MS;
  const report: ReconcileReport = {
    checked: 0,
    resolved: 0,
    notCharged: 0,
    stillOpen: 0,
    failed: 0,
    deferred: 0,
    alerted: 0,
  };
  report.alerted = await alertLongUnresolved(ctx);
  const due = await dueForLookup(ctx, opts.batch ?? RECONCILE_PASS_BATCH);
  for (const [i, attempt] of due.entries()) {
    // At least one lookup per pass, however slow the queries before it were: passes make progress.
    if (report.checked > 0 && performance.now() - passStart > budgetMs) {
      report.deferred = due.length - i;
      break;
    }
    if (!(await claimLookup(ctx, attempt))) continue;
    report.checked += 1;
    try {
      const r = await reconcileAttempt(ctx, attempt.id);
      if (r === 'not_charged') report.notCharged += 1;
      else if (r === 'resolved') report.resolved += 1;
      else report.stillOpen += 1;
    } catch (err) {
      report.failed += 1;
      report.stillOpen += 1;
      ctx.logger.warn({ attemptId: attempt.id, err: errorMessage(err) }, 'reconcile lookup failed; backed off');
    }
  }
  if (report.deferred > 0)
    ctx.logger.info({ deferred: report.deferred, budgetMs }, 'reconcile pass budget spent; the rest waits');
  return report;
}

interface LookupCandidate {
  id: string;
  status: AttemptStatus;
  requestTime: Date;
  reconcileChecks: number;
}

async function dueForLookup(ctx: AppContext, batch: number): Promise<LookupCandidate[]> {
  const wallNow = ctx.wall.now();
  // A `started` attempt may still be in its worker's hands until that worker's own deadline.
  const startedBefore = new Date(wallNow.getTime() - STARTED_GRACE_MS);
  const legacyStartedBefore = new Date(startedBefore.getTime() - MAX_GATEWAY_TIMEOUT_MS);
  const pendingAfter = new Date(wallNow.getTime() - PENDING_POLL_GIVE_UP_MS);
  const a = chargeAttempts;
  return ctx.db
    .select({ id: a.id, status: a.status, requestTime: a.requestTime, reconcileChecks: a.reconcileChecks })
    .from(a)
    .where(
      and(
        inArray(a.status, [...OPEN_ATTEMPT_STATUSES]),
        or(isNull(a.nextCheckAt), lte(a.nextCheckAt, wallNow)),
        or(
          ne(a.status, 'started'),
          lt(a.respondBy, startedBefore),
          and(isNull(a.respondBy), lt(a.requestTime, legacyStartedBefore)),
        ),
        or(ne(a.status, 'pending'), gt(a.requestTime, pendingAfter)),
      ),
    )
    .orderBy(sql`${a.status} = 'pending'`, sql`${a.lastCheckedAt} asc nulls first`, asc(a.requestTime))
    .limit(batch);
}

/** Pushes the attempt's next check back before looking it up; false if another pass took it. */
async function claimLookup(ctx: AppContext, c: LookupCandidate): Promise<boolean> {
  const wallNow = ctx.wall.now();
  const next =
    c.status === 'pending'
      ? // 3-D Secure waits on the customer: its own polling schedule, or the age back-off if later.
        new Date(
          Math.max(
            c.requestTime.getTime() + pendingCheckOffsetMs(c.reconcileChecks + 1),
            nextLookupAt(c.requestTime, wallNow).getTime(),
          ),
        )
      : nextLookupAt(
          c.requestTime,
          wallNow,
          new Date(c.requestTime.getTime() + REQUEST_WINDOW_MS + RECONCILE_MARGIN_MS),
        );
  const claimed = await ctx.db
    .update(chargeAttempts)
    .set({ lastCheckedAt: wallNow, nextCheckAt: next })
    .where(
      and(
        eq(chargeAttempts.id, c.id),
        eq(chargeAttempts.status, c.status),
        or(isNull(chargeAttempts.nextCheckAt), lte(chargeAttempts.nextCheckAt, wallNow)),
      ),
    )
    .returning({ id: chargeAttempts.id });
  return claimed.length > 0;
}

/** `charge.unresolved` (event + error log), once per attempt, for outcomes unknown for an hour. */
async function alertLongUnresolved(ctx: AppContext): Promise<number> {
  const wallNow = ctx.wall.now();
  const cutoff = new Date(wallNow.getTime() - UNRESOLVED_ALERT_AFTER_MS);
  const now = await ctx.time.now();
  const a = chargeAttempts;
  const alerted = await ctx.db.transaction(async (tx) => {
    const rows = await tx
      .update(a)
      .set({ unresolvedAlertedAt: wallNow })
      .where(
        inArray(
          a.id,
          tx
            .select({ id: a.id })
            .from(a)
            .where(
              and(
                inArray(a.status, [...UNRESOLVED_ATTEMPT_STATUSES]),
                isNull(a.unresolvedAlertedAt),
                lte(a.requestTime, cutoff),
              ),
            )
            .limit(RECONCILE_PASS_BATCH),
        ),
      )
      .returning();
    await recordEvents(
      tx,
      rows.map((r) => chargeUnresolved(r, { ageMs: wallNow.getTime() - r.requestTime.getTime() }, now)),
    );
    return rows;
  });
  for (const r of alerted) {
    ctx.logger.error(
      {
        attemptId: r.id,
        orderNo: r.orderNo,
        invoiceId: r.invoiceId,
        status: r.status,
        requestTime: r.requestTime.toISOString(),
        checks: r.reconcileChecks,
      },
      'charge outcome still unresolved after an hour: check AsiaBill for this order',
    );
  }
  return alerted.length;
}

export async function reconcileAttempt(
  ctx: AppContext,
  attemptId: string,
): Promise<'resolved' | 'not_charged' | 'open'> {
  const attempt = (await ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, attemptId)))[0];
  if (!attempt || !isOpen(attempt.status)) return 'resolved';

  const outcome =
    (await fromStoredNotification(ctx, attempt)) ??
    (await fromGatewaySearch(ctx, attempt.orderNo, attempt.requestTime));
  const wallNow = ctx.wall.now();
  let decided: Outcome | null = outcome;
  // `not_charged` only for an attempt nobody heard back about and that has no tradeNo (a
  // tradeNo means AsiaBill has the order), written as a compare-and-set on the status seen
  // here: a `transaction.pending` committed since this unlocked read makes it a no-op.
  if (
    !decided &&
    UNRESOLVED_ATTEMPT_STATUSES.includes(attempt.status) &&
    attempt.tradeNo === null &&
    wallNow.getTime() > attempt.requestTime.getTime() + REQUEST_WINDOW_MS + RECONCILE_MARGIN_MS
  ) {
    decided = {
      status: 'not_charged',
      orderInfo: `not known to AsiaBill ${Math.round((wallNow.getTime() - attempt.requestTime.getTime()) / 1000)}s after its request-time`,
      seenStatus: attempt.status,
    };
  }
  if (!decided || decided.status === attempt.status) {
    await ctx.db
      .update(chargeAttempts)
      .set({ reconcileChecks: attempt.reconcileChecks + 1 })
      .where(eq(chargeAttempts.id, attemptId));
    return 'open';
  }
  const now = await ctx.time.now();
  const decidedOutcome = decided;
  const applied = await ctx.db.transaction((tx) => applyOutcome(tx, attemptId, decidedOutcome, now, 'reconcile'));
  ctx.logger.info(
    { orderNo: attempt.orderNo, from: attempt.status, to: decided.status, applied: applied?.applied },
    'reconciled charge attempt',
  );
  if (!applied?.applied) return 'open';
  return decided.status === 'not_charged' ? 'not_charged' : 'resolved';
}

async function fromStoredNotification(
  ctx: AppContext,
  attempt: { orderNo: string; amount: number; currency: string },
): Promise<Outcome | null> {
  const orderNo = attempt.orderNo;
  const stored = await ctx.db
    .select()
    .from(gatewayNotifications)
    .where(
      and(
        eq(gatewayNotifications.orderNo, orderNo),
        inArray(gatewayNotifications.type, ['transaction.success', 'transaction.fail']),
      ),
    )
    .orderBy(desc(gatewayNotifications.receivedAt));
  // Only notifications for exactly this attempt's money count (rows from before amounts were
  // stored have neither and are taken as before).
  const rows = stored.filter(
    (r) =>
      r.result !== AMOUNT_MISMATCH &&
      ((r.orderAmount === null && r.orderCurrency === null) || notificationMatchesAttempt(r, attempt)),
  );
  const success = rows.find((r) => r.orderStatus === 'success');
  if (success) return { status: 'succeeded', tradeNo: success.tradeNo ?? undefined };
  const fail = rows.find((r) => r.orderStatus === 'fail');
  if (fail) return { status: 'failed', tradeNo: fail.tradeNo ?? undefined, orderInfo: 'declined (from notification)' };
  return null;
}

async function fromGatewaySearch(ctx: AppContext, orderNo: string, requestTime: Date): Promise<Outcome | null> {
  const page = await ctx.gateway.searchTransactions({
    orderNo,
    startTime: formatGatewayTime(new Date(requestTime.getTime() - SEARCH_WINDOW_PAD_MS)),
    endTime: formatGatewayTime(new Date(requestTime.getTime() + SEARCH_WINDOW_PAD_MS)),
    pageIndex: 1,
    pageSize: 10,
  });
  const rec: TransactionRecord | undefined = page.list.find((r) => r.orderNo === orderNo);
  if (!rec) return null;
  if (rec.tradeStatus === 'success') return { status: 'succeeded', tradeNo: rec.tradeNo, orderInfo: rec.tradeInfo };
  if (rec.tradeStatus === 'fail')
    return { status: 'failed', tradeNo: rec.tradeNo, orderInfo: rec.tradeInfo || 'declined' };
  return { status: 'pending', tradeNo: rec.tradeNo, orderInfo: rec.tradeInfo };
}

/**
 * What we know about an order, from a stored notification or else AsiaBill's transaction
 * search; null when the gateway does not have it. Used at a customer-action deadline
 * (dunning/deadlines.ts) to ask the gateway once more before abandoning.
 */
export async function lookUpOrder(
  ctx: AppContext,
  attempt: { orderNo: string; amount: number; currency: string; requestTime: Date },
): Promise<Outcome | null> {
  return (
    (await fromStoredNotification(ctx, attempt)) ?? (await fromGatewaySearch(ctx, attempt.orderNo, attempt.requestTime))
  );
}
