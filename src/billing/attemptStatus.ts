/**
 * Charge-attempt outcomes only move forward. Rank orders them; an update is applied only if
 * it moves up, which is what makes duplicated and reordered notifications harmless:
 * a late `pending` or `fail` never undoes a `success`.
 *
 * `failed`/`not_charged` → `succeeded` is allowed on purpose: if AsiaBill says money moved,
 * that is the truth we must record, even if an earlier answer said otherwise.
 */
export const ATTEMPT_STATUSES = [
  'started',
  'unknown',
  'pending',
  'succeeded',
  'failed',
  'not_charged',
  'abandoned',
] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** The outcome is not final yet: no new attempt on the invoice while one of these exists. */
export const OPEN_ATTEMPT_STATUSES: readonly AttemptStatus[] = ['started', 'unknown', 'pending'];
/** Nobody knows yet whether the gateway has the order: only the reconciler may decide. */
export const UNRESOLVED_ATTEMPT_STATUSES: readonly AttemptStatus[] = ['started', 'unknown'];

const RANK: Record<AttemptStatus, number> = {
  started: 0,
  unknown: 1,
  pending: 2,
  failed: 3,
  not_charged: 3,
  abandoned: 3,
  succeeded: 4,
};

/**
 * `not_charged` means "the gateway never had this order". Only an attempt nobody has heard
 * back about (`started`/`unknown`) can be that: a `pending` one is an order AsiaBill holds,
 * waiting on the customer, and could still be completed — declaring it `not_charged` would
 * allow a second charge beside it.
 *
 * `abandoned` closes a `pending` attempt whose customer-action deadline passed (the order may
 * still complete later; that success is recorded, rank 4 beats 3).
 */
export function canTransition(from: AttemptStatus, to: AttemptStatus): boolean {
  if (from === to) return false;
  if (from === 'succeeded') return false;
  if (to === 'not_charged') return UNRESOLVED_ATTEMPT_STATUSES.includes(from);
  if (to === 'abandoned') return from === 'pending';
  return RANK[to] > RANK[from];
}

export function isOpen(s: AttemptStatus): boolean {
  return OPEN_ATTEMPT_STATUSES.includes(s);
}

/** `charge`: confirmCharge with the stored card; `pay_link`: a hosted checkout the customer pays. */
export const ATTEMPT_KINDS = ['charge', 'pay_link'] as const;
export type AttemptKind = (typeof ATTEMPT_KINDS)[number];

/** The issuer (or the customer, by not acting) said no: a later attempt on the invoice is a reattempt. */
export const DECLINED_ATTEMPT_STATUSES: readonly AttemptStatus[] = ['failed', 'abandoned'];
