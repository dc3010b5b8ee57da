/**
 * Anniversary billing periods: a schedule is an anchor instant plus "every N days /
 * weeks / months / years" in the customer's time zone.
 *
 * Every boundary is computed from the anchor, never from the previous boundary. Chaining
 * loses information: Jan 31 + 1 month = Feb 28, and Feb 28 + 1 month = Mar 28, so a chained
 * schedule drifts to the 28th forever. From the anchor, boundary 2 is Mar 31.
 *
 * Calendar arithmetic is done on the anchor's *local* date and wall-clock time in the
 * schedule's zone, so a 10:00 Shanghai renewal stays at 10:00 Shanghai, and a New York
 * renewal keeps its local time across DST changes. Wall-clock times that DST makes
 * ambiguous or non-existent are resolved as described at `toInstant`.
 *
 * Pure: no I/O, no clock.
 */
import { DateTime, IANAZone } from 'luxon';
import { ValidationError } from '../errors.ts';

export const INTERVALS = ['day', 'week', 'month', 'year'] as const;
export type Interval = (typeof INTERVALS)[number];

export interface Schedule {
  /** UTC instant of boundary 0; its local date and time in `timeZone` set the pattern. */
  anchor: Date;
  interval: Interval;
  /** Positive integer: 3 with 'month' means quarterly. */
  intervalCount: number;
  /** IANA zone name, e.g. "Asia/Shanghai". */
  timeZone: string;
}

/** The half-open range [start, end) between boundaries `index` and `index + 1`. */
export interface Period {
  index: number;
  start: Date;
  end: Date;
}

interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const DAY_MS = 86_400_000;

/**
 * Average length of one unit, used only to guess the period index in `periodContaining`;
 * the guess is then corrected against exact boundaries, so precision does not matter.
 */
const APPROX_UNIT_MS: Record<Interval, number> = {
  day: DAY_MS,
  week: 7 * DAY_MS,
  month: (365.2425 / 12) * DAY_MS,
  year: 365.2425 * DAY_MS,
};

export function isInterval(s: string): s is Interval {
  return (INTERVALS as readonly string[]).includes(s);
}

/** Accepts the interval names in any case ("Month"), since they come from CLI and API input. */
export function parseInterval(s: string, field = 'interval'): Interval {
  const candidate = s.trim().toLowerCase();
  if (!isInterval(candidate)) {
    throw new ValidationError(field, 'enum', `"${s}" is not one of ${INTERVALS.join(', ')}`);
  }
  return candidate;
}

// Checking a zone constructs an Intl.DateTimeFormat, which is slow enough to matter when
// `periodContaining` runs for every subscription; the answer for a name never changes.
const zoneValidity = new Map<string, boolean>();

export function validateTimeZone(zone: string, field = 'timezone'): string {
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    valid = zone !== '' && IANAZone.isValidZone(zone);
    zoneValidity.set(zone, valid);
  }
  if (!valid) {
    throw new ValidationError(field, 'IANA time zone', `"${zone}" is not an IANA time zone such as "Asia/Shanghai"`);
  }
  return zone;
}

/** Throws a ValidationError naming the offending field; returns the schedule unchanged. */
export function validateSchedule(schedule: Schedule): Schedule {
  if (!(schedule.anchor instanceof Date) || Number.isNaN(schedule.anchor.getTime())) {
    throw new ValidationError('anchor', 'valid date', 'must be a valid date');
  }
  if (!isInterval(schedule.interval)) {
    throw new ValidationError(
      'interval',
      'enum',
      `"${String(schedule.interval)}" is not one of ${INTERVALS.join(', ')}`,
    );
  }
  if (!Number.isSafeInteger(schedule.intervalCount) || schedule.intervalCount < 1) {
    throw new ValidationError(
      'intervalCount',
      'positive integer',
      `${String(schedule.intervalCount)} is not a positive integer`,
    );
  }
  validateTimeZone(schedule.timeZone);
  return schedule;
}

/** Boundary `n` (0 = the anchor itself). */
export function boundary(schedule: Schedule, n: number): Date {
  validateSchedule(schedule);
  checkIndex(n, 'index');
  return boundaryFrom(schedule, anchorLocal(schedule), n);
}

