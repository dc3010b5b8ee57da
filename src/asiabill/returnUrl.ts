/**
 * The browser redirect to returnUrl after 3-D Secure, local payment or hosted checkout
 * (API.md §4). A UX hint only: the outcome is taken from notifications or /transactions.
 *
 * Signature: drop `signInfo` and the merchant's own params (those already in its returnUrl,
 * e.g. `bankCode`), sort the rest by name, concatenate the decoded values, HMAC-SHA256 with
 * the sign key, compare case-insensitively.
 */
import type { OrderStatus } from './types.ts';
import { NotificationVerificationError } from './errors.ts';
import { safeEqualHex, signReturnParams } from './sign.ts';

export interface ReturnQueryResult {
  orderNo: string;
  orderStatus: OrderStatus;
  tradeNo: string;
  orderAmount: string;
  orderCurrency: string;
  orderInfo: string;
  code: string;
  message: string;
  merNo: string;
  gatewayNo: string;
  maskCardNo: string;
}

function toRecord(query: URLSearchParams | Record<string, string>): Record<string, string> {
  // URLSearchParams values are already decoded; a plain record is taken as decoded too.
  return query instanceof URLSearchParams ? Object.fromEntries(query.entries()) : { ...query };
}

export function verifyReturnQuery(
  query: URLSearchParams | Record<string, string>,
  signKey: string,
  ownParams: readonly string[] = [],
): ReturnQueryResult {
  const params = toRecord(query);
  const signInfo = params.signInfo;
  if (signInfo === undefined || signInfo === '')
    throw new NotificationVerificationError('MISSING_HEADER', 'return query has no signInfo');
  const signed = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'signInfo' && !ownParams.includes(k)));
  if (!safeEqualHex(signReturnParams(signed, signKey), signInfo))
    throw new NotificationVerificationError('BAD_SIGNATURE', 'return query signature does not match');

  const status = signed.orderStatus;
  if (status !== 'success' && status !== 'fail' && status !== 'pending')
    throw new NotificationVerificationError('BAD_BODY', 'return query has no valid orderStatus');
  const orderNo = signed.orderNo;
  if (!orderNo) throw new NotificationVerificationError('BAD_BODY', 'return query has no orderNo');
  const get = (k: string): string => signed[k] ?? '';
  return {
    orderNo,
    orderStatus: status,
    tradeNo: get('tradeNo'),
    orderAmount: get('orderAmount'),
    orderCurrency: get('orderCurrency'),
    orderInfo: get('orderInfo'),
    code: get('code'),
    message: get('message'),
    merNo: get('merNo'),
    gatewayNo: get('gatewayNo'),
    maskCardNo: get('maskCardNo'),
  };
}

/**
 * Appends AsiaBill's signed result params to a returnUrl (the sandbox's redirect). Params
 * already in the returnUrl are the merchant's own and stay outside the signature.
 */
export function buildSignedReturnUrl(
  returnUrl: string,
  result: Readonly<Record<string, string>>,
  signKey: string,
): string {
  const url = new URL(returnUrl);
  for (const [k, v] of Object.entries(result)) url.searchParams.set(k, v);
  url.searchParams.set('signInfo', signReturnParams(result, signKey));
  return url.toString();
}
