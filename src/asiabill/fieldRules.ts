/**
 * Path-aware field readers for request validation. Each reader either returns the value in
 * our string-typed model or throws AsiabillValidationError naming the field path
 * (`goodsDetails[3].goodsTitle`), the rule and the problem.
 *
 * Messages never quote the offending value: some fields hold card data, and a uniform
 * "describe, don't echo" rule means no one has to remember which.
 */
import { AsiabillValidationError } from './errors.ts';

export type Obj = Record<string, unknown>;

export interface StrRule {
  min?: number;
  max?: number;
  /** Fixed length. */
  len?: number;
  pattern?: RegExp;
  /** Human description of `pattern`, e.g. "13–19 digits". */
  format?: string;
  oneOf?: readonly string[];
  /** Card data: must already be a string (a number would lose leading zeros). */
  secret?: boolean;
}

export function fail(field: string, rule: string, problem: string): never {
  throw new AsiabillValidationError(field, rule, problem);
}

export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

export function readObject(value: unknown, field: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(field || 'body', 'type', 'must be an object');
  return value as Obj;
}

export function optObject(obj: Obj, parent: string, key: string): Obj | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  return readObject(v, fieldPath(parent, key));
}

export function reqObject(obj: Obj, parent: string, key: string): Obj {
  const v = optObject(obj, parent, key);
  if (v === undefined) fail(fieldPath(parent, key), 'required', 'is required');
  return v;
}

export function optArray(obj: Obj, parent: string, key: string, maxItems: number): unknown[] | undefined {
  const v = obj[key];
  const field = fieldPath(parent, key);
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(field, 'type', 'must be an array');
  if (v.length > maxItems) fail(field, 'max-items', `must have at most ${maxItems} items (got ${v.length})`);
  return v;
}

function toText(v: unknown, field: string, secret: boolean): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  // AsiaBill's Java side coerces numbers; we do the same except for card data.
  if (!secret && typeof v === 'number' && Number.isFinite(v)) return String(v);
  return fail(field, 'type', 'must be a string');
}

function checkText(value: string, field: string, rule: StrRule): string {
  const n = [...value].length;
  if (rule.len !== undefined && n !== rule.len)
    fail(field, 'fixed-length', `must be exactly ${rule.len} characters (got ${n})`);
  if (rule.min !== undefined && n < rule.min)
    fail(field, 'min-length', `must be at least ${rule.min} characters (got ${n})`);
  if (rule.max !== undefined && n > rule.max)
    fail(field, 'max-length', `must be at most ${rule.max} characters (got ${n})`);
  if (rule.oneOf !== undefined && !rule.oneOf.includes(value))
    fail(field, 'enum', `must be one of: ${rule.oneOf.join(', ')}`);
  if (rule.pattern !== undefined && !rule.pattern.test(value))
    fail(field, 'format', `must be ${rule.format ?? `in the format ${rule.pattern.source}`}`);
  return value;
}

/** Optional string: absent, null and '' all mean "not given" and are left out of the request. */
export function optStr(obj: Obj, parent: string, key: string, rule: StrRule = {}): string | undefined {
  const field = fieldPath(parent, key);
  const value = toText(obj[key], field, rule.secret ?? false);
  if (value === undefined || value === '') return undefined;
  return checkText(value, field, rule);
}

export function reqStr(obj: Obj, parent: string, key: string, rule: StrRule = {}): string {
  const value = optStr(obj, parent, key, rule);
  if (value === undefined) fail(fieldPath(parent, key), 'required', 'is required');
  return value;
}

/** A path parameter such as a customer id: non-empty, bounded, no whitespace. */
export function pathId(value: string, field: string): string {
  return reqStr({ [field]: value }, '', field, { max: 100, pattern: /^\S+$/, format: 'an identifier without spaces' });
}

/** Drops undefined members so the JSON we sign and send carries only what was given. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function optEnum<T extends string>(obj: Obj, parent: string, key: string, allowed: readonly T[]): T | undefined {
  const value = optStr(obj, parent, key, { oneOf: allowed });
  return allowed.find((a) => a === value);
}

export function reqEnum<T extends string>(obj: Obj, parent: string, key: string, allowed: readonly T[]): T {
  const value = optEnum(obj, parent, key, allowed);
  if (value === undefined) fail(fieldPath(parent, key), 'required', 'is required');
  return value;
}

/** Integer given as a number or as digit text (query strings arrive as text). */
export function optInt(
  obj: Obj,
  parent: string,
  key: string,
  bounds: { min: number; max: number },
): number | undefined {
  const field = fieldPath(parent, key);
  const v = obj[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) fail(field, 'type', 'must be an integer');
  if (n < bounds.min || n > bounds.max) fail(field, 'range', `must be between ${bounds.min} and ${bounds.max}`);
  return n;
}
