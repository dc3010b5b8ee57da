import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import {
  INTERVALS,
  type Interval,
  type Schedule,
  boundary,
  daysInMonth,
  formatInZone,
  nextBoundaries,
  parseAnchor,
  parseInterval,
  periodAt,
  periodContaining,
  validateSchedule,
  validateTimeZone,
} from '../../src/billing/periods.ts';
import { validationError } from '../support/validation.ts';

function schedule(anchorText: string, timeZone: string, interval: Interval, intervalCount = 1): Schedule {
  return { anchor: parseAnchor(anchorText, timeZone), interval, intervalCount, timeZone };
}

function upcoming(s: Schedule, count: number): string[] {
  return nextBoundaries(s, count).map((d) => formatInZone(d, s.timeZone));
}

describe('parseInterval / validateTimeZone / validateSchedule', () => {
  it('parses the four intervals', () => {
    for (const i of INTERVALS) expect(parseInterval(i)).toBe(i);
    expect(parseInterval(' Month ')).toBe('month');
  });

  it('rejects unknown intervals with the enum rule', () => {
    const err = validationError(() => parseInterval('fortnight'), 'interval', 'enum');
    expect(err.message).toBe('interval: "fortnight" is not one of day, week, month, year (rule: enum)');
    validationError(() => parseInterval('', 'plan.interval'), 'plan.interval', 'enum');
  });

  it('validates IANA zones', () => {
    expect(validateTimeZone('Asia/Shanghai')).toBe('Asia/Shanghai');
    expect(validateTimeZone('UTC')).toBe('UTC');
    validationError(() => validateTimeZone('Mars/Olympus'), 'timezone', 'IANA time zone');
    validationError(() => validateTimeZone(''), 'timezone', 'IANA time zone');
    validationError(() => validateTimeZone('+08:00', 'tz'), 'tz', 'IANA time zone');
  });

  it('validates schedules field by field', () => {
    const good: Schedule = {
      anchor: new Date('2025-01-01T00:00:00Z'),
      interval: 'month',
      intervalCount: 1,
      timeZone: 'UTC',
    };
    expect(validateSchedule(good)).toBe(good);
    validationError(() => validateSchedule({ ...good, anchor: new Date('nope') }), 'anchor', 'valid date');
    validationError(() => validateSchedule({ ...good, intervalCount: 0 }), 'intervalCount', 'positive integer');
    validationError(() => validateSchedule({ ...good, intervalCount: 1.5 }), 'intervalCount', 'positive integer');
    validationError(() => validateSchedule({ ...good, timeZone: 'Nowhere' }), 'timezone', 'IANA time zone');
    validationError(() => boundary({ ...good, interval: 'fortnight' as Interval }, 1), 'interval', 'enum');
    validationError(() => boundary(good, -1), 'index', 'non-negative integer');
    validationError(() => boundary(good, 1.5), 'index', 'non-negative integer');
    validationError(() => nextBoundaries(good, -1), 'count', 'non-negative integer');
  });
});

