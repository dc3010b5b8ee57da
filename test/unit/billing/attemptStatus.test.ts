import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { canTransition, type AttemptStatus } from '../../../src/billing/attemptStatus.ts';
import { classifyDecline } from '../../../src/billing/declines.ts';
import { isDuplicateOrder } from '../../../src/asiabill/codes.ts';
import { nextDunningStep, HOUR_MS } from '../../../src/billing/dunning.ts';
import { DEFAULT_DUNNING_POLICY } from '../../../src/billing/dunningPolicy.ts';

const ALL: AttemptStatus[] = ['started', 'unknown', 'pending', 'succeeded', 'failed', 'not_charged', 'abandoned'];

/**
 * Folds reported outcomes through canTransition alone: this checks the rule's algebra. The real
 * applyOutcome, rows and events included, is run against Postgres in
 * test/integration/renewals/outcomes.test.ts, with and without a success.
 */
function fold(start: AttemptStatus, reports: AttemptStatus[]): AttemptStatus {
  return reports.reduce((s, r) => (canTransition(s, r) ? r : s), start);
}

describe('charge attempt outcomes are monotonic', () => {
  it('success is terminal', () => {
    for (const to of ALL) expect(canTransition('succeeded', to)).toBe(false);
  });
  it('a late pending or fail never undoes a success, but a success after a fail is recorded', () => {
    expect(canTransition('succeeded', 'failed')).toBe(false);
    expect(canTransition('succeeded', 'pending')).toBe(false);
    expect(canTransition('pending', 'succeeded')).toBe(true);
    expect(canTransition('failed', 'succeeded')).toBe(true);
    expect(canTransition('failed', 'pending')).toBe(false);
    expect(canTransition('unknown', 'started')).toBe(false);
  });
  it('any order of the same reports converges when a success is among them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<AttemptStatus>('pending', 'failed', 'succeeded', 'unknown'), {
          minLength: 1,
          maxLength: 8,
        }),
        (reports) => {
          const withSuccess = [...reports, 'succeeded' as const];
          const a = fold('started', withSuccess);
          const b = fold('started', [...withSuccess].reverse());
          expect(a).toBe('succeeded');
          expect(b).toBe('succeeded');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('decline classification', () => {
  it('treats lost/stolen/pick-up as hard, funds problems and unknown text as soft', () => {
    expect(classifyDecline('D0043 Stolen card, pick up').class).toBe('hard');
    expect(classifyDecline('Lost card').class).toBe('hard');
    expect(classifyDecline('D0051 Insufficient funds')).toEqual({ code: 'D0051', class: 'soft' });
    expect(classifyDecline('something new').class).toBe('soft');
    expect(classifyDecline(null).class).toBe('soft');
  });
  it('recognises the duplicate-order answer', () => {
    expect(isDuplicateOrder('I0061 Duplicate Order')).toBe(true);
    expect(isDuplicateOrder('D0051 Insufficient funds')).toBe(false);
  });
});

describe('default dunning schedule', () => {
  const now = new Date('2027-01-01T00:00:00Z');
  const P = DEFAULT_DUNNING_POLICY;
  // Hand-made from the documented default: 1, 3 and 5 days after each failure, 4 attempts.
  const EXPECTED_DELAY_DAYS = [1, 3, 5];
  it('retries soft declines on the schedule, then gives up', () => {
    expect(EXPECTED_DELAY_DAYS).toHaveLength(3);
    EXPECTED_DELAY_DAYS.forEach((d, i) => {
      expect(nextDunningStep(P, { failedAttempts: i + 1, firstFailureAt: now }, 'soft_decline', now)).toEqual({
        action: 'retry',
        at: new Date(now.getTime() + d * 24 * HOUR_MS),
      });
    });
    expect(nextDunningStep(P, { failedAttempts: 4, firstFailureAt: now }, 'soft_decline', now).action).toBe(
      'exhausted',
    );
  });
  it('never retries a hard decline', () => {
    expect(nextDunningStep(P, { failedAttempts: 1, firstFailureAt: now }, 'hard_decline', now).action).not.toBe(
      'retry',
    );
  });
});

describe('not_charged and abandoned (issue 8)', () => {
  // Hand-made: who may become not_charged (the gateway never had it) and abandoned (deadline passed).
  const NOT_CHARGED_FROM: AttemptStatus[] = ['started', 'unknown'];
  const ABANDONED_FROM: AttemptStatus[] = ['pending'];
  it('only an attempt nobody heard back about can be declared not_charged; never a pending one', () => {
    expect(ALL).toHaveLength(7);
    for (const from of ALL) expect(canTransition(from, 'not_charged')).toBe(NOT_CHARGED_FROM.includes(from));
    expect(canTransition('pending', 'not_charged')).toBe(false);
  });
  it('only a pending attempt can be abandoned, and a later success still beats it', () => {
    for (const from of ALL) expect(canTransition(from, 'abandoned')).toBe(ABANDONED_FROM.includes(from));
    expect(canTransition('abandoned', 'succeeded')).toBe(true);
    expect(canTransition('abandoned', 'failed')).toBe(false);
    expect(canTransition('abandoned', 'pending')).toBe(false);
  });
});
