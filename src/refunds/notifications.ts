import { eq, or } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { refunds } from '../db/schema.ts';
import type { RefundData, RefundEventType } from '../asiabill/types.ts';
import { refundOutcome } from '../asiabill/codes.ts';
import { applyRefundStateInTx } from './refunds.ts';

/**
 * `refund.success` / `refund.fail` notifications, applied in the notification's transaction
 * (renewals/applyNotification.ts calls this). Matched by merTrackNo (our refund id), else by
 * batchNo. Monotonic like everything else: a duplicate or late one changes nothing.
 * Returns the result string stored on the notification row.
 */
export async function applyRefundNotification(
  tx: Tx,
  type: RefundEventType,
  data: RefundData,
  now: Date,
): Promise<string> {
  const row = (
    await tx
      .select({ id: refunds.id })
      .from(refunds)
      .where(
        or(
          data.merTrackNo ? eq(refunds.merTrackNo, data.merTrackNo) : undefined,
          data.batchNo ? eq(refunds.batchNo, data.batchNo) : undefined,
        ),
      )
  )[0];
  if (!row) return 'unmatched';
  const status = refundOutcome(type);
  const applied = await applyRefundStateInTx(
    tx,
    {
      refundId: row.id,
      status,
      batchNo: data.batchNo || undefined,
      failureReason: status === 'failed' ? data.reason || 'refund failed' : undefined,
    },
    'notification',
    now,
  );
  return applied ? `refund:${status}` : 'no-change';
}
