/**
 * Money as an integer count of minor units plus an ISO 4217 code.
 *
 * Floating point never touches an amount here: a binary float cannot represent 0.1, so
 * "19.99" parsed as a float and scaled by 100 can become 1998.9999… and round the wrong
 * way. Every conversion between decimal text and minor units is done on the digit string,
 * with BigInt only to check the range.
 */
import { ValidationError } from './errors.ts';

/**
 * Minor-unit exponent of every currency in ISO 4217 List One that has a minor unit.
 *
 * Left out on purpose:
 * - codes whose minor unit is "N.A." (XAU, XAG, XPD, XPT, XDR, XSU, XUA, XBA–XBD, XTS,
 *   XXX): they are metals, units of account and test codes, never a price.
 * - withdrawn codes (HRK, SLL, ZWL, CUC, ANG, …): a subscription priced in one could never
 *   be charged. ANG was replaced by XCG (Caribbean guilder) in 2025.
 *
 * Fund codes that do carry a minor unit (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW)
 * stay in because ISO lists them and a caller may legitimately store them.
 * Frozen so no module can change an exponent at run time and corrupt every amount.
 */
export const CURRENCY_EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  AED: 2,
  AFN: 2,
  ALL: 2,
  AMD: 2,
  AOA: 2,
  ARS: 2,
  AUD: 2,
  AWG: 2,
  AZN: 2,
  BAM: 2,
  BBD: 2,
  BDT: 2,
  BGN: 2,
  BHD: 3,
  BIF: 0,
  BMD: 2,
  BND: 2,
  BOB: 2,
  BOV: 2,
  BRL: 2,
  BSD: 2,
  BTN: 2,
  BWP: 2,
  BYN: 2,
  BZD: 2,
  CAD: 2,
  CDF: 2,
  CHE: 2,
  CHF: 2,
  CHW: 2,
  CLF: 4,
  CLP: 0,
  CNY: 2,
  COP: 2,
  COU: 2,
  CRC: 2,
  CUP: 2,
  CVE: 2,
  CZK: 2,
  DJF: 0,
  DKK: 2,
  DOP: 2,
  DZD: 2,
  EGP: 2,
  ERN: 2,
  ETB: 2,
  EUR: 2,
  FJD: 2,
  FKP: 2,
  GBP: 2,
  GEL: 2,
  GHS: 2,
  GIP: 2,
  GMD: 2,
  GNF: 0,
  GTQ: 2,
  GYD: 2,
  HKD: 2,
  HNL: 2,
  HTG: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  IQD: 3,
  IRR: 2,
  ISK: 0,
  JMD: 2,
  JOD: 3,
  JPY: 0,
  KES: 2,
  KGS: 2,
  KHR: 2,
  KMF: 0,
  KPW: 2,
  KRW: 0,
  KWD: 3,
  KYD: 2,
  KZT: 2,
  LAK: 2,
  LBP: 2,
  LKR: 2,
  LRD: 2,
  LSL: 2,
  LYD: 3,
  MAD: 2,
  MDL: 2,
  MGA: 2,
  MKD: 2,
  MMK: 2,
  MNT: 2,
  MOP: 2,
  MRU: 2,
  MUR: 2,
  MVR: 2,
  MWK: 2,
  MXN: 2,
  MXV: 2,
  MYR: 2,
  MZN: 2,
  NAD: 2,
  NGN: 2,
  NIO: 2,
  NOK: 2,
  NPR: 2,
  NZD: 2,
  OMR: 3,
  PAB: 2,
  PEN: 2,
  PGK: 2,
  PHP: 2,
  PKR: 2,
  PLN: 2,
  PYG: 0,
  QAR: 2,
  RON: 2,
  RSD: 2,
  RUB: 2,
  RWF: 0,
  SAR: 2,
  SBD: 2,
  SCR: 2,
  SDG: 2,
  SEK: 2,
  SGD: 2,
  SHP: 2,
  SLE: 2,
  SOS: 2,
  SRD: 2,
  SSP: 2,
  STN: 2,
  SVC: 2,
  SYP: 2,
  SZL: 2,
  THB: 2,
  TJS: 2,
  TMT: 2,
  TND: 3,
  TOP: 2,
  TRY: 2,
  TTD: 2,
  TWD: 2,
  TZS: 2,
  UAH: 2,
  UGX: 0,
  USD: 2,
  USN: 2,
  UYI: 0,
  UYU: 2,
  UYW: 4,
  UZS: 2,
  VED: 2,
  VES: 2,
  VND: 0,
  VUV: 0,
  WST: 2,
  XAF: 0,
  XCD: 2,
  XCG: 2,
  XOF: 0,
  XPF: 0,
  YER: 2,
  ZAR: 2,
  ZMW: 2,
  ZWG: 2,
});

/**
 * An amount in minor units (cents, yen, fils…). `amount` is a safe integer rather than a
 * bigint because Postgres `bigint` columns round-trip through it and every realistic
 * charge is far below 2^53; the constructors below refuse anything larger instead of
 * silently losing precision.
 */
