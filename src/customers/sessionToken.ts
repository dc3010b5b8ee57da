import type { AppContext } from '../context.ts';
import { SESSION_TOKEN_TTL_MS, sdkScriptUrl } from '../asiabill/browserSdk.ts';
import { BillingError } from '../errors.ts';
import { getCustomer } from './customers.ts';

/**
 * Card capture without card data: the merchant's backend asks for a session token, its page
 * hands it to AsiaBill's browser SDK, the SDK sends the card straight to AsiaBill and returns a
 * `pm_…`, and the backend registers that id (registerPaymentMethod). Nothing here ever sees a
 * card number. With a customer, the answer also carries the AsiaBill customer id the SDK
 * binds the card to (recurring charges need the pair).
 */
export interface SessionTokenResult {
  sessionToken: string;
  /** Real wall time: AsiaBill's validity window is its own, not the test clock's. */
  expiresAt: Date;
  sdkScriptUrl: string;
  customer: { id: string; asiabillCustomerId: string } | null;
}

export async function createSessionToken(
  ctx: Pick<AppContext, 'db' | 'gateway' | 'wall' | 'config'>,
  input: { customerId?: string | undefined } = {},
): Promise<SessionTokenResult> {
  const customer = input.customerId === undefined ? null : await getCustomer(ctx.db, input.customerId);
  if (ctx.gateway.sessionToken === undefined) {
    throw new BillingError('UNSUPPORTED', 'this gateway client cannot issue session tokens');
  }
  const issuedAt = ctx.wall.now();
  const sessionToken = await ctx.gateway.sessionToken();
  return {
    sessionToken,
    expiresAt: new Date(issuedAt.getTime() + SESSION_TOKEN_TTL_MS),
    sdkScriptUrl: sdkScriptUrl(ctx.config.gateway.paymentUrl),
    customer: customer === null ? null : { id: customer.id, asiabillCustomerId: customer.asiabillCustomerId },
  };
}