describe('parseAnchor / formatInZone', () => {
  it('reads a bare date as local midnight', () => {
    expect(formatInZone(parseAnchor('2025-01-31', 'Asia/Shanghai'), 'Asia/Shanghai')).toBe('2025-01-31T00:00:00+08:00');
    expect(parseAnchor('2025-01-31', 'Asia/Shanghai').toISOString()).toBe('2025-01-30T16:00:00.000Z');
  });

  it('reads a date-time without offset as wall time in the zone', () => {
    expect(parseAnchor('2025-01-31T10:00:00', 'Asia/Shanghai').toISOString()).toBe('2025-01-31T02:00:00.000Z');
    expect(parseAnchor('2025-01-31T10:00', 'America/New_York').toISOString()).toBe('2025-01-31T15:00:00.000Z');
    expect(parseAnchor('2025-01-31T10:00:00.250', 'UTC').toISOString()).toBe('2025-01-31T10:00:00.250Z');
  });

  it('reads Z and explicit offsets as absolute instants, whatever the zone', () => {
    expect(parseAnchor('2025-01-31T10:00:00Z', 'Asia/Shanghai').toISOString()).toBe('2025-01-31T10:00:00.000Z');
    expect(parseAnchor('2025-01-31T10:00:00+08:00', 'America/New_York').toISOString()).toBe('2025-01-31T02:00:00.000Z');
  });

  it('rejects anything else', () => {
    for (const text of [
      '',
      'garbage',
      '2025-02-30',
      '2025-13-01',
      '2025-01-31 10:00',
      '10:00',
      '2025-W05-1',
      '2025-031',
      '2025-01-31T25:00',
      '2025-01-31T10:00+0800',
    ]) {
      validationError(() => parseAnchor(text, 'UTC'), 'anchor', 'ISO 8601 date or date-time');
    }
    validationError(() => parseAnchor('nope', 'UTC', 'startsAt'), 'startsAt');
    validationError(() => parseAnchor('2025-01-01', 'Nowhere'), 'timezone', 'IANA time zone');
  });

  it('formats with the zone offset, milliseconds only when present', () => {
    const d = new Date('2025-02-28T02:00:00Z');
    expect(formatInZone(d, 'Asia/Shanghai')).toBe('2025-02-28T10:00:00+08:00');
    expect(formatInZone(new Date('2025-02-28T02:00:00.123Z'), 'Asia/Kolkata')).toBe('2025-02-28T07:30:00.123+05:30');
    expect(formatInZone(d, 'Europe/London')).toBe('2025-02-28T02:00:00+00:00');
    validationError(() => formatInZone(d, 'Nowhere'), 'timezone');
  });
});

describe('boundary examples', () => {
  it('monthly from Jan 31 clamps to month ends and returns to the 31st', () => {
    const s = schedule('2025-01-31T10:00:00', 'Asia/Shanghai', 'month');
    expect(formatInZone(boundary(s, 0), s.timeZone)).toBe('2025-01-31T10:00:00+08:00');
    expect(upcoming(s, 4)).toEqual([
      '2025-02-28T10:00:00+08:00',
      '2025-03-31T10:00:00+08:00',
      '2025-04-30T10:00:00+08:00',
      '2025-05-31T10:00:00+08:00',
    ]);
    // Leap February.
    expect(formatInZone(boundary(s, 13), s.timeZone)).toBe('2026-02-28T10:00:00+08:00');
    expect(formatInZone(boundary(s, 37), s.timeZone)).toBe('2028-02-29T10:00:00+08:00');
  });

  it('yearly from Feb 29 gives Feb 28 in common years and Feb 29 in leap years', () => {
    const s = schedule('2024-02-29T09:00:00', 'Europe/London', 'year');
    expect(upcoming(s, 4)).toEqual([
      '2025-02-28T09:00:00+00:00',
      '2026-02-28T09:00:00+00:00',
      '2027-02-28T09:00:00+00:00',
      '2028-02-29T09:00:00+00:00',
    ]);
    expect(formatInZone(boundary(s, 76), s.timeZone)).toBe('2100-02-28T09:00:00+00:00');
    expect(formatInZone(boundary(s, 376), s.timeZone)).toBe('2400-02-29T09:00:00+00:00');
  });

  it('every 3 months', () => {
    const s = schedule('2024-11-30T08:00:00', 'Asia/Tokyo', 'month', 3);
    expect(upcoming(s, 5)).toEqual([
      '2025-02-28T08:00:00+09:00',
      '2025-05-30T08:00:00+09:00',
      '2025-08-30T08:00:00+09:00',
      '2025-11-30T08:00:00+09:00',
      '2026-02-28T08:00:00+09:00',
    ]);
  });

  it('weekly and every 2 weeks across month and year ends', () => {
    expect(upcoming(schedule('2024-12-18T09:00:00', 'Asia/Tokyo', 'week'), 3)).toEqual([
      '2024-12-25T09:00:00+09:00',
      '2025-01-01T09:00:00+09:00',
      '2025-01-08T09:00:00+09:00',
    ]);
    expect(upcoming(schedule('2025-02-20', 'Asia/Kolkata', 'week', 2), 2)).toEqual([
      '2025-03-06T00:00:00+05:30',
      '2025-03-20T00:00:00+05:30',
    ]);
  });

  it('daily across a leap day, and every 30 days', () => {
    expect(upcoming(schedule('2024-02-27T23:59:59', 'UTC', 'day'), 3)).toEqual([
      '2024-02-28T23:59:59Z',
      '2024-02-29T23:59:59Z',
      '2024-03-01T23:59:59Z',
    ]);
    expect(upcoming(schedule('2025-01-01T12:00:00', 'Asia/Shanghai', 'day', 30), 2)).toEqual([
      '2025-01-31T12:00:00+08:00',
      '2025-03-02T12:00:00+08:00',
    ]);
  });

  it('keeps milliseconds of the anchor', () => {
    const s: Schedule = {
      anchor: new Date('2025-01-31T02:00:00.123Z'),
      interval: 'month',
      intervalCount: 1,
      timeZone: 'Asia/Shanghai',
    };
    expect(formatInZone(boundary(s, 1), s.timeZone)).toBe('2025-02-28T10:00:00.123+08:00');
  });

  it('is computed from the anchor, not chained (no drift to the 28th)', () => {
    const s = schedule('2025-01-31T10:00:00', 'Asia/Shanghai', 'month');
    const twelfth = boundary(s, 12);
    expect(formatInZone(twelfth, s.timeZone)).toBe('2026-01-31T10:00:00+08:00');
  });
});

