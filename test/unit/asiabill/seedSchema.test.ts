/**
 * Issue 9, item 10: the client must not be stricter than AsiaBill's confirmCharge seed
 * (test/fixtures/seed/ holds verbatim copies of ../shared/asiabill/confirmCharge.openapi.json
 * and seed-confirm-charge.md). The `required` lists are read from the seed JSON here, and every
 * property of every request schema is removed in turn from a complete, valid body: validation
 * must refuse exactly the properties the seed requires (naming that field), plus the few rules
 * the seed states in a field's description, listed below with the text they come from.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfirmCharge } from '../../../src/asiabill/validate.ts';
import { SEED_REQUIRED, type SeedSchema } from '../../../src/asiabill/seedSchema.ts';
import { AsiabillValidationError } from '../../../src/asiabill/errors.ts';

const SEED_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/seed');

interface SeedObject {
  required?: string[];
  properties?: Record<string, unknown>;
}
const seed = JSON.parse(readFileSync(join(SEED_DIR, 'confirmCharge.openapi.json'), 'utf8')) as {
  components: { schemas: Record<string, SeedObject> };
};
const SEED_NAME: Record<SeedSchema, string> = {
  PaymentIntentReq: 'PaymentIntentReq',
  PaymentMethodReq: 'PaymentMethodReq',
  BillingDetail: 'BillingDetail',
  Card: 'Card',
  Address: 'Address',
  Shipping: 'Shipping',
  GoodsDetail: '商品信息',
};
const schemaOf = (s: SeedSchema): SeedObject => {
  const found = seed.components.schemas[SEED_NAME[s]];
  if (!found) throw new Error(`seed has no schema ${SEED_NAME[s]}`);
  return found;
};
/** The seed's BillingDetail lists its address property as `Address` but requires `address`. */
const propertiesOf = (s: SeedSchema): string[] =>
  Object.keys(schemaOf(s).properties ?? {}).map((p) => (s === 'BillingDetail' && p === 'Address' ? 'address' : p));

/** The request body example of seed-confirm-charge.md, as published. */
function seedExampleBody(): Record<string, unknown> {
  const md = readFileSync(join(SEED_DIR, 'seed-confirm-charge.md'), 'utf8');
  const m = /--data '([\s\S]*?)'\n/.exec(md);
  if (!m?.[1]) throw new Error('no example body in seed-confirm-charge.md');
  return JSON.parse(m[1]) as Record<string, unknown>;
}

type Body = Record<string, unknown>;
/** Complete bodies: every property of every schema present (the two ways to name a card). */
function byPaymentMethodId(): Body {
  return { ...seedExampleBody(), tokenType: 'InitRecurring', priorityThreeDSecure: 'any', platform: 'Shopify' };
}
function byCard(): Body {
  const { customerPaymentMethodId: _, ...rest } = byPaymentMethodId();
  return {
    ...rest,
    customerPaymentMethod: {
      billingDetail: {
        address: { line1: '12 Harbour Road', city: 'Springfield', state: 'IL', postalCode: '62701', country: 'US' },
        email: 'ada@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        phone: '+1 555 0100',
      },
      card: {
        brand: 'Visa',
        cardExpireMonth: '12',
        cardExpireYear: '2035',
        cardNo: '4242424242424242',
        cardSecurityCode: '123',
        last4: '4242',
      },
    },
  };
}

/** Where each schema sits in those bodies. */
const PLACES: Array<{ schema: SeedSchema; body: () => Body; path: Array<string | number> }> = [
  { schema: 'PaymentIntentReq', body: byPaymentMethodId, path: [] },
  { schema: 'PaymentIntentReq', body: byCard, path: [] },
  { schema: 'Shipping', body: byPaymentMethodId, path: ['shipping'] },
  { schema: 'Address', body: byPaymentMethodId, path: ['shipping', 'address'] },
  { schema: 'GoodsDetail', body: byPaymentMethodId, path: ['goodsDetails', 0] },
  { schema: 'PaymentMethodReq', body: byCard, path: ['customerPaymentMethod'] },
  { schema: 'BillingDetail', body: byCard, path: ['customerPaymentMethod', 'billingDetail'] },
  { schema: 'Address', body: byCard, path: ['customerPaymentMethod', 'billingDetail', 'address'] },
  { schema: 'Card', body: byCard, path: ['customerPaymentMethod', 'card'] },
];

