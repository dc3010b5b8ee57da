/**
 * AsiaBill's browser SDK (card tokenisation for merchants that are not PCI-certified): the
 * merchant's page loads this script from the payment host, calls
 * `AsiabillPay(sessionToken).elementInit(…)` and `confirmPaymentMethod(…)`, and gets a
 * `customerPaymentMethodId` (pm_…) back; the card data goes from the browser to AsiaBill only.
 * API.md §5 "Tokenise a card (non-PCI)"; script path from the PHP SDK's getJsScript().
 */
import { SDK_SCRIPT_PATH } from './endpoints.ts';

export { SDK_SCRIPT_PATH, SESSION_TOKEN_TTL_MS } from './endpoints.ts';

/** `https://safepay.asiabill.com/V2022-03` → `https://safepay.asiabill.com/static/v3/js/AsiabillPayment.min.js`. */
export function sdkScriptUrl(paymentUrl: string): string {
  return new URL(SDK_SCRIPT_PATH, paymentUrl).toString();
}
