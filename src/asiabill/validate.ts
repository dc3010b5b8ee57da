/**
 * Request validation, run by the client before anything is signed or sent and by the
 * sandbox on what it receives (so both refuse the same things, with P0001 on the sandbox).
 * Limits come from confirmCharge.openapi.json and API.md §5; where AsiaBill documents no
 * limit for another endpoint we reuse the closest documented one ([assumption], noted inline).
 *
 * Every validator takes `unknown` (the sandbox gets raw JSON) and returns a freshly built,
 * typed request containing only known fields. The first problem found is thrown as an
 * AsiabillValidationError naming the field path, the rule and the problem.
 */
import type {
  CheckoutPaymentRequest,
  ConfirmChargeRequest,
  CreateCustomerInput,
  CreatePaymentMethodInput,
  CustomerListQuery,
  RefundRequest,
  TransactionSearchQuery,
  UpdateCustomerInput,
  UpdatePaymentMethodInput,
} from './types.ts';
import { CARD_PAYMENT_METHOD, isLocalPaymentMethod, LOCAL_PAYMENT_METHODS } from './localMethods.ts';
import { parseGatewayTime } from './gatewayTime.ts';
import {
  compact,
  fail,
  optEnum,
  optInt,
  optObject,
  optStr,
  readObject,
  reqEnum,
  reqObject,
  reqStr,
  type Obj,
} from './fieldRules.ts';
import {
  COUNTRY,
  CURRENCY,
  validateAmount,
  validateBillingDetail,
  validateCard,
  validateGoodsDetails,
  validateShipping,
} from './validateParts.ts';

const IS_MOBILE = ['0', '1', '2', '3'] as const;
const PRIORITY_3DS = ['any', 'automatic'] as const;
const TOKEN_TYPES = ['InitRecurring', 'Recurring'] as const;

export function validateConfirmCharge(input: unknown): ConfirmChargeRequest {
  const o = readObject(input, 'body');
  const orderNo = reqStr(o, '', 'orderNo', { min: 1, max: 50 });
  const orderCurrency = reqStr(o, '', 'orderCurrency', CURRENCY);
  const orderAmount = validateAmount(o, '', 'orderAmount', orderCurrency);
  const customerId = optStr(o, '', 'customerId', { max: 100 });
  const customerPaymentMethodId = optStr(o, '', 'customerPaymentMethodId', { max: 100 });
  const pmObject = optObject(o, '', 'customerPaymentMethod');
  const customerPaymentMethod = pmObject && {
    billingDetail: validateBillingDetail(
      reqObject(pmObject, 'customerPaymentMethod', 'billingDetail'),
      'customerPaymentMethod.billingDetail',
    ),
    card: validateCard(reqObject(pmObject, 'customerPaymentMethod', 'card'), 'customerPaymentMethod.card'),
  };
  const tokenType = optEnum(o, '', 'tokenType', TOKEN_TYPES);

  // The two ways to name the card are mutually exclusive, and a charge needs one of them.
  if (customerPaymentMethodId !== undefined && customerPaymentMethod !== undefined) {
    fail('customerPaymentMethod', 'exclusive', 'cannot be combined with customerPaymentMethodId');
  }
  if (customerPaymentMethodId === undefined && customerPaymentMethod === undefined) {
    fail('customerPaymentMethodId', 'required', 'customerPaymentMethodId or customerPaymentMethod is required');
  }
  if (tokenType !== undefined && customerId === undefined)
    fail('customerId', 'required-with-tokenType', `is required when tokenType is ${tokenType}`);
  if (tokenType === 'Recurring' && customerPaymentMethodId === undefined) {
    fail('customerPaymentMethodId', 'required-for-recurring', 'is required when tokenType is Recurring');
  }

  return compact({
    orderNo,
    orderAmount,
    orderCurrency,
    customerId,
    customerPaymentMethodId,
    customerPaymentMethod,
    tokenType,
    customerIp: reqStr(o, '', 'customerIp', { min: 1, max: 50 }),
    returnUrl: reqStr(o, '', 'returnUrl', { min: 1, max: 1000 }),
    webSite: reqStr(o, '', 'webSite', { min: 1, max: 200 }),
    callbackUrl: optStr(o, '', 'callbackUrl', { min: 1, max: 1000 }),
    isMobile: optEnum(o, '', 'isMobile', IS_MOBILE),
    priorityThreeDSecure: optEnum(o, '', 'priorityThreeDSecure', PRIORITY_3DS),
    goodsDetails: validateGoodsDetails(o, ''),
    shipping: validateShipping(o, ''),
    platform: optStr(o, '', 'platform', { max: 10 }),
    remark: optStr(o, '', 'remark', { max: 500 }),
  });
}

