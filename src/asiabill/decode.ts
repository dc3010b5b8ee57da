/**
 * Turning successful response `data` into our types. Identifiers and amounts stay strings
 * (numbers are accepted and converted); a missing key field is an AsiabillShapeError.
 */
import type {
  BillingDetail,
  CheckoutPaymentResult,
  ConfirmChargeResult,
  Customer,
  CustomerPage,
  PaymentMethod,
  RefundResult,
  TransactionPage,
  TransactionRecord,
} from './types.ts';
import { AsiabillShapeError } from './errors.ts';
import { asArray, asObject, int, isObject, oneOf, optText, reqText, text, type JsonObject } from './coerce.ts';

const ORDER_STATUSES = ['success', 'fail', 'pending'] as const;

export function decodeSessionToken(data: unknown): string {
  return reqText(asObject(data, 'data'), 'sessionToken');
}

export function decodeCustomer(data: unknown): Customer {
  const o = asObject(data, 'customer');
  return {
    customerId: reqText(o, 'customerId'),
    email: text(o, 'email'),
    firstName: text(o, 'firstName'),
    lastName: text(o, 'lastName'),
    phone: text(o, 'phone'),
    description: text(o, 'description'),
    created: text(o, 'created'),
  };
}

function decodePage(o: JsonObject): { total: number; pageSize: number; pageIndex: number } {
  const p = isObject(o.page) ? o.page : {};
  return { total: int(p, 'total', 0), pageSize: int(p, 'pageSize', 0), pageIndex: int(p, 'pageIndex', 1) };
}

/** [assumption] like /transactions: `{page{total,pageSize,pageIndex}, list[…]}`. */
export function decodeCustomerPage(data: unknown): CustomerPage {
  const o = asObject(data, 'data');
  return { page: decodePage(o), list: asArray(o.list ?? [], 'list').map(decodeCustomer) };
}

function decodeBillingDetail(value: unknown): BillingDetail {
  const o = isObject(value) ? value : {};
  const a = isObject(o.address) ? o.address : {};
  const line2 = optText(a, 'line2');
  const state = optText(a, 'state');
  const postalCode = optText(a, 'postalCode');
  return {
    address: {
      line1: text(a, 'line1'),
      ...(line2 !== undefined ? { line2 } : {}),
      city: text(a, 'city'),
      ...(state !== undefined ? { state } : {}),
      ...(postalCode !== undefined ? { postalCode } : {}),
      country: text(a, 'country'),
    },
    email: text(o, 'email'),
    firstName: text(o, 'firstName'),
    lastName: text(o, 'lastName'),
    phone: text(o, 'phone'),
  };
}

export function decodePaymentMethod(data: unknown): PaymentMethod {
  const o = asObject(data, 'payment method');
  const card = isObject(o.card) ? o.card : {};
  const customerId = optText(o, 'customerId');
  return {
    customerPaymentMethodId: reqText(o, 'customerPaymentMethodId'),
    ...(customerId ? { customerId } : {}),
    // Only the summary is ever read back; AsiaBill never returns full card data.
    card: { brand: text(card, 'brand'), last4: text(card, 'last4') },
    billingDetail: decodeBillingDetail(o.billingDetail),
  };
}

export function decodePaymentMethodList(data: unknown): PaymentMethod[] {
  return asArray(data ?? [], 'data').map(decodePaymentMethod);
}

/**
 * confirmCharge `data`. The orderNo must be the one we sent: a mismatched answer is not an
 * answer to our request, so it is treated as unreadable (the caller turns that into an
 * unknown outcome).
 */
export function decodeChargeResult(data: unknown, sentOrderNo: string): ConfirmChargeResult {
  const o = asObject(data, 'confirmCharge data');
  const orderNo = optText(o, 'orderNo') ?? sentOrderNo;
  if (orderNo !== sentOrderNo) throw new AsiabillShapeError('confirmCharge answered for a different orderNo');
  const result: ConfirmChargeResult = {
    orderNo,
    orderStatus: oneOf(o, 'orderStatus', ORDER_STATUSES),
    orderInfo: text(o, 'orderInfo'),
    orderAmount: text(o, 'orderAmount'),
    orderCurrency: text(o, 'orderCurrency'),
  };
  for (const key of ['tradeNo', 'redirectUrl', 'maskCardNo', 'remark', 'riskInfos'] as const) {
    const v = optText(o, key);
    if (v !== undefined && v !== '') result[key] = v;
  }
  return result;
}

export function decodeCheckoutResult(data: unknown, sentOrderNo: string): CheckoutPaymentResult {
  const o = asObject(data, 'checkout data');
  const tradeNo = optText(o, 'tradeNo');
  return {
    redirectUrl: reqText(o, 'redirectUrl'),
    orderNo: optText(o, 'orderNo') ?? sentOrderNo,
    ...(tradeNo ? { tradeNo } : {}),
  };
}

export function decodeRefund(data: unknown): RefundResult {
  const o = asObject(data, 'refund data');
  const refundStatus = optText(o, 'refundStatus');
  return {
    batchNo: reqText(o, 'batchNo'),
    tradeNo: text(o, 'tradeNo'),
    merTrackNo: text(o, 'merTrackNo'),
    refundAmount: text(o, 'refundAmount'),
    ...(refundStatus !== undefined ? { refundStatus } : {}),
  };
}

export function decodeTransactionRecord(data: unknown): TransactionRecord {
  const o = asObject(data, 'transaction');
  return {
    orderNo: reqText(o, 'orderNo'),
    tradeNo: reqText(o, 'tradeNo'),
    tradeDate: text(o, 'tradeDate'),
    tradeAmount: text(o, 'tradeAmount'),
    tradeCurrency: text(o, 'tradeCurrency'),
    tradeStatus: oneOf(o, 'tradeStatus', ORDER_STATUSES),
    tradeInfo: text(o, 'tradeInfo'),
  };
}

export function decodeTransactionPage(data: unknown): TransactionPage {
  const o = asObject(data, 'data');
  return { page: decodePage(o), list: asArray(o.list ?? [], 'list').map(decodeTransactionRecord) };
}
