/** When the reconciler looks an attempt up again (issue 9, item 6): a hand-made table. */
import { describe, expect, it } from 'vitest';
import { nextLookupAt } from '../../../src/billing/reconcileSchedule.ts';

const T = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T.getTime() + ms);
const S = 1000;
const MIN = 60 * S;

describe('nextLookupAt', () => {
  it.each([
    // age of the attempt at this lookup → gap until the next one
    [0, 15 * S], // young: the minimum
    [30 * S, 15 * S],
    [1 * MIN, 15 * S], // a quarter of 1 min is below the minimum
    [4 * MIN, 1 * MIN], // a quarter of the age
    [20 * MIN, 5 * MIN],
    [40 * MIN, 10 * MIN], // the cap
    [24 * 60 * MIN, 10 * MIN],
  ])('an attempt %i ms old is looked up again %i ms later', (age, gap) => {
    expect(nextLookupAt(T, at(age)).getTime()).toBe(at(age + gap).getTime());
  });

  it('never overshoots the moment the reconciler can decide', () => {
    // 11 minutes old, decisive at 12: the age gap (2.75 min) would overshoot by 1.75 min.
    expect(nextLookupAt(T, at(11 * MIN), at(12 * MIN)).getTime()).toBe(at(12 * MIN).getTime());
  });

  it('a decision moment already past does not pull the next lookup to now', () => {
    expect(nextLookupAt(T, at(20 * MIN), at(12 * MIN)).getTime()).toBe(at(25 * MIN).getTime());
  });
});
