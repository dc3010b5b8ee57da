import { createHash } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { chargeAttempts, gatewayNotifications, invoices } from '../db/schema.ts';
import { canTransition } from '../billing/attemptStatus.ts';
import { verifyNotification } from '../asiabill/notifications.ts';
import { NotificationVerificationError } from '../asiabill/errors.ts';
import type { GatewayNotification, TokenType, UnhandledNotification } from '../asiabill/types.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { recordEvent } from '../events/outbox.ts';
import { chargeNotificationMismatch, notificationUnmatched } from '../events/builders.ts';
import { formatMoney } from '../money.ts';
import { AMOUNT_MISMATCH, notificationMatchesAttempt } from './notificationAmount.ts';
import { errorMessage } from '../errors.ts';
import { applyOutcome, type Outcome } from './outcome.ts';
import { applyRefundNotification } from '../refunds/notifications.ts';
import { sendRefund } from '../refunds/refunds.ts';

/**
 * AsiaBill's async notifications. Verified over the raw body, stored (deduplicated) and applied
 * in ONE transaction; the HTTP adapter answers `success` only after that commit (an
 * `accepted` result), so a crash before it makes AsiaBill deliver again (it retries for ~17 h). Applying is idempotent and monotonic
 * (see outcome.ts), so duplicates and reordering converge on the same state.
 * A notification for an orderNo we don't have is kept; the reconciler consults stored
 * notifications before asking the gateway.
 */
export type NotificationResult =
  /** Verified and committed: AsiaBill may stop delivering it. `result` says what it did. */
  | { kind: 'accepted'; result: string }
  /** Could not be read at all: nothing recorded. */
  | { kind: 'malformed'; code: string }
  /** Signature, timestamp or headers did not verify: nothing recorded. */
  | { kind: 'unverified'; code: string };

export async function applyNotification(
  ctx: AppContext,
  input: { headers: Record<string, string | string[] | undefined>; rawBody: string },
): Promise<NotificationResult> {
  let n: GatewayNotification;
  try {
    n = verifyNotification({
      headers: input.headers,
      rawBody: input.rawBody,
      signKey: ctx.config.gateway.signKey,
      // Our own gateway number, never the header's (the header is not covered by trust).
      gatewayNo: ctx.config.gateway.gatewayNo,
      now: ctx.wall.now(),
    });
  } catch (err) {
    const code = err instanceof NotificationVerificationError ? err.code : 'BAD_BODY';
    ctx.logger.warn({ code, err: errorMessage(err) }, 'rejected AsiaBill notification');
    // Nothing was recorded: a forged notification changes nothing.
    return code === 'BAD_BODY' ? { kind: 'malformed', code } : { kind: 'unverified', code };
  }
  const now = await ctx.time.now();
  if (n.type === 'unhandled') return storeUnhandled(ctx, n, input.rawBody, now);
  let queuedRefund: string | undefined;
  const { res: result, mismatch } = await ctx.db.transaction(async (tx) => {
    const d = n.data;
    const status = 'orderStatus' in d ? d.orderStatus : null;
    const ref = 'batchNo' in d ? d.batchNo : d.tradeNo;
    const dedupeKey = `${n.type}:${ref}:${d.orderNo}:${status ?? ''}`;
    const stated = statedAmount(n);

    const outcome = outcomeOf(n);
    let res = 'recorded';
    let attemptForAlert: {
      id: string;
      orderNo: string;
      tokenType: TokenType;
      invoiceId: string;
      amount: number;
      currency: string;
    } | null = null;
    if (n.type === 'refund.success' || n.type === 'refund.fail') {
      res = await applyRefundNotification(tx, n.type, n.data, now);
    } else if (outcome) {
      const attempt = (
        await tx
          .select({
            id: chargeAttempts.id,
            orderNo: chargeAttempts.orderNo,
            tokenType: chargeAttempts.tokenType,
            status: chargeAttempts.status,
            amount: chargeAttempts.amount,
            currency: chargeAttempts.currency,
            invoiceId: chargeAttempts.invoiceId,
            subscriptionId: invoices.subscriptionId,
          })
          .from(chargeAttempts)
          .innerJoin(invoices, eq(invoices.id, chargeAttempts.invoiceId))
          .where(eq(chargeAttempts.orderNo, d.orderNo))
      )[0];
      if (!attempt) {
        res = 'unmatched';
      } else if (!notificationMatchesAttempt(stated, attempt)) {
        // Signed, but for other money than this attempt asked for: kept and alerted, never applied.
        res = AMOUNT_MISMATCH;
        attemptForAlert = attempt;
      } else if (!canTransition(attempt.status, outcome.status) && outcome.status !== 'pending') {
        // Outcomes only move up in rank, so one that cannot apply now never will: a duplicate
        // or a stale notification is recorded without taking any lock.
        res = 'no-change';
      } else {
        const applied = await applyOutcome(tx, attempt.id, outcome, now, 'notification');
        res = applied?.applied ? `applied:${applied.attempt}` : 'no-change';
        if (applied?.refundId) {
          queuedRefund = applied.refundId;
          res = 'duplicate:refund-queued';
        }
      }
    }
    const stored = await tx
      .insert(gatewayNotifications)
      .values({
        id: newId(ID_PREFIX.notification),
        dedupeKey,
        type: n.type,
        orderNo: d.orderNo,
        tradeNo: d.tradeNo,
        orderStatus: status,
        orderAmount: stated.orderAmount,
        orderCurrency: stated.orderCurrency,
        requestId: n.requestId,
        rawBody: input.rawBody,
        receivedAt: now,
        appliedAt: now,
        result: res,
      })
      .onConflictDoUpdate({
        target: gatewayNotifications.dedupeKey,
        set: { timesReceived: sql`${gatewayNotifications.timesReceived} + 1`, appliedAt: now, result: res },
      })
      .returning({ id: gatewayNotifications.id, timesReceived: gatewayNotifications.timesReceived });
    const row = stored[0];
    if (row && res === 'unmatched' && row.timesReceived === 1) {
      await recordEvent(
        tx,
        notificationUnmatched(row.id, { type: n.type, orderNo: d.orderNo, tradeNo: d.tradeNo }, now),
      );
    }
    if (row && attemptForAlert && row.timesReceived === 1) {
      await recordEvent(
        tx,
        chargeNotificationMismatch(
          attemptForAlert,
          {
            notificationId: row.id,
            type: n.type,
            tradeNo: d.tradeNo,
            statedAmount: stated.orderAmount,
            statedCurrency: stated.orderCurrency,
          },
          now,
        ),
      );
    }
    const found = attemptForAlert ? { attemptId: attemptForAlert.id, expected: formatMoney(attemptForAlert) } : null;
    return { res, mismatch: found };
  });
  if (mismatch) {
    ctx.logger.error(
      {
        type: n.type,
        orderNo: n.data.orderNo,
        attemptId: mismatch.attemptId,
        expected: mismatch.expected,
        statedAmount: statedAmount(n).orderAmount,
        statedCurrency: statedAmount(n).orderCurrency,
      },
      'AsiaBill notification amount or currency does not match the charge attempt: stored, not applied',
    );
  }
  ctx.logger.info({ type: n.type, orderNo: n.data.orderNo, result }, 'AsiaBill notification');
  // The automatic refund of a duplicate success goes out after the commit (it is a network
  // call); if this fails, the reconcile job's refund follow-up sends it.
  if (queuedRefund) {
    await sendRefund(ctx, queuedRefund).catch((err: unknown) =>
      ctx.logger.warn({ refundId: queuedRefund, err: errorMessage(err) }, 'duplicate refund not sent yet'),
    );
  }
  return { kind: 'accepted', result };
}