/** Required by a field's description in the seed, not by a `required` list. */
const DESCRIBED: Record<string, string> = {
  // "customerPaymentMethodId和customerPaymentMethod对象二选一" (one of the two)
  'PaymentIntentReq.customerPaymentMethodId': 'customerPaymentMethodId',
  'PaymentIntentReq.customerPaymentMethod': 'customerPaymentMethodId',
  // "注：tokenType=InitRecurring/Recurring时，为必填项" (required with a tokenType)
  'PaymentIntentReq.customerId': 'customerId',
  // "美国、加拿大、印度所在地的客户则为必填项" (required for US, CA and IN); both addresses are US ones
  'Address.state': 'state',
};

function without(body: Body, path: Array<string | number>, prop: string): Body {
  const copy = structuredClone(body);
  let at: unknown = copy;
  for (const step of path) at = (at as Record<string | number, unknown>)[step];
  delete (at as Record<string, unknown>)[prop];
  return copy;
}

function fieldPath(path: Array<string | number>, prop: string): string {
  let out = '';
  for (const step of [...path, prop])
    out = typeof step === 'number' ? `${out}[${step}]` : out === '' ? step : `${out}.${step}`;
  return out;
}

describe('our required lists are the seed’s', () => {
  it.each(Object.keys(SEED_REQUIRED) as SeedSchema[])('%s', (schema) => {
    expect([...SEED_REQUIRED[schema]].sort()).toEqual([...(schemaOf(schema).required ?? [])].sort());
  });
});

describe('the seed’s own example body', () => {
  it('is accepted as published', () => {
    expect(validateConfirmCharge(seedExampleBody())).toMatchObject({ orderNo: 'NEW_API1916436298025' });
  });

  it.each([
    ['byPaymentMethodId', byPaymentMethodId],
    ['byCard', byCard],
  ])('the complete body %s is accepted', (_name, body) => {
    expect(() => validateConfirmCharge(body())).not.toThrow();
  });
});

describe('removing one property at a time', () => {
  const cases = PLACES.flatMap((place) =>
    propertiesOf(place.schema).map((prop) => ({
      name: `${place.schema}.${prop} at ${fieldPath(place.path, prop)}${place.body === byCard ? ' (card body)' : ''}`,
      place,
      prop,
    })),
  );
  it('covers every property of every schema', () => {
    expect(cases.length).toBe(PLACES.reduce((n, p) => n + propertiesOf(p.schema).length, 0));
    expect(cases.length).toBeGreaterThan(40);
  });

  it.each(cases)('$name', ({ place, prop }) => {
    const key = `${place.schema}.${prop}`;
    const required = (schemaOf(place.schema).required ?? []).includes(prop) || key in DESCRIBED;
    // Only one of the two card forms is in each body: removing the absent one changes nothing.
    const body = place.body();
    let at: unknown = body;
    for (const step of place.path) at = (at as Record<string | number, unknown>)[step];
    const present = prop in (at as Record<string, unknown>);
    let refusal: unknown = null;
    try {
      validateConfirmCharge(without(body, place.path, prop));
    } catch (err) {
      refusal = err;
    }
    if (!present || !required) {
      expect(refusal).toBeNull();
      return;
    }
    expect(refusal).toBeInstanceOf(AsiabillValidationError);
    const expectedField =
      key in DESCRIBED ? fieldPath(place.path, DESCRIBED[key] ?? prop) : fieldPath(place.path, prop);
    expect((refusal as AsiabillValidationError).field).toBe(expectedField);
  });
});