export interface Money {
  amount: number;
  currency: string;
}

const CURRENCY_SHAPE = /^[A-Z]{3}$/;
const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function isCurrency(code: string): boolean {
  // Object.hasOwn so "constructor" and friends never count as currencies.
  return CURRENCY_SHAPE.test(code) && Object.hasOwn(CURRENCY_EXPONENTS, code);
}

/** Exponent of an exact, upper-case ISO 4217 code; lower case is rejected, not guessed. */
export function currencyExponent(code: string, field = 'currency'): number {
  const exponent = isCurrency(code) ? CURRENCY_EXPONENTS[code] : undefined;
  if (exponent === undefined) {
    const upper = code.toUpperCase();
    const hint = upper !== code && isCurrency(upper) ? ` (did you mean "${upper}"?)` : '';
    throw new ValidationError(field, 'ISO 4217 code', `"${code}" is not an ISO 4217 currency${hint}`);
  }
  return exponent;
}

/** For user input: trims and upper-cases, then validates. Returns the canonical code. */
export function normalizeCurrency(input: string, field = 'currency'): string {
  const code = input.trim().toUpperCase();
  if (!isCurrency(code)) {
    throw new ValidationError(field, 'ISO 4217 code', `"${input}" is not an ISO 4217 currency`);
  }
  return code;
}

/**
 * Builds a Money from minor units, checking the invariants every other function relies on.
 * Negative values are allowed here (credits, refunds, differences); parsing user input
 * rejects them separately.
 */
export function makeMoney(amount: number, currency: string, field = 'amount'): Money {
  currencyExponent(currency, 'currency');
  if (!Number.isSafeInteger(amount)) {
    throw new ValidationError(field, 'safe integer', `${String(amount)} is not a safe integer count of minor units`);
  }
  return { amount, currency };
}

/** Parses "19.99 USD" (amount, whitespace, code). The currency code may be any case. */
export function parseMoney(input: string, field = 'amount'): Money {
  const parts = input.trim().split(/\s+/);
  const [amountText, currencyText] = parts;
  if (parts.length !== 2 || amountText === undefined || currencyText === undefined || amountText === '') {
    throw new ValidationError(field, 'AMOUNT CURRENCY', `"${input}" is not of the form "19.99 USD"`);
  }
  // The whole string is one user field, so a bad code is reported against that field too.
  const currency = normalizeCurrency(currencyText, field);
  return parseAmount(amountText, currency, field);
}

/**
 * Parses a plain decimal ("19.99", "1500", "0.050") into minor units of `currency`.
 * Strict on purpose, because this is where user input becomes a charge: no sign, no
 * exponent, no thousands separators, and no more fractional digits than the currency has
 * (even zeros, so "1500.00 JPY" is refused rather than read as a typo that happens to fit).
 * Surrounding whitespace is ignored. Zero is accepted; see `assertPositive`.
 */
export function parseAmount(amountText: string, currency: string, field = 'amount', currencyField = 'currency'): Money {
  const exponent = currencyExponent(currency, currencyField);
  const text = amountText.trim();
  const match = checkPlainDecimal(text, field);
  const intPart = match[1] ?? '';
  const fracPart = match[2] ?? '';
  if (fracPart.length > exponent) {
    throw new ValidationError(field, 'ISO 4217 exponent', tooManyDecimals(text, fracPart.length, currency, exponent));
  }
  return fromDigits(intPart + fracPart.padEnd(exponent, '0'), currency, text, field);
}

