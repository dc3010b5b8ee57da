import { describe, expect, it } from 'vitest';
import { discountFor, totalInvoice } from '../../../src/billing/invoiceLines.ts';
import { parsePercentOff } from '../../../src/billing/coupons.ts';

/** Coupon and credit rounding (docs/lifecycle.md); expected values worked by hand. */
describe('invoice totals', () => {
  const plan = (amount: number) => [{ kind: 'plan' as const, description: 'plan', amount }];

  it.each([
    // [subtotal, percent text, discount]
    [999, '12.5', 125], // 999 × 0.125 = 124.875 → 125 (half up)
    [1000, '33.33', 333], // 333.3 → 333
    [1, '50', 1], // 0.5 → 1
    [3, '50', 2], // 1.5 → 2
    [1999, '100', 1999],
    [1000, '0.01', 0], // 0.1 → 0
  ])('%i minus %s %% is a discount of %i', (subtotal, pct, discount) => {
    expect(discountFor(subtotal, { code: 'C', percentOffBp: parsePercentOff(pct) })).toBe(discount);
  });

  it('amount off is capped at the subtotal', () => {
    expect(discountFor(500, { code: 'C', amountOff: 800 })).toBe(500);
    expect(discountFor(500, { code: 'C', amountOff: 200 })).toBe(200);
  });

  it('coupon first, then credit; a 100 % coupon leaves nothing due and uses no credit', () => {
    const t = totalInvoice(plan(1000), { discount: { code: 'FREE', percentOffBp: 10_000 }, creditBalance: 300 });
    expect(t).toMatchObject({ amountDue: 0, discount: 1000, creditUsed: 0, creditAdded: 0 });
    const u = totalInvoice(plan(1000), { discount: { code: 'H', percentOffBp: 5000 }, creditBalance: 300 });
    expect(u).toMatchObject({ amountDue: 200, discount: 500, creditUsed: 300 });
    expect(u.lines.map((l) => l.amount)).toEqual([1000, -500, -300]);
  });

  it('a negative total is not charged: it becomes credit', () => {
    const t = totalInvoice(
      [
        { kind: 'proration', description: 'new', amount: 250 },
        { kind: 'proration', description: 'old', amount: -750 },
      ],
      { creditBalance: 100 },
    );
    expect(t).toMatchObject({ amountDue: 0, creditUsed: 0, creditAdded: 500 });
  });

  it('percentages are parsed without floats and refused outside (0, 100]', () => {
    expect(parsePercentOff('12.5')).toBe(1250);
    expect(parsePercentOff('100')).toBe(10_000);
    expect(() => parsePercentOff('0')).toThrow(/percent-off/);
    expect(() => parsePercentOff('100.01')).toThrow(/out of range/);
    expect(() => parsePercentOff('1.234')).toThrow(/not a percentage/);
  });
});
