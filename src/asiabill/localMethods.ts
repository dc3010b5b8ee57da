/**
 * Local (non-card) payment methods. AsiaBill's "Local payment" path was never found, so a
 * local payment is a hosted checkout with `paymentMethod` set to one of these — the values
 * AsiaBill's own WooCommerce plugin sends (WP2 `ASIABILL_METHODS`).
 */
export const LOCAL_PAYMENT_METHODS = [
  'Alipay',
  'WeChatPay',
  'CryptoPayment',
  'directpay',
  'Ebanx',
  'giropay',
  'ideal',
  'p24',
  'paysafecard',
  'Korea Local cards',
  'KAKAOPAY',
  'klarna',
  'bcmc',
] as const;

export type LocalPaymentMethod = (typeof LOCAL_PAYMENT_METHODS)[number];

/** Hosted checkout's card option. */
export const CARD_PAYMENT_METHOD = 'Credit Card';

export function isLocalPaymentMethod(value: string): value is LocalPaymentMethod {
  return (LOCAL_PAYMENT_METHODS as readonly string[]).includes(value);
}
