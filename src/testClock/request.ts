import { DateTime, Duration } from 'luxon';
import type { Config } from '../config.ts';
import { ValidationError } from '../errors.ts';
import { parseAnchor } from '../billing/periods.ts';

/**
 * "Move the test clock": the checks every surface (CLI, admin API) makes before the clock
 * moves, so both refuse the same input with the same words.
 */
export function requireTestClock(config: Pick<Config, 'clock'>): void {
  if (config.clock !== 'test')
    throw new ValidationError(
      'BILLING_CLOCK',
      'must be "test"',
      'the engine runs on the system clock; set BILLING_CLOCK=test to use a test clock',
    );
}

export function parseDuration(text: string, field: string): Duration {
  const d = Duration.fromISO(text);
  if (!d.isValid || d.toMillis() <= 0)
    throw new ValidationError(
      field,
      'positive ISO 8601 duration',
      `"${text}" is not a positive ISO 8601 duration such as P1M, P7D or PT12H`,
    );
  return d;
}

export interface AdvanceRequest {
  to?: string | undefined;
  by?: string | undefined;
}

export const API_ADVANCE_FIELDS = { to: 'to', by: 'by', toOrBy: 'to/by' } as const;

/** Pure checks, before anything is read: exactly one of to/by, each well-formed. */
export function readAdvanceRequest(
  req: AdvanceRequest,
  fields: { to: string; by: string; toOrBy: string } = API_ADVANCE_FIELDS,
): { to: Date | undefined; by: Duration | undefined } {
  if ((req.to === undefined) === (req.by === undefined))
    throw new ValidationError(
      fields.toOrBy,
      'exactly one',
      `give either ${fields.to} ISO or ${fields.by} ISO-DURATION`,
    );
  return {
    by: req.by !== undefined ? parseDuration(req.by, fields.by) : undefined,
    to: req.to !== undefined ? parseAnchor(req.to, 'UTC', fields.to) : undefined,
  };
}

/** The target time from the clock's current time; the test clock only moves forward. */
export function advanceTarget(
  now: Date,
  req: { to: Date | undefined; by: Duration | undefined },
  toField: string = API_ADVANCE_FIELDS.to,
): Date {
  const target =
    req.to ??
    DateTime.fromJSDate(now, { zone: 'UTC' })
      .plus(req.by ?? {})
      .toJSDate();
  if (target.getTime() < now.getTime())
    throw new ValidationError(
      toField,
      'not before the current test time',
      `${target.toISOString()} is before ${now.toISOString()}; the test clock only moves forward`,
    );
  return target;
}
