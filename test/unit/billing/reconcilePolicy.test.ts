import { describe, it, expect } from 'vitest';
import {
  pendingCheckDue,
  pendingCheckOffsetMs,
  PENDING_POLL_GIVE_UP_MS,
  PENDING_POLL_MAX_INTERVAL_MS,
} from '../../../src/billing/reconcilePolicy.ts';

describe('polling a pending (3-D Secure) attempt backs off', () => {
  const t0 = new Date('2030-01-01T00:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);

  it('checks at once, then after 15 s, 45 s, 105 s …', () => {
    expect([0, 1, 2, 3].map(pendingCheckOffsetMs)).toEqual([0, 15_000, 45_000, 105_000]);
    expect(pendingCheckDue(t0, 0, t0)).toBe(true);
    expect(pendingCheckDue(t0, 1, at(14_999))).toBe(false);
    expect(pendingCheckDue(t0, 1, at(15_000))).toBe(true);
  });

  it('never waits more than an hour between checks, and stops after a week', () => {
    for (let k = 1; k < 200; k++)
      expect(pendingCheckOffsetMs(k + 1) - pendingCheckOffsetMs(k)).toBeLessThanOrEqual(PENDING_POLL_MAX_INTERVAL_MS);
    expect(pendingCheckDue(t0, 0, at(PENDING_POLL_GIVE_UP_MS + 1))).toBe(false);
  });
});
