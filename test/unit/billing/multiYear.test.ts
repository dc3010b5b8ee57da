import { describe, expect, it } from 'vitest';
import { nextBoundaries } from '../../../src/billing/periods.ts';
import { validatePlanInput, MAX_INTERVAL_COUNT } from '../../../src/catalog/planPolicy.ts';

/**
 * Multi-year terms: plans of up to five years, with the anniversary rule of the period module
 * (a Feb 29 anchor lands on Feb 28 in common years and on Feb 29 in leap years). Expected dates
 * are from the calendar, by hand.
 */
const day = (d: Date) => d.toISOString().slice(0, 10);

describe('multi-year plans', () => {
  it('accepts terms up to five years in any unit, and refuses longer', () => {
    expect(MAX_INTERVAL_COUNT.year).toBeGreaterThanOrEqual(5);
    const plan = (interval: string, intervalCount: number) =>
      validatePlanInput({ code: 'c', name: 'n', amount: '100.00', currency: 'USD', interval, intervalCount });
    expect(plan('year', 5).intervalCount).toBe(5);
    expect(plan('month', 60).intervalCount).toBe(60);
    expect(() => plan('year', 6)).toThrow(/intervalCount/);
    expect(() => plan('month', 61)).toThrow(/intervalCount/);
  });

  it('a 5-year term anchored on Feb 29 renews on Feb 28 in common years and Feb 29 in leap years', () => {
    const s = {
      anchor: new Date('2028-02-29T09:00:00Z'),
      interval: 'year' as const,
      intervalCount: 5,
      timeZone: 'UTC',
    };
    expect(nextBoundaries(s, 5).map(day)).toEqual([
      '2033-02-28',
      '2038-02-28',
      '2043-02-28',
      '2048-02-29',
      '2053-02-28',
    ]);
    // 60 months is the same schedule.
    expect(nextBoundaries({ ...s, interval: 'month', intervalCount: 60 }, 5).map(day)).toEqual(
      nextBoundaries(s, 5).map(day),
    );
  });

  it('a 4-year term from Feb 29 stays on Feb 29 except in 2100, which is not a leap year', () => {
    const s = {
      anchor: new Date('2028-02-29T00:00:00Z'),
      interval: 'year' as const,
      intervalCount: 4,
      timeZone: 'UTC',
    };
    const b = nextBoundaries(s, 19).map(day);
    expect(b.slice(0, 3)).toEqual(['2032-02-29', '2036-02-29', '2040-02-29']);
    expect(b[17]).toBe('2100-02-28');
    expect(b[18]).toBe('2104-02-29');
  });

  it('keeps the local time in the subscription zone across the years (Shanghai, no DST; New York, DST)', () => {
    const sh = {
      anchor: new Date('2028-02-29T02:00:00Z'),
      interval: 'year' as const,
      intervalCount: 3,
      timeZone: 'Asia/Shanghai',
    };
    expect(nextBoundaries(sh, 2).map((d) => d.toISOString())).toEqual([
      '2031-02-28T02:00:00.000Z',
      '2034-02-28T02:00:00.000Z',
    ]);
    // 2028-07-01 09:00 EDT; every 5 years still 09:00 local (EDT in July).
    const ny = {
      anchor: new Date('2028-07-01T13:00:00Z'),
      interval: 'year' as const,
      intervalCount: 5,
      timeZone: 'America/New_York',
    };
    expect(nextBoundaries(ny, 1).map((d) => d.toISOString())).toEqual(['2033-07-01T13:00:00.000Z']);
  });
});
