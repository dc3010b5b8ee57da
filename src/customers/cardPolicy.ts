import { ValidationError } from '../errors.ts';
import { passesLuhn } from '../asiabill/luhn.ts';
import type { Address } from '../asiabill/types.ts';
import { optionalText, requiredText } from '../validation/text.ts';

/**
 * Card data checks done before anything leaves the process. PCI rule for this file: no
 * message may quote a card number or security code, not even a fragment of one — every
 * error describes the problem ("fails the Luhn check") and never the value.
 */

export interface CardFields {
  cardNumber: string;
  expMonth: string | number;
  expYear: string | number;
  cvc: string;
}

/** Validated card data: lives only in memory on its way to AsiaBill. */
export interface ValidCard {
  /** Digits only. */
  number: string;
  /** "01".."12". */
  expMonth: string;
  /** "2030". */
  expYear: string;
  cvc: string;
}

/** People paste numbers grouped as printed on the card; spaces and dashes are not digits. */
const SEPARATORS = /[\s-]/g;

/** Pure format checks; expiry against the engine's clock is `assertNotExpired`. */
export function validateCard(card: CardFields): ValidCard {
  const number = card.cardNumber.replace(SEPARATORS, '');
  if (!/^\d{13,19}$/.test(number)) {
    throw new ValidationError(
      'cardNumber',
      '13-19 digits',
      'must be 13 to 19 digits (spaces and dashes allowed between groups)',
    );
  }
  if (!passesLuhn(number)) {
    throw new ValidationError(
      'cardNumber',
      'Luhn check',
      'is not a valid card number (it fails the Luhn check digit); check for a typo',
    );
  }
  const expMonth = validateExpMonth(card.expMonth);
  const expYear = validateExpYear(card.expYear);
  if (!/^\d{3,4}$/.test(card.cvc)) {
    throw new ValidationError('cvc', '3-4 digits', 'must be 3 or 4 digits');
  }
  return { number, expMonth, expYear, cvc: card.cvc };
}

/**
 * A card is valid through the last day of its expiry month. Compared in UTC: being a few
 * hours lenient at a month boundary costs nothing, and the gateway has the final word.
 */
export function assertNotExpired(card: Pick<ValidCard, 'expMonth' | 'expYear'>, now: Date): void {
  const expiry = Number(card.expYear) * 12 + Number(card.expMonth);
  const current = now.getUTCFullYear() * 12 + (now.getUTCMonth() + 1);
  if (expiry < current) {
    throw new ValidationError(
      'expYear',
      'not expired',
      `the card expired at the end of ${card.expMonth}/${card.expYear}`,
    );
  }
}

function validateExpMonth(value: string | number): string {
  const text = String(value).trim();
  const month = /^\d{1,2}$/.test(text) ? Number(text) : NaN;
  if (!(month >= 1 && month <= 12)) {
    throw new ValidationError('expMonth', 'month 1-12', 'must be a month from 1 to 12 (1 or 2 digits)');
  }
  return String(month).padStart(2, '0');
}

function validateExpYear(value: string | number): string {
  const text = String(value).trim();
  if (!/^\d{4}$/.test(text)) {
    throw new ValidationError('expYear', '4-digit year', 'must be a 4-digit year such as 2030');
  }
  return text;
}

export interface BillingAddressInput {
  line1: string;
  city: string;
  country: string;
  postalCode?: string;
  state?: string;
}

/**
 * AsiaBill requires a billing address on every stored card, but recurring
 * (merchant-initiated) charges are not address-verified, and many merchants collect no
 * address for digital goods. When none is given we send these documented placeholders
 * rather than inventing a plausible-looking real address. The country is Hong Kong
 * (AsiaBill's home market) because US, CA and IN addresses would also need a state.
 * Operators who need address verification pass a real address.
 */
export const PLACEHOLDER_ADDRESS: Readonly<Address> = Object.freeze({
  line1: 'Not provided',
  city: 'Not provided',
  country: 'HK',
});

/** AsiaBill also requires a phone (2-50 characters); used when the customer has none on file. */
export const PLACEHOLDER_PHONE = '0000000000';

/** Countries whose addresses AsiaBill refuses without a state code. */
const STATE_REQUIRED = new Set(['US', 'CA', 'IN']);

export function validateBillingAddress(input: BillingAddressInput | undefined): Address {
  if (input === undefined) return { ...PLACEHOLDER_ADDRESS };
  // Limits mirror AsiaBill's Address rules, so the gateway never refuses what we accepted.
  const line1 = requiredText(input.line1, 'line1', { min: 2, max: 500 });
  const city = requiredText(input.city, 'city', { min: 2, max: 100 });
  const country = input.country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) {
    throw new ValidationError(
      'country',
      'ISO 3166-1 alpha-2',
      `"${input.country}" is not a two-letter country code such as HK or CN`,
    );
  }
  const postalCode = optionalText(input.postalCode, 'postalCode', { min: 1, max: 30 });
  const state = optionalText(input.state, 'state', { min: 1, max: 2 })?.toUpperCase();
  if (state === undefined && STATE_REQUIRED.has(country)) {
    throw new ValidationError(
      'state',
      'required for US, CA and IN',
      `is required for ${country} addresses (a 2-letter code such as CA)`,
    );
  }
  return {
    line1,
    city,
    country,
    ...(postalCode !== undefined ? { postalCode } : {}),
    ...(state !== undefined ? { state } : {}),
  };
}

/** The id the browser SDK hands back after it tokenised a card. */
export const ASIABILL_PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9]{1,97}$/;

export function validateAsiabillPaymentMethodId(value: string, field = 'asiabillPaymentMethodId'): string {
  const id = value.trim();
  if (!ASIABILL_PAYMENT_METHOD_ID.test(id)) {
    throw new ValidationError(
      field,
      ASIABILL_PAYMENT_METHOD_ID.source,
      'is not an AsiaBill payment method id ("pm_" followed by 1 to 97 letters or digits)',
    );
  }
  return id;
}
