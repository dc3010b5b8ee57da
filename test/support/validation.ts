import { expect } from 'vitest';
import { ValidationError } from '../../src/errors.ts';

/** Runs `fn`, asserting it throws a ValidationError for `field` (and `rule`), and returns the error. */
export function validationError(fn: () => unknown, field: string, rule?: string): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  const err = caught as ValidationError;
  expect(err.field).toBe(field);
  expect(err.message.startsWith(`${field}: `)).toBe(true);
  expect(err.code).toBe('VALIDATION');
  if (rule !== undefined) {
    expect(err.rule).toBe(rule);
    expect(err.message.endsWith(`(rule: ${rule})`)).toBe(true);
  }
  return err;
}
