/**
 * What AsiaBill's answer codes mean, by name. The rest of the engine asks these predicates
 * (`isRefusedBeforeProcessing(code)`, `err.refusedBeforeProcessing`) and never matches a code
 * pattern itself, so a code AsiaBill adds or renames is a change in this file alone.
 *
 * - `L000x` (request level: account, signature, clock, request id) and `P000x` (parameters)
 *   are refusals *before any processing*: nothing was charged, and nothing about the card is
 *   known. They are merchant-side faults, never declines (API.md §6).
 * - `I0061` "Duplicate Order" answers a reused orderNo: the gateway already has that order.
 * - Decline reasons arrive as free text in `orderInfo`, sometimes prefixed with a code.
 */
const REFUSED_BEFORE_PROCESSING = /^[LP]\d{4}$/;
const PARAMETER_REFUSAL = /^P\d{4}$/;
const DUPLICATE_ORDER = /^\s*I0061\b/;
const LEADING_CODE = /^\s*([A-Z]\d{3,5})\b/;

/** L000x / P000x: refused before any payment processing, a fault on the merchant's side. */
export function isRefusedBeforeProcessing(code: string): boolean {
  return REFUSED_BEFORE_PROCESSING.test(code);
}

/** P000x: the gateway read the request and refused a value in it. */
export function isParameterRefusal(code: string): boolean {
  return PARAMETER_REFUSAL.test(code);
}

/** I0061 in an `orderInfo`: the orderNo is already known to the gateway. */
export function isDuplicateOrder(orderInfo: string | null | undefined): boolean {
  return DUPLICATE_ORDER.test(orderInfo ?? '');
}

/** The L000x / P000x code named anywhere in a refusal's text (`AsiaBill L0005: …`), if any. */
export function refusalCodeIn(text: string | null | undefined): string | null {
  return /\b([LP]\d{4})\b/.exec(text ?? '')?.[1] ?? null;
}

/** The code an `orderInfo` text starts with (`D0051 Insufficient funds` → `D0051`), if any. */
export function leadingCode(orderInfo: string | null | undefined): string | null {
  return LEADING_CODE.exec(orderInfo ?? '')?.[1] ?? null;
}

/**
 * A refund's state from AsiaBill's `refundStatus` (refund and refund-status calls) or the
 * notification type. [assumption] `success` / `fail` are final (the sandbox and the WP plugin
 * use them); any other value, or none, means the refund is still being processed.
 */
export function refundOutcome(status: string | undefined): 'succeeded' | 'failed' | 'pending' {
  const s = (status ?? '').trim().toLowerCase();
  if (s === 'success' || s === 'refund.success') return 'succeeded';
  if (s === 'fail' || s === 'failed' || s === 'refund.fail') return 'failed';
  return 'pending';
}
