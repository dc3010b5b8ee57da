import { CommanderError } from 'commander';
import { ConflictError, NotFoundError, ValidationError, errorMessage } from '../errors.ts';

/**
 * Exit codes are part of the CLI's contract with scripts:
 *  0 — done;
 *  2 — the caller's input was wrong (bad value, unknown option, unknown or conflicting
 *      object, bad configuration — ConfigError is a ValidationError): retrying the same
 *      command cannot succeed;
 *  1 — anything else (database down, gateway failure, a bug): retrying may succeed.
 */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Commander codes that mean "did what was asked" (help, version) rather than misuse. */
const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.version']);

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CommanderError) return COMMANDER_SUCCESS.has(err.code) ? EXIT.ok : EXIT.badInput;
  if (err instanceof ValidationError || err instanceof NotFoundError || err instanceof ConflictError)
    return EXIT.badInput;
  return EXIT.failure;
}

/**
 * One line, always: multi-line messages (ConfigError lists every bad variable) are joined,
 * so a log scraper or a `2>&1 | tail -1` sees the whole problem.
 */
export function errorLine(err: unknown): string {
  return `error: ${errorMessage(err)
    .trim()
    .replace(/\s*\n\s*/g, '; ')}`;
}
