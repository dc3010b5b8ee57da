import { and, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { chargeAttempts, invoices, refunds } from '../db/schema.ts';
import type { RefundRow } from '../db/rows.ts';
import { lockInvoice, lockSubscription } from '../db/locks.ts';
import { ConflictError, NotFoundError, ValidationError, errorMessage } from '../errors.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { toAsiabillOrderAmount } from '../money.ts';
import { refundOutcome } from '../asiabill/codes.ts';
import { AsiabillApiError, AsiabillValidationError } from '../asiabill/errors.ts';
import { LIVE_REFUND_STATUSES, OPEN_REFUND_STATUSES, isRefundFinal } from '../billing/refundStatus.ts';
import {
  DUPLICATE_CHARGE_REASON,
  REFUND_RESEND_AFTER_MS,
  REFUND_STATUS_EVERY_MS,
  duplicateRefundTrackNo,
} from '../billing/refundPolicy.ts';
import { recordEvent } from '../events/outbox.ts';
import { refundEvent } from '../events/builders.ts';

/**
 * Refunds through AsiaBill's OpenAPI refund call, written like charges:
 *   1. under the subscription → invoice locks: check the refundable amount (the charge minus
 *      every refund that is not failed — over-refunds are refused here, before any call) and
 *      write the refund row, whose id is the merTrackNo sent to AsiaBill;
 *   2. after the commit, call refund once; the answer (or a lost answer) never decides the
 *      final state on its own: `success`/`fail` from the answer, a `refund.*` notification or
 *      the refund status call move the row forward, monotonically (requested → pending →
 *      succeeded | failed);
 *   3. `followOpenRefunds` (run by the reconcile job) resends requested refunds with the SAME
 *      merTrackNo and asks about pending ones, so every refund reaches a final state.
 */
export interface RefundView {
  id: string;
  invoiceId: string;
  attemptId: string;
  amount: number;
  currency: string;
  status: RefundRow['status'];
  batchNo: string | null;
  reason: string;
  failureReason: string | null;
}

export function refundView(r: RefundRow): RefundView {
  return {
    id: r.id,
    invoiceId: r.invoiceId,
    attemptId: r.attemptId,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    batchNo: r.batchNo,
    reason: r.reason,
    failureReason: r.failureReason,
  };
}

/** Minor units of a charge attempt that are not refunded nor on their way back. */
async function refundableOf(tx: Tx, attemptId: string, amount: number): Promise<number> {
  const r = await tx
    .select({ n: sql<number>`coalesce(sum(${refunds.amount}), 0)::bigint` })
    .from(refunds)
    .where(and(eq(refunds.attemptId, attemptId), inArray(refunds.status, [...LIVE_REFUND_STATUSES])));
  return amount - Number(r[0]?.n ?? 0);
}

export async function refundInvoice(
  ctx: AppContext,
  invoiceId: string,
  opts: { amount?: number; reason?: string } = {},
): Promise<RefundView> {
  if (opts.amount !== undefined && (!Number.isSafeInteger(opts.amount) || opts.amount <= 0)) {
    throw new ValidationError('amount', 'positive amount', `${opts.amount} is not a positive amount`);
  }
  const now = await ctx.time.now();
  const id = await ctx.db.transaction(async (tx) => {
    const peek = (await tx.select({ s: invoices.subscriptionId }).from(invoices).where(eq(invoices.id, invoiceId)))[0];
    if (!peek) throw new NotFoundError('invoice', invoiceId);
    await lockSubscription(tx, peek.s);
    const invoice = await lockInvoice(tx, invoiceId);
    if (!invoice) throw new NotFoundError('invoice', invoiceId);
    const paid = (
      await tx
        .select()
        .from(chargeAttempts)
        .where(and(eq(chargeAttempts.invoiceId, invoiceId), eq(chargeAttempts.status, 'succeeded')))
    )[0];
    if (!paid?.tradeNo) {
      throw new ConflictError(`invoice ${invoiceId} has no successful charge to refund (status ${invoice.status})`);
    }
    return insertRefund(tx, {
      invoiceId,
      attempt: { id: paid.id, amount: paid.amount, currency: paid.currency, tradeNo: paid.tradeNo },
      amount: opts.amount,
      reason: opts.reason ?? 'requested by merchant',
      now,
    });
  });
  return sendRefund(ctx, id);
}

/** Writes a refund intent in the caller's transaction (the invoice must be locked by it). */
export async function insertRefund(
  tx: Tx,
  input: {
    invoiceId: string;
    attempt: { id: string; amount: number; currency: string; tradeNo: string };
    amount?: number;
    reason: string;
    now: Date;
    merTrackNo?: string;
  },
): Promise<string> {
  const refundable = await refundableOf(tx, input.attempt.id, input.attempt.amount);
  const amount = input.amount ?? refundable;
  if (refundable <= 0)
    throw new ConflictError(`invoice ${input.invoiceId}: nothing left to refund (refunded or being refunded)`);
  if (amount > refundable) {
    throw new ValidationError(
      'amount',
      'at most the refundable amount',
      `${amount} is more than the ${refundable} (minor units, ${input.attempt.currency}) left to refund`,
    );
  }
  const id = newId(ID_PREFIX.refund);
  const row = {
    id,
    invoiceId: input.invoiceId,
    attemptId: input.attempt.id,
    tradeNo: input.attempt.tradeNo,
    merTrackNo: input.merTrackNo ?? id,
    amount,
    currency: input.attempt.currency,
    full: amount === refundable,
    reason: input.reason,
    status: 'requested' as const,
    createdAt: input.now,
  };
  const inserted = await tx.insert(refunds).values(row).onConflictDoNothing().returning({ id: refunds.id });
  if (inserted.length === 0) return id;
  await recordEvent(tx, refundEvent('created', row, {}, input.now));
  return id;
}

/**
 * The duplicate-success hook (renewals/outcome.ts): a second successful charge for one invoice
 * is refunded in full. Only the intent is written here, inside the outcome's transaction; the
 * call goes out after the commit (followOpenRefunds, or the caller). Idempotent per attempt.
 */
export async function queueDuplicateRefund(
  tx: Tx,
  input: {
    invoiceId: string;
    attempt: { id: string; amount: number; currency: string };
    tradeNo: string | null;
    now: Date;
  },
): Promise<string | null> {
  if (!input.tradeNo) return null;
  const merTrackNo = duplicateRefundTrackNo(input.attempt.id);
  const exists = (await tx.select({ id: refunds.id }).from(refunds).where(eq(refunds.merTrackNo, merTrackNo)))[0];
  if (exists) return null;
  return insertRefund(tx, {
    invoiceId: input.invoiceId,
    attempt: { ...input.attempt, tradeNo: input.tradeNo },
    reason: DUPLICATE_CHARGE_REASON,
    now: input.now,
    merTrackNo,
  });
}

/** Sends (or re-sends, same merTrackNo) a requested refund and records the answer. */
export async function sendRefund(ctx: AppContext, refundId: string): Promise<RefundView> {
  const row = (await ctx.db.select().from(refunds).where(eq(refunds.id, refundId)))[0];
  if (!row) throw new NotFoundError('refund', refundId);
  if (row.status !== 'requested') return refundView(row);
  await ctx.db
    .update(refunds)
    .set({ lastSentAt: ctx.wall.now(), sendCount: sql`${refunds.sendCount} + 1` })
    .where(eq(refunds.id, refundId));
  try {
    const res = await ctx.gateway.refund({
      tradeNo: row.tradeNo,
      merTrackNo: row.merTrackNo,
      refundAmount: toAsiabillOrderAmount({ amount: row.amount, currency: row.currency }),
      refundType: row.full ? '1' : '2',
      refundReason: row.reason,
    });
    await applyRefundState(
      ctx,
      { refundId, status: refundOutcome(res.refundStatus), batchNo: res.batchNo },
      'response',
    );
  } catch (err) {
    if ((err instanceof AsiabillApiError && err.refusedBeforeProcessing) || err instanceof AsiabillValidationError) {
      // A definite refusal (e.g. more than the gateway thinks is refundable): nothing moved.
      await applyRefundState(
        ctx,
        { refundId, status: 'failed', failureReason: errorMessage(err).slice(0, 500) },
        'response',
      );
    } else {
      // No readable answer: the gateway may have it. It stays `requested` and is re-sent with
      // the same merTrackNo, which the gateway answers with the refund it already has.
      ctx.logger.warn({ refundId, err: errorMessage(err) }, 'refund outcome unknown; will resend');
    }
  }
  const after = (await ctx.db.select().from(refunds).where(eq(refunds.id, refundId)))[0];
  if (!after) throw new NotFoundError('refund', refundId);
  return refundView(after);
}

export type RefundState = {
  refundId: string;
  status: 'pending' | 'succeeded' | 'failed';
  batchNo?: string;
  failureReason?: string;
};

export async function applyRefundState(ctx: AppContext, s: RefundState, source: string): Promise<boolean> {
  const now = await ctx.time.now();
  return ctx.db.transaction((tx) => applyRefundStateInTx(tx, s, source, now));
}

/** Monotonic: requested → pending → succeeded | failed; a final state never changes. */
export async function applyRefundStateInTx(tx: Tx, s: RefundState, source: string, now: Date): Promise<boolean> {
  const peek = (await tx.select().from(refunds).where(eq(refunds.id, s.refundId)))[0];
  if (!peek) return false;
  const invoice = (
    await tx.select({ s: invoices.subscriptionId }).from(invoices).where(eq(invoices.id, peek.invoiceId))
  )[0];
  // Canonical lock order (subscription → invoice) before the refund row itself.
  if (invoice) await lockSubscription(tx, invoice.s);
  await lockInvoice(tx, peek.invoiceId);
  const row = (await tx.select().from(refunds).where(eq(refunds.id, s.refundId)).for('update'))[0];
  if (!row || isRefundFinal(row.status)) return false;
  if (s.status === 'pending') {
    if (row.status === 'pending' && (row.batchNo || !s.batchNo)) return false;
    await tx
      .update(refunds)
      .set({ status: 'pending', batchNo: row.batchNo ?? s.batchNo ?? null })
      .where(eq(refunds.id, row.id));
    if (row.status !== 'pending')
      await recordEvent(tx, refundEvent('pending', row, { batchNo: s.batchNo ?? null, source }, now));
    return true;
  }
  await tx
    .update(refunds)
    .set({
      status: s.status,
      batchNo: row.batchNo ?? s.batchNo ?? null,
      failureReason: s.status === 'failed' ? (s.failureReason ?? 'refund failed') : null,
      finishedAt: now,
    })
    .where(eq(refunds.id, row.id));
  if (s.status === 'succeeded') {
    // The invoice shows what was refunded of its own payment; a refunded duplicate charge
    // was never the invoice's payment, so it does not count there.
    const ownPayment = (
      await tx
        .select({ id: chargeAttempts.id })
        .from(chargeAttempts)
        .where(and(eq(chargeAttempts.id, row.attemptId), eq(chargeAttempts.status, 'succeeded')))
    )[0];
    if (ownPayment) {
      await tx
        .update(invoices)
        .set({ amountRefunded: sql`${invoices.amountRefunded} + ${row.amount}` })
        .where(eq(invoices.id, row.invoiceId));
    }
  }
  await recordEvent(
    tx,
    refundEvent(
      s.status,
      row,
      { batchNo: row.batchNo ?? s.batchNo ?? null, failureReason: s.failureReason ?? null, source },
      now,
    ),
  );
  return true;
}

export interface RefundFollowReport {
  resent: number;
  checked: number;
}

/** Every open refund moves toward a final state: resend requested ones, ask about pending ones. */
export async function followOpenRefunds(ctx: AppContext, opts: { force?: boolean } = {}): Promise<RefundFollowReport> {
  const wall = ctx.wall.now().getTime();
  const resendBefore = new Date(opts.force ? wall + 1 : wall - REFUND_RESEND_AFTER_MS);
  const askBefore = new Date(opts.force ? wall + 1 : wall - REFUND_STATUS_EVERY_MS);
  const open = await ctx.db
    .select()
    .from(refunds)
    .where(
      and(
        inArray(refunds.status, [...OPEN_REFUND_STATUSES]),
        or(isNull(refunds.lastSentAt), lte(refunds.lastSentAt, resendBefore), lte(refunds.lastSentAt, askBefore)),
      ),
    )
    .limit(500);
  const report: RefundFollowReport = { resent: 0, checked: 0 };
  for (const r of open) {
    try {
      if (r.status === 'requested' && (r.lastSentAt === null || r.lastSentAt <= resendBefore)) {
        await sendRefund(ctx, r.id);
        report.resent += 1;
      } else if (r.status === 'pending' && r.batchNo && (r.lastSentAt === null || r.lastSentAt <= askBefore)) {
        await ctx.db.update(refunds).set({ lastSentAt: ctx.wall.now() }).where(eq(refunds.id, r.id));
        const res = await ctx.gateway.refundStatus(r.batchNo);
        await applyRefundState(
          ctx,
          { refundId: r.id, status: refundOutcome(res.refundStatus), batchNo: r.batchNo },
          'status',
        );
        report.checked += 1;
      }
    } catch (err) {
      ctx.logger.warn({ refundId: r.id, err: errorMessage(err) }, 'refund follow-up failed; will retry');
    }
  }
  return report;
}

export async function refundsOfInvoice(ctx: Pick<AppContext, 'db'>, invoiceId: string): Promise<RefundView[]> {
  const rows = await ctx.db.select().from(refunds).where(eq(refunds.invoiceId, invoiceId)).orderBy(refunds.createdAt);
  return rows.map(refundView);
}