const DELIVERY_KEYS = [
  'shipAddress',
  'shipCity',
  'shipCountry',
  'shipFirstName',
  'shipLastName',
  'shipPhone',
  'shipState',
  'shipZip',
] as const;

function validateDeliveryAddress(o: Obj): Record<string, string> | undefined {
  const d = optObject(o, '', 'deliveryAddress');
  if (d === undefined) return undefined;
  const unknown = Object.keys(d).find((k) => !(DELIVERY_KEYS as readonly string[]).includes(k));
  if (unknown !== undefined)
    fail(`deliveryAddress.${unknown}`, 'unknown-field', `is not a deliveryAddress field (${DELIVERY_KEYS.join(', ')})`);
  const out: Record<string, string> = {};
  for (const key of DELIVERY_KEYS) {
    // [assumption] no documented limits; shipCountry follows Address.country, the rest line1's 500.
    const value =
      key === 'shipCountry'
        ? optStr(d, 'deliveryAddress', key, COUNTRY)
        : optStr(d, 'deliveryAddress', key, { max: 500 });
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Hosted checkout. [assumption] billingAddress limits mirror BillingDetail/Address. */
export function validateCheckoutPayment(input: unknown): CheckoutPaymentRequest {
  const o = readObject(input, 'body');
  const orderCurrency = reqStr(o, '', 'orderCurrency', CURRENCY);
  const b = reqObject(o, '', 'billingAddress');
  const p = 'billingAddress';
  return compact({
    orderNo: reqStr(o, '', 'orderNo', { min: 1, max: 50 }),
    orderAmount: validateAmount(o, '', 'orderAmount', orderCurrency),
    orderCurrency,
    paymentMethod: reqStr(o, '', 'paymentMethod', { oneOf: [CARD_PAYMENT_METHOD, ...LOCAL_PAYMENT_METHODS] }),
    billingAddress: compact({
      address: reqStr(b, p, 'address', { min: 2, max: 500 }),
      city: reqStr(b, p, 'city', { min: 2, max: 100 }),
      country: reqStr(b, p, 'country', COUNTRY),
      email: reqStr(b, p, 'email', { min: 2, max: 200 }),
      firstName: reqStr(b, p, 'firstName', { min: 1, max: 100 }),
      lastName: reqStr(b, p, 'lastName', { min: 1, max: 50 }),
      phone: reqStr(b, p, 'phone', { min: 2, max: 50 }),
      state: optStr(b, p, 'state', { max: 100 }),
      zip: optStr(b, p, 'zip', { max: 30 }),
    }),
    deliveryAddress: validateDeliveryAddress(o),
    goodsDetails: validateGoodsDetails(o, ''),
    callbackUrl: optStr(o, '', 'callbackUrl', { min: 1, max: 1000 }),
    returnUrl: reqStr(o, '', 'returnUrl', { min: 1, max: 1000 }),
    customerId: optStr(o, '', 'customerId', { max: 100 }),
    customerIp: reqStr(o, '', 'customerIp', { min: 1, max: 50 }),
    isMobile: optEnum(o, '', 'isMobile', IS_MOBILE),
    platform: optStr(o, '', 'platform', { max: 10 }),
    remark: optStr(o, '', 'remark', { max: 500 }),
    webSite: reqStr(o, '', 'webSite', { min: 1, max: 200 }),
  });
}

/** A checkout whose paymentMethod must be one of the local methods (not "Credit Card"). */
export function validateLocalPayment(input: unknown): CheckoutPaymentRequest {
  const req = validateCheckoutPayment(input);
  if (!isLocalPaymentMethod(req.paymentMethod))
    fail('paymentMethod', 'enum', `must be a local method: ${LOCAL_PAYMENT_METHODS.join(', ')}`);
  return req;
}

/** [assumption] email is documented as required; names are required by our types; limits follow BillingDetail. */
export function validateCreateCustomer(input: unknown): CreateCustomerInput {
  const o = readObject(input, 'body');
  return compact({
    email: reqStr(o, '', 'email', { min: 2, max: 200 }),
    firstName: reqStr(o, '', 'firstName', { min: 1, max: 100 }),
    lastName: reqStr(o, '', 'lastName', { min: 1, max: 50 }),
    phone: optStr(o, '', 'phone', { max: 50 }),
    description: optStr(o, '', 'description', { max: 500 }),
  });
}

export function validateUpdateCustomer(input: unknown): UpdateCustomerInput & { customerId: string } {
  const o = readObject(input, 'body');
  const customerId = reqStr(o, '', 'customerId', { max: 100 });
  const fields = compact({
    email: optStr(o, '', 'email', { min: 2, max: 200 }),
    firstName: optStr(o, '', 'firstName', { max: 100 }),
    lastName: optStr(o, '', 'lastName', { max: 50 }),
    phone: optStr(o, '', 'phone', { max: 50 }),
    description: optStr(o, '', 'description', { max: 500 }),
  });
  if (Object.keys(fields).length === 0) fail('body', 'required', 'at least one customer field to change is required');
  return { customerId, ...fields };
}

export function validateCustomerList(input: unknown): CustomerListQuery {
  const o = readObject(input, 'query');
  return compact({
    pageIndex: optInt(o, '', 'pageIndex', { min: 1, max: 1_000_000 }),
    pageSize: optInt(o, '', 'pageSize', { min: 1, max: 1000 }),
  });
}

export function validateCreatePaymentMethod(input: unknown): CreatePaymentMethodInput {
  const o = readObject(input, 'body');
  return compact({
    billingDetail: validateBillingDetail(reqObject(o, '', 'billingDetail'), 'billingDetail'),
    card: validateCard(reqObject(o, '', 'card'), 'card'),
    customerId: optStr(o, '', 'customerId', { max: 100 }),
  });
}

export function validateUpdatePaymentMethod(input: unknown): UpdatePaymentMethodInput {
  const o = readObject(input, 'body');
  return {
    customerPaymentMethodId: reqStr(o, '', 'customerPaymentMethodId', { max: 100 }),
    billingDetail: validateBillingDetail(reqObject(o, '', 'billingDetail'), 'billingDetail'),
  };
}

/** [assumption] merTrackNo/refundReason limits are not documented; 50 and 500 like orderNo/remark. */
export function validateRefund(input: unknown): RefundRequest {
  const o = readObject(input, 'body');
  const refundAmount = reqStr(o, '', 'refundAmount', {
    min: 1,
    max: 16,
    pattern: /^\d+(\.\d{1,2})?$/,
    format: 'a decimal number with at most 2 decimals',
  });
  if (/^[0.]+$/.test(refundAmount)) fail('refundAmount', 'positive', 'must be greater than zero');
  return compact({
    tradeNo: reqStr(o, '', 'tradeNo', { max: 32 }),
    merTrackNo: reqStr(o, '', 'merTrackNo', { max: 50 }),
    refundAmount,
    refundType: reqEnum(o, '', 'refundType', ['1', '2'] as const),
    refundReason: reqStr(o, '', 'refundReason', { max: 500 }),
    remark: optStr(o, '', 'remark', { max: 500 }),
  });
}

const GATEWAY_TIME = { pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/, format: 'YYYY-MM-DDTHH:mm:ss' } as const;

export function validateTransactionSearch(input: unknown): TransactionSearchQuery {
  const o = readObject(input, 'query');
  const startTime = reqStr(o, '', 'startTime', GATEWAY_TIME);
  const endTime = reqStr(o, '', 'endTime', GATEWAY_TIME);
  const start = parseGatewayTime(startTime);
  const end = parseGatewayTime(endTime);
  if (start === undefined) fail('startTime', 'format', 'is not a real date and time');
  if (end === undefined) fail('endTime', 'format', 'is not a real date and time');
  if (start.getTime() > end.getTime()) fail('endTime', 'range', 'must not be before startTime');
  return compact({
    startTime,
    endTime,
    orderNo: optStr(o, '', 'orderNo', { max: 50 }),
    tradeNo: optStr(o, '', 'tradeNo', { max: 32 }),
    pageIndex: optInt(o, '', 'pageIndex', { min: 1, max: 1_000_000 }),
    pageSize: optInt(o, '', 'pageSize', { min: 1, max: 1000 }),
  });
}
