/**
 * OpenAPI refunds. [assumption] By default the sandbox settles refunds at once (there is no
 * bank behind it): recorded as success and `refund.success` is sent to the original charge's
 * callbackUrl. The `refundMode` knob makes them `pending` (settled later with `settle`, as a
 * real acquirer does over days) or `fail` (`refund.fail` notified).
 *
 * [assumption] A merTrackNo sent again for the same tradeNo and amount is answered with the
 * refund it already created (idempotent retry after a lost answer); with different values it
 * is refused (P0002). AsiaBill documents merTrackNo as the merchant's unique refund id.
 */
import type { RefundResult } from '../asiabill/types.ts';
import { formatGatewayDateTime } from '../asiabill/gatewayTime.ts';
import { validateRefund } from '../asiabill/validate.ts';
import { newBatchNo } from './ids.ts';
import { notFound, REQUEST_ERRORS, SandboxApiError } from './reply.ts';
import { toMinor, type SandboxStore } from './store.ts';
import type { Notifier } from './notifier.ts';
import type { RefundEntry } from './types.ts';
import type { KnobState } from './knobs.ts';

export class Refunds {
  constructor(
    private readonly store: SandboxStore,
    private readonly notifier: Notifier,
    private readonly knobs?: KnobState,
  ) {}

  refund(body: unknown, now: Date): RefundResult {
    const req = validateRefund(body);
    const charge = this.store.chargeByTradeNo(req.tradeNo);
    if (!charge) throw notFound('tradeNo');
    const refuse = (why: string): never => {
      throw new SandboxApiError('P0002', `${REQUEST_ERRORS.P0002}: ${why}`);
    };
    const again = [...this.store.refunds.values()].find((r) => r.merTrackNo === req.merTrackNo);
    if (again) {
      if (again.tradeNo === req.tradeNo && toMinor(again.refundAmount) === toMinor(req.refundAmount))
        return view(again);
      refuse('merTrackNo was already used');
    }
    if (charge.status !== 'success') refuse('only successful transactions can be refunded');
    const remaining = toMinor(charge.amount) - this.store.refundedMinor(charge.tradeNo);
    const asked = toMinor(req.refundAmount);
    if (asked > remaining) refuse('refundAmount exceeds the refundable amount');
    if (req.refundType === '1' && asked !== remaining)
      refuse('refundType 1 (full) must refund the whole remaining amount');

    const mode = this.knobs?.refundMode ?? 'instant';
    const entry: RefundEntry = {
      batchNo: newBatchNo(now),
      tradeNo: charge.tradeNo,
      orderNo: charge.orderNo,
      merTrackNo: req.merTrackNo,
      refundAmount: req.refundAmount,
      refundType: req.refundType,
      refundReason: req.refundReason,
      currency: charge.currency,
      refundStatus: mode === 'instant' ? 'success' : mode === 'fail' ? 'fail' : 'pending',
      createdAt: now.toISOString(),
    };
    this.store.refunds.set(entry.batchNo, entry);
    if (entry.refundStatus !== 'pending') this.notify(entry, now);
    return view(entry);
  }

  status(batchNo: string): RefundResult {
    const entry = this.store.refunds.get(batchNo);
    if (!entry) throw notFound('batchNo');
    return view(entry);
  }

  /** Settles a pending refund (test helper), by batchNo or merTrackNo. */
  settle(key: string, outcome: 'success' | 'fail', now: Date, opts: { notify?: boolean } = {}): void {
    const entry = this.store.refunds.get(key) ?? [...this.store.refunds.values()].find((r) => r.merTrackNo === key);
    if (!entry) throw notFound('batchNo');
    if (entry.refundStatus !== 'pending') return;
    entry.refundStatus = outcome;
    if (opts.notify !== false) this.notify(entry, now);
  }

  private notify(entry: RefundEntry, now: Date): void {
    const charge = this.store.chargeByTradeNo(entry.tradeNo);
    if (charge?.callbackUrl === undefined) return;
    this.notifier.enqueue(`refund:${entry.batchNo}`, charge.callbackUrl, {
      type: entry.refundStatus === 'fail' ? 'refund.fail' : 'refund.success',
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
