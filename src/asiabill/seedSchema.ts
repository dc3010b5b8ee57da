/**
 * The `required` lists of AsiaBill's confirmCharge OpenAPI seed (confirmCharge.openapi.json,
 * the contract; a copy lives in test/fixtures/seed/), by schema name. Request validation
 * (validate.ts, validateParts.ts) reads these instead of deciding on its own what AsiaBill
 * requires, and test/unit/asiabill/seedSchema.test.ts reads the seed and checks that the lists
 * — and what the validators actually refuse — agree with it, property by property.
 *
 * Rules that come from a field's *description* rather than a `required` list (a US/CA/IN
 * address needs a state; a charge needs customerPaymentMethodId or customerPaymentMethod;
 * customerId with a tokenType) are kept in the validators and listed in that test.
 */
export const SEED_REQUIRED = {
  PaymentIntentReq: ['customerIp', 'orderAmount', 'orderCurrency', 'orderNo', 'returnUrl', 'webSite'],
  PaymentMethodReq: ['billingDetail', 'card'],
  BillingDetail: ['address', 'email', 'firstName', 'lastName', 'phone'],
  Card: ['cardExpireMonth', 'cardExpireYear', 'cardNo', 'cardSecurityCode'],
  Address: ['city', 'country', 'line1'],
  /** No `required` list in the seed: every field may be left out. */
  Shipping: [],
  /** The seed's `商品信息` (goods item): no `required` list either. */
  GoodsDetail: [],
} as const satisfies Record<string, readonly string[]>;

export type SeedSchema = keyof typeof SEED_REQUIRED;

export function seedRequires(schema: SeedSchema, field: string): boolean {
  return (SEED_REQUIRED[schema] as readonly string[]).includes(field);
}
