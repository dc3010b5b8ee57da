import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_DUNNING_POLICY,
  effectivePolicy,
  parseDunningOverride,
  type DunningPolicy,
} from '../../../src/billing/dunningPolicy.ts';
import { actionDeadline, nextDunningStep, dunningEndsAt } from '../../../src/billing/dunning.ts';
import { refusalBackoffMs } from '../../../src/billing/refusalBackoff.ts';
import { capsFor, earliestAllowed, networkOf, type CapWindow } from '../../../src/billing/networkCaps.ts';
import {
  classifyOutcome,
  OUTCOME_RULES,
  type ClassifyInput,
  type OutcomeClass,
} from '../../../src/billing/outcomeClasses.ts';
import { ValidationError } from '../../../src/errors.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = new Date('2027-02-01T00:00:00Z');

describe('dunning policy validation', () => {
  it('the default is valid, within the issue limits (≤ 30 days in dunning, ≤ 7 days for customer action)', () => {
    expect(effectivePolicy(DEFAULT_DUNNING_POLICY)).toEqual(DEFAULT_DUNNING_POLICY);
    expect(DEFAULT_DUNNING_POLICY.maxDays).toBeLessThanOrEqual(30);
    expect(DEFAULT_DUNNING_POLICY.actionDeadlineHours).toBeLessThanOrEqual(7 * 24);
  });
  // Hand-made table: [override, field named in the error].
  const BAD: Array<[unknown, string]> = [
    [[], 'dunning'],
    ['x', 'dunning'],
    [{ maxDays: 31 }, 'dunning.maxDays'],
    [{ maxDays: 0 }, 'dunning.maxDays'],
    [{ maxAttempts: 0 }, 'dunning.maxAttempts'],
    [{ maxAttempts: 2.5 }, 'dunning.maxAttempts'],
    [{ retryDelayHours: [] }, 'dunning.retryDelayHours'],
    [{ retryDelayHours: [24, -1] }, 'dunning.retryDelayHours[1]'],
    [{ finalAction: 'delete' }, 'dunning.finalAction'],
    [{ actionDeadlineHours: 169 }, 'dunning.actionDeadlineHours'],
    [{ payLinkHours: 0 }, 'dunning.payLinkHours'],
    [{ retryEvery: 3 }, 'dunning.retryEvery'],
  ];
  it.each(BAD)('refuses %j naming %s', (raw, field) => {
    try {
      effectivePolicy(DEFAULT_DUNNING_POLICY, parseDunningOverride(raw));
      expect.unreachable('accepted a bad policy');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe(field);
    }
  });
  it('refuses a first retry that comes after the dunning window', () => {
    expect(() => effectivePolicy(DEFAULT_DUNNING_POLICY, { maxDays: 2, retryDelayHours: [72] })).toThrow(
      /retryDelayHours.*after dunning ends/,
    );
  });
  it('an override replaces only the keys it names', () => {
    const p = effectivePolicy(DEFAULT_DUNNING_POLICY, parseDunningOverride({ finalAction: 'unpaid' }));
    expect(p).toEqual({ ...DEFAULT_DUNNING_POLICY, finalAction: 'unpaid' });
  });
});

