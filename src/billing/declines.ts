/**
 * Decline classification from AsiaBill's `orderInfo` text. AsiaBill V2022-03 documents no
 * structured decline codes (API.md §7): reasons arrive as free text, sometimes with a code
 * prefix. We classify conservatively: only reasons that clearly mean "this card will never
 * work again" are hard; anything unrecognised is soft, so it gets the normal retry schedule.
 */
export type DeclineClass = 'hard' | 'soft';

export interface Decline {
  code: string | null;
  class: DeclineClass;
}

const HARD_PATTERNS: readonly RegExp[] = [
  /\blost\b/i, /\bstolen\b/i, /pick.?up/i, /\bfraud/i, /invalid card/i, /closed account/i,
  /account closed/i, /do not retry/i, /\bexpired card\b/i, /card expired/i, /restricted card/i,
];

export function classifyDecline(orderInfo: string | null | undefined): Decline {
  const text = orderInfo ?? '';
  const code = /^\s*([A-Z]\d{3,5})\b/.exec(text)?.[1] ?? null;
  const hard = HARD_PATTERNS.some((p) => p.test(text));
  return { code, class: hard ? 'hard' : 'soft' };
}

/**
 * AsiaBill answers a reused orderNo with I0061 "Duplicate Order" (legacy evidence, API.md §6).
 * We never reuse an orderNo, so this means the gateway already has the order: it is not a
 * decline, and the attempt's real outcome must be reconciled.
 */
export function isDuplicateOrder(orderInfo: string | null | undefined): boolean {
  return /^\s*I0061\b/.test(orderInfo ?? '');
}
