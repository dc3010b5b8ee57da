/**
 * Sandbox test cards. Any future expiry (MM / YYYY) and any 3–4 digit CVC (use 123).
 *
 * | Card number        | Behaviour                                                                   |
 * |--------------------|-----------------------------------------------------------------------------|
 * | 4242424242424242   | Approved ("Transaction Approved")                                           |
 * | 4000000000009995   | Soft decline: "D0051 Insufficient funds" (retry later may work)             |
 * | 4000000000009987   | Hard decline: "D0043 Stolen card, pick up" (never retry)                    |
 * | 4000000000000002   | Generic decline: "D0005 Do not honor"                                       |
 * | 4000002500003155   | 3-D Secure: InitRecurring / one-off → pending + redirectUrl; completing the |
 * |                    | challenge finalises it. Recurring on it succeeds without a challenge.       |
 * | 4000002760003184   | 3-D Secure always: every charge, Recurring renewals included, answers       |
 * |                    | pending + redirectUrl until the challenge is completed.                     |
 * | 4000000000000341   | Approves the first InitRecurring, then declines every later charge          |
 * |                    | ("D0005 Do not honor") — a card that dies after sign-up.                    |
 * | 4000000000003204   | Recovers: approves InitRecurring; each renewal is declined twice           |
 * |                    | ("D0051 Insufficient funds") and approved on the third try.                 |
 * | 5500000000004105   | Mastercard that approves InitRecurring and soft-declines every later charge |
 * | 4000000000000119   | No response: recorded as success and notified, but the HTTP connection is   |
 * |                    | destroyed before any answer (the client sees an unknown outcome).           |
 * | any other Luhn-valid 13–19 digits | Approved                                                     |
 * | fails Luhn         | charge: "D0014 Invalid card number"; payment_methods create: P0001          |
 * | past expiry        | charge: "D0054 Expired card"                                                |
 *
 * Decline prefixes (D00xx) are the sandbox's own, loosely modelled on ISO 8583 response
 * codes; real AsiaBill `orderInfo` texts differ.
 */
import { passesLuhn } from '../asiabill/luhn.ts';

export type CardBehaviour =
  | 'approve'
  | 'soft_decline'
  | 'stolen'
  | 'generic_decline'
  | 'three_ds'
  | 'three_ds_always'
  | 'init_then_decline'
  | 'decline_twice'
  | 'init_then_soft_decline'
  | 'no_response'
  | 'invalid_number';

export const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = Object.freeze({
  '4242424242424242': 'approve',
  '4000000000009995': 'soft_decline',
  '4000000000009987': 'stolen',
  '4000000000000002': 'generic_decline',
  '4000002500003155': 'three_ds',
  '4000002760003184': 'three_ds_always',
  '4000000000000341': 'init_then_decline',
  '4000000000003204': 'decline_twice',
  '5500000000004105': 'init_then_soft_decline',
  '4000000000000119': 'no_response',
});

export const ORDER_INFO = {
  approved: 'Transaction Approved',
  softDecline: 'D0051 Insufficient funds',
  stolen: 'D0043 Stolen card, pick up',
  doNotHonor: 'D0005 Do not honor',
  invalidNumber: 'D0014 Invalid card number',
  expired: 'D0054 Expired card',
  threeDsRequired: '3-D Secure authentication required',
  threeDsFailed: 'T0001 3-D Secure authentication failed',
  checkoutWaiting: 'Waiting for the customer on the payment page',
  checkoutCancelled: 'E0008 Payment cancelled by the customer',
  duplicateOrder: 'I0061 Duplicate Order: this orderNo was already used',
  noInitRecurring: 'I0071 Recurring refused: no successful InitRecurring for this payment method',
  notBound: 'I0072 Payment method is not bound to this customer',
  pmNotFound: 'I0073 Payment method not found',
  customerNotFound: 'I0074 Customer not found',
} as const;

/** Everything the sandbox may know about a card once the request handler returns. */
export interface CardFacts {
  brand: string;
  last4: string;
  behaviour: CardBehaviour;
}

export function cardBrand(cardNo: string): string {
  if (cardNo.startsWith('4')) return 'Visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(cardNo)) return 'MasterCard';
  if (/^3[47]/.test(cardNo)) return 'American Express';
  if (/^35/.test(cardNo)) return 'JCB';
  if (/^(6011|65)/.test(cardNo)) return 'Discover';
  if (/^62/.test(cardNo)) return 'UnionPay';
  return 'Unknown';
}

/** Derives behaviour and summary from a card number; the number itself goes no further. */
export function classifyCard(cardNo: string): CardFacts {
  const behaviour = TEST_CARDS[cardNo] ?? (passesLuhn(cardNo) ? 'approve' : 'invalid_number');
  return { brand: cardBrand(cardNo), last4: cardNo.slice(-4), behaviour };
}

/** First six and last four, as AsiaBill's maskCardNo ("400000***3155"). */
export function maskCardNo(cardNo: string): string {
  return `${cardNo.slice(0, 6)}***${cardNo.slice(-4)}`;
}

export function isExpired(expMonth: string, expYear: string, now: Date): boolean {
  const year = Number(expYear);
  const month = Number(expMonth);
  const nowYear = now.getUTCFullYear();
  return year < nowYear || (year === nowYear && month < now.getUTCMonth() + 1);
}
