/**
 * What an invoice is made of and how it is totalled, in integer minor units. Pure.
 *
 * Order of application (docs/lifecycle.md):
 *   1. charges (plan price, prorations: positive or negative) → subtotal;
 *   2. a coupon, on a positive subtotal only: percent-off rounds the discount half up
 *      (12.5 % of 9.99 = 1.24875 → 1.25), amount-off is capped at the subtotal;
 *   3. the subscription's credit balance, up to what is left;
 *   4. a negative total is not charged: it becomes credit for the next invoices.
 * A total of zero is an invoice that is paid without any charge.
 */
export const INVOICE_KINDS = ['cycle', 'proration'] as const;
/** cycle: one per (subscription, period start); proration: a plan change or resume inside a period. */
export type InvoiceKind = (typeof INVOICE_KINDS)[number];

export type LineKind = 'plan' | 'proration' | 'discount' | 'credit';

export interface InvoiceLine {
  kind: LineKind;
  description: string;
  /** Signed minor units: a credit or a discount is negative. */
  amount: number;
}

export interface Discount {
  code: string;
  /** Basis points: 1250 = 12.5 %. */
  percentOffBp?: number | null;
  /** Minor units in the invoice's currency. */
  amountOff?: number | null;
}

export interface Totalled {
  lines: InvoiceLine[];
  /** What gets charged (≥ 0). */
  amountDue: number;
  discount: number;
  creditUsed: number;
  /** Credit created by a negative total. */
  creditAdded: number;
}

export const FULL_PERCENT_BP = 10_000;

export function discountFor(subtotal: number, d: Discount): number {
  if (subtotal <= 0) return 0;
  if (d.percentOffBp !== undefined && d.percentOffBp !== null) {
    const num = 2n * BigInt(subtotal) * BigInt(d.percentOffBp) + BigInt(FULL_PERCENT_BP);
    return Math.min(subtotal, Number(num / (2n * BigInt(FULL_PERCENT_BP))));
  }
  return Math.min(subtotal, d.amountOff ?? 0);
}

export function totalInvoice(
  charges: readonly InvoiceLine[],
  opts: { discount?: Discount | null; creditBalance?: number } = {},
): Totalled {
  const lines = [...charges];
  const subtotal = charges.reduce((s, l) => s + l.amount, 0);
  let rest = subtotal;
  let discount = 0;
  if (opts.discount) {
    discount = discountFor(rest, opts.discount);
    if (discount > 0) {
      lines.push({ kind: 'discount', description: `Coupon ${opts.discount.code}`, amount: -discount });
      rest -= discount;
    }
  }
  let creditUsed = 0;
  const credit = opts.creditBalance ?? 0;
  if (credit > 0 && rest > 0) {
    creditUsed = Math.min(credit, rest);
    lines.push({ kind: 'credit', description: 'Applied credit balance', amount: -creditUsed });
    rest -= creditUsed;
  }
  const creditAdded = rest < 0 ? -rest : 0;
  return { lines, amountDue: Math.max(0, rest), discount, creditUsed, creditAdded };
}
