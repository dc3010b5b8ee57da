import { parseAnchor, validateTimeZone } from '../billing/periods.ts';

/**
 * The caller-facing part of "subscribe": the time zone and the optional start as text,
 * checked the same way whichever surface they came from. Field names are the surface's own
 * (`--timezone` on the command line, `timezone` in the HTTP API); rule and problem are shared.
 */
export interface SubscriptionTimesInput {
  start?: string | undefined;
  timezone?: string | undefined;
}

export const API_FIELDS = { start: 'start', timezone: 'timezone' } as const;

export function readSubscriptionTimes(
  input: SubscriptionTimesInput,
  fields: { start: string; timezone: string } = API_FIELDS,
): { timeZone: string; start: Date | undefined } {
  const timeZone = validateTimeZone(input.timezone ?? 'UTC', fields.timezone);
  const start = input.start === undefined ? undefined : parseAnchor(input.start, timeZone, fields.start);
  return { timeZone, start };
}
