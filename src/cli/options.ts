import type { Command } from 'commander';
import { ValidationError } from '../errors.ts';

/**
 * Option parsing shared by every command. Integers are parsed strictly: `Number("1.5")`,
 * `parseInt("3abc")` and `Number("")` all "work" in JavaScript, and a billing interval that
 * silently became 1 or NaN is worse than an error naming the option.
 */
const WHOLE_NUMBER = /^[0-9]+$/;

export function parseIntegerOption(
  value: string,
  option: string,
  range: { min: number; max: number } = { min: 0, max: Number.MAX_SAFE_INTEGER },
): number {
  const text = value.trim();
  const n = WHOLE_NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ValidationError(option, 'integer', `"${value}" is not a whole number`);
  }
  if (n < range.min || n > range.max) {
    throw new ValidationError(
      option,
      `integer ${range.min}-${range.max}`,
      `${n} is out of range (must be ${range.min} to ${range.max})`,
    );
  }
  return n;
}

export function parseOptionalInteger(
  value: string | undefined,
  option: string,
  range?: { min: number; max: number },
): number | undefined {
  return value === undefined ? undefined : parseIntegerOption(value, option, range);
}

export interface JsonFlag {
  json?: boolean;
}

/** Every command takes `--json`; adding it through one helper keeps the wording identical. */
export function withJson(cmd: Command): Command {
  return cmd.option('--json', 'print machine-readable JSON instead of a table');
}
