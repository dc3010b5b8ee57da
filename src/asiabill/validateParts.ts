/**
 * Validators for the objects shared by several requests (address, billing detail, card,
 * goods, shipping, amount), with the limits from confirmCharge.openapi.json.
 * Each returns a fresh object holding only known fields, so nothing unexpected is signed
 * and sent.
 */
import type { Address, BillingDetail, CardInput, GoodsDetail, Shipping } from './types.ts';
import { isZeroDecimalCurrency } from './currencies.ts';
import {
  compact,
  fail,
  fieldPath,
  optArray,
  optObject,
  optStr,
  readObject,
  reqObject,
  reqStr,
  type Obj,
  type StrRule,
} from './fieldRules.ts';
import { seedRequires, type SeedSchema } from './seedSchema.ts';

/** Countries whose addresses must carry a state code (OpenAPI `Address.state`). */
const STATE_REQUIRED = new Set(['US', 'CA', 'IN']);

export const COUNTRY = { pattern: /^[A-Z]{2}$/, format: 'a 2-letter uppercase ISO 3166-1 country code' } as const;
export const CURRENCY = { pattern: /^[A-Z]{3}$/, format: '3 uppercase letters (ISO 4217)' } as const;

export function validateAddress(value: unknown, field: string): Address {
  const o = readObject(value, field);
  const country = reqStr(o, field, 'country', COUNTRY);
  const state = optStr(o, field, 'state', { max: 2 });
  if (state === undefined && STATE_REQUIRED.has(country))
    fail(fieldPath(field, 'state'), 'required', 'is required for US, CA and IN addresses');
  return compact({
    line1: reqStr(o, field, 'line1', { min: 2, max: 500 }),
    // line2 is not in the schema; AsiaBill's payment_methods example sends it. Same cap as line1.
    line2: optStr(o, field, 'line2', { max: 500 }),
    city: reqStr(o, field, 'city', { min: 2, max: 100 }),
    state,
    postalCode: optStr(o, field, 'postalCode', { max: 30 }),
    country,
  });
}

export function validateBillingDetail(value: unknown, field: string): BillingDetail {
  const o = readObject(value, field);
  return {
    address: validateAddress(reqObject(o, field, 'address'), fieldPath(field, 'address')),
    email: reqStr(o, field, 'email', { min: 2, max: 200 }),
    firstName: reqStr(o, field, 'firstName', { min: 1, max: 100 }),
    // The schema type says string(100) but its text says "最大长度为50": the stricter wins,
    // since sending 51+ characters could be refused by the gateway.
    lastName: reqStr(o, field, 'lastName', { min: 1, max: 50 }),
    phone: reqStr(o, field, 'phone', { min: 2, max: 50 }),
  };
}

/** Card data. Values are never quoted in errors (see fieldRules). */
export function validateCard(value: unknown, field: string): CardInput {
  const o = readObject(value, field);
  return {
    cardNo: reqStr(o, field, 'cardNo', { secret: true, pattern: /^\d{13,19}$/, format: '13–19 digits' }),
    cardExpireMonth: reqStr(o, field, 'cardExpireMonth', {
      secret: true,
      len: 2,
      pattern: /^(0[1-9]|1[0-2])$/,
      format: 'a month 01–12',
    }),
    cardExpireYear: reqStr(o, field, 'cardExpireYear', {
      secret: true,
      len: 4,
      pattern: /^\d{4}$/,
      format: 'a 4-digit year',
    }),
    cardSecurityCode: reqStr(o, field, 'cardSecurityCode', {
      secret: true,
      pattern: /^\d{3,4}$/,
      format: '3–4 digits',
    }),
  };
}

/** A string field, required exactly when the seed schema's `required` list names it. */
function seedStr(schema: SeedSchema, o: Obj, parent: string, key: string, rule: StrRule): string | undefined {
  return seedRequires(schema, key) ? reqStr(o, parent, key, rule) : optStr(o, parent, key, rule);
}

/** Goods items: the seed requires none of their fields, so any may be left out. */
export function validateGoodsDetails(o: Obj, parent: string): GoodsDetail[] | undefined {
  const items = optArray(o, parent, 'goodsDetails', 10);
  return items?.map((item, i) => {
    const field = fieldPath(fieldPath(parent, 'goodsDetails'), i);
    const g = readObject(item, field);
    return compact({
      goodsTitle: seedStr('GoodsDetail', g, field, 'goodsTitle', { max: 100 }),
      goodsCount: seedStr('GoodsDetail', g, field, 'goodsCount', { max: 30 }),
      goodsPrice: seedStr('GoodsDetail', g, field, 'goodsPrice', { max: 30 }),
    });
  });
}

/** Shipping: the seed requires none of its fields; an address that is given is checked in full. */
export function validateShipping(o: Obj, parent: string): Shipping | undefined {
  const s = optObject(o, parent, 'shipping');
  if (s === undefined) return undefined;
  const field = fieldPath(parent, 'shipping');
  const address = seedRequires('Shipping', 'address') ? reqObject(s, field, 'address') : optObject(s, field, 'address');
  return compact({
    address: address === undefined ? undefined : validateAddress(address, fieldPath(field, 'address')),
    firstName: seedStr('Shipping', s, field, 'firstName', { max: 100 }),
    lastName: seedStr('Shipping', s, field, 'lastName', { max: 100 }),
    phone: seedStr('Shipping', s, field, 'phone', { max: 50 }),
  });
}

/**
 * `orderAmount`: 1–16 characters, at most 2 decimals, whole units for zero-decimal
 * currencies, and above zero (a zero charge is never what a caller means).
 */
export function validateAmount(o: Obj, parent: string, key: string, currency: string): string {
  const field = fieldPath(parent, key);
  const amount = reqStr(o, parent, key, {
    min: 1,
    max: 16,
    pattern: /^\d+(\.\d{1,2})?$/,
    format: 'a decimal number with at most 2 decimals',
  });
  if (isZeroDecimalCurrency(currency) && amount.includes('.'))
    fail(field, 'integer-amount', `must be a whole number for ${currency}`);
  if (/^[0.]+$/.test(amount)) fail(field, 'positive', 'must be greater than zero');
  return amount;
}
