/**
 * The `{type, data}` body of an AsiaBill notification, read into GatewayNotification.
 * Called only after the signature has been checked over the raw text. Values may arrive as
 * numbers (AsiaBill's own examples show numeric orderNo/tradeNo) and become strings; a
 * 22-digit tradeNo keeps every digit (json.ts).
 */
import type { ChargebackData, GatewayNotification, RefundData, TransactionData } from './types.ts';
import { AsiabillShapeError, NotificationVerificationError } from './errors.ts';
import { asObject, isObject, oneOf, reqText, text, type JsonObject } from './coerce.ts';
import { parseJsonLossless } from './json.ts';

const TRANSACTION_TYPES = [
  'transaction.success',
  'transaction.fail',
  'transaction.pending',
  'transaction.clear',
  'pre-authorized.captured',
  'pre-authorized.void',
] as const;
const REFUND_TYPES = ['refund.success', 'refund.fail'] as const;
const ORDER_STATUSES = ['success', 'fail', 'pending'] as const;

function transactionData(d: JsonObject): TransactionData {
  return {
    transactionType: text(d, 'transactionType'),
    orderNo: reqText(d, 'orderNo'),
    tradeNo: reqText(d, 'tradeNo'),
    orderAmount: text(d, 'orderAmount'),
    orderCurrency: text(d, 'orderCurrency'),
    orderStatus: oneOf(d, 'orderStatus', ORDER_STATUSES),
    orderInfo: text(d, 'orderInfo'),
    remark: text(d, 'remark'),
  };
}

function refundData(d: JsonObject): RefundData {
  return {
    reason: text(d, 'reason'),
    amount: text(d, 'amount'),
    currency: text(d, 'currency'),
    batchNo: reqText(d, 'batchNo'),
    orderNo: text(d, 'orderNo'),
    tradeNo: reqText(d, 'tradeNo'),
    orderAmount: text(d, 'orderAmount'),
    orderCurrency: text(d, 'orderCurrency'),
    noticeDate: text(d, 'noticeDate'),
    merTrackNo: text(d, 'merTrackNo'),
  };
}

function chargebackData(d: JsonObject): ChargebackData {
  const info = isObject(d.chargebackInfo) ? d.chargebackInfo : {};
  return {
    chargebackInfo: { replyDeadline: text(info, 'replyDeadline'), cpdDate: text(info, 'cpdDate') },
    reason: text(d, 'reason'),
    amount: text(d, 'amount'),
    currency: text(d, 'currency'),
    batchNo: reqText(d, 'batchNo'),
    orderNo: text(d, 'orderNo'),
    tradeNo: reqText(d, 'tradeNo'),
    orderAmount: text(d, 'orderAmount'),
    orderCurrency: text(d, 'orderCurrency'),
    noticeDate: text(d, 'noticeDate'),
  };
}

export function parseNotificationBody(rawBody: string, requestId: string, requestTime: number): GatewayNotification {
  let parsed: unknown;
  try {
    parsed = parseJsonLossless(rawBody);
  } catch {
    throw new NotificationVerificationError('BAD_BODY', 'notification body is not JSON');
  }
  try {
    const body = asObject(parsed, 'notification body');
    const type = reqText(body, 'type');
    const known = [...TRANSACTION_TYPES, ...REFUND_TYPES, 'chargeback.success'].includes(type);
    // The data of a type we do not handle may have any shape (or be absent).
    const data = known ? asObject(body.data, 'notification data') : isObject(body.data) ? body.data : {};
    const transactionType = TRANSACTION_TYPES.find((t) => t === type);
    if (transactionType) return { type: transactionType, requestId, requestTime, data: transactionData(data) };
    const refundType = REFUND_TYPES.find((t) => t === type);
    if (refundType) return { type: refundType, requestId, requestTime, data: refundData(data) };
    if (type === 'chargeback.success') return { type, requestId, requestTime, data: chargebackData(data) };
    // A type we do not handle: kept (by the caller) and acknowledged, so AsiaBill does not
    // retry it for 17 hours; only the references needed to find it later are read.
    return {
      type: 'unhandled',
      eventType: type,
      requestId,
      requestTime,
      data: { orderNo: looseText(data, 'orderNo'), tradeNo: looseText(data, 'tradeNo') },
    };
  } catch (err) {
    if (err instanceof AsiabillShapeError)
      throw new NotificationVerificationError('BAD_BODY', `notification body rejected: ${err.message}`);
    throw err;
  }
}

/** A reference field of an unhandled notification: text if it is text (or a number), else ''. */
function looseText(d: JsonObject, key: string): string {
  const v = d[key];
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : '';
}
