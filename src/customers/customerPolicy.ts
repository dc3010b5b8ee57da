import { ValidationError } from '../errors.ts';
import { optionalText, requiredText } from '../validation/text.ts';

/**
 * What a customer record may hold. Limits sit inside what AsiaBill accepts (see
 * src/asiabill/validate*.ts), so a customer we accept is never refused by the gateway
 * afterwards, neither when it is created nor when its details go into a card's billingDetail.
 */
/** AsiaBill's limit; tighter than RFC 5321's 254. */
export const EMAIL_MAX_LENGTH = 200;
export const FIRST_NAME_LENGTH = { min: 1, max: 100 } as const;
/** AsiaBill documents lastName as "at most 50" (its schema says 100; the stricter wins). */
export const LAST_NAME_LENGTH = { min: 1, max: 50 } as const;
/** A billingDetail phone needs at least 2 characters. */
export const PHONE_LENGTH = { min: 2, max: 50 } as const;
export const EXTERNAL_REF_LENGTH = { min: 1, max: 200 } as const;

/**
 * Deliberately loose: one "@", something before it, a dotted domain after it, no spaces.
 * Full RFC 5322 validation rejects real addresses and accepts useless ones; the only real
 * test of an address is mail reaching it.
 */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

export interface CustomerInput {
  email: string;
  firstName: string;
  lastName: string;
  phone?: string;
  /** The merchant's own id for this customer; unique, so it can be used to look one up. */
  externalRef?: string;
}

export interface ValidCustomer {
  email: string;
  firstName: string;
  lastName: string;
  phone: string | undefined;
  externalRef: string | undefined;
}

export function validateEmail(value: string, field = 'email'): string {
  const email = value.trim();
  if (email === '') throw new ValidationError(field, 'required', 'must not be empty');
  if (email.length > EMAIL_MAX_LENGTH) {
    throw new ValidationError(field, `at most ${EMAIL_MAX_LENGTH} characters`, `is ${email.length} characters long`);
  }
  if (!EMAIL_SHAPE.test(email)) {
    throw new ValidationError(field, 'email address', `"${email}" is not an email address like name@example.com`);
  }
  return email;
}

export function validateCustomerInput(input: CustomerInput): ValidCustomer {
  return {
    email: validateEmail(input.email),
    firstName: requiredText(input.firstName, 'firstName', FIRST_NAME_LENGTH),
    lastName: requiredText(input.lastName, 'lastName', LAST_NAME_LENGTH),
    phone: optionalText(input.phone, 'phone', PHONE_LENGTH),
    externalRef: optionalText(input.externalRef, 'externalRef', EXTERNAL_REF_LENGTH),
  };
}