describe('schedule math', () => {
  const policy: DunningPolicy = {
    retryDelayHours: [6, 24, 48],
    maxAttempts: 6,
    maxDays: 14,
    finalAction: 'unpaid',
    actionDeadlineHours: 48,
    payLinkHours: 24,
  };
  it('follows the schedule, repeating its last delay, and exhausts at maxAttempts (hand-made table)', () => {
    // failures so far → hours until the next attempt
    const table: Array<[number, number]> = [
      [1, 6],
      [2, 24],
      [3, 48],
      [4, 48],
      [5, 48],
    ];
    expect(table).toHaveLength(5);
    for (const [failed, hours] of table) {
      const step = nextDunningStep(policy, { failedAttempts: failed, firstFailureAt: T0 }, 'soft_decline', T0);
      expect(step).toEqual({ action: 'retry', at: new Date(T0.getTime() + hours * HOUR) });
    }
    expect(nextDunningStep(policy, { failedAttempts: 6, firstFailureAt: T0 }, 'soft_decline', T0)).toEqual({
      action: 'exhausted',
      finalAction: 'unpaid',
      reason: 'max_attempts',
    });
  });
  it('a hard decline never schedules a retry; it waits for a new card until the window ends', () => {
    expect(nextDunningStep(policy, { failedAttempts: 1, firstFailureAt: T0 }, 'hard_decline', T0)).toEqual({
      action: 'await_payment_method',
      until: new Date(T0.getTime() + 14 * DAY),
    });
  });
  it('property: a retry is always in the future and inside the window; past the window it is exhausted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 * 24 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 40 * 24 }),
        (delays, maxAttempts, maxDays, failed, elapsedHours) => {
          const p: DunningPolicy = { ...policy, retryDelayHours: delays, maxAttempts, maxDays };
          const now = new Date(T0.getTime() + elapsedHours * HOUR);
          const step = nextDunningStep(p, { failedAttempts: failed, firstFailureAt: T0 }, 'soft_decline', now);
          const ends = dunningEndsAt(p, T0).getTime();
          if (step.action === 'retry') {
            expect(step.at.getTime()).toBeGreaterThan(now.getTime());
            expect(step.at.getTime()).toBeLessThan(ends);
            expect(failed).toBeLessThan(maxAttempts);
          } else {
            expect(step.action).toBe('exhausted');
          }
          if (now.getTime() >= ends) expect(step.action).toBe('exhausted');
          if (failed >= maxAttempts) expect(step.action).toBe('exhausted');
        },
      ),
      { numRuns: 3000 },
    );
  });
  it('customer-action deadlines are the policy hours after the charge went pending', () => {
    expect(actionDeadline(policy, T0)).toEqual(new Date(T0.getTime() + 48 * HOUR));
    expect(actionDeadline(DEFAULT_DUNNING_POLICY, T0).getTime() - T0.getTime()).toBeLessThanOrEqual(7 * DAY);
  });
});

describe('merchant-side refusal back-off', () => {
  it('grows from minutes to hours and stays capped (hand-made table)', () => {
    const MIN = 60_000;
    const table: Array<[number, number]> = [
      [1, 5 * MIN],
      [2, 10 * MIN],
      [3, 20 * MIN],
      [4, 40 * MIN],
      [5, 80 * MIN],
      [6, 160 * MIN],
      [7, 240 * MIN],
      [50, 240 * MIN],
      [10_000, 240 * MIN],
    ];
    expect(table).toHaveLength(9);
    for (const [n, ms] of table) expect(refusalBackoffMs(n)).toBe(ms);
  });
  it('property: never shrinks as refusals accumulate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), (n) => {
        expect(refusalBackoffMs(n + 1)).toBeGreaterThanOrEqual(refusalBackoffMs(n));
      }),
    );
  });
});

