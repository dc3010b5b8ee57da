import type { Customer } from '../../customers/customers.ts';
import { cell, formatTimestamp, type Column, type JsonObject } from '../output.ts';

export function customerJson(c: Customer): JsonObject {
  return {
    id: c.id,
    email: c.email,
    firstName: c.firstName,
    lastName: c.lastName,
    phone: c.phone,
    externalRef: c.externalRef,
    asiabillCustomerId: c.asiabillCustomerId,
    createdAt: c.createdAt.toISOString(),
  };
}

export const CUSTOMER_COLUMNS: readonly Column<Customer>[] = [
  { header: 'ID', value: (c) => c.id },
  { header: 'EMAIL', value: (c) => c.email },
  { header: 'NAME', value: (c) => `${c.firstName} ${c.lastName}` },
  { header: 'PHONE', value: (c) => cell(c.phone) },
  { header: 'EXTERNAL REF', value: (c) => cell(c.externalRef) },
  { header: 'ASIABILL ID', value: (c) => c.asiabillCustomerId },
  { header: 'CREATED', value: (c) => formatTimestamp(c.createdAt) },
];

export function customerDetails(c: Customer): Array<[string, string]> {
  return [
    ['id', c.id],
    ['email', c.email],
    ['first name', c.firstName],
    ['last name', c.lastName],
    ['phone', cell(c.phone)],
    ['external ref', cell(c.externalRef)],
    ['asiabill id', c.asiabillCustomerId],
    ['created', formatTimestamp(c.createdAt)],
  ];
}
