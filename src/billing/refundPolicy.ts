/**
 * Refund follow-up policy. A refund is sent with the same merTrackNo every time, so a resend is
 * harmless; these only pace how often we ask.
 */

/** A refund still `requested` this long after its last send is sent again (its answer was lost). */
export const REFUND_RESEND_AFTER_MS = 60_000;

/** A `pending` refund is asked about (refund status call) at most this often. */
export const REFUND_STATUS_EVERY_MS = 60_000;

/** The reason recorded on the automatic refund of a second successful charge for one invoice. */
export const DUPLICATE_CHARGE_REASON = 'duplicate charge';

/** merTrackNo of that automatic refund: derived from the attempt, so recording it twice is a no-op. */
export function duplicateRefundTrackNo(attemptId: string): string {
  return `dup_${attemptId}`;
}
