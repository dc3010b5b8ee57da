/**
 * Decline classification (hard/soft) for a failure's `orderInfo` text, read from the one
 * outcome-class table (billing/outcomeClasses.ts).
 */
import { classifyOutcome } from './outcomeClasses.ts';

export type DeclineClass = 'hard' | 'soft';

export interface Decline {
  code: string | null;
  class: DeclineClass;
}

export function classifyDecline(orderInfo: string | null | undefined): Decline {
  const c = classifyOutcome({ status: 'failed', orderInfo: orderInfo ?? '' });
  return { code: c.code, class: c.class === 'hard_decline' ? 'hard' : 'soft' };
}
