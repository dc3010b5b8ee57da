import type { ConfirmChargeRequest, TokenType } from '../asiabill/types.ts';
import { toAsiabillOrderAmount, formatAmount } from '../money.ts';

/**
 * Builds the confirmCharge body for one attempt. Pure: everything comes in as arguments.
 *
 * orderNo = `<invoiceId>-<attemptNo>`: deterministic (a crashed worker's attempt can be
 * found again by orderNo) and unique per attempt (AsiaBill answers a reused orderNo as a
 * duplicate; we never send one twice).
 */
export function orderNoFor(invoiceId: string, attemptNo: number): string {
  return `${invoiceId}-${attemptNo}`;
}

/**
 * AsiaBill requires customerIp for non-redirect payments. A merchant-initiated renewal has
 * no customer present; we send the merchant server's address, as card networks expect for MIT.
 */
export const MERCHANT_INITIATED_IP = '127.0.0.1';

export interface ChargeRequestInput {
  orderNo: string;
  amount: number;
  currency: string;
  tokenType: TokenType;
  asiabillCustomerId: string;
  asiabillPaymentMethodId: string;
  planName: string;
  subscriptionId: string;
  periodStart: Date;
  publicUrl: string;
  webSite: string;
}

export function buildChargeRequest(i: ChargeRequestInput): ConfirmChargeRequest {
  const money = { amount: i.amount, currency: i.currency };
  return {
    orderNo: i.orderNo,
    orderAmount: toAsiabillOrderAmount(money),
    orderCurrency: i.currency,
    customerId: i.asiabillCustomerId,
    customerPaymentMethodId: i.asiabillPaymentMethodId,
    tokenType: i.tokenType,
    customerIp: MERCHANT_INITIATED_IP,
    callbackUrl: `${i.publicUrl}/webhooks/asiabill`,
    returnUrl: `${i.publicUrl}/return/asiabill`,
    webSite: i.webSite,
    isMobile: '0',
    goodsDetails: [{ goodsTitle: i.planName.slice(0, 100), goodsCount: '1', goodsPrice: formatAmount(money) }],
    remark: `subscription ${i.subscriptionId} period ${i.periodStart.toISOString()}`,
  };
}
