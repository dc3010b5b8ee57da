import type { AppContext } from '../context.ts';
import { newId, ID_PREFIX } from '../ids.ts';
import { isDuplicateOrder } from '../asiabill/codes.ts';
import { UnknownOutcomeError, AsiabillApiError } from '../asiabill/errors.ts';
import type { ConfirmChargeRequest, ConfirmChargeResult, TokenType } from '../asiabill/types.ts';
import { ValidationError, errorMessage } from '../errors.ts';
import { lockChargeTarget, type ChargeTarget } from '../db/locks.ts';
import { claimIntent } from './claimIntent.ts';
import { writeIntent } from './writeIntent.ts';
import { applyOutcome, type Outcome } from './outcome.ts';
import { buildChargeRequest, orderNoFor } from './chargeRequest.ts';
import { publicUrlOf } from './publicUrl.ts';
import { isBillable, isPayable } from '../billing/subscriptionStatus.ts';
import { checkNetworkCaps, deferForCap } from '../dunning/guards.ts';
import { attemptRespondBy } from '../billing/attemptDeadline.ts';

/**
 * Where a renewal gets charged. One call makes at most one attempt:
 *   1. under the subscription and invoice locks: re-check the invoice is open and due, the
 *      subscription billable, and no earlier attempt's outcome is still open; write the attempt
 *      row (the intent, with its orderNo and signed request-time) and commit — before any
 *      network call. A queued job does this in one statement (claimIntent.ts); a reattempt
 *      after a decline or an operator's retry in a transaction with the card-network caps;
 *   2. call confirmCharge once; a lost response is an *unknown* outcome, never a failure;
 *   3. record the outcome through applyOutcome (the same path notifications use).
 * A crash between 1 and 3 leaves a `started` attempt that the reconciler resolves.
 */
export type ChargeSkip =
  | 'invoice_not_found'
  | 'invoice_not_open'
  | 'not_billable'
  | 'not_due'
  | 'in_flight'
  | 'stale_job'
  | 'network_cap';

export type ChargeResult =
  | { kind: 'skipped'; reason: ChargeSkip }
  | {
      kind: 'attempted';
      attemptId: string;
      orderNo: string;
      tokenType: TokenType;
      status: Outcome['status'];
      orderInfo?: string;
      redirectUrl?: string;
      renewalDue: boolean;
      subscriptionId: string;
    };

export async function chargeInvoice(
  ctx: AppContext,
  invoiceId: string,
  opts: {
    expectAttemptNo?: number;
    /** An operator's or customer's retry (`billing invoices retry`, a card update): due now, also on an `unpaid` subscription. */
    manual?: boolean;
    /** The customer's IP address, for a customer-present charge; default: the merchant server's. */
    customerIp?: string;
  } = {},
): Promise<ChargeResult> {
  const now = await ctx.time.now();
  const prepared =
    (await claimQueued(ctx, invoiceId, opts, now)) ?? (await prepareInTransaction(ctx, invoiceId, opts, now));
  if (prepared.kind === 'skip') return { kind: 'skipped', reason: prepared.reason };

  const log = ctx.logger.child({ orderNo: prepared.orderNo, invoiceId, tokenType: prepared.tokenType });
  let outcome: Outcome;
  let redirectUrl: string | undefined;
  try {
    const res = await ctx.gateway.confirmCharge(prepared.request(), { requestTime: prepared.requestTime.getTime() });
    outcome = outcomeFromResponse(res);
    redirectUrl = res.redirectUrl || undefined;
  } catch (err) {
    if (err instanceof UnknownOutcomeError) {
      outcome = { status: 'unknown', orderInfo: errorMessage(err).slice(0, 500) };
    } else if ((err instanceof AsiabillApiError && err.refusedBeforeProcessing) || err instanceof ValidationError) {
      // A request-level (L000x) or parameter (P000x) refusal, or a request we refused to send:
      // definitely not charged, and not the card's fault: a merchant-side fault, never a
      // decline. The invoice is parked with back-off (dunning/invoiceDunning.ts parkRefused).
      outcome = { status: 'not_charged', orderInfo: errorMessage(err).slice(0, 500), refusalCode: err.code };
      log.error(
        { code: err.code, err: errorMessage(err) },
        'gateway refusing: charge refused before processing (merchant-side fault); invoice parked',
      );
    } else if (err instanceof AsiabillApiError) {
      // Any other code (S0001 "api request error", or one we have never seen) does not say
      // whether the order was processed: reconcile it like a lost response.
      outcome = { status: 'unknown', orderInfo: errorMessage(err).slice(0, 500) };
    } else {
      log.error(
        { err: errorMessage(err) },
        'charge call failed unexpectedly; the attempt stays open for the reconciler',
      );
      throw err;
    }
  }
  log.info({ status: outcome.status }, 'charge attempt');
  // Engine time at the end of the call, without a second clock read (under the test clock a
  // read is a query): the start time plus the real time the call took.
  const after = new Date(now.getTime() + (ctx.wall.now().getTime() - prepared.requestTime.getTime()));
  const applied = await ctx.db.transaction((tx) => applyOutcome(tx, prepared.attemptId, outcome, after, 'response'));
  return {
    kind: 'attempted',
    attemptId: prepared.attemptId,
    orderNo: prepared.orderNo,
    tokenType: prepared.tokenType,
    status: outcome.status,
    orderInfo: outcome.orderInfo,
    redirectUrl,
    renewalDue: applied?.renewalDue ?? false,
    subscriptionId: prepared.subscriptionId,
  };
}