describe('DST', () => {
  const NY = 'America/New_York';

  it('an anchor typed inside the spring-forward gap moves forward to 03:30 EDT', () => {
    const anchor = parseAnchor('2025-03-09T02:30', NY);
    expect(formatInZone(anchor, NY)).toBe('2025-03-09T03:30:00-04:00');
    // The anchor is now 03:30 local, so that is the pattern from then on.
    expect(upcoming({ anchor, interval: 'day', intervalCount: 1, timeZone: NY }, 1)).toEqual([
      '2025-03-10T03:30:00-04:00',
    ]);
  });

  it('a 02:30 daily schedule lands at 03:30 on the spring-forward day, then back to 02:30', () => {
    const s = schedule('2025-03-08T02:30', NY, 'day');
    expect(upcoming(s, 3)).toEqual([
      '2025-03-09T03:30:00-04:00',
      '2025-03-10T02:30:00-04:00',
      '2025-03-11T02:30:00-04:00',
    ]);
    const monthly = schedule('2025-02-09T02:30', NY, 'month');
    expect(upcoming(monthly, 2)).toEqual(['2025-03-09T03:30:00-04:00', '2025-04-09T02:30:00-04:00']);
  });

  it('01:30 across the November fall-back keeps 01:30 local, taking the first (EDT) occurrence', () => {
    const s = schedule('2025-11-01T01:30', NY, 'day');
    expect(upcoming(s, 3)).toEqual([
      '2025-11-02T01:30:00-04:00',
      '2025-11-03T01:30:00-05:00',
      '2025-11-04T01:30:00-05:00',
    ]);
    // The fall-back day's period is 25 hours long.
    const p = periodAt(s, 1);
    expect(p.end.getTime() - p.start.getTime()).toBe(25 * 3_600_000);
    // A wall time typed without offset on the fall-back day also means the first occurrence.
    expect(formatInZone(parseAnchor('2025-11-02T01:30', NY), NY)).toBe('2025-11-02T01:30:00-04:00');
    // An anchor given as the second occurrence is honoured as an instant.
    const second = {
      anchor: parseAnchor('2025-11-02T01:30:00-05:00', NY),
      interval: 'day' as const,
      intervalCount: 1,
      timeZone: NY,
    };
    expect(upcoming(second, 1)).toEqual(['2025-11-03T01:30:00-05:00']);
  });

  it('an anchor in the second occurrence of the fall-back hour is boundary 0 itself, not an hour earlier', () => {
    // Hand-written instants: 01:30 EST on 2025-11-02 is 06:30Z; the first occurrence (EDT) is 05:30Z.
    const anchor = new Date('2025-11-02T06:30:00Z');
    for (const interval of INTERVALS) {
      const s: Schedule = { anchor, interval, intervalCount: 1, timeZone: NY };
      expect(boundary(s, 0).toISOString()).toBe('2025-11-02T06:30:00.000Z');
      expect(periodAt(s, 0).start.toISOString()).toBe('2025-11-02T06:30:00.000Z');
      expect(periodContaining(s, anchor)).toEqual(periodAt(s, 0));
    }
    // The first period of a daily schedule is then 24 hours (to 01:30 EST on Nov 3), not 25.
    const daily = periodAt({ anchor, interval: 'day', intervalCount: 1, timeZone: NY }, 0);
    expect(daily.end.toISOString()).toBe('2025-11-03T06:30:00.000Z');
    // Lord Howe's half-hour overlap: 01:45 +10:30 (the second 01:45) on 2026-04-05 is 15:15Z the day before.
    const lh: Schedule = {
      anchor: new Date('2026-04-04T15:15:00Z'),
      interval: 'month',
      intervalCount: 1,
      timeZone: 'Australia/Lord_Howe',
    };
    expect(boundary(lh, 0).toISOString()).toBe('2026-04-04T15:15:00.000Z');
    expect(formatInZone(boundary(lh, 1), lh.timeZone)).toBe('2026-05-05T01:45:00+10:30');
  });

  it('Europe/London: gap at 01:00 and overlap at 01:00', () => {
    const LON = 'Europe/London';
    expect(upcoming(schedule('2025-03-29T01:30', LON, 'day'), 2)).toEqual([
      '2025-03-30T02:30:00+01:00',
      '2025-03-31T01:30:00+01:00',
    ]);
    expect(upcoming(schedule('2025-10-25T01:30', LON, 'day'), 2)).toEqual([
      '2025-10-26T01:30:00+01:00',
      '2025-10-27T01:30:00+00:00',
    ]);
    expect(upcoming(schedule('2025-01-15T12:00', LON, 'month'), 3)).toEqual([
      '2025-02-15T12:00:00+00:00',
      '2025-03-15T12:00:00+00:00',
      '2025-04-15T12:00:00+01:00',
    ]);
  });

  it('Australia/Lord_Howe: 30-minute DST shifts', () => {
    const LH = 'Australia/Lord_Howe';
    // Spring forward 2025-10-05 02:00 → 02:30 (+10:30 → +11:00): 02:15 does not exist.
    expect(upcoming(schedule('2025-10-04T02:15', LH, 'day'), 2)).toEqual([
      '2025-10-05T02:45:00+11:00',
      '2025-10-06T02:15:00+11:00',
    ]);
    // Fall back 2026-04-05 02:00 → 01:30: 01:45 happens twice; the first (+11:00) wins.
    const s = schedule('2026-04-04T01:45', LH, 'day');
    expect(upcoming(s, 2)).toEqual(['2026-04-05T01:45:00+11:00', '2026-04-06T01:45:00+10:30']);
    const p = periodAt(s, 1);
    expect(p.end.getTime() - p.start.getTime()).toBe(24.5 * 3_600_000);
  });
});

