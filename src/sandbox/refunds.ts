/**
 * OpenAPI refunds. [assumption] The sandbox settles refunds at once (there is no bank
 * behind it): the refund is recorded as success and `refund.success` is sent to the
 * original charge's callbackUrl.
 */
import type { RefundResult } from '../asiabill/types.ts';
import { formatGatewayDateTime } from '../asiabill/gatewayTime.ts';
import { validateRefund } from '../asiabill/validate.ts';
import { newBatchNo } from './ids.ts';
import { notFound, REQUEST_ERRORS, SandboxApiError } from './reply.ts';
import { toMinor, type SandboxStore } from './store.ts';
import type { Notifier } from './notifier.ts';
import type { RefundEntry } from './types.ts';

export class Refunds {
  constructor(
    private readonly store: SandboxStore,
    private readonly notifier: Notifier,
  ) {}

  refund(body: unknown, now: Date): RefundResult {
    const req = validateRefund(body);
    const charge = this.store.chargeByTradeNo(req.tradeNo);
    if (!charge) throw notFound('tradeNo');
    const refuse = (why: string): never => {
      throw new SandboxApiError('P0002', `${REQUEST_ERRORS.P0002}: ${why}`);
    };
    if (charge.status !== 'success') refuse('only successful transactions can be refunded');
    if ([...this.store.refunds.values()].some((r) => r.merTrackNo === req.merTrackNo))
      refuse('merTrackNo was already used');
    const remaining = toMinor(charge.amount) - this.store.refundedMinor(charge.tradeNo);
    const asked = toMinor(req.refundAmount);
    if (asked > remaining) refuse('refundAmount exceeds the refundable amount');
    if (req.refundType === '1' && asked !== remaining)
      refuse('refundType 1 (full) must refund the whole remaining amount');

    const entry: RefundEntry = {
      batchNo: newBatchNo(now),
      tradeNo: charge.tradeNo,
      orderNo: charge.orderNo,
      merTrackNo: req.merTrackNo,
      refundAmount: req.refundAmount,
      refundType: req.refundType,
      refundReason: req.refundReason,
      currency: charge.currency,
      refundStatus: 'success',
      createdAt: now.toISOString(),
    };
    this.store.refunds.set(entry.batchNo, entry);
    if (charge.callbackUrl !== undefined) {
      this.notifier.enqueue(`refund:${entry.batchNo}`, charge.callbackUrl, {
        type: 'refund.success',
        data: {
          reason: entry.refundReason,
          amount: entry.refundAmount,
          currency: entry.currency,
          batchNo: entry.batchNo,
          orderNo: charge.orderNo,
          tradeNo: charge.tradeNo,
          orderAmount: charge.amount,
          orderCurrency: charge.currency,
          noticeDate: formatGatewayDateTime(now),
          merTrackNo: entry.merTrackNo,
        },
      });
    }
    return view(entry);
  }

  status(batchNo: string): RefundResult {
    const entry = this.store.refunds.get(batchNo);
    if (!entry) throw notFound('batchNo');
    return view(entry);
  }
}

function view(e: RefundEntry): RefundResult {
  return {
    batchNo: e.batchNo,
    tradeNo: e.tradeNo,
    merTrackNo: e.merTrackNo,
    refundAmount: e.refundAmount,
    refundStatus: e.refundStatus,
  };
}