type ChargeOpts = Parameters<typeof chargeInvoice>[2] & {};
type Prepared =
  | { kind: 'skip'; reason: ChargeSkip }
  | {
      kind: 'ready';
      attemptId: string;
      orderNo: string;
      tokenType: TokenType;
      requestTime: Date;
      /**
       * Called where the gateway call is made, so that a request that cannot be built after
       * the intent committed (claimQueued) is handled like one the client refused to send.
       */
      request: () => ConfirmChargeRequest;
      subscriptionId: string;
    };

/** Why this charge must not go out now, from the row read under the locks; null = it may. */
function skipReason(target: ChargeTarget, opts: ChargeOpts, now: Date): ChargeSkip | null {
  if (target.invoiceStatus !== 'open') return 'invoice_not_open';
  if (!(opts.manual ? isPayable(target.subscriptionStatus) : isBillable(target.subscriptionStatus)))
    return 'not_billable';
  if (opts.expectAttemptNo !== undefined && target.attemptCount + 1 !== opts.expectAttemptNo) return 'stale_job';
  if (!opts.manual && (!target.nextAttemptAt || target.nextAttemptAt.getTime() > now.getTime())) return 'not_due';
  if (target.hasOpenAttempt) return 'in_flight';
  return null;
}

function refsOf(target: ChargeTarget): NonNullable<ChargeTarget['refs']> {
  if (!target.refs)
    throw new Error(`subscription ${target.subscriptionId} references a missing customer, plan or payment method`);
  return target.refs;
}

function requestFor(
  ctx: AppContext,
  target: ChargeTarget,
  p: { orderNo: string; tokenType: TokenType; customerIp?: string },
): ConfirmChargeRequest {
  const refs = refsOf(target);
  return buildChargeRequest({
    orderNo: p.orderNo,
    amount: target.amount,
    currency: target.currency,
    tokenType: p.tokenType,
    asiabillCustomerId: refs.asiabillCustomerId,
    asiabillPaymentMethodId: refs.asiabillPaymentMethodId,
    planName: refs.planName,
    subscriptionId: target.subscriptionId,
    periodStart: target.periodStart,
    publicUrl: publicUrlOf(ctx.config),
    webSite: ctx.config.webSite,
    customerIp: p.customerIp ?? ctx.config.serverIp,
  });
}

/**
 * A queued job's charge (the renewal hot path): the intent in one statement (claimIntent.ts).
 * Null when that statement cannot decide alone — a reattempt after a decline (card-network
 * caps), an operator's retry — and the transaction below must.
 */
