import type { StoredPaymentMethod } from '../../customers/paymentMethods.ts';
import { cell, formatTimestamp, type Column, type JsonObject } from '../output.ts';

/** Only what is stored — a reference and masked details; there is no card number to show. */
export function paymentMethodJson(pm: StoredPaymentMethod): JsonObject {
  return {
    id: pm.id,
    customerId: pm.customerId,
    asiabillPaymentMethodId: pm.asiabillPaymentMethodId,
    brand: pm.brand,
    last4: pm.last4,
    expMonth: pm.expMonth,
    expYear: pm.expYear,
    mandateTradeNo: pm.mandateTradeNo,
    createdAt: pm.createdAt.toISOString(),
  };
}

export const PAYMENT_METHOD_COLUMNS: readonly Column<StoredPaymentMethod>[] = [
  { header: 'ID', value: (pm) => pm.id },
  { header: 'CUSTOMER', value: (pm) => pm.customerId },
  { header: 'BRAND', value: (pm) => cell(pm.brand) },
  { header: 'CARD', value: (pm) => maskedCard(pm) },
  { header: 'EXPIRES', value: (pm) => expiry(pm) },
  { header: 'ASIABILL ID', value: (pm) => pm.asiabillPaymentMethodId },
  { header: 'CREATED', value: (pm) => formatTimestamp(pm.createdAt) },
];

export function paymentMethodDetails(pm: StoredPaymentMethod): Array<[string, string]> {
  return [
    ['id', pm.id],
    ['customer', pm.customerId],
    ['brand', cell(pm.brand)],
    ['card', maskedCard(pm)],
    ['expires', expiry(pm)],
    ['asiabill id', pm.asiabillPaymentMethodId],
    ['created', formatTimestamp(pm.createdAt)],
  ];
}

function maskedCard(pm: StoredPaymentMethod): string {
  return pm.last4 === null ? cell(null) : `**** ${pm.last4}`;
}

function expiry(pm: StoredPaymentMethod): string {
  return pm.expMonth !== null && pm.expYear !== null ? `${pm.expMonth}/${pm.expYear}` : cell(null);
}