export function periodAt(schedule: Schedule, n: number): Period {
  validateSchedule(schedule);
  checkIndex(n, 'index');
  const local = anchorLocal(schedule);
  return { index: n, start: boundaryFrom(schedule, local, n), end: boundaryFrom(schedule, local, n + 1) };
}

/**
 * The period whose [start, end) contains `instant`. Guesses the index from the elapsed
 * time and corrects it one step at a time; the guess is off by at most a step or two, so a
 * daily schedule decades old costs a handful of boundary computations, not thousands.
 */
export function periodContaining(schedule: Schedule, instant: Date): Period {
  validateSchedule(schedule);
  const t = instant.getTime();
  if (Number.isNaN(t)) {
    throw new ValidationError('instant', 'valid date', 'must be a valid date');
  }
  const anchorMs = schedule.anchor.getTime();
  if (t < anchorMs) {
    throw new ValidationError(
      'instant',
      'not before anchor',
      `${instant.toISOString()} is before the schedule anchor ${schedule.anchor.toISOString()}`,
    );
  }
  const local = anchorLocal(schedule);
  const at = (k: number): number => boundaryFrom(schedule, local, k).getTime();
  let n = Math.floor((t - anchorMs) / (APPROX_UNIT_MS[schedule.interval] * schedule.intervalCount));
  let start = at(n);
  while (n > 0 && start > t) {
    n -= 1;
    start = at(n);
  }
  let end = at(n + 1);
  // `<=`, not `<`: periods are half-open, so an instant exactly on a boundary starts the next one.
  while (end <= t) {
    n += 1;
    start = end;
    end = at(n + 1);
  }
  return { index: n, start: new Date(start), end: new Date(end) };
}

/** Boundaries 1..count (the anchor is not included). */
export function nextBoundaries(schedule: Schedule, count: number): Date[] {
  validateSchedule(schedule);
  checkIndex(count, 'count');
  const local = anchorLocal(schedule);
  const out: Date[] = [];
  for (let k = 1; k <= count; k += 1) out.push(boundaryFrom(schedule, local, k));
  return out;
}

/** ISO 8601 with the zone's offset at that instant; milliseconds only when non-zero. */
export function formatInZone(d: Date, zone: string): string {
  validateTimeZone(zone, 'timezone');
  const iso = DateTime.fromJSDate(d, { zone }).toISO({ suppressMilliseconds: true });
  if (iso === null) {
    throw new ValidationError('date', 'valid date', 'must be a valid date');
  }
  return iso;
}

// Only these shapes: luxon's fromISO would also take week dates, ordinal dates and bare
// times, and a bare time silently means "today", which would make parsing depend on the clock.
const ANCHOR_SHAPE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Parses an anchor: "2025-01-31" (midnight in `zone`), "2025-01-31T10:00[:00[.000]]"
 * (wall time in `zone`), or the same with "Z" / "+08:00" (an absolute instant).
 * Wall times are resolved exactly like boundaries (see `toInstant`), so an anchor typed as
 * a non-existent 02:30 on a spring-forward day becomes 03:30.
 */
export function parseAnchor(text: string, zone: string, field = 'anchor'): Date {
  validateTimeZone(zone, 'timezone');
  const trimmed = text.trim();
  const shape = ANCHOR_SHAPE.exec(trimmed);
  if (shape === null) {
    throw new ValidationError(
      field,
      'ISO 8601 date or date-time',
      `"${text}" is not of the form 2025-01-31, 2025-01-31T10:00:00 or 2025-01-31T10:00:00+08:00`,
    );
  }
  const hasOffset = shape[1] !== undefined;
  // Without an offset, read the fields in UTC (which has no DST gaps) purely to validate
  // them, then place them in the zone ourselves.
  const parsed = DateTime.fromISO(trimmed, hasOffset ? { setZone: true } : { zone: 'utc' });
  if (!parsed.isValid) {
    throw new ValidationError(
      field,
      'ISO 8601 date or date-time',
      `"${text}" is not a valid date (${parsed.invalidExplanation ?? 'invalid'})`,
    );
  }
  if (hasOffset) return parsed.toJSDate();
  return toInstant(
    {
      year: parsed.year,
      month: parsed.month,
      day: parsed.day,
      hour: parsed.hour,
      minute: parsed.minute,
      second: parsed.second,
      millisecond: parsed.millisecond,
    },
    zone,
  );
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function checkIndex(n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ValidationError(field, 'non-negative integer', `${String(n)} is not a non-negative integer`);
  }
}

