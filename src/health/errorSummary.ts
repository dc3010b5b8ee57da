import { describeConnectionError, describeDatabaseError } from '../db/describeError.ts';
import { errorMessage } from '../errors.ts';

/**
 * An error as one log-friendly line: a database failure by its cause ("cannot connect to
 * Postgres at …", not drizzle's `Failed query: … params: …`, whose parameters may be customer
 * data), anything else by the first line of its message.
 */
export function errorSummary(err: unknown): string {
  return describeDatabaseError(err) ?? describeConnectionError(err) ?? errorMessage(err).split('\n')[0] ?? '';
}
