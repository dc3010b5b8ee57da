import { describe, expect, it } from 'vitest';
import { isBillable, isRenewable, PAUSABLE } from '../../../src/billing/subscriptionStatus.ts';

describe('paused subscriptions', () => {
  it('are neither billable nor renewable, so a queued charge or a due renewal skips them', () => {
    expect(isBillable('paused')).toBe(false);
    expect(isRenewable('paused')).toBe(false);
    expect(PAUSABLE.includes('paused')).toBe(false);
  });
});