function statedAmount(n: GatewayNotification): { orderAmount: string | null; orderCurrency: string | null } {
  if (n.type === 'unhandled') return { orderAmount: null, orderCurrency: null };
  const d = n.data;
  // '' (stated nothing) is kept as ''; null in the table means a row from before the check.
  return { orderAmount: d.orderAmount, orderCurrency: d.orderCurrency };
}

/** A signed notification of a type we do not handle: kept (deduplicated) and acknowledged. */
async function storeUnhandled(
  ctx: AppContext,
  n: UnhandledNotification,
  rawBody: string,
  now: Date,
): Promise<NotificationResult> {
  const digest = createHash('sha256').update(rawBody, 'utf8').digest('hex');
  await ctx.db
    .insert(gatewayNotifications)
    .values({
      id: newId(ID_PREFIX.notification),
      dedupeKey: `${n.eventType}:${digest}`,
      type: n.eventType.slice(0, 200),
      orderNo: n.data.orderNo || null,
      tradeNo: n.data.tradeNo || null,
      requestId: n.requestId,
      rawBody,
      receivedAt: now,
      result: 'unhandled',
    })
    .onConflictDoUpdate({
      target: gatewayNotifications.dedupeKey,
      set: { timesReceived: sql`${gatewayNotifications.timesReceived} + 1` },
    });
  ctx.logger.warn(
    { type: n.eventType, orderNo: n.data.orderNo },
    'AsiaBill notification of a type this engine does not handle: stored and acknowledged',
  );
  return { kind: 'accepted', result: 'unhandled' };
}

function outcomeOf(n: GatewayNotification): Outcome | null {
  if (n.type === 'transaction.success')
    return { status: 'succeeded', tradeNo: n.data.tradeNo, orderInfo: n.data.orderInfo };
  if (n.type === 'transaction.fail')
    return { status: 'failed', tradeNo: n.data.tradeNo, orderInfo: n.data.orderInfo || 'declined' };
  if (n.type === 'transaction.pending')
    return { status: 'pending', tradeNo: n.data.tradeNo, orderInfo: n.data.orderInfo };
  // transaction.clear (settlement), chargebacks, pre-auth: stored; refunds are applied by
  // refunds/notifications.ts. None of them changes a charge attempt's outcome.
  return null;
}
