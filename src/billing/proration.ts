/**
 * Proration: what a part of a billing period costs, in integer minor units.
 *
 * The rule (docs/lifecycle.md): a period is measured in whole real seconds between its two
 * boundaries (the boundaries themselves are computed in the subscription's time zone, so a
 * New York month that contains the spring-forward night is 3,600 seconds shorter). The
 * price of the seconds [a, b) of a period of T seconds is
 *
 *     R(b) − R(a),   where R(s) = round_half_up(price × s / T)
 *
 * ("cumulative rounding"). Because every part is a difference of the same R, the parts of
 * any split of a period always add up to exactly the full price — no cent is created or lost
 * however many times a period is cut (plan changes, pause, cancel with refund).
 *
 * Pure: instants in, integers out; BigInt for the products so no float is ever involved.
 */
import { ValidationError } from '../errors.ts';

export interface PeriodSpan {
  start: Date;
  end: Date;
}

/** Length of a period in whole seconds (boundaries are whole seconds; anything finer is dropped). */
export function periodSeconds(p: PeriodSpan): number {
  const total = Math.floor(p.end.getTime() / 1000) - Math.floor(p.start.getTime() / 1000);
  if (total <= 0) throw new ValidationError('period', 'end after start', 'the period has no length');
  return total;
}

/** Whole seconds of the period already used at `at`, clamped to [0, total]. A started second counts as used. */
export function elapsedSeconds(p: PeriodSpan, at: Date): number {
  const total = periodSeconds(p);
  const elapsed = Math.floor(at.getTime() / 1000) - Math.floor(p.start.getTime() / 1000);
  return Math.min(total, Math.max(0, elapsed));
}

/** R(s): the cumulative price of the first `s` seconds of a period of `total` seconds, half up. */
export function cumulativePrice(price: number, s: number, total: number): number {
  checkInt(price, 'price');
  checkInt(s, 'seconds');
  checkInt(total, 'total');
  if (total <= 0 || s > total) throw new ValidationError('seconds', '0 ≤ s ≤ total', `${s} of ${total}`);
  const num = 2n * BigInt(price) * BigInt(s) + BigInt(total);
  return Number(num / (2n * BigInt(total)));
}

/** The price of the seconds [from, to) of a period of `total` seconds: R(to) − R(from). */
export function proratedPart(price: number, from: number, to: number, total: number): number {
  if (from > to) throw new ValidationError('seconds', 'from ≤ to', `${from} > ${to}`);
  return cumulativePrice(price, to, total) - cumulativePrice(price, from, total);
}

export interface ChangeProration {
  totalSeconds: number;
  elapsedSeconds: number;
  remainingSeconds: number;
  /** What the old price's unused remainder is worth: credited back. */
  unusedOld: number;
  /** What the new price's remainder costs: charged. */
  remainingNew: number;
}

/** A same-interval plan change at `at`: the rest of the period at the new price minus the rest at the old one. */
export function prorateChange(period: PeriodSpan, at: Date, oldPrice: number, newPrice: number): ChangeProration {
  const total = periodSeconds(period);
  const elapsed = elapsedSeconds(period, at);
  return {
    totalSeconds: total,
    elapsedSeconds: elapsed,
    remainingSeconds: total - elapsed,
    unusedOld: proratedPart(oldPrice, elapsed, total, total),
    remainingNew: proratedPart(newPrice, elapsed, total, total),
  };
}

function checkInt(n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new ValidationError(field, 'non-negative integer', `${n}`);
}