/** Decimal string with exactly `exponent` fractional digits: "19.99", "1500", "1.000". */
export function formatAmount(m: Money): string {
  const exponent = currencyExponent(m.currency, 'currency');
  if (!Number.isSafeInteger(m.amount)) {
    throw new ValidationError(
      'amount',
      'safe integer',
      `${String(m.amount)} is not a safe integer count of minor units`,
    );
  }
  const sign = m.amount < 0 ? '-' : '';
  // String() of a safe integer never uses exponent notation (that starts at 1e21).
  const digits = String(Math.abs(m.amount)).padStart(exponent + 1, '0');
  if (exponent === 0) return sign + digits;
  const cut = digits.length - exponent;
  return `${sign}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

/** "19.99 USD". */
export function formatMoney(m: Money): string {
  return `${formatAmount(m)} ${m.currency}`;
}

/**
 * AsiaBill's `orderAmount` takes at most two decimals (integers for zero-decimal
 * currencies). For 3- and 4-decimal currencies we send two decimals only when the dropped
 * digits are zero: rounding would charge the customer a different amount than the
 * subscription says, so an unrepresentable amount is an error, not a rounding.
 */
export function toAsiabillOrderAmount(m: Money): string {
  const exponent = currencyExponent(m.currency, 'currency');
  if (m.amount < 0) {
    throw new ValidationError('orderAmount', 'non-negative', `${formatMoney(m)} must not be negative`);
  }
  const text = formatAmount(m);
  if (exponent <= 2) return text;
  const point = text.length - exponent;
  const dropped = text.slice(point + 2);
  if (!/^0+$/.test(dropped)) {
    throw new ValidationError(
      'orderAmount',
      'at most 2 decimals',
      `${formatMoney(m)} cannot be sent to AsiaBill without rounding (it accepts at most 2 decimals)`,
    );
  }
  return text.slice(0, point + 2);
}

/**
 * Reads an amount AsiaBill sent back. Lenient about formatting the gateway chooses
 * ("9.9" or "9.90" for USD, "1500.00" for JPY) but still refuses any non-zero digit past
 * the currency exponent, because that would mean the gateway and we disagree on the amount.
 */
export function fromAsiabillOrderAmount(s: string, currency: string, field = 'orderAmount'): Money {
  const exponent = currencyExponent(currency, 'currency');
  const text = s.trim();
  const match = checkPlainDecimal(text, field);
  const intPart = match[1] ?? '';
  const fracPart = match[2] ?? '';
  const kept = fracPart.slice(0, exponent);
  const extra = fracPart.slice(exponent);
  if (extra !== '' && !/^0+$/.test(extra)) {
    throw new ValidationError(field, 'ISO 4217 exponent', tooManyDecimals(text, fracPart.length, currency, exponent));
  }
  return fromDigits(intPart + kept.padEnd(exponent, '0'), currency, text, field);
}

/** Throws unless the amount is strictly greater than zero (a charge of 0 is a bug). */
export function assertPositive(m: Money, field = 'amount'): void {
  if (!(m.amount > 0)) {
    throw new ValidationError(field, 'positive', `${formatMoney(m)} must be greater than zero`);
  }
}

export function addMoney(a: Money, b: Money): Money {
  if (a.currency !== b.currency) {
    throw new ValidationError('currency', 'same currency', `cannot add ${b.currency} to ${a.currency}`);
  }
  // Validate both operands first: BigInt() of a fractional number would throw a RangeError.
  makeMoney(a.amount, a.currency);
  makeMoney(b.amount, b.currency);
  return makeMoney(checkedSum(a.amount, b.amount, a.currency), a.currency);
}

/** Sum of a list that must all be in `currency`; an empty list sums to zero. */
export function sumMoney(list: readonly Money[], currency: string): Money {
  let total = makeMoney(0, currency);
  for (const m of list) total = addMoney(total, m);
  return total;
}

/**
 * Totals per currency, sorted by code so output (CLI tables, API responses, tests) is
 * deterministic regardless of input order. Mixed currencies are never added together.
 */
export function sumByCurrency(list: readonly Money[]): Money[] {
  const totals = new Map<string, Money>();
  for (const m of list) {
    const previous = totals.get(m.currency) ?? makeMoney(0, m.currency);
    totals.set(m.currency, addMoney(previous, m));
  }
  return [...totals.values()].sort((x, y) => (x.currency < y.currency ? -1 : x.currency > y.currency ? 1 : 0));
}

function checkPlainDecimal(text: string, field: string): RegExpExecArray {
  if (text === '') {
    throw new ValidationError(field, 'required', 'must not be empty');
  }
  const match = PLAIN_DECIMAL.exec(text);
  if (match !== null) return match;
  // Specific messages for the mistakes people actually make, so they can fix them.
  if (/^-/.test(text)) {
    throw new ValidationError(field, 'non-negative', `"${text}" must not be negative`);
  }
  if (/^[+]?[\d.]+[eE][+-]?\d+$/.test(text)) {
    throw new ValidationError(field, 'plain decimal', `"${text}" must not use exponent notation`);
  }
  if (/^[\d.,' _]+$/.test(text) && /\d[,' _]\d/.test(text)) {
    throw new ValidationError(
      field,
      'plain decimal',
      `"${text}" must not contain thousands separators or a decimal comma (use digits and one ".")`,
    );
  }
  throw new ValidationError(field, 'plain decimal', `"${text}" is not a plain decimal number like 19.99`);
}

function tooManyDecimals(text: string, places: number, currency: string, exponent: number): string {
  const has = `${places} decimal place${places === 1 ? '' : 's'}`;
  const allows = exponent === 0 ? 'allows no decimal places' : `allows at most ${exponent}`;
  return `"${text}" has ${has} but ${currency} ${allows}`;
}

/** Minor-unit digit string → Money, via BigInt so an over-long input cannot round. */
function fromDigits(digits: string, currency: string, text: string, field: string): Money {
  const minor = BigInt(digits);
  if (minor > MAX_SAFE) {
    throw new ValidationError(
      field,
      'safe integer',
      `"${text}" ${currency} is too large (at most ${String(MAX_SAFE)} minor units)`,
    );
  }
  return { amount: Number(minor), currency };
}

function checkedSum(a: number, b: number, currency: string): number {
  const sum = BigInt(a) + BigInt(b);
  if (sum > MAX_SAFE || sum < -MAX_SAFE) {
    throw new ValidationError('amount', 'safe integer', `sum exceeds the largest representable ${currency} amount`);
  }
  return Number(sum);
}
