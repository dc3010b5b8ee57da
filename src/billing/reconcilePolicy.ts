/**
 * How often a `pending` charge attempt (3-D Secure waiting for the customer) is looked up at
 * the gateway. Its outcome normally arrives as a notification; polling is the safety net for
 * a lost one, so it backs off: 15 s, 30 s, 1 min … up to hourly, and stops after a week
 * (a notification arriving later is still applied).
 */
export const PENDING_POLL_BASE_MS = 15_000;
export const PENDING_POLL_MAX_INTERVAL_MS = 3_600_000;
export const PENDING_POLL_GIVE_UP_MS = 7 * 24 * 3_600_000;

/** When lookup number `checksDone + 1` is due, as time elapsed since the request. */
export function pendingCheckOffsetMs(checksDone: number): number {
  let offset = 0;
  for (let i = 0; i < checksDone; i++) offset += Math.min(PENDING_POLL_BASE_MS * 2 ** i, PENDING_POLL_MAX_INTERVAL_MS);
  return offset;
}

export function pendingCheckDue(requestTime: Date, checksDone: number, wallNow: Date): boolean {
  const elapsed = wallNow.getTime() - requestTime.getTime();
  if (elapsed > PENDING_POLL_GIVE_UP_MS) return false;
  return elapsed >= pendingCheckOffsetMs(checksDone);
}
