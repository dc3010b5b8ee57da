import { and, asc, desc, eq, gt, inArray, lt, or } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { chargeAttempts, gatewayNotifications } from '../db/schema.ts';
import type { TransactionRecord } from '../asiabill/types.ts';
import { formatGatewayTime } from '../asiabill/gatewayTime.ts';
import { errorMessage } from '../errors.ts';
import { applyOutcome, type Outcome } from './outcome.ts';
import { PENDING_POLL_GIVE_UP_MS, pendingCheckDue } from '../billing/reconcilePolicy.ts';
import { isOpen, UNRESOLVED_ATTEMPT_STATUSES } from '../billing/attemptStatus.ts';

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
/** A `started` attempt younger than this may still be in a live worker's hands. */
export const STARTED_GRACE_MS = 5 * 1000;

/** The search window's zone is a guess (asiabill/gatewayTime.ts), so query generously. */
const SEARCH_WINDOW_PAD_MS = 24 * 3600 * 1000;

export interface ReconcileReport {
  checked: number;
  resolved: number;
  notCharged: number;
  stillOpen: number;
}

export async function reconcileOpenAttempts(ctx: AppContext, opts: { batch?: number } = {}): Promise<ReconcileReport> {
  const wallNow = ctx.wall.now();
  const startedBefore = new Date(wallNow.getTime() - ctx.config.gateway.timeoutMs - STARTED_GRACE_MS);
  const batch = opts.batch ?? 200;
  // Unknown outcomes first: they block a new attempt, and they resolve within ~12 minutes.
  const unresolved = await ctx.db
    .select({ id: chargeAttempts.id })
    .from(chargeAttempts)
    .where(
      or(
        eq(chargeAttempts.status, 'unknown'),
        and(eq(chargeAttempts.status, 'started'), lt(chargeAttempts.requestTime, startedBefore)),
      ),
    )
    .orderBy(asc(chargeAttempts.requestTime))
    .limit(batch);
  const pending = await ctx.db
    .select({ id: chargeAttempts.id, requestTime: chargeAttempts.requestTime, checks: chargeAttempts.reconcileChecks })
    .from(chargeAttempts)
    .where(
      and(
        eq(chargeAttempts.status, 'pending'),
        gt(chargeAttempts.requestTime, new Date(wallNow.getTime() - PENDING_POLL_GIVE_UP_MS)),
      ),
    )
    .orderBy(asc(chargeAttempts.requestTime))
    .limit(batch * 5);
  const rows = [
    ...unresolved,
    ...pending.filter((p) => pendingCheckDue(p.requestTime, p.checks, wallNow)).slice(0, batch),
  ];
  const report: ReconcileReport = { checked: 0, resolved: 0, notCharged: 0, stillOpen: 0 };
  for (const { id } of rows) {
    report.checked += 1;
    try {
      const r = await reconcileAttempt(ctx, id);
      if (r === 'not_charged') report.notCharged += 1;
      else if (r === 'resolved') report.resolved += 1;
      else report.stillOpen += 1;
    } catch (err) {
      report.stillOpen += 1;
      ctx.logger.warn({ attemptId: id, err: errorMessage(err) }, 'reconcile failed; will retry');
    }
  }
  return report;
}

export async function reconcileAttempt(
  ctx: AppContext,
  attemptId: string,
): Promise<'resolved' | 'not_charged' | 'open'> {
  const attempt = (await ctx.db.select().from(chargeAttempts).where(eq(chargeAttempts.id, attemptId)))[0];
  if (!attempt || !isOpen(attempt.status)) return 'resolved';

  const outcome =
    (await fromStoredNotification(ctx, attempt.orderNo)) ??
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

async function fromStoredNotification(ctx: AppContext, orderNo: string): Promise<Outcome | null> {
  const rows = await ctx.db
    .select()
    .from(gatewayNotifications)
    .where(
      and(
        eq(gatewayNotifications.orderNo, orderNo),
        inArray(gatewayNotifications.type, ['transaction.success', 'transaction.fail']),
      ),
    )
    .orderBy(desc(gatewayNotifications.receivedAt));
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
export async function lookUpOrder(ctx: AppContext, orderNo: string, requestTime: Date): Promise<Outcome | null> {
  return (await fromStoredNotification(ctx, orderNo)) ?? (await fromGatewaySearch(ctx, orderNo, requestTime));
}
