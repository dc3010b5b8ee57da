/**
 * The sandbox's decision for a charge attempt once the card is known: a pure function of
 * the card's behaviour, the token type and what the payment method has already done.
 */
import type { OrderStatus, TokenType } from '../asiabill/types.ts';
import { ORDER_INFO, type CardBehaviour } from './cards.ts';

export interface Decision {
  status: OrderStatus;
  orderInfo: string;
  /** Pending on a 3-D Secure challenge: answer with a redirectUrl. */
  challenge: boolean;
  /** Record and notify, but destroy the connection instead of answering. */
  dropResponse: boolean;
}

const approve: Decision = { status: 'success', orderInfo: ORDER_INFO.approved, challenge: false, dropResponse: false };
const decline = (orderInfo: string): Decision => ({ status: 'fail', orderInfo, challenge: false, dropResponse: false });

export function decide(
  behaviour: CardBehaviour,
  tokenType: TokenType | undefined,
  methodAlreadyCharged: boolean,
  /** Declines on this method since its last approval. */
  failsSinceSuccess = 0,
): Decision {
  switch (behaviour) {
    case 'approve':
      return approve;
    case 'soft_decline':
      return decline(ORDER_INFO.softDecline);
    case 'stolen':
      return decline(ORDER_INFO.stolen);
    case 'generic_decline':
      return decline(ORDER_INFO.doNotHonor);
    case 'invalid_number':
      return decline(ORDER_INFO.invalidNumber);
    case 'three_ds':
      // Merchant-initiated Recurring rides on the mandate authenticated at InitRecurring.
      return tokenType === 'Recurring'
        ? approve
        : { status: 'pending', orderInfo: ORDER_INFO.threeDsRequired, challenge: true, dropResponse: false };
    case 'three_ds_always':
      // An issuer that wants the cardholder even on merchant-initiated renewals.
      return { status: 'pending', orderInfo: ORDER_INFO.threeDsRequired, challenge: true, dropResponse: false };
    case 'init_then_decline':
      return tokenType === 'InitRecurring' && !methodAlreadyCharged ? approve : decline(ORDER_INFO.doNotHonor);
    case 'decline_twice':
      if (tokenType === 'InitRecurring' && !methodAlreadyCharged) return approve;
      return failsSinceSuccess < 2 ? decline(ORDER_INFO.softDecline) : approve;
    case 'init_then_soft_decline':
      return tokenType === 'InitRecurring' && !methodAlreadyCharged ? approve : decline(ORDER_INFO.softDecline);
    case 'no_response':
      return { ...approve, dropResponse: true };
  }
}
