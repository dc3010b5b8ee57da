import type { ConfirmChargeRequest, TokenType } from '../asiabill/types.ts';
import { toAsiabillOrderAmount } from '../money.ts';

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
  /**
   * AsiaBill requires customerIp on card charges. The customer-present first charge sends the
   * customer's address (when the caller gave it); a merchant-initiated renewal has no customer
   * present and sends the merchant server's (BILLING_SERVER_IP), as card networks expect for MIT.
   */
  customerIp: string;
}

export function buildChargeRequest(i: ChargeRequestInput): ConfirmChargeRequest {
  // One rendering for both amounts: AsiaBill takes at most 2 decimals (whole units for
  // zero-decimal currencies), so a 3-decimal currency's goodsPrice must not carry a third
  // decimal that orderAmount drops — the one item's price must read as the order's amount.
  const amount = toAsiabillOrderAmount({ amount: i.amount, currency: i.currency });
  return {
    orderNo: i.orderNo,
    orderAmount: amount,
    orderCurrency: i.currency,
    customerId: i.asiabillCustomerId,
    customerPaymentMethodId: i.asiabillPaymentMethodId,
    tokenType: i.tokenType,
    customerIp: i.customerIp,
    callbackUrl: `${i.publicUrl}/webhooks/asiabill`,
    returnUrl: `${i.publicUrl}/return/asiabill`,
    webSite: i.webSite,
    isMobile: '0',
    goodsDetails: [{ goodsTitle: i.planName.slice(0, 100), goodsCount: '1', goodsPrice: amount }],
    remark: `subscription ${i.subscriptionId} period ${i.periodStart.toISOString()}`,
  };
}
