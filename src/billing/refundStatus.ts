/**
 * Refund statuses, named once. requested: the intent is written, the gateway may or may not
 * have it (retry with the same merTrackNo); pending: AsiaBill accepted it and has not settled
 * it; succeeded / failed: final (only a refund notification or the status call moves it there).
 */
export const REFUND_STATUSES = ['requested', 'pending', 'succeeded', 'failed'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** Still counts against the refundable amount (money is, or may be, on its way back). */
export const LIVE_REFUND_STATUSES: readonly RefundStatus[] = ['requested', 'pending', 'succeeded'];
/** Not final yet: the refund follow-up keeps asking about these. */
export const OPEN_REFUND_STATUSES: readonly RefundStatus[] = ['requested', 'pending'];

export const isRefundFinal = (s: RefundStatus): boolean => s === 'succeeded' || s === 'failed';