describe('periodAt / periodContaining / nextBoundaries', () => {
  const s = schedule('2025-01-31T10:00:00', 'Asia/Shanghai', 'month');

  it('periodAt spans consecutive boundaries', () => {
    const p = periodAt(s, 1);
    expect(p.index).toBe(1);
    expect(formatInZone(p.start, s.timeZone)).toBe('2025-02-28T10:00:00+08:00');
    expect(formatInZone(p.end, s.timeZone)).toBe('2025-03-31T10:00:00+08:00');
  });

  it('periodContaining is half-open', () => {
    expect(periodContaining(s, s.anchor).index).toBe(0);
    expect(periodContaining(s, new Date(boundary(s, 1).getTime() - 1)).index).toBe(0);
    expect(periodContaining(s, boundary(s, 1)).index).toBe(1);
    expect(periodContaining(s, new Date('2025-03-15T00:00:00Z'))).toEqual(periodAt(s, 1));
  });

  it('periodContaining rejects instants before the anchor and invalid dates', () => {
    validationError(() => periodContaining(s, new Date(s.anchor.getTime() - 1)), 'instant', 'not before anchor');
    validationError(() => periodContaining(s, new Date('nope')), 'instant', 'valid date');
  });

  it('periodContaining is fast and exact for a daily schedule decades long', () => {
    const daily = schedule('2000-01-01T00:30', 'America/New_York', 'day');
    const started = performance.now();
    const p = periodContaining(daily, new Date('2039-07-04T12:00:00Z'));
    expect(performance.now() - started).toBeLessThan(200);
    expect(formatInZone(p.start, daily.timeZone)).toBe('2039-07-04T00:30:00-04:00');
    expect(p.index).toBe(
      DateTime.fromISO('2039-07-04', { zone: 'utc' }).diff(DateTime.fromISO('2000-01-01', { zone: 'utc' }), 'days')
        .days,
    );
  });

  it('nextBoundaries excludes the anchor and matches boundary()', () => {
    const list = nextBoundaries(s, 5);
    expect(list).toHaveLength(5);
    for (const [i, d] of list.entries()) expect(d).toEqual(boundary(s, i + 1));
    expect(nextBoundaries(s, 0)).toEqual([]);
  });

  it('daysInMonth', () => {
    expect([2023, 2024, 1900, 2000].map((y) => daysInMonth(y, 2))).toEqual([28, 29, 28, 29]);
    expect(daysInMonth(2025, 4)).toBe(30);
    expect(daysInMonth(2025, 12)).toBe(31);
  });
});

