/**
 * Decline classification from AsiaBill's `orderInfo` text. AsiaBill V2022-03 documents no
 * structured decline codes (API.md §7): reasons arrive as free text, sometimes with a code
 * prefix. We classify conservatively: only reasons that clearly mean "this card will never
 * work again" are hard; anything unrecognised is soft, so it gets the normal retry schedule.
 */
import { leadingCode } from '../asiabill/codes.ts';

export type DeclineClass = 'hard' | 'soft';

export interface Decline {
  code: string | null;
  class: DeclineClass;
}

const HARD_PATTERNS: readonly RegExp[] = [
  /\blost\b/i,
  /\bstolen\b/i,
  /pick.?up/i,
  /\bfraud/i,
  /invalid card/i,
  /closed account/i,
  /account closed/i,
  /do not retry/i,
  /\bexpired card\b/i,
  /card expired/i,
  /restricted card/i,
];

export function classifyDecline(orderInfo: string | null | undefined): Decline {
  const text = orderInfo ?? '';
  const code = leadingCode(text);
  const hard = HARD_PATTERNS.some((p) => p.test(text));
  return { code, class: hard ? 'hard' : 'soft' };
}
