import { ValidationError } from '../errors.ts';

/**
 * Free-text input rules shared by every service: trimmed, length counted in characters
 * (code points, so "José" is 4), and no control characters — they break table output and
 * log lines and are never legitimate in a name or reference.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export interface Length {
  min: number;
  max: number;
}

export function requiredText(value: string | undefined, field: string, length: Length): string {
  const text = (value ?? '').trim();
  const count = [...text].length;
  if (count === 0 && length.min > 0) {
    throw new ValidationError(field, 'required', 'must not be empty');
  }
  if (count < length.min || count > length.max) {
    throw new ValidationError(
      field,
      `length ${length.min}-${length.max}`,
      `must be ${length.min} to ${length.max} characters, got ${count}`,
    );
  }
  if (CONTROL.test(text)) {
    throw new ValidationError(
      field,
      'no control characters',
      'must not contain control characters such as newlines or tabs',
    );
  }
  return text;
}

/** `undefined` and blank both mean "not given". */
export function optionalText(value: string | undefined, field: string, length: Length): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return requiredText(value, field, length);
}

/** For numbers that arrive already typed (API, tests); the CLI parses its strings strictly first. */
export function integerInRange(
  value: number,
  field: string,
  min: number,
  max: number,
  rule = `integer ${min}-${max}`,
): number {
  if (!Number.isSafeInteger(value)) {
    throw new ValidationError(field, 'integer', `${String(value)} is not a whole number`);
  }
  if (value < min || value > max) {
    throw new ValidationError(field, rule, `${value} is out of range (must be ${min} to ${max})`);
  }
  return value;
}
