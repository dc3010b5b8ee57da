/**
 * Coupon terms. Pure: parsing the percentage without floats and counting down durations.
 */
import { ValidationError } from '../errors.ts';
import { FULL_PERCENT_BP } from './invoiceLines.ts';

export const COUPON_DURATIONS = ['once', 'repeating', 'forever'] as const;
export type CouponDuration = (typeof COUPON_DURATIONS)[number];

/** A coupon that repeats for more than ten years of monthly invoices is a typo. */
export const MAX_COUPON_PERIODS = 120;

export function parseCouponDuration(s: string, field = 'duration'): CouponDuration {
  const found = COUPON_DURATIONS.find((d) => d === s);
  if (!found) throw new ValidationError(field, 'enum', `"${s}" is not one of ${COUPON_DURATIONS.join(', ')}`);
  return found;
}

/** "12.5" → 1250 basis points; at most two decimals, 0 < p ≤ 100. String arithmetic only. */
export function parsePercentOff(text: string, field = 'percent-off'): number {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new ValidationError(field, 'decimal 0.01-100 with at most 2 decimals', `"${text}" is not a percentage`);
  const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (bp <= 0 || bp > FULL_PERCENT_BP) throw new ValidationError(field, '0 < percent ≤ 100', `${text} is out of range`);
  return bp;
}

/** Periods left after one more invoice used the coupon; null means forever; 0 means used up. */
export function periodsLeftAfterUse(duration: CouponDuration, left: number | null): number | null {
  if (duration === 'forever') return null;
  return Math.max(0, (left ?? 1) - 1);
}

/** Initial count when a coupon is applied to a subscription. */
export function initialPeriods(duration: CouponDuration, durationPeriods: number | null): number | null {
  if (duration === 'forever') return null;
  if (duration === 'once') return 1;
  return durationPeriods ?? 1;
}