function anchorLocal(schedule: Schedule): LocalDateTime {
  const dt = DateTime.fromJSDate(schedule.anchor, { zone: schedule.timeZone });
  return {
    year: dt.year,
    month: dt.month,
    day: dt.day,
    hour: dt.hour,
    minute: dt.minute,
    second: dt.second,
    millisecond: dt.millisecond,
  };
}

function boundaryFrom(schedule: Schedule, anchor: LocalDateTime, n: number): Date {
  // Boundary 0 is the anchor instant itself, not its wall time re-resolved: an anchor in the
  // second occurrence of a fall-back hour (New York 01:30 EST) would otherwise come back as
  // the first occurrence, and the first period would start an hour before sign-up.
  if (n === 0) return new Date(schedule.anchor.getTime());
  const steps = n * schedule.intervalCount;
  let year: number;
  let month: number;
  let day: number;
  if (schedule.interval === 'month' || schedule.interval === 'year') {
    const months = schedule.interval === 'year' ? steps * 12 : steps;
    const total = anchor.year * 12 + (anchor.month - 1) + months;
    year = Math.floor(total / 12);
    month = total - year * 12 + 1;
    // Clamp to the month's last day, but from the anchor's day each time, so a 31st
    // anchor returns to the 31st whenever the month has one.
    day = Math.min(anchor.day, daysInMonth(year, month));
  } else {
    const days = schedule.interval === 'week' ? steps * 7 : steps;
    ({ year, month, day } = civilFromDays(daysFromCivil(anchor.year, anchor.month, anchor.day) + days));
  }
  return toInstant({ ...anchor, year, month, day }, schedule.timeZone);
}

/**
 * Local wall-clock time in `zone` → instant, with DST handled like Temporal's
 * "compatible" disambiguation:
 * - Non-existent time (spring-forward gap): luxon moves it forward by the length of the
 *   gap, so 02:30 on a New York spring-forward day becomes 03:30 EDT. The renewal happens
 *   as soon as that wall time has passed, never a day early or skipped.
 * - Ambiguous time (fall-back overlap): the *earlier* of the two instants, i.e. the first
 *   time the wall clock shows it. luxon on its own is not consistent here (New York 01:30
 *   on the fall-back day comes back as the later EST instant, Lord Howe as the earlier),
 *   so we check for an earlier match ourselves.
 * Boundary 0 never comes through here (it is the anchor instant, see `boundaryFrom`): an
 * anchor is an instant, and re-resolving its wall time could pick the other occurrence.
 */
function toInstant(local: LocalDateTime, zone: string): Date {
  const dt = DateTime.fromObject(local, { zone });
  if (!dt.isValid) {
    throw new ValidationError(
      'index',
      'within supported date range',
      `${String(local.year)}-${String(local.month)}-${String(local.day)} cannot be represented (${dt.invalidExplanation ?? 'invalid'})`,
    );
  }
  const ts = dt.toMillis();
  const wall = wallMillis(local);
  // luxon moved a gap time forward: the requested wall time does not exist; keep its answer.
  if (ts + dt.offset * 60_000 !== wall) return new Date(ts);
  // Transitions are far more than a day apart, so the offset a day earlier is the one in
  // force before any transition that could make this wall time ambiguous.
  const offsetBefore = dt.zone.offset(ts - DAY_MS);
  if (offsetBefore !== dt.offset) {
    const earlier = wall - offsetBefore * 60_000;
    if (earlier < ts && dt.zone.offset(earlier) === offsetBefore) return new Date(earlier);
  }
  return new Date(ts);
}

/** The wall-clock fields read as if they were UTC, in ms; for comparing against offsets. */
function wallMillis(local: LocalDateTime): number {
  return (
    daysFromCivil(local.year, local.month, local.day) * DAY_MS +
    ((local.hour * 60 + local.minute) * 60 + local.second) * 1000 +
    local.millisecond
  );
}

// Proleptic Gregorian date <-> days since 1970-01-01 with integer arithmetic only
// (H. Hinnant's algorithms), so adding days never goes through Date and its DST or
// two-digit-year quirks.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}