describe('card-network retry caps', () => {
  it('knows the brands stored on cards', () => {
    expect(networkOf('Visa')).toBe('visa');
    expect(networkOf('MasterCard')).toBe('mastercard');
    expect(networkOf('Mastercard')).toBe('mastercard');
    expect(networkOf('JCB')).toBe('other');
    expect(networkOf(null)).toBe('other');
  });
  it('Visa: 15 per 30 days, configurable to 20; Mastercard: 10 per 24 h and 35 per 30 days', () => {
    expect(capsFor('visa')).toEqual([{ windowMs: 30 * DAY, limit: 15 }]);
    expect(capsFor('visa', 20)).toEqual([{ windowMs: 30 * DAY, limit: 20 }]);
    expect(capsFor('mastercard')).toEqual([
      { windowMs: DAY, limit: 10 },
      { windowMs: 30 * DAY, limit: 35 },
    ]);
    expect(capsFor('other')).toEqual([]);
  });
  it('a 16th Visa reattempt in 30 days moves to when the oldest leaves the window', () => {
    const past = Array.from({ length: 15 }, (_, i) => new Date(T0.getTime() + i * HOUR));
    const proposed = new Date(T0.getTime() + 20 * HOUR);
    expect(earliestAllowed(proposed, past, capsFor('visa'))).toEqual(new Date(T0.getTime() + 30 * DAY));
    expect(earliestAllowed(proposed, past.slice(1), capsFor('visa'))).toEqual(proposed);
  });
  it('an 11th Mastercard reattempt in 24 h waits a day', () => {
    const past = Array.from({ length: 10 }, (_, i) => new Date(T0.getTime() + i * 60_000));
    const proposed = new Date(T0.getTime() + HOUR);
    expect(earliestAllowed(proposed, past, capsFor('mastercard'))).toEqual(new Date(T0.getTime() + DAY));
  });

  const countIn = (times: number[], end: number, w: number) => times.filter((x) => x > end - w && x <= end).length;
  const capsArb = fc.constantFrom<CapWindow[]>(capsFor('visa'), capsFor('visa', 20), capsFor('mastercard'));
  it('property: the result never breaks a cap, is never earlier than proposed, and is the earliest such time', () => {
    fc.assert(
      fc.property(
        capsArb,
        // Earlier reattempts on the card: up to 40 days before the proposed time.
        fc.array(fc.integer({ min: 0, max: 40 * 24 * 60 }), { maxLength: 60 }),
        (caps, minutesBefore) => {
          const proposed = T0.getTime() + 45 * DAY;
          const past = minutesBefore.map((m) => proposed - m * 60_000);
          const got = earliestAllowed(
            new Date(proposed),
            past.map((x) => new Date(x)),
            caps,
          ).getTime();
          expect(got).toBeGreaterThanOrEqual(proposed);
          for (const cap of caps) expect(countIn(past, got, cap.windowMs) + 1).toBeLessThanOrEqual(cap.limit);
          if (got > proposed) {
            const earlier = got - 1;
            expect(caps.some((cap) => countIn(past, earlier, cap.windowMs) + 1 > cap.limit)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('outcome classes: one table, a test per entry', () => {
  // Hand-made: for each rule, an outcome it must match and the class the issue assigns.
  const EXAMPLES: Record<string, [ClassifyInput, OutcomeClass]> = {
    paid: [{ status: 'succeeded' }, 'paid'],
    'refused before processing (L000x/P000x)': [
      { status: 'not_charged', orderInfo: 'check sign info error', refusalCode: 'L0005' },
      'merchant_refusal',
    ],
    'request we refused to build': [
      { status: 'not_charged', orderInfo: 'orderAmount: bad', refusalCode: 'VALIDATION' },
      'merchant_refusal',
    ],
    '3-D Secure / customer action': [{ status: 'pending', orderInfo: '3-D Secure required' }, 'needs_customer_action'],
    'customer action deadline passed': [{ status: 'abandoned', orderInfo: 'deadline' }, 'soft_decline'],
    'no answer yet': [{ status: 'unknown', orderInfo: 'timeout' }, 'unknown'],
    'not charged (gateway never had it)': [{ status: 'not_charged', orderInfo: 'not known to AsiaBill' }, 'unknown'],
    'lost card': [{ status: 'failed', orderInfo: 'D0041 Lost card' }, 'hard_decline'],
    'stolen card': [{ status: 'failed', orderInfo: 'Stolen card' }, 'hard_decline'],
    'pick up card': [{ status: 'failed', orderInfo: 'D0004 Pick up card' }, 'hard_decline'],
    fraud: [{ status: 'failed', orderInfo: 'Suspected fraud' }, 'hard_decline'],
    'invalid card': [{ status: 'failed', orderInfo: 'D0014 Invalid card number' }, 'hard_decline'],
    'closed account': [{ status: 'failed', orderInfo: 'Account closed' }, 'hard_decline'],
    'do not retry': [{ status: 'failed', orderInfo: 'Do not retry this card' }, 'hard_decline'],
    'expired card': [{ status: 'failed', orderInfo: 'D0054 Expired card' }, 'hard_decline'],
    'restricted card': [{ status: 'failed', orderInfo: 'Restricted card' }, 'hard_decline'],
    'insufficient funds': [{ status: 'failed', orderInfo: 'D0051 Insufficient funds' }, 'soft_decline'],
    'issuer unavailable': [{ status: 'failed', orderInfo: 'Issuer unavailable' }, 'soft_decline'],
    'do not honor': [{ status: 'failed', orderInfo: 'D0005 Do not honor' }, 'soft_decline'],
    'any other decline': [{ status: 'failed', orderInfo: 'something the issuer never said before' }, 'soft_decline'],
  };
  it('every rule in the table has an example here', () => {
    expect(OUTCOME_RULES.map((r) => r.name).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });
  it.each(Object.entries(EXAMPLES))('%s', (name, [input, cls]) => {
    const got = classifyOutcome(input);
    expect(got.rule).toBe(name);
    expect(got.class).toBe(cls);
  });
  it('a refusal code is never a decline, whatever the text says', () => {
    expect(classifyOutcome({ status: 'not_charged', orderInfo: 'Stolen card', refusalCode: 'P0001' }).class).toBe(
      'merchant_refusal',
    );
  });
});
