/**
 * Reading gateway JSON into our string-typed model. AsiaBill documents every field as a
 * string but its examples sometimes show numbers, so numbers are accepted and turned into
 * their decimal text. Anything structurally wrong raises AsiabillShapeError; the caller
 * decides what that means (unknown outcome, transport error, bad notification).
 */
import { AsiabillShapeError } from './errors.ts';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new AsiabillShapeError(`${what} is not an object`);
  return value;
}

export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new AsiabillShapeError(`${what} is not an array`);
  return value;
}

/** String or number → string; null/undefined → undefined; anything else is a shape error. */
export function optText(obj: JsonObject, key: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  throw new AsiabillShapeError(`${key} is not a string`);
}

export function text(obj: JsonObject, key: string, fallback = ''): string {
  return optText(obj, key) ?? fallback;
}

export function reqText(obj: JsonObject, key: string): string {
  const v = optText(obj, key);
  if (v === undefined || v === '') throw new AsiabillShapeError(`${key} is missing`);
  return v;
}

/** Integer that may arrive as a number or numeric text (page counters). */
export function int(obj: JsonObject, key: string, fallback: number): number {
  const v = obj[key];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new AsiabillShapeError(`${key} is not an integer`);
  return n;
}

export function oneOf<T extends string>(obj: JsonObject, key: string, allowed: readonly T[]): T {
  const v = reqText(obj, key);
  const hit = allowed.find((a) => a === v);
  if (hit === undefined) throw new AsiabillShapeError(`${key} has an unexpected value`);
  return hit;
}