describe('properties', () => {
  const ZONES = [
    'America/New_York',
    'Europe/London',
    'Asia/Shanghai',
    'Asia/Kolkata',
    'Australia/Sydney',
    'Pacific/Auckland',
    'America/Sao_Paulo',
    'UTC',
    'Asia/Tokyo',
    'America/St_Johns',
    'Australia/Lord_Howe',
  ];
  const MIN_MS = Date.UTC(2000, 0, 1);
  const MAX_MS = Date.UTC(2040, 11, 31);

  const intervalAndCount: fc.Arbitrary<[Interval, number]> = fc.oneof(
    fc.tuple(fc.constant<Interval>('day'), fc.integer({ min: 1, max: 400 })),
    fc.tuple(fc.constant<Interval>('week'), fc.integer({ min: 1, max: 12 })),
    fc.tuple(fc.constant<Interval>('month'), fc.integer({ min: 1, max: 12 })),
    fc.tuple(fc.constant<Interval>('year'), fc.integer({ min: 1, max: 12 })),
  );

  // Half the anchors are arbitrary instants; the other half are built from local fields
  // biased to month ends and to the small hours, where clamping and DST bite.
  const anchorIn = (zone: string): fc.Arbitrary<Date> =>
    fc.oneof(
      fc.integer({ min: MIN_MS, max: MAX_MS }).map((ms) => new Date(ms)),
      fc
        .record({
          year: fc.integer({ min: 2000, max: 2040 }),
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.oneof(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 28, max: 31 })),
          hour: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 3 })),
          minute: fc.constantFrom(0, 1, 15, 30, 45, 59),
        })
        .map(({ year, month, day, hour, minute }) => {
          const d = Math.min(day, daysInMonth(year, month));
          const pad = (v: number) => String(v).padStart(2, '0');
          return parseAnchor(`${year}-${pad(month)}-${pad(d)}T${pad(hour)}:${pad(minute)}`, zone);
        }),
    );

  const scheduleArb: fc.Arbitrary<Schedule> = fc.constantFrom(...ZONES).chain((timeZone) =>
    fc.tuple(anchorIn(timeZone), intervalAndCount).map(([anchor, [interval, intervalCount]]) => ({
      anchor,
      interval,
      intervalCount,
      timeZone,
    })),
  );
  const index = fc.integer({ min: 0, max: 60 });

  interface Local {
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    millisecond: number;
  }
  const localOf = (d: Date, zone: string): Local => {
    const dt = DateTime.fromJSDate(d, { zone });
    return {
      year: dt.year,
      month: dt.month,
      day: dt.day,
      hour: dt.hour,
      minute: dt.minute,
      second: dt.second,
      millisecond: dt.millisecond,
    };
  };
  const timeOfDayMs = (l: Local) => ((l.hour * 60 + l.minute) * 60 + l.second) * 1000 + l.millisecond;

  /** Expected local calendar date of boundary n, computed independently of the implementation. */
  const expectedDate = (s: Schedule, a: Local, n: number): { year: number; month: number; day: number } => {
    const steps = n * s.intervalCount;
    if (s.interval === 'month' || s.interval === 'year') {
      const months = a.month - 1 + (s.interval === 'year' ? steps * 12 : steps);
      const year = a.year + Math.floor(months / 12);
      const month = (months % 12) + 1;
      return { year, month, day: Math.min(a.day, daysInMonth(year, month)) };
    }
    const days = s.interval === 'week' ? steps * 7 : steps;
    const d = new Date(Date.UTC(a.year, a.month - 1, a.day + days));
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
  };

  /** Whether a wall-clock time exists in the zone (false inside a spring-forward gap). */
  const wallExists = (l: Local, zone: string): boolean => {
    const dt = DateTime.fromObject(l, { zone });
    return dt.isValid && dt.day === l.day && dt.hour === l.hour && dt.minute === l.minute && dt.second === l.second;
  };

  it('boundaries strictly increase and periods are contiguous', () => {
    fc.assert(
      fc.property(scheduleArb, index, (s, n) => {
        const p = periodAt(s, n);
        const q = periodAt(s, n + 1);
        expect(p.index).toBe(n);
        expect(p.start.getTime()).toBeLessThan(p.end.getTime());
        expect(p.end.getTime()).toBe(q.start.getTime());
        expect(q.start.getTime()).toBeLessThan(q.end.getTime());
      }),
      { numRuns: 10_000 },
    );
  });

  /**
   * Boundary n has the calendar date computed independently above and the anchor's wall-clock
   * time; where DST makes that time ambiguous it is the first occurrence, where it does not
   * exist it moves forward. Boundary 0 is the anchor instant itself.
   */
  const checkBoundary = (s: Schedule, n: number): void => {
    const a = localOf(s.anchor, s.timeZone);
    const b = boundary(s, n);
    const got = localOf(b, s.timeZone);
    const want = { ...a, ...expectedDate(s, a, n) };
    expect({ year: got.year, month: got.month, day: got.day }).toEqual({
      year: want.year,
      month: want.month,
      day: want.day,
    });
    if (n === 0) {
      // Boundary 0 is the anchor instant, whichever occurrence of an ambiguous time it is.
      expect(b.getTime()).toBe(s.anchor.getTime());
    } else if (wallExists(want, s.timeZone)) {
      expect(timeOfDayMs(got)).toBe(timeOfDayMs(a));
      // Ambiguous wall times resolve to the first occurrence: no earlier instant within
      // the largest overlap among these zones shows the same wall time.
      for (const back of [1_800_000, 3_600_000]) {
        const earlier = localOf(new Date(b.getTime() - back), s.timeZone);
        expect(earlier.day === got.day && timeOfDayMs(earlier) === timeOfDayMs(got)).toBe(false);
      }
    } else {
      // In a gap the boundary moves forward by the gap (at most an hour in these zones).
      const shift = timeOfDayMs(got) - timeOfDayMs(a);
      expect(shift).toBeGreaterThan(0);
      expect(shift).toBeLessThanOrEqual(3_600_000);
    }
  };

  it('boundaries keep the calendar pattern and the anchor wall-clock time', () => {
    fc.assert(
      fc.property(scheduleArb, index, (s, n) => {
        checkBoundary(s, n);
      }),
      { numRuns: 10_000 },
    );
  });

  it('periodContaining returns the period that contains the instant', () => {
    fc.assert(
      fc.property(scheduleArb, index, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (s, n, frac) => {
        const target = periodAt(s, n);
        const t = target.start.getTime() + Math.floor(frac * (target.end.getTime() - target.start.getTime()));
        const instant = new Date(t);
        const found = periodContaining(s, instant);
        expect(found.start.getTime()).toBeLessThanOrEqual(t);
        expect(found.end.getTime()).toBeGreaterThan(t);
        expect(found).toEqual(target);
        expect(periodContaining(s, target.start).index).toBe(n);
      }),
      { numRuns: 10_000 },
    );
  });

  it('nextBoundaries is the strictly increasing sequence boundary(1..count)', () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: 0, max: 24 }), (s, count) => {
        const list = nextBoundaries(s, count);
        expect(list).toHaveLength(count);
        let previous = s.anchor.getTime();
        list.forEach((d, i) => {
          expect(d.getTime()).toBeGreaterThan(previous);
          previous = d.getTime();
          if (i === count - 1) expect(d).toEqual(boundary(s, count));
        });
      }),
      { numRuns: 2_000 },
    );
  });
  /**
   * DST-biased generators. Arbitrary instants almost never fall in the one or two hours a
   * year where DST bites, so these are built from the zones' actual transitions: anchors a
   * few minutes either side of a transition (the second occurrence of a fall-back hour
   * among them), and schedules whose k-th boundary lands on a transition day at a wall
   * time inside the gap or the overlap. Transitions are found by probing luxon's zone
   * offsets, which is data, not the code under test.
   */
  interface Transition {
    zone: string;
    at: number;
    before: number;
    after: number;
  }
  // Zones with DST in 2000–2040, including transitions at midnight (Santiago, Havana, Tehran)
  // and a 30-minute one (Lord Howe).
  const DST_ZONES = [
    'America/New_York',
    'Europe/London',
    'Australia/Sydney',
    'Pacific/Auckland',
    'America/Sao_Paulo',
    'America/St_Johns',
    'Australia/Lord_Howe',
    'America/Santiago',
    'America/Havana',
    'Asia/Tehran',
  ];
  const MINUTE = 60_000;
  const transitionsOf = (zone: string): Transition[] => {
    const z = IANAZone.create(zone);
    const week = 7 * 86_400_000;
    const out: Transition[] = [];
    for (let t = MIN_MS; t < MAX_MS; t += week) {
      const before = z.offset(t);
      const after = z.offset(t + week);
      if (before === after) continue;
      // Transitions are on whole minutes: bisect in minutes to the first instant of `after`.
      let lo = t;
      let hi = t + week;
      while (hi - lo > MINUTE) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
        if (z.offset(mid) === before) lo = mid;
        else hi = mid;
      }
      out.push({ zone, at: hi, before, after });
    }
    return out;
  };
  const TRANSITIONS = DST_ZONES.flatMap(transitionsOf);

  it('the transition table is real (both directions, every DST zone, the hand-known New York ones)', () => {
    for (const zone of DST_ZONES) {
      const own = TRANSITIONS.filter((x) => x.zone === zone);
      expect(
        own.some((x) => x.after > x.before),
        zone,
      ).toBe(true);
      expect(
        own.some((x) => x.after < x.before),
        zone,
      ).toBe(true);
    }
    const ny = TRANSITIONS.filter((x) => x.zone === 'America/New_York').map((x) => new Date(x.at).toISOString());
    expect(ny).toContain('2025-03-09T07:00:00.000Z');
    expect(ny).toContain('2025-11-02T06:00:00.000Z');
  });

  const transitionArb = fc.constantFrom(...TRANSITIONS);
  // Minutes from the transition: mostly within the gap/overlap, with its edges and a margin.
  const nearMinutes = (x: Transition): fc.Arbitrary<number> => {
    const len = Math.abs(x.after - x.before);
    return fc.oneof(
      fc.integer({ min: -len, max: len }),
      fc.constantFrom(-len - 1, -len, -1, 0, 1, len - 1, len, len + 1),
      fc.integer({ min: -180, max: 180 }),
    );
  };
  const subMinute = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 59_999 }));

  /** Anchors a few minutes around a transition: both occurrences of an ambiguous time. */
  const nearTransitionSchedule: fc.Arbitrary<Schedule> = transitionArb.chain((x) =>
    fc.tuple(nearMinutes(x), subMinute, intervalAndCount).map(([m, ms, [interval, intervalCount]]) => ({
      anchor: new Date(x.at + m * MINUTE + ms),
      interval,
      intervalCount,
      timeZone: x.zone,
    })),
  );

  it('boundary 0 is always the anchor, with anchors biased to DST gaps and overlaps', { timeout: 180_000 }, () => {
    fc.assert(
      fc.property(fc.oneof(nearTransitionSchedule, scheduleArb), (s) => {
        expect(boundary(s, 0).getTime()).toBe(s.anchor.getTime());
        const first = periodAt(s, 0);
        expect(first.start.getTime()).toBe(s.anchor.getTime());
        expect(first.end.getTime()).toBe(boundary(s, 1).getTime());
        expect(first.end.getTime()).toBeGreaterThan(first.start.getTime());
        expect(periodContaining(s, s.anchor)).toEqual(first);
      }),
      { numRuns: 10_000 },
    );
  });

  // The generator really produces the case of the bug: a second occurrence of an ambiguous time.
  it('the DST generator produces second occurrences of fall-back wall times', () => {
    const samples = fc.sample(nearTransitionSchedule, { numRuns: 2_000, seed: 13 });
    const second = samples.filter((s) => {
      const z = IANAZone.create(s.timeZone);
      const t = s.anchor.getTime();
      const earlier = t - Math.abs(z.offset(t) - z.offset(t - 86_400_000)) * MINUTE;
      return (
        z.offset(t) < z.offset(t - 86_400_000) &&
        earlier < t &&
        localOf(new Date(earlier), s.timeZone).hour === localOf(s.anchor, s.timeZone).hour &&
        localOf(new Date(earlier), s.timeZone).minute === localOf(s.anchor, s.timeZone).minute
      );
    });
    expect(second.length).toBeGreaterThan(100);
  });

  /** A schedule whose boundary k falls on a transition day at a wall time in its gap or overlap. */
  const landingSchedule: fc.Arbitrary<{ s: Schedule; k: number }> = transitionArb.chain((x) =>
    fc.tuple(nearMinutes(x), intervalAndCount, fc.integer({ min: 1, max: 12 })).map(([m, [interval, rawCount], k]) => {
      // Wall time read with the offset in force before the transition: inside a spring-forward
      // gap for 0 <= m < gap, the first occurrence of an ambiguous time for -overlap <= m < 0.
      const wall = new Date(x.at + m * MINUTE + x.before * MINUTE);
      const intervalCount = interval === 'day' ? Math.min(rawCount, 40) : rawCount;
      const back = k * intervalCount;
      let date: Date;
      if (interval === 'month' || interval === 'year') {
        const first = new Date(
          Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth() - (interval === 'year' ? back * 12 : back), 1),
        );
        const day = Math.min(wall.getUTCDate(), daysInMonth(first.getUTCFullYear(), first.getUTCMonth() + 1));
        date = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), day));
      } else {
        date = new Date(
          Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate() - back * (interval === 'week' ? 7 : 1)),
        );
      }
      const pad = (v: number) => String(v).padStart(2, '0');
      const text = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
      return { s: { anchor: parseAnchor(text, x.zone), interval, intervalCount, timeZone: x.zone }, k };
    }),
  );

  it('the landing generator puts boundary k into gaps and into overlaps', () => {
    let gaps = 0;
    let overlaps = 0;
    for (const { s, k } of fc.sample(landingSchedule, { numRuns: 2_000, seed: 13 })) {
      const want = { ...localOf(s.anchor, s.timeZone), ...expectedDate(s, localOf(s.anchor, s.timeZone), k) };
      if (!wallExists(want, s.timeZone)) gaps += 1;
      const b = boundary(s, k).getTime();
      const z = IANAZone.create(s.timeZone);
      if (z.offset(b) !== z.offset(b + 3_600_000) && z.offset(b) > z.offset(b + 3_600_000)) overlaps += 1;
    }
    expect(gaps).toBeGreaterThan(100);
    expect(overlaps).toBeGreaterThan(100);
  });

  it('boundaries landing in DST gaps and overlaps keep the rules, and periods stay contiguous', {
    timeout: 180_000,
  }, () => {
    fc.assert(
      fc.property(landingSchedule, ({ s, k }) => {
        checkBoundary(s, 0);
        checkBoundary(s, k);
        const previous = periodAt(s, k - 1);
        const current = periodAt(s, k);
        expect(previous.end.getTime()).toBe(current.start.getTime());
        expect(previous.start.getTime()).toBeLessThan(previous.end.getTime());
        expect(current.start.getTime()).toBeLessThan(current.end.getTime());
        expect(periodContaining(s, current.start)).toEqual(current);
      }),
      { numRuns: 10_000 },
    );
  });
});
