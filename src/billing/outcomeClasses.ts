/**
 * Outcome classes: what a charge attempt's outcome means for dunning, in ONE table. Every
 * path that records an outcome (the confirmCharge answer, an AsiaBill notification, the
 * reconciler, a deadline) asks `classifyOutcome`, so the retry decision cannot differ by path.
 *
 * - soft decline            → retry on the policy's schedule
 * - hard decline            → never retry this card; ask for a new payment method
 * - needs customer action   → 3-D Secure on a renewal: invoice `requires_action` until a deadline
 * - merchant-side refusal   → NOT a decline (L000x/P000x, a request we refused to build, a
 *                             configuration fault): never counts toward dunning, never changes
 *                             the subscription's status; the invoice is parked with back-off
 * - unknown                 → the reconciler decides (never retried blindly)
 * - paid                    → the invoice is paid
 *
 * Decline reasons arrive as free text (API.md §7); rules match it conservatively: only texts
 * that clearly mean "this card will never work" are hard, anything unrecognised is soft.
 * Rules are tried in order; the first match wins.
 */
import { isRefusedBeforeProcessing, leadingCode } from '../asiabill/codes.ts';

export const OUTCOME_CLASSES = [
  'paid',
  'soft_decline',
  'hard_decline',
  'needs_customer_action',
  'merchant_refusal',
  'unknown',
] as const;
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

export interface ClassifyInput {
  status: 'succeeded' | 'failed' | 'pending' | 'unknown' | 'started' | 'not_charged' | 'abandoned';
  orderInfo?: string | null;
  /** The code of a refusal before processing (`L0005`), or our own refusal to build the request. */
  refusalCode?: string | null;
}

export interface OutcomeRule {
  /** Short name, shown by `billing invoices show` and used as the test's title. */
  name: string;
  class: OutcomeClass;
  matches(o: ClassifyInput): boolean;
}

const failedWith =
  (re: RegExp) =>
  (o: ClassifyInput): boolean =>
    o.status === 'failed' && re.test(o.orderInfo ?? '');

export const OUTCOME_RULES: readonly OutcomeRule[] = [
  { name: 'paid', class: 'paid', matches: (o) => o.status === 'succeeded' },
  {
    name: 'refused before processing (L000x/P000x)',
    class: 'merchant_refusal',
    matches: (o) => o.refusalCode != null && isRefusedBeforeProcessing(o.refusalCode),
  },
  {
    name: 'request we refused to build',
    class: 'merchant_refusal',
    matches: (o) => o.refusalCode != null && !isRefusedBeforeProcessing(o.refusalCode),
  },
  { name: '3-D Secure / customer action', class: 'needs_customer_action', matches: (o) => o.status === 'pending' },
  {
    name: 'customer action deadline passed',
    class: 'soft_decline',
    matches: (o) => o.status === 'abandoned',
  },
  {
    name: 'no answer yet',
    class: 'unknown',
    matches: (o) => o.status === 'unknown' || o.status === 'started',
  },
  { name: 'not charged (gateway never had it)', class: 'unknown', matches: (o) => o.status === 'not_charged' },
  { name: 'lost card', class: 'hard_decline', matches: failedWith(/\blost\b/i) },
  { name: 'stolen card', class: 'hard_decline', matches: failedWith(/\bstolen\b/i) },
  { name: 'pick up card', class: 'hard_decline', matches: failedWith(/pick.?up/i) },
  { name: 'fraud', class: 'hard_decline', matches: failedWith(/\bfraud/i) },
  { name: 'invalid card', class: 'hard_decline', matches: failedWith(/invalid card/i) },
  { name: 'closed account', class: 'hard_decline', matches: failedWith(/closed account|account closed/i) },
  { name: 'do not retry', class: 'hard_decline', matches: failedWith(/do not retry/i) },
  { name: 'expired card', class: 'hard_decline', matches: failedWith(/\bexpired card\b|card expired/i) },
  { name: 'restricted card', class: 'hard_decline', matches: failedWith(/restricted card/i) },
  { name: 'insufficient funds', class: 'soft_decline', matches: failedWith(/insufficient funds/i) },
  { name: 'issuer unavailable', class: 'soft_decline', matches: failedWith(/issuer (?:unavailable|not available)/i) },
  { name: 'do not honor', class: 'soft_decline', matches: failedWith(/do not honou?r/i) },
  { name: 'any other decline', class: 'soft_decline', matches: (o) => o.status === 'failed' },
];

export interface Classified {
  class: OutcomeClass;
  rule: string;
  /** The code the text starts with (`D0051`) or the refusal code. */
  code: string | null;
}

export function classifyOutcome(o: ClassifyInput): Classified {
  const rule = OUTCOME_RULES.find((r) => r.matches(o));
  const code = o.refusalCode ?? leadingCode(o.orderInfo);
  // The last rule matches every failure and earlier ones every other status, so this is total.
  if (!rule) return { class: 'unknown', rule: 'unclassified', code };
  return { class: rule.class, rule: rule.name, code };
}

/** Counts toward the policy's maximum attempts. */
export const COUNTS_TOWARD_DUNNING: readonly OutcomeClass[] = ['soft_decline', 'hard_decline'];
