import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  cumulativePrice,
  elapsedSeconds,
  periodSeconds,
  prorateChange,
  proratedPart,
} from '../../../src/billing/proration.ts';
import { periodAt } from '../../../src/billing/periods.ts';

/**
 * The proration rule of docs/lifecycle.md: the seconds [a, b) of a T-second period cost
 * R(b) − R(a), R(s) = round_half_up(price × s / T). Expected values are worked by hand
 * (the arithmetic is written next to each row), never taken from the function under test.
 */
const D = 86_400;

describe('proration: hand-computed table', () => {
  // [what, price, T, elapsed, unused old (price − R(elapsed))]
  const rows: Array<[string, number, number, number, number]> = [
    ['half of a 30-day month', 1000, 30 * D, 15 * D, 500], // R = 1000 × 1/2 = 500
    ['a third: 333.33 rounds down', 1000, 3, 1, 667], // R(1) = 333.33 → 333; 1000 − 333
    ['two thirds: 666.67 rounds up', 1000, 3, 2, 333], // R(2) = 666.67 → 667; 1000 − 667
    ['exactly half a minor unit rounds up', 1, 2, 1, 0], // R(1) = 0.5 → 1; 1 − 1
    ['last second of a 28-day month', 3000, 28 * D, 28 * D - 1, 0], // R = 2999.9988 → 3000
    ['first second of a 28-day month', 3000, 28 * D, 1, 3000], // R(1) = 0.0012 → 0
    ['nothing used yet', 1999, 31 * D, 0, 1999],
    ['all used', 1999, 31 * D, 31 * D, 0],
    // New York, 2027-03-01 00:00 EST → 04-01 00:00 EDT: 31 days − 1 h = 2,674,800 s. Changed at
    // 03-16 00:00 EDT: 15 days − 1 h = 1,292,400 s. R = 3100 × 1292400 / 2674800 = 1497.85 → 1498.
    ['across DST (New York, March)', 3100, 2_674_800, 1_292_400, 1602],
    // JPY (no minor unit): 1000 yen for February (28 days), one day used: R = 35.71 → 36.
    ['JPY, one day of February', 1000, 28 * D, D, 964],
  ];
  it.each(rows)('%s', (_what, price, total, elapsed, unused) => {
    expect(proratedPart(price, elapsed, total, total)).toBe(unused);
    expect(proratedPart(price, 0, elapsed, total)).toBe(price - unused);
  });

  it('measures DST periods in real seconds, from boundaries in the subscription zone', () => {
    const p = periodAt(
      { anchor: new Date('2027-03-01T05:00:00Z'), interval: 'month', intervalCount: 1, timeZone: 'America/New_York' },
      0,
    );
    expect(p.end.toISOString()).toBe('2027-04-01T04:00:00.000Z');
    expect(periodSeconds(p)).toBe(31 * D - 3600);
    expect(elapsedSeconds(p, new Date('2027-03-16T04:00:00Z'))).toBe(1_292_400);
  });

  it('month-end anchor: Jan 31 → Feb 28 is 28 days; a change at its last second leaves nothing', () => {
    const p = periodAt(
      { anchor: new Date('2027-01-31T12:00:00Z'), interval: 'month', intervalCount: 1, timeZone: 'UTC' },
      0,
    );
    expect(periodSeconds(p)).toBe(28 * D);
    const last = new Date(p.end.getTime() - 1000);
    const c = prorateChange(p, last, 1000, 3000);
    expect(c).toEqual({
      totalSeconds: 28 * D,
      elapsedSeconds: 28 * D - 1,
      remainingSeconds: 1,
      unusedOld: 0,
      remainingNew: 0,
    });
    // Half a second into the last second still counts that second as used.
    expect(prorateChange(p, new Date(last.getTime() + 500), 1000, 3000).remainingSeconds).toBe(1);
  });

  it('an upgrade at the half of a 28-day period: 30.00 − 10.00 for half the period = 10.00', () => {
    const p = { start: new Date('2027-01-31T12:00:00Z'), end: new Date('2027-02-28T12:00:00Z') };
    const c = prorateChange(p, new Date('2027-02-14T12:00:00Z'), 1000, 3000);
    expect(c.unusedOld).toBe(500);
    expect(c.remainingNew).toBe(1500);
  });

  it('instants outside the period are clamped', () => {
    const p = { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-01-02T00:00:00Z') };
    expect(elapsedSeconds(p, new Date('2026-12-31T00:00:00Z'))).toBe(0);
    expect(elapsedSeconds(p, new Date('2027-01-05T00:00:00Z'))).toBe(D);
  });

  it('refuses nonsense', () => {
    expect(() => cumulativePrice(-1, 0, 1)).toThrow(/price/);
    expect(() => cumulativePrice(1, 2, 1)).toThrow(/seconds/);
    expect(() => proratedPart(1, 2, 1, 3)).toThrow(/from ≤ to/);
    expect(() => periodSeconds({ start: new Date(1000), end: new Date(1000) })).toThrow(/no length/);
  });
});

describe('proration: properties', () => {
  it('the prorated parts of any split of a period sum to the full price, and none is negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 1, max: 400 * D }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (price, total, fractions) => {
          const cuts = [...new Set(fractions.map((f) => Math.floor(f * total)))].sort((a, b) => a - b);
          const points = [0, ...cuts.filter((c) => c > 0 && c < total), total];
          const parts = points.slice(1).map((to, i) => proratedPart(price, points[i] ?? 0, to, total));
          expect(parts.length).toBe(points.length - 1);
          expect(parts.every((x) => x >= 0)).toBe(true);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(price);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('a change splits the old price exactly into used + unused, and each part is within one unit of exact', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 1, max: 400 * D }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (price, total, f) => {
          const e = Math.floor(f * total);
          const used = proratedPart(price, 0, e, total);
          const unused = proratedPart(price, e, total, total);
          expect(used + unused).toBe(price);
          // |used − price × e / T| ≤ 1/2, checked in integers: |2·used·T − 2·price·e| ≤ T
          const diff = 2n * BigInt(used) * BigInt(total) - 2n * BigInt(price) * BigInt(e);
          expect(diff <= BigInt(total) && diff >= -BigInt(total)).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
