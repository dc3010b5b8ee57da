/**
 * How long a charge call may wait for AsiaBill's answer, and the deadline each attempt
 * carries. Pure: times are passed in.
 *
 * The reconciler may declare an attempt `not_charged` (and so allow a new one) once its
 * signed request-time is more than AsiaBill's 10-minute request window + margin in the past
 * and the gateway does not know the order. That is only sound if no worker is still waiting
 * on the call by then: a worker that gives up after 15 minutes could hear "success" after the
 * new attempt was made. So the timeout is capped far below the window, and every attempt row
 * stores its own deadline (`respond_by`) so the reconciler judges a `started` attempt by the
 * setting of the worker that made it, never by its own.
 */

/** Longest ASIABILL_TIMEOUT_MS accepted: a fifth of AsiaBill's 10-minute request window, so a call always ends long before the window does. */
export const MAX_GATEWAY_TIMEOUT_MS = 2 * 60 * 1000;

/** Rows written before `respond_by` existed are judged by the longest timeout any worker could have had. */
export function attemptRespondBy(requestTime: Date, timeoutMs: number): Date {
  return new Date(requestTime.getTime() + timeoutMs);
}

/** The deadline of a stored attempt (`respond_by`, or the cap for rows that predate it). */
export function effectiveRespondBy(attempt: { requestTime: Date; respondBy: Date | null }): Date {
  return attempt.respondBy ?? attemptRespondBy(attempt.requestTime, MAX_GATEWAY_TIMEOUT_MS);
}