async function claimQueued(ctx: AppContext, invoiceId: string, opts: ChargeOpts, now: Date): Promise<Prepared | null> {
  if (opts.expectAttemptNo === undefined || opts.manual) return null;
  const attemptNo = opts.expectAttemptNo;
  const orderNo = orderNoFor(invoiceId, attemptNo);
  // Real wall time, also under a test clock: AsiaBill checks it against its own clock.
  const requestTime = ctx.wall.now();
  const attemptId = newId(ID_PREFIX.attempt);
  const claim = await claimIntent(ctx.db, {
    invoiceId,
    attemptId,
    attemptNo,
    orderNo,
    requestTime,
    respondBy: attemptRespondBy(requestTime, ctx.config.gateway.timeoutMs),
    now,
  });
  if (!claim) return { kind: 'skip', reason: 'invoice_not_found' };
  if (claim.claimed) {
    const tokenType = claim.claimed;
    const target = claim.target;
    return {
      kind: 'ready',
      attemptId,
      orderNo,
      tokenType,
      requestTime,
      request: () => requestFor(ctx, target, { orderNo, tokenType, customerIp: opts.customerIp }),
      subscriptionId: target.subscriptionId,
    };
  }
  const reason = skipReason(claim.target, opts, now);
  if (reason) return { kind: 'skip', reason };
  refsOf(claim.target);
  return null;
}

/** The intent in a transaction: every kind of charge, with the card-network cap check for reattempts. */
async function prepareInTransaction(
  ctx: AppContext,
  invoiceId: string,
  opts: ChargeOpts,
  now: Date,
): Promise<Prepared> {
  return ctx.db.transaction(async (tx): Promise<Prepared> => {
    const target = await lockChargeTarget(tx, invoiceId);
    if (!target) return { kind: 'skip', reason: 'invoice_not_found' };
    const reason = skipReason(target, opts, now);
    if (reason) return { kind: 'skip', reason };
    const refs = refsOf(target);
    // Only a reattempt after a decline counts toward the card-network caps (and costs the
    // extra statements of the check); a first attempt goes straight to the intent.
    if (target.reattempt) {
      const cap = await checkNetworkCaps(tx, {
        paymentMethodId: refs.paymentMethodId,
        brand: refs.brand,
        now,
        visaCap: ctx.config.visaRetryCap,
      });
      if (cap.waitUntil && cap.rule) {
        await deferForCap(tx, target.invoiceId, cap.waitUntil, cap.rule);
        return { kind: 'skip', reason: 'network_cap' };
      }
    }
    const attemptNo = target.attemptCount + 1;
    const orderNo = orderNoFor(target.invoiceId, attemptNo);
    const tokenType: TokenType = refs.mandateTradeNo ? 'Recurring' : 'InitRecurring';
    // Real wall time, also under a test clock: AsiaBill checks it against its own clock.
    const requestTime = ctx.wall.now();
    const attemptId = newId(ID_PREFIX.attempt);
    await writeIntent(tx, {
      attemptId,
      invoiceId: target.invoiceId,
      attemptNo,
      orderNo,
      tokenType,
      amount: target.amount,
      currency: target.currency,
      requestTime,
      respondBy: attemptRespondBy(requestTime, ctx.config.gateway.timeoutMs),
      createdAt: now,
      paymentMethodId: refs.paymentMethodId,
      reattempt: target.reattempt,
    });
    // Built inside the transaction: a request that cannot be built rolls the intent back.
    const request = requestFor(ctx, target, { orderNo, tokenType, customerIp: opts.customerIp });
    return {
      kind: 'ready',
      attemptId,
      orderNo,
      tokenType,
      requestTime,
      request: () => request,
      subscriptionId: target.subscriptionId,
    };
  });
}

export function outcomeFromResponse(res: ConfirmChargeResult): Outcome {
  const tradeNo = res.tradeNo || undefined;
  if (res.orderStatus === 'success') return { status: 'succeeded', tradeNo, orderInfo: res.orderInfo };
  if (res.orderStatus === 'pending')
    return { status: 'pending', tradeNo, orderInfo: res.orderInfo, redirectUrl: res.redirectUrl || undefined };
  // We never reuse an orderNo, so "duplicate order" means the gateway already has this order
  // (e.g. an earlier send whose answer we lost): reconcile it, never count it as a decline.
  if (isDuplicateOrder(res.orderInfo)) return { status: 'unknown', orderInfo: res.orderInfo };
  return { status: 'failed', tradeNo, orderInfo: res.orderInfo || 'declined' };
}
