/**
 * Charge-attempt outcomes only move forward. Rank orders them; an update is applied only if
 * it moves up, which is what makes duplicated and reordered notifications harmless:
 * a late `pending` or `fail` never undoes a `success`.
 *
 * `failed`/`not_charged` → `succeeded` is allowed on purpose: if AsiaBill says money moved,
 * that is the truth we must record, even if an earlier answer said otherwise.
 */
export type AttemptStatus = 'started' | 'unknown' | 'pending' | 'succeeded' | 'failed' | 'not_charged';

export const OPEN_ATTEMPT_STATUSES: readonly AttemptStatus[] = ['started', 'unknown', 'pending'];

const RANK: Record<AttemptStatus, number> = {
  started: 0,
  unknown: 1,
  pending: 2,
  failed: 3,
  not_charged: 3,
  succeeded: 4,
};

export function canTransition(from: AttemptStatus, to: AttemptStatus): boolean {
  if (from === to) return false;
  if (from === 'succeeded') return false;
  return RANK[to] > RANK[from];
}

export function isOpen(s: AttemptStatus): boolean {
  return OPEN_ATTEMPT_STATUSES.includes(s);
}
