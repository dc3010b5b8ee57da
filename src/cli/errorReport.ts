import { CommanderError, type Command } from 'commander';
import { describeConnectionError, describeDatabaseError } from '../db/describeError.ts';
import { BillingError, ValidationError, errorMessage } from '../errors.ts';
import { exitCodeFor, type ExitCode } from './exitCodes.ts';
import type { JsonObject } from './output.ts';

/**
 * How a failed command reports itself: one line for people (`error: …`), or with `--json` one
 * JSON object, both on stderr (stdout only ever carries a command's result). Three
 * translations happen on the way:
 *  - a field named the way the code spells it (`intervalCount`) becomes the flag the user
 *    typed (`--interval-count`);
 *  - a database failure shows its cause (connection refused, database missing), never
 *    drizzle's `Failed query: … params: …` (the SQL is noise; the parameters are customer data);
 *  - commander's own messages lose their `error: ` prefix so it is not printed twice.
 */
export interface ErrorReport {
  exitCode: ExitCode;
  code: string;
  message: string;
  field?: string;
  rule?: string;
}

/** Fields whose flag is not simply the field's name in kebab case. */
const FLAG_ALIASES: Readonly<Record<string, string>> = {
  asiabillPaymentMethodId: '--asiabill-id',
  'payment-method': '--payment-method',
};

export function flagFor(field: string, command: Command | undefined): string | undefined {
  if (field.startsWith('-') || command === undefined) return undefined;
  const options = command.options;
  const alias = FLAG_ALIASES[field];
  if (alias !== undefined && options.some((o) => o.long === alias)) return alias;
  const byName = options.find((o) => o.attributeName() === field || o.long === `--${field}`);
  return byName?.long ?? undefined;
}

/** The same ValidationError, naming the flag instead of the field. */
function renamed(err: ValidationError, flag: string): ValidationError {
  const prefix = `${err.field}: `;
  const suffix = ` (rule: ${err.rule})`;
  let problem = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  if (problem.endsWith(suffix)) problem = problem.slice(0, -suffix.length);
  return new ValidationError(flag, err.rule, problem);
}

export function errorReport(err: unknown, command: Command | undefined): ErrorReport {
  const exitCode = exitCodeFor(err);
  if (err instanceof CommanderError) {
    return { exitCode, code: err.code, message: err.message.replace(/^error: /, '') };
  }
  if (err instanceof ValidationError) {
    const flag = flagFor(err.field, command);
    const e = flag === undefined ? err : renamed(err, flag);
    return { exitCode, code: e.code, message: oneLine(e.message), field: e.field, rule: e.rule };
  }
  const database = describeDatabaseError(err) ?? describeConnectionError(err);
  if (database !== undefined) return { exitCode, code: 'DATABASE', message: database };
  const code = err instanceof BillingError ? err.code : 'ERROR';
  return { exitCode, code, message: oneLine(errorMessage(err)) };
}

/** ConfigError lists every bad variable on its own line: joined, so `2>&1 | tail -1` sees them all. */
function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, '; ');
}

export function errorReportText(r: ErrorReport): string {
  return `error: ${r.message}`;
}

export function errorReportJson(r: ErrorReport): JsonObject {
  const error: JsonObject = { code: r.code, message: r.message, exitCode: r.exitCode };
  if (r.field !== undefined) error.field = r.field;
  if (r.rule !== undefined) error.rule = r.rule;
  return { error };
}
